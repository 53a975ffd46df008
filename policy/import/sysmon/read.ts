// Sysmon XML document → a faithful model of what SysmonCommon's xml.cpp builds: one rule
// list per event element (found at any depth under <EventFiltering>), its onmatch, its
// combine type (RuleGroup groupRelation, else AND above schema 4.1 and OR up to 4.1), its
// filters and <Rule> aggregates in document order, and each filter's resolved rule name
// (own name, else the <Rule>'s, else the RuleGroup's). Options become agent configuration.

import type { Span } from '../../ast.ts';
import { diag, didYouMean, type Diagnostic } from '../../diagnostics.ts';
import { attr, childElements, textOf, type XmlDocument, type XmlElement } from '../xml/parse.ts';
import { CONDITIONS, OPTIONS, RULE_ELEMENTS, type SysmonCondition, type SysmonEventDef } from './schema.ts';

export interface SysmonFilter {
  field: string;
  condition: SysmonCondition;
  /** Exactly the element text (untrimmed, entities decoded). */
  value: string;
  /** Resolved RuleName ('' = none): filter name, else <Rule> name, else RuleGroup name. */
  name: string;
  /** Position among all filters of the list (evaluation order). */
  position: number;
  span: Span;
}

export interface SysmonAggregate {
  relation: 'and' | 'or';
  name: string;
  filters: SysmonFilter[];
  span: Span;
}

export type SysmonItem = { kind: 'filter'; filter: SysmonFilter } | { kind: 'rule'; rule: SysmonAggregate };

export interface SysmonList {
  /** Rule element name = Luna event type (ProcessCreate, RegistryEvent, …). */
  type: string;
  onmatch: 'include' | 'exclude';
  relation: 'and' | 'or';
  groupName: string;
  items: SysmonItem[];
  /** The sub-event the element was compiled for (the first in the series with all its fields). */
  chosen: SysmonEventDef;
  series: SysmonEventDef[];
  span: Span;
}

export interface SysmonConfig {
  schemaVersion: string;
  /** Sysmon combines filters with AND by default above schema 4.1. */
  andByDefault: boolean;
  lists: SysmonList[];
  options: Record<string, string | true>;
}

/** Sysmon's ParseVersionString: stod, then "%.2f" → major/minor. */
export function parseSchemaVersion(v: string): { major: number; minor: number } | undefined {
  const t = v.trim();
  if (!/^[0-9]+(\.[0-9]*)?$/.test(t)) return undefined;
  const fixed = Number(t).toFixed(2);
  const [maj, min] = fixed.split('.');
  const major = Number(maj);
  if (major === 0) return undefined;
  return { major, minor: Number(min) };
}

