// JSON log shapes met in the wild, auto-detected: flat NDJSON (OTRF), nested evtx_dump objects
// (pretty and concatenated, or one per line), a top-level array, Azure rows with EventData as a
// JSON string, evtx_dump's --separate-json-attributes spelling; each also gzipped. Malformed
// input gives a diagnostic with file:line and every other record still comes through.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openEvents, type SourcedEvent } from '../../../runtime/sources/open-events.ts';
import { flattenRecord } from '../../../runtime/events/classify.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { evtxRoot, otrfRoot, walk } from './corpus.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'luna-json-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all(path: string, opts: { batchSize?: number } = {}) {
  const events: SourcedEvent[] = [];
  const diags: Diagnostic[] = [];
  const batches: number[] = [];
  for await (const b of openEvents(path, { ...opts, onDiagnostic: (d) => diags.push(d) })) {
    batches.push(b.length);
    events.push(...b);
  }
  return { events, diags, batches };
}

function put(name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

const SAM = join(otrfRoot, 'atomic/windows/credential_access/host/cmd_sam_copy_esentutl_2020-10-1900290001.json');
const PAIR_JSON = join(evtxRoot, 'regression-pairs/file_event_win_hktl_netexec_file_indicators/efc21479-9e83-41da-8cf1-122e06ba8db3.json');
const PAIR_EVTX = PAIR_JSON.replace(/\.json$/, '.evtx');

describe('NDJSON', () => {
  it('reads every OTRF JSON file with no diagnostics, one event per non-blank line', async () => {
    const files = walk(otrfRoot, '.json');
    expect(files).toHaveLength(14);
    let total = 0;
    for (const f of files) {
      const lines = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
      const { events, diags } = await all(f);
      // Only the Linux-Sysmon syslog file has damaged rows (recovered; see below).
      expect(diags.filter((d) => d.code !== 'LUN6615'), f).toEqual([]);
      expect(events.length, f).toBe(lines.length);
      // Record numbers are line numbers: strictly increasing, starting at line 1.
      expect(events[0].record).toBe(1);
      for (let i = 1; i < events.length; i++) expect(events[i].record).toBeGreaterThan(events[i - 1].record);
      total += events.length;
    }
    // OTRF README: 15,953 events in 16 files, 3 of them in the two raw auditd .log files.
    expect(total).toBe(15953 - 3);
  });

  it('a malformed line gives LUN6610 at file:line:col and every other line still comes through', async () => {
    const lines = readFileSync(SAM, 'utf8').split('\n').slice(0, 40).map((l) => l.replace(/\r$/, ''));
    const broken = [...lines];
    broken[16] = lines[16].slice(0, 120); // line 17: cut in the middle
    broken[29] = '42'; // line 30: JSON, but not an object
    const path = put('broken.json', '\ufeff' + broken.join('\r\n') + '\r\n\r\n');
    const { events, diags } = await all(path);
    expect(diags.map((d) => [d.code, d.span?.line, d.file])).toEqual([
      ['LUN6610', 17, path],
      ['LUN6611', 30, path],
    ]);
    expect(diags[0].severity).toBe('warning');
    expect(diags[0].span!.col).toBeGreaterThan(1);
    expect(events).toHaveLength(38);
    expect(events.map((e) => e.record)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => n !== 17 && n !== 30));
    // The good lines are exactly the original records.
    for (const e of events) expect(e.event.fields).toEqual(flattenRecord(JSON.parse(lines[e.record - 1])));
    expect(events[0].event.type).toBe('WinEvent');
    expect(events[0].timestamp).toBe('2020-10-19T12:28:44.333Z');
  });

  it('a file full of bad lines reports 100 of them and a summary, and still reads the good ones', async () => {
    const lines = readFileSync(SAM, 'utf8').split('\n').filter((l) => l.trim()).slice(0, 10);
    const body = Array.from({ length: 250 }, (_, i) => (i % 2 ? lines[i % 10] : '{oops')).join('\n');
    const { events, diags } = await all(put('many-bad.json', body + '\n'));
    expect(events).toHaveLength(125);
    expect(diags).toHaveLength(101);
    expect(diags[99].span!.line).toBe(199);
    expect(diags[100]).toMatchObject({ code: 'LUN6610', message: expect.stringContaining('25 more LUN6610') });
  });

  it('batches hold at most batchSize events', async () => {
    const { events, batches } = await all(SAM, { batchSize: 100 });
    expect(events).toHaveLength(915);
    expect(batches.every((n) => n <= 100)).toBe(true);
    expect(batches.filter((n) => n === 100).length).toBe(9);
    const big = await all(SAM);
    expect(big.batches).toEqual([915]);
  });

  it('Azure rows with EventData as a JSON string get their event fields at top level', async () => {
    const f = join(otrfRoot, 'compound/Log4Shell/sysmon_log4shell_cve2021_44228_java_serialized_object_2022-05-13045800.json');
    const { events, diags } = await all(f);
    expect(diags).toEqual([]);
    const first = events[0].event;
    expect(first.type).toBe('NetworkConnect');
    expect(first.fields.DestinationPort).toBe('8080');
    expect(first.fields.Image).toMatch(/tomcat9\.exe$/);
    expect(first.fields.EventData).toBeUndefined();
    expect(events.filter((e) => e.event.type === 'ProcessCreate').length).toBeGreaterThan(0);
  });
});

