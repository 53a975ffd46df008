// Windows/Linux-Sysmon event XML embedded in JSON rows (Azure `SecurityEvent.EventData`,
// Syslog rows carrying a Linux-Sysmon `<Event>`), converted to the same nested shape the EVTX
// reader and evtx_dump produce, so one flattener handles all of them. Parsing is the project's
// safe XML parser (no DTDs, no external entities).

import { parseXml, type XmlElement } from '../../policy/import/xml/parse.ts';
import { addRepeated as add } from './repeated.ts';

type Obj = Record<string, unknown>;

/** One element in evtx_dump's JSON shape (see evtx/binxml.ts renderElem). */
export function elementValue(el: XmlElement, skipAttr?: string): unknown {
  let attrs: Obj | null = null;
  for (const a of el.attrs) {
    if (a.name === skipAttr || a.name.startsWith('xmlns:')) continue;
    (attrs ??= {})[a.name] = a.value;
  }
  let obj: Obj | null = null;
  let text = '';
  for (const c of el.children) {
    if (c.kind === 'text') text += c.value;
    else if (c.kind === 'element') {
      obj ??= {};
      const name = c.name === 'Data' ? c.attrs.find((a) => a.name === 'Name')?.value : undefined;
      if (name) add(obj, name, elementValue(c, 'Name'));
      else add(obj, c.name, elementValue(c));
    }
  }
  if (obj === null) {
    if (attrs === null) return text === '' ? null : text;
    return text === '' ? { '#attributes': attrs } : { '#attributes': attrs, '#text': text };
  }
  if (attrs !== null) obj = { '#attributes': attrs, ...obj };
  if (text.trim() !== '') obj['#text'] = text;
  return obj;
}

/** `<Root …>…</Root>` text → [root name, value], or undefined when it is not well-formed XML. */
export function xmlToObject(text: string): [string, unknown] | undefined {
  const { doc } = parseXml(text, '<embedded>');
  if (!doc) return undefined;
  return [doc.root.name, elementValue(doc.root)];
}

const ENT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Entity decoding that tolerates a missing ';' ("&lt unknown process&gt " as seen in the wild). */
function decodeLoose(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);?/g, (m, e: string) => {
    if (e[0] !== '#') return ENT[e];
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

function attrsOf(s: string): Obj | null {
  let out: Obj | null = null;
  for (const m of s.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) {
    if (m[1].startsWith('xmlns')) continue;
    (out ??= {})[m[1]] = decodeLoose(m[2]);
  }
  return out;
}

/**
 * Best-effort reading of an event `<Event>` document that is not well-formed (syslog
 * truncation, stray '&'): the flat System elements and every `<Data Name=…>` that is present,
 * in the same shape as xmlToObject. Undefined when not even a System block is there.
 */
export function lenientEventXml(text: string): Obj | undefined {
  const sysM = /<System>([\s\S]*?)(?:<\/System>|$)/.exec(text);
  if (!sysM) return undefined;
  const system: Obj = {};
  for (const m of sysM[1].matchAll(/<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(?:\/>|>([^<]*)<\/\1>)/g)) {
    const attrs = attrsOf(m[2] ?? '');
    const t = m[3] === undefined || m[3] === '' ? null : decodeLoose(m[3]);
    add(system, m[1], attrs ? (t === null ? { '#attributes': attrs } : { '#attributes': attrs, '#text': t }) : t);
  }
  const event: Obj = { System: system };
  const edStart = text.indexOf('<EventData');
  if (edStart >= 0) {
    const data: Obj = {};
    for (const m of text.slice(edStart).matchAll(/<Data Name="([^"]*)"\s*(?:\/>|>([^<]*)(?:<\/Data>|$))/g)) {
      add(data, decodeLoose(m[1]), m[2] === undefined || m[2] === '' ? null : decodeLoose(m[2]));
    }
    event.EventData = data;
  }
  return event;
}
