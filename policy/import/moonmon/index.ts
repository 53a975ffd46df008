// MoonMon luna.yaml → Luna policy. global_settings become agent configuration; every
// `<event>_{block,include,exclude}_list` entry becomes one rule (its rules ANDed) with a block,
// log or drop action. MoonMon's own precedence has bugs (include beats exclude, except on
// process creation where include does nothing); Luna imports the documented intent (exclude
// wins, include logs) and warns for every entry whose meaning that changes.

import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { Action, CompareExpr, Expr, Policy, RuleDecl, Span, Value, Verdict } from '../../ast.ts';
import { diag, didYouMean, type Diagnostic } from '../../diagnostics.ts';
import { BLOCK_MODES, GLOBAL_SETTINGS, INT_FIELDS, IP_FIELDS, MOONMON_EVENTS, OPERATORS, canonicalOperator, type MoonmonEvent } from './schema.ts';

type ListKind = 'block' | 'include' | 'exclude';
const LIST_KEY = /^([a-z0-9_]+)_(block|include|exclude)_list$/;

export interface MoonmonImport {
  policies: Policy[];
  diagnostics: Diagnostic[];
}

export function looksLikeMoonmon(path: string, text: string): boolean {
  if (!/\.ya?ml$/i.test(path)) return false;
  return /^global_settings\s*:/m.test(text) || /^[a-z0-9_]+_(block|include|exclude)_list\s*:/m.test(text);
}

function policyName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? 'moonmon';
  return base.replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '-') || 'moonmon';
}