export function readSysmonConfig(doc: XmlDocument): { config?: SysmonConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const err = (code: string, message: string, span: Span, suggestion?: string) =>
    diagnostics.push(diag(code, 'error', message, { span, ...(suggestion ? { suggestion } : {}) }));
  const warn = (code: string, message: string, span: Span, suggestion?: string) =>
    diagnostics.push(diag(code, 'warning', message, { span, ...(suggestion ? { suggestion } : {}) }));
  const note = (code: string, message: string, span: Span) => diagnostics.push(diag(code, 'info', message, { span }));

  const root = doc.root;
  if (root.name !== 'Sysmon') {
    err('LUN5310', `the root element is <${root.name}>, not <Sysmon>: not a Sysmon configuration`, root.span);
    return { diagnostics };
  }
  const versionAttr = attr(root, 'schemaversion');
  const parsed = versionAttr ? parseSchemaVersion(versionAttr.value) : undefined;
  if (!versionAttr || !parsed) {
    err(
      'LUN5311',
      versionAttr ? `invalid schemaversion "${versionAttr.value}"` : '<Sysmon> has no schemaversion attribute',
      versionAttr?.span ?? root.span,
      'write e.g. <Sysmon schemaversion="4.90">',
    );
    return { diagnostics };
  }
  if (parsed.major !== 4) {
    warn('LUN5311', `schemaversion ${versionAttr.value}: Luna imports the 4.x schema; semantics of other versions may differ`, versionAttr.span);
  }
  const andByDefault = parsed.major > 4 || (parsed.major === 4 && parsed.minor > 10);
  const config: SysmonConfig = { schemaVersion: versionAttr.value, andByDefault, lists: [], options: {} };

  // Options: every child of <Sysmon> except <EventFiltering>.
  const filterings: XmlElement[] = [];
  for (const el of childElements(root)) {
    if (el.name === 'EventFiltering') {
      filterings.push(el);
      continue;
    }
    const base = el.name.length > 6 && el.name.endsWith('Config') ? el.name.slice(0, -6) : el.name;
    if (!OPTIONS.includes(base)) {
      const s = didYouMean(base, OPTIONS);
      warn('LUN5322', `unknown configuration option <${el.name}> (kept as agent configuration)`, el.span, s ? `did you mean ${s}?` : undefined);
    }
    const value = textOf(el);
    config.options[base] = value === '' ? true : value;
  }

  // Event elements anywhere under EventFiltering, in document order.
  const found: { el: XmlElement; parent: XmlElement }[] = [];
  const visit = (el: XmlElement, depth: number) => {
    for (const c of childElements(el)) {
      if (RULE_ELEMENTS.has(c.name)) {
        found.push({ el: c, parent: el });
        continue;
      }
      if (c.name.toLowerCase() === 'rulegroup') {
        visit(c, depth + 1);
        continue;
      }
      const s = didYouMean(c.name, [...RULE_ELEMENTS.keys(), 'RuleGroup']);
      err('LUN5312', `unknown event element <${c.name}>`, c.span, s ? `did you mean ${s}?` : `expected one of ${[...RULE_ELEMENTS.keys()].join(', ')}`);
    }
  };
  for (const f of filterings) visit(f, 0);

  for (const { el, parent } of found) {
    const list = readList(el, parent, config, err, warn, note);
    if (list) config.lists.push(list);
  }
  return { config, diagnostics };
}

type Report = (code: string, message: string, span: Span, suggestion?: string) => void;