describe('nested evtx_dump JSON', () => {
  it('pretty concatenated objects, one-per-line objects and an array give the same events as the EVTX', async () => {
    const objs = readFileSync(PAIR_JSON, 'utf8');
    const evtx = await all(PAIR_EVTX);
    const pretty = await all(PAIR_JSON);
    expect(pretty.diags).toEqual([]);
    expect(pretty.events).toHaveLength(7);
    const parsed = pretty.events.map((e) => e.event.fields);
    const compact = await all(put('compact.jsonl', objs.split(/\n(?=\{)/).map((o) => JSON.stringify(JSON.parse(o))).join('\n') + '\n'));
    const array = await all(put('array.json', '[\n' + objs.split(/\n(?=\{)/).join(',\n') + ']\n'));
    for (const r of [compact, array]) {
      expect(r.diags).toEqual([]);
      expect(r.events.map((e) => e.event.fields)).toEqual(parsed);
    }
    expect(evtx.events.map((e) => e.event.type)).toEqual(pretty.events.map((e) => e.event.type));
    expect(pretty.events.every((e) => e.event.type === 'FileCreate')).toBe(true);
    expect(pretty.events[0].event.fields.TargetFilename).toBeTypeOf('string');
    expect(pretty.events[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });

  it('a broken object in a concatenated stream gives LUN6612 with its line; the others come through', async () => {
    const text = readFileSync(PAIR_JSON, 'utf8');
    const parts = text.split(/\n(?=\{)/);
    parts[2] = parts[2].replace('"EventID": 11,', '"EventID": 11,,');
    const path = put('broken-pretty.json', parts.join('\n'));
    const { events, diags } = await all(path);
    expect(diags).toHaveLength(1);
    expect(diags[0].code).toBe('LUN6612');
    expect(diags[0].span!.line).toBe(parts.slice(0, 2).join('\n').split('\n').length + 1);
    expect(events.map((e) => e.record)).toEqual([1, 2, 4, 5, 6, 7]);
  });

  it('a truncated concatenated stream reports the open object', async () => {
    const text = readFileSync(PAIR_JSON, 'utf8');
    const { events, diags } = await all(put('cut.json', text.slice(0, text.length - 200)));
    expect(events).toHaveLength(6);
    expect(diags.map((d) => d.code)).toEqual(['LUN6612']);
  });

  it('evtx_dump --separate-json-attributes flattens like #attributes', async () => {
    const o = JSON.parse(readFileSync(PAIR_JSON, 'utf8').split(/\n(?=\{)/)[0]);
    const sep = structuredClone(o);
    const sys = sep.Event.System;
    sys.Provider_attributes = sys.Provider['#attributes'];
    sys.Provider = null;
    sys.TimeCreated_attributes = sys.TimeCreated['#attributes'];
    sys.TimeCreated = null;
    const a = await all(put('attrs.json', JSON.stringify(o) + '\n'));
    const b = await all(put('sep.json', JSON.stringify(sep) + '\n'));
    expect(b.events[0].event.fields).toEqual(a.events[0].event.fields);
    expect(b.events[0].event.fields.Provider_Name).toBe('Microsoft-Windows-Sysmon');
  });
});

describe('gzip', () => {
  it('reads gzipped NDJSON, pretty JSON and EVTX exactly like the plain files', async () => {
    for (const src of [SAM, PAIR_JSON, PAIR_EVTX]) {
      const plain = await all(src);
      const gz = await all(put(`g-${plain.events.length}.gz`, gzipSync(readFileSync(src))));
      expect(gz.diags).toEqual([]);
      expect(gz.events.map((e) => [e.record, e.event])).toEqual(plain.events.map((e) => [e.record, e.event]));
    }
  });

  it('a truncated gzip gives LUN6613 and the records before the damage', async () => {
    const gz = gzipSync(readFileSync(SAM));
    const { events, diags } = await all(put('cut.json.gz', gz.subarray(0, Math.floor(gz.length / 2))));
    expect(diags.map((d) => d.code)).toContain('LUN6613');
    expect(events.length).toBeGreaterThan(100);
    expect(events.length).toBeLessThan(915);
    // What came through is a prefix of the file, line for line.
    expect(events.map((e) => e.record)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
  });
});

describe('embedded and text shapes', () => {
  it('Azure SecurityEvent rows with XML EventData get their Data fields at top level', async () => {
    const f = join(otrfRoot, 'compound/Log4Shell/securityauditing_log4shell_cve2021_44228_java_serialized_object_2022-05-13045400.json');
    const { events, diags } = await all(f);
    expect(diags).toEqual([]);
    expect(events).toHaveLength(39);
    const e = events[0].event;
    expect(e.type).toBe('WinEvent');
    expect(e.fields.EventID).toBe(5156);
    expect(e.fields.DestPort).toBe('8080');
    expect(e.fields.Application).toMatch(/tomcat9\.exe$/);
    expect(e.fields.EventData).toBeUndefined();
  });

  it('Syslog rows carrying Linux-Sysmon <Event> XML become Sysmon events', async () => {
    const f = join(otrfRoot, 'compound/Log4Shell/syslog_sysmon_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json');
    const { events, diags } = await all(f);
    // 17 rows hold XML cut short by syslog or with a stray "&lt " (no ';'): recovered, flagged.
    expect(diags.map((d) => d.code)).toEqual(Array(17).fill('LUN6615'));
    const lines = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim());
    const xmlRows = lines.filter((l) => (JSON.parse(l).SyslogMessage as string).startsWith('<Event')).length;
    const sysmon = events.filter((e) => e.event.fields.Channel === 'Linux-Sysmon/Operational');
    expect(xmlRows).toBeGreaterThan(50);
    expect(sysmon).toHaveLength(xmlRows);
    const pc = sysmon.filter((e) => e.event.type === 'ProcessCreate');
    expect(pc.length).toBeGreaterThan(0);
    expect(pc[0].event.fields.Image).toMatch(/^\//);
    expect(pc[0].event.fields.CommandLine).toBeTypeOf('string');
    expect(pc[0].event.fields.SyslogMessage).toBeUndefined();
    expect(pc[0].timestamp).toMatch(/^2022-05-11T/);
    // A recovered row: its Data fields up to the cut, entities without ';' decoded.
    const flagged = diags.map((d) => events.find((e) => e.record === d.record)!);
    expect(flagged.every((e) => e.event.fields.Channel === 'Linux-Sysmon/Operational')).toBe(true);
    expect(flagged.some((e) => e.event.fields.Image === '< unknown process> ')).toBe(true); // '&lt unknown process&gt '
    expect(flagged.some((e) => e.event.type === 'ProcessCreate' && typeof e.event.fields.CommandLine === 'string')).toBe(true);
  });

  it('AUOMS auditd text in Syslog rows has its k=v pairs as fields', async () => {
    const f = join(otrfRoot, 'compound/Log4Shell/syslog_auoms_auditd_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json');
    const { events } = await all(f);
    expect(events).toHaveLength(50);
    const e = events[0].event.fields;
    expect([e.type, e.comm, e.exe, e.audit_id, e.key]).toEqual(['AUOMS_EXECVE', 'http-nio-8080-e', '/usr/lib/jvm/java-8-openjdk-amd64/jre/bin/java', '84138', 'auoms,delete']);
  });

  it('raw auditd logs: one event per line, fields as auditd prints them, bad lines reported', async () => {
    const dd = join(otrfRoot, 'atomic/linux/defense_evasion/host/sh_binary_padding_dd_2020-11-10081941.log');
    const arp = join(otrfRoot, 'atomic/linux/discovery/host/sh_arp_cache_2020-11-10074812.log');
    const a = await all(dd);
    const b = await all(arp);
    expect(a.diags).toEqual([]);
    expect(a.events).toHaveLength(readFileSync(dd, 'utf8').split('\n').filter((l) => l.trim()).length);
    // The OTRF README counts audit records (distinct ids): 1 and 2.
    expect(new Set(a.events.map((e) => e.event.fields.audit_id)).size).toBe(1);
    expect(new Set(b.events.map((e) => e.event.fields.audit_id)).size).toBe(2);
    const sys = a.events[0].event;
    expect(sys.type).toBe('LinuxEvent');
    expect([sys.fields.type, sys.fields.comm, sys.fields.exe, sys.fields.syscall]).toEqual(['SYSCALL', 'dd', '/bin/dd', '59']);
    expect(a.events[0].timestamp).toBe('2020-11-10T08:19:44.965Z');
    const execve = a.events.find((e) => e.event.fields.type === 'EXECVE')!;
    expect(execve.event.fields.a0).toBe('dd');
    // USER_* records: the pairs inside msg='…' are fields too; a garbage line is LUN6614.
    const p = put('audit.log', readFileSync(dd, 'utf8') + "garbage here\ntype=USER_LOGIN msg=audit(1605000000.5:77): pid=1 uid=0 msg='op=login acct=\"bob\" exe=\"/usr/sbin/sshd\" res=failed'\n");
    const c = await all(p);
    expect(c.diags.map((d) => [d.code, d.span?.line])).toEqual([['LUN6614', a.events.length + 1]]);
    const login = c.events[c.events.length - 1].event.fields;
    expect([login.type, login.acct, login.exe, login.res, login.audit_id]).toEqual(['USER_LOGIN', 'bob', '/usr/sbin/sshd', 'failed', '77']);
    expect(c.events[c.events.length - 1].timestamp).toBe('2020-11-10T09:20:00.500Z');
  });
});

describe('format detection', () => {
  it('an unreadable or unknown file is a diagnostic, not an exception', async () => {
    const text = await all(put('notes.log', 'just some notes\nand more\n'));
    expect(text.events).toEqual([]);
    expect(text.diags.map((d) => [d.code, d.severity])).toEqual([['LUN6602', 'warning']]);
    const missing = await all(join(dir, 'nope.json'));
    expect(missing.diags.map((d) => [d.code, d.severity])).toEqual([['LUN6601', 'error']]);
    const folder = await all(dir);
    expect(folder.diags.map((d) => [d.code, d.severity])).toEqual([['LUN6601', 'error']]);
    // An empty or blank file is a log with no events.
    for (const body of ['', '\n\r\n  \n']) {
      const empty = await all(put('empty.json', body));
      expect([empty.events, empty.diags]).toEqual([[], []]);
    }
  });
});