export function importMoonmonText(file: string, text: string): MoonmonImport {
  const diagnostics: Diagnostic[] = [];
  const idPrefix = policyName(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const span = (node: { range?: [number, number, number] | null } | null | undefined): Span => {
    const r = node?.range ?? [0, 0, 0];
    const a = lc.linePos(r[0]);
    const b = lc.linePos(r[1]);
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: r[0], endOffset: r[1] };
  };
  const err = (code: string, message: string, at: Span, suggestion?: string) =>
    diagnostics.push(diag(code, 'error', message, { span: at, ...(suggestion ? { suggestion } : {}) }));
  const warn = (code: string, message: string, at: Span, suggestion?: string) =>
    diagnostics.push(diag(code, 'warning', message, { span: at, ...(suggestion ? { suggestion } : {}) }));

  for (const e of doc.errors) {
    const a = lc.linePos(e.pos[0]);
    const b = lc.linePos(e.pos[1]);
    err('LUN5401', `YAML: ${e.message.split('\n')[0]}`, { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: e.pos[0], endOffset: e.pos[1] });
  }
  if (doc.errors.length) return { policies: [], diagnostics };
  const root = doc.contents;
  if (!isMap(root)) {
    err('LUN5402', 'a MoonMon configuration is a mapping with global_settings and <event>_<kind>_list keys', span(root as YamlNode));
    return { policies: [], diagnostics };
  }

  // global_settings
  const settings: Record<string, string | number | boolean> = {};
  const listsByEvent = new Map<string, { kind: ListKind; node: YAMLMap; keySpan: Span }[]>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keySpan = span(pair.key as YamlNode);
    if (key === 'global_settings') {
      if (pair.value === null || pair.value === undefined) continue;
      if (!isMap(pair.value)) {
        err('LUN5402', 'global_settings must be a mapping', span(pair.value as YamlNode));
        continue;
      }
      for (const s of pair.value.items) {
        const sk = isScalar(s.key) ? String(s.key.value) : '';
        const sv = isScalar(s.value) ? s.value.value : undefined;
        const kind = Object.hasOwn(GLOBAL_SETTINGS, sk) ? GLOBAL_SETTINGS[sk] : undefined;
        const at = span(s.key as YamlNode);
        if (!kind) {
          const sug = didYouMean(sk, Object.keys(GLOBAL_SETTINGS));
          warn('LUN5412', `unknown global setting ${sk} (kept as agent configuration)`, at, sug ? `did you mean ${sug}?` : undefined);
          if (typeof sv === 'string' || typeof sv === 'number' || typeof sv === 'boolean') settings[sk] = sv;
          continue;
        }
        const vAt = span(s.value as YamlNode);
        if (kind === 'bool' && typeof sv !== 'boolean') err('LUN5405', `${sk} must be true or false`, vAt);
        else if (kind === 'int' && !(typeof sv === 'number' && Number.isInteger(sv) && sv >= 0)) err('LUN5405', `${sk} must be a non-negative integer`, vAt);
        else if (kind === 'string|false' && !(typeof sv === 'string' || sv === false)) err('LUN5405', `${sk} must be a path or false`, vAt);
        else settings[sk] = sv as string | number | boolean;
      }
      continue;
    }
    const m = LIST_KEY.exec(key);
    const ev = m ? MOONMON_EVENTS.find((e) => e.name === m[1]) : undefined;
    if (!m || !ev) {
      const candidates = MOONMON_EVENTS.flatMap((e) => ['block', 'include', 'exclude'].map((k) => `${e.name}_${k}_list`));
      const sug = didYouMean(key, [...candidates, 'global_settings']);
      err('LUN5402', `unknown key ${key}`, keySpan, sug ? `did you mean ${sug}?` : 'keys are global_settings and <event>_{block,include,exclude}_list');
      continue;
    }
    if (pair.value === null || pair.value === undefined || (isScalar(pair.value) && pair.value.value === null)) continue;
    if (!isMap(pair.value)) {
      err('LUN5406', `${key} must be a mapping with an entries list`, span(pair.value as YamlNode));
      continue;
    }
    const arr = listsByEvent.get(ev.name) ?? [];
    arr.push({ kind: m[2] as ListKind, node: pair.value, keySpan });
    listsByEvent.set(ev.name, arr);
  }

  // Entries → rules. Order: blocks, excludes, includes (exclude wins for the verdict anyway).
  const rules: RuleDecl[] = [];
  const ids = new Map<string, Span>();
  const hasEntries = new Map<string, Set<ListKind>>();
  const parsed: { ev: MoonmonEvent; kind: ListKind; rule: RuleDecl }[] = [];
  for (const ev of MOONMON_EVENTS) {
    for (const list of listsByEvent.get(ev.name) ?? []) {
      const entries = list.node.get('entries', true) as YamlNode | undefined;
      if (entries === undefined || (isScalar(entries) && entries.value === null)) continue;
      if (!isSeq(entries)) {
        err('LUN5406', `${ev.name}_${list.kind}_list.entries must be a list`, span(entries));
        continue;
      }
      for (const other of list.node.items) {
        const k = isScalar(other.key) ? String(other.key.value) : '';
        if (k !== 'entries') warn('LUN5412', `unknown key ${k} in ${ev.name}_${list.kind}_list (ignored)`, span(other.key as YamlNode));
      }
      for (const entry of entries.items) {
        const rule = readEntry(entry as YamlNode, ev, list.kind);
        if (rule) {
          parsed.push({ ev, kind: list.kind, rule });
          const s = hasEntries.get(ev.name) ?? new Set<ListKind>();
          s.add(list.kind);
          hasEntries.set(ev.name, s);
        }
      }
    }
  }

  function readEntry(node: YamlNode, ev: MoonmonEvent, kind: ListKind): RuleDecl | undefined {
    const at = span(node);
    if (!isMap(node)) {
      err('LUN5406', 'an entry is a mapping with id, name, action and rules', at);
      return undefined;
    }
    const get = (k: string) => node.get(k, true) as YamlNode | undefined;
    const scalar = (k: string) => {
      const n = get(k);
      return n && isScalar(n) ? n.value : undefined;
    };
    for (const p of node.items) {
      const k = isScalar(p.key) ? String(p.key.value) : '';
      if (!['id', 'name', 'action', 'rules', 'description', 'enabled'].includes(k)) {
        const sug = didYouMean(k, ['id', 'name', 'action', 'rules', 'description', 'enabled']);
        warn('LUN5412', `unknown entry key ${k} (ignored)`, span(p.key as YamlNode), sug ? `did you mean ${sug}?` : undefined);
      }
    }
    const idv = scalar('id');
    if (idv === undefined || idv === null || (typeof idv !== 'number' && typeof idv !== 'string')) {
      err('LUN5406', 'entry needs an id (number or string)', at);
      return undefined;
    }
    const name = scalar('name');
    // Prefixed with the policy name: ids must be unique across every loaded policy.
    const ruleId = `${idPrefix}-${ev.name}-${kind}-${String(idv)}`;
    if (ids.has(ruleId)) {
      err('LUN5408', `duplicate id ${String(idv)} in ${ev.name}_${kind}_list (first at line ${ids.get(ruleId)!.line})`, span(get('id')));
      return undefined;
    }
    ids.set(ruleId, span(get('id')));
    // action
    const actionRaw = scalar('action');
    const actions: Action[] = [];
    if (kind === 'block') {
      const mode = actionRaw === undefined || actionRaw === null ? 'accessdenied' : String(actionRaw).toLowerCase();
      if (!(BLOCK_MODES as readonly string[]).includes(mode)) {
        const sug = didYouMean(String(actionRaw), BLOCK_MODES);
        err('LUN5407', `block action must be one of ${BLOCK_MODES.join(', ')}, not "${String(actionRaw)}"`, span(get('action')), sug ? `did you mean ${sug}?` : undefined);
        return undefined;
      }
      if (!ev.blockable) warn('LUN5414', `MoonMon cannot block ${ev.name} events; the agent logs them but cannot deny`, at);
      actions.push({ kind: 'block', mode: mode as (typeof BLOCK_MODES)[number] });
    } else if (kind === 'include') {
      const a = actionRaw === undefined || actionRaw === null ? 'log' : String(actionRaw).toLowerCase();
      if (a === 'log') actions.push({ kind: 'log' });
      else if (a === 'alert') actions.push({ kind: 'log' }, { kind: 'alert' });
      else {
        err('LUN5407', `include entries log (action: log or alert), not "${String(actionRaw)}"`, span(get('action')));
        return undefined;
      }
    } else {
      const a = actionRaw === undefined || actionRaw === null ? 'drop' : String(actionRaw).toLowerCase();
      if (a !== 'drop' && a !== 'exclude') {
        err('LUN5407', `exclude entries drop the event (action: drop), not "${String(actionRaw)}"`, span(get('action')));
        return undefined;
      }
      actions.push({ kind: 'drop' });
    }
    // rules
    const rn = get('rules');
    if (!rn || !isSeq(rn) || rn.items.length === 0) {
      err('LUN5406', 'entry needs a non-empty rules list (condition, field, value)', rn ? span(rn) : at);
      return undefined;
    }
    const parts: Expr[] = [];
    let ok = true;
    for (const r of rn.items) {
      const x = readRule(r as YamlNode, ev);
      if (x) parts.push(x);
      else ok = false;
    }
    if (!ok) return undefined;
    const enabled = scalar('enabled');
    const description = scalar('description');
    return {
      id: ruleId,
      title: typeof name === 'string' && name ? name : `${ev.name} ${kind} entry ${String(idv)}`,
      ...(typeof description === 'string' ? { description } : {}),
      tags: [],
      references: [],
      ...(typeof name === 'string' && name ? { ruleName: name } : {}),
      on: [ev.type],
      condition: parts.length === 1 ? parts[0] : { kind: 'and', args: parts },
      exceptions: [],
      actions,
      enabled: enabled !== false,
      meta: { moonmonList: `${ev.name}_${kind}_list`, moonmonId: String(idv) },
      span: at,
    };
  }

  function readRule(node: YamlNode, ev: MoonmonEvent): Expr | undefined {
    const at = span(node);
    if (!isMap(node)) {
      err('LUN5406', 'a rule is a mapping with condition, field and value', at);
      return undefined;
    }
    const get = (k: string) => node.get(k, true) as YamlNode | undefined;
    const condN = get('condition');
    const fieldN = get('field');
    const valueN = get('value');
    for (const [k, n] of [['condition', condN], ['field', fieldN], ['value', valueN]] as const) {
      if (!n) {
        err('LUN5406', `rule needs ${k}`, at);
        return undefined;
      }
    }
    const condRaw = isScalar(condN) ? String(condN!.value) : '';
    const canon = canonicalOperator(condRaw);
    if (!canon) {
      const all = [...Object.keys(OPERATORS)];
      const sug = didYouMean(condRaw, all);
      err('LUN5404', `unknown operator "${condRaw}"`, span(condN), sug ? `did you mean ${sug}?` : `operators: ${all.join(', ')}`);
      return undefined;
    }
    const fieldRaw = isScalar(fieldN) ? String(fieldN!.value) : '';
    if (!Object.hasOwn(ev.fields, fieldRaw)) {
      const sug = didYouMean(fieldRaw, Object.keys(ev.fields));
      err('LUN5403', `${ev.name} events have no field ${fieldRaw}`, span(fieldN), sug ? `did you mean ${sug}?` : `fields: ${Object.keys(ev.fields).join(', ')}`);
      return undefined;
    }
    const field = ev.fields[fieldRaw];
    const def = OPERATORS[canon];
    const rawValues: unknown[] = isSeq(valueN) ? valueN.items.map((i) => (isScalar(i) ? i.value : undefined)) : [isScalar(valueN) ? valueN!.value : undefined];
    const values: Value[] = [];
    let op = def.op;
    for (const v of rawValues) {
      if (typeof v === 'number') values.push({ kind: 'num', value: v });
      else if (typeof v === 'string') values.push({ kind: 'str', value: v });
      else if (typeof v === 'boolean') values.push({ kind: 'bool', value: v });
      else {
        err('LUN5405', 'value must be a string, a number, or a list of them', span(valueN));
        return undefined;
      }
    }
    if (values.length === 0) {
      err('LUN5405', 'value list is empty', span(valueN));
      return undefined;
    }
    if (op === 'bitand') {
      for (const v of values) {
        const n = v.kind === 'num' ? v.value : v.kind === 'str' && /^(0x[0-9a-f]+|\d+)$/i.test(v.value) ? Number(v.value) : NaN;
        if (!Number.isInteger(n)) {
          err('LUN5405', `"${canon}" needs an integer bit mask (e.g. 0x1010), not ${JSON.stringify(v.kind === 'str' || v.kind === 'num' ? v.value : v.kind)}`, span(valueN));
          return undefined;
        }
      }
      if (!INT_FIELDS.has(fieldRaw)) warn('LUN5405', `bit mask on ${fieldRaw}, which is not an integer field`, span(fieldN));
    }
    if (IP_FIELDS.has(fieldRaw) && op === 'eq' && values.some((v) => v.kind === 'str' && v.value.includes('/'))) {
      for (const v of values) {
        if (v.kind !== 'str' || !validCidr(v.value)) {
          err('LUN5405', `${JSON.stringify(v.kind === 'str' ? v.value : '')} is not an IP network (a.b.c.d/len or IPv6/len)`, span(valueN));
          return undefined;
        }
      }
      op = 'cidr';
    } else if (IP_FIELDS.has(fieldRaw) && op === 'eq') {
      for (const v of values) {
        if (v.kind !== 'str' || !validIp(v.value)) {
          err('LUN5405', `${JSON.stringify(v.kind === 'str' ? v.value : String(v.kind))} is not an IP address`, span(valueN));
          return undefined;
        }
      }
    }
    if (['gt', 'gte', 'lt', 'lte'].includes(op) && !values.every((v) => v.kind === 'num')) {
      warn('LUN5405', `${canon} with a non-numeric value compares text`, span(valueN));
    }
    if (op === 'eq' && fieldRaw === 'desired_access') {
      // Sysmon-style logs print access masks as hex text ("0x1FFFFF"): match either spelling.
      for (const v of [...values]) if (v.kind === 'num' && Number.isInteger(v.value) && v.value >= 0) values.push({ kind: 'str', value: `0x${v.value.toString(16)}` });
    }
    const cmp: CompareExpr = { kind: 'cmp', field, op, values, quant: 'any', cased: false, span: at };
    return def.negate ? { kind: 'not', arg: cmp, span: at } : cmp;
  }

  // MoonMon's precedence bugs: warn where the imported intent differs from what MoonMon does.
  for (const p of parsed) {
    const kinds = hasEntries.get(p.ev.name)!;
    if (p.ev.name === 'process_creation' && p.kind === 'include') {
      warn(
        'LUN5410',
        `entry "${p.rule.title}" (${p.rule.meta!.moonmonList} id ${String(p.rule.meta!.moonmonId)}): MoonMon ignores process_creation include lists (it logs every process creation); Luna imports the documented intent: matching events are logged, and process creations no include entry matches are not`,
        p.rule.span!,
      );
    }
    if (p.ev.name !== 'process_creation' && p.kind === 'exclude' && kinds.has('include')) {
      warn(
        'LUN5410',
        `entry "${p.rule.title}" (${p.rule.meta!.moonmonList} id ${String(p.rule.meta!.moonmonId)}): MoonMon lets an include entry win over this exclude; Luna imports the documented intent (exclude wins)`,
        p.rule.span!,
      );
    }
  }

  const order: ListKind[] = ['block', 'exclude', 'include'];
  for (const ev of MOONMON_EVENTS) for (const k of order) for (const p of parsed) if (p.ev === ev && p.kind === k) rules.push(p.rule);

  // Defaults: a monitored source logs what no entry decides, unless it has include entries
  // (then only included events are kept); an unmonitored source logs nothing.
  const defaults: Record<string, Verdict> = {};
  const monitoring: Record<string, boolean> = {};
  for (const ev of MOONMON_EVENTS) {
    const on = settings[ev.monitor] !== false;
    monitoring[ev.monitor] = on;
    const kinds = hasEntries.get(ev.name);
    defaults[ev.type] = on && !kinds?.has('include') ? 'log' : 'drop';
    if (!on && kinds && kinds.size) {
      const first = parsed.find((p) => p.ev === ev)!;
      warn('LUN5411', `${ev.name} lists are given but ${ev.monitor} is false: MoonMon does not see these events (rules kept, default drop)`, first.rule.span!);
    }
  }

  if (diagnostics.some((d) => d.severity === 'error')) return { policies: [], diagnostics };
  const agentConfig: Record<string, unknown> = {
    moonmon: settings,
    fileOutput:
      settings.file_output === false || settings.file_output === undefined
        ? null
        : {
            path: settings.file_output,
            rotateSizeBytes: typeof settings.file_output_rotate_size === 'number' ? settings.file_output_rotate_size * 1024 * 1024 : undefined,
            rotateCount: settings.file_output_rotate_count,
          },
    keepExcludes: settings.keep_excludes === true,
    monitoring,
  };
  return {
    policies: [
      {
        kind: 'Policy',
        name: policyName(file),
        version: '1.0.0',
        description: `Imported from the MoonMon configuration ${file}.`,
        defaults,
        lists: [],
        macros: [],
        rules,
        correlations: [],
        tests: [],
        agentConfig,
        origin: 'moonmon',
        span: span(root),
      },
    ],
    diagnostics,
  };
}

function validIp(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((o) => Number(o) <= 255);
  return s.includes(':') && /^[0-9a-f:.]+$/i.test(s);
}

function validCidr(s: string): boolean {
  const [ip, len, ...rest] = s.split('/');
  if (rest.length || len === undefined || !/^\d{1,3}$/.test(len) || !validIp(ip)) return false;
  return Number(len) <= (ip.includes(':') ? 128 : 32);
}

export const moonmonFrontEnd = {
  name: 'moonmon',
  detect: (path: string, text: string) => looksLikeMoonmon(path, text),
  parse: (path: string, text: string) => importMoonmonText(path, text),
};