function readList(el: XmlElement, parent: XmlElement, config: SysmonConfig, err: Report, warn: Report, note: Report): SysmonList | undefined {
  const series = RULE_ELEMENTS.get(el.name)!;
  let relation: 'and' | 'or' = config.andByDefault ? 'and' : 'or';
  let groupName = '';
  if (parent.name.toLowerCase() === 'rulegroup') {
    const gr = attr(parent, 'groupRelation');
    if (gr) {
      const v = gr.value.toLowerCase();
      if (v === 'or' || v === 'and') relation = v;
      else err('LUN5317', `groupRelation must be "and" or "or", not "${gr.value}"`, gr.span);
    }
    groupName = attr(parent, 'name')?.value ?? '';
  }
  const onmatchA = attr(el, 'onmatch');
  const defaultA = attr(el, 'default');
  let onmatch: 'include' | 'exclude' | undefined;
  if (onmatchA && defaultA) {
    err('LUN5315', `<${el.name}> has both onmatch and default; pick one`, defaultA.span);
    return undefined;
  }
  if (onmatchA) {
    const v = onmatchA.value.toLowerCase();
    if (v === 'include' || v === 'exclude') onmatch = v;
    else {
      err('LUN5315', `onmatch must be "include" or "exclude", not "${onmatchA.value}"`, onmatchA.span);
      return undefined;
    }
  } else if (defaultA) {
    // Legacy form: default="include" keeps unmatched events, i.e. the list excludes on match.
    const v = defaultA.value.toLowerCase();
    if (v === 'include') onmatch = 'exclude';
    else if (v === 'exclude') onmatch = 'include';
    else {
      err('LUN5315', `default must be "include" or "exclude", not "${defaultA.value}"`, defaultA.span);
      return undefined;
    }
  } else {
    err('LUN5315', `<${el.name}> needs an onmatch="include|exclude" attribute`, el.span);
    return undefined;
  }

  const items: SysmonItem[] = [];
  let position = 0;
  const usedFields: { name: string; span: Span }[] = [];
  const readFilter = (f: XmlElement, inherited: string): SysmonFilter | undefined => {
    const condA = attr(f, 'condition');
    let condition: SysmonCondition = 'is';
    if (condA) {
      const c = condA.value.toLowerCase() as SysmonCondition;
      if (!CONDITIONS.includes(c)) {
        const s = didYouMean(condA.value, CONDITIONS);
        err('LUN5314', `unknown condition "${condA.value}"`, condA.span, s ? `did you mean "${s}"?` : `conditions are: ${CONDITIONS.join(', ')}`);
        return undefined;
      }
      condition = c;
    }
    const own = attr(f, 'name');
    const name = own ? own.value : inherited;
    if (name.length > 255) {
      err('LUN5316', `rule name is ${name.length} characters; Sysmon accepts at most 255`, own?.span ?? f.span);
      return undefined;
    }
    const value = textOf(f);
    if (value.includes('%')) {
      warn(
        'LUN5320',
        `value "${value}" of ${f.name} contains '%': Sysmon expands environment variables in user space; Luna compares the literal text`,
        f.span,
        'write the expanded path if the variable is known (e.g. C:\\Windows for %SystemRoot%)',
      );
    }
    if ((condition === 'less than' || condition === 'more than') && /^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$/.test(value)) {
      // Plain numbers are written as a text-order regex (exact); exponent forms are not.
      warn(
        'LUN5323',
        `"${condition}" ${value} on ${f.name}: Sysmon compares text; Luna compares numbers in exponent notation numerically when both sides are numeric`,
        condA?.span ?? f.span,
      );
    }
    usedFields.push({ name: f.name, span: f.span });
    return { field: f.name, condition, value, name, position: position++, span: f.span };
  };

  for (const sub of childElements(el)) {
    if (sub.name.toLowerCase() === 'rule') {
      const gr = attr(sub, 'groupRelation');
      let rel: 'and' | 'or' = 'or';
      if (gr) {
        const v = gr.value.toLowerCase();
        if (v === 'and' || v === 'or') rel = v;
        else err('LUN5317', `groupRelation must be "and" or "or", not "${gr.value}"`, gr.span);
      } else {
        warn('LUN5321', `<Rule> without groupRelation: its filters are combined with OR`, sub.span, 'write groupRelation="and" or groupRelation="or"');
      }
      const rn = attr(sub, 'name');
      const ruleName = rn ? rn.value : groupName;
      const filters: SysmonFilter[] = [];
      for (const f of childElements(sub)) {
        const flt = readFilter(f, ruleName);
        if (flt) filters.push(flt);
      }
      if (filters.length === 0) {
        warn('LUN5326', `empty <Rule> is ignored by Sysmon`, sub.span);
        continue;
      }
      const last = [...filters].reverse().find((x) => x.name !== '');
      items.push({ kind: 'rule', rule: { relation: rel, name: last?.name ?? '', filters, span: sub.span } });
    } else {
      const flt = readFilter(sub, groupName);
      if (flt) items.push({ kind: 'filter', filter: flt });
    }
  }

  // Pick the sub-event like xml.cpp: the first of the series that has every field used.
  const chosen = series.find((e) => usedFields.every((u) => e.fields.includes(u.name)));
  if (!chosen) {
    for (const u of usedFields) {
      if (series.some((e) => e.fields.includes(u.name))) continue;
      const all = [...new Set(series.flatMap((e) => e.fields))].filter((n) => n !== 'RuleName');
      const s = didYouMean(u.name, all);
      err('LUN5313', `${el.name} has no field ${u.name}`, u.span, s ? `did you mean ${s}?` : `fields of ${el.name}: ${all.join(', ')}`);
    }
    if (usedFields.every((u) => series.some((e) => e.fields.includes(u.name)))) {
      err('LUN5313', `no single ${el.name} event (${series.map((e) => e.id).join(', ')}) has all the fields this element uses`, el.span);
    }
    return undefined;
  }
  if (items.length === 0) {
    // Legitimate (it sets the type's default), so only a note.
    const what = onmatch === 'include' ? 'logs nothing' : 'logs everything';
    note('LUN5325', `empty <${el.name} onmatch="${onmatch}"> ${what} for ${el.name} (unless other ${el.name} lists exist)`, el.span);
  }
  return { type: el.name, onmatch, relation, groupName, items, chosen, series, span: el.span };
}
