// luna hunt end to end: detections with source and author, filters, output formats, workers,
// correlations (spec example with events written here), EVTX input, bad input.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHunt } from '../../../runtime/hunt/run.ts';
import { HuntPool } from '../../../runtime/hunt/pool.ts';
import { splitForWorkers } from '../../../runtime/sources/index.ts';
import { createMatcher, loadHuntRules } from '../../../runtime/hunt/load-rules.ts';
import type { Detection } from '../../../runtime/hunt/detection.ts';
import type { ScanResult } from '../../../runtime/hunt/scan.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const corpus = resolve(repoRoot, '../shared/corpus/sigma');
const luna = resolve(repoRoot, 'bin/luna');
const examples = resolve(repoRoot, 'examples/sigma');
const demoLog = resolve(repoRoot, 'examples/logs/sysmon-security-demo.ndjson');

async function hunt(rules: string[], logs: string[], extra: Partial<Parameters<typeof runHunt>[0]> = {}) {
  const out: Detection[] = [];
  const summary = await runHunt({ rules, logs, onDetection: (d) => out.push(d), ...extra });
  return { out, summary };
}

const run = (args: string[]) => spawnSync(luna, args, { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, CI: '1' } });

describe('luna hunt', () => {
  it('finds the demo attacks, keeps source/record/author, applies the filter and the 4688 mapping', async () => {
    const { out, summary } = await hunt([examples], [demoLog]);
    const got = out.map((d) => `${d.record}:${d.title}`);
    expect(got).toEqual([
      '2:Whoami Execution',
      '3:Local Account and Group Discovery via net.exe',
      '3:Discovery Burst on One Host',
      '4:Encoded PowerShell Command Line',
      '6:Run Key Persistence from a User-Writable Path',
      '7:Script Host Connecting Outside the Internal Network',
      '12:Failed Logons Followed by a Successful Logon',
      '14:Whoami Execution',
      '15:Encoded PowerShell Command Line',
      '17:LSASS Memory Read by an Untrusted Process',
    ]);
    expect(summary.events).toBe(19);
    // record 18 (Defender reading LSASS) is filtered by the rule's own filter_system
    expect(out.some((d) => d.record === 18)).toBe(false);
    for (const d of out) {
      expect(d.author).toBe('Luna examples');
      expect(d.source_file).toBe(demoLog);
    }
    // record 5 (net.exe on the admin jump host) is silenced by the Sigma filter
    expect(out.some((d) => d.record === 5)).toBe(false);
    // record 14 is a Security 4688 event matched through the field renames
    expect(out.find((d) => d.record === 14)!.event_type).toBe('WinEvent');
    // the chained correlation lists its contributing events (3 failures + the success)
    const chain = out.find((d) => d.kind === 'correlation' && d.correlation!.type === 'temporal_ordered')!;
    expect(chain.correlation!.events.map((e) => e.record)).toEqual([9, 10, 11, 12]);
    expect(chain.correlation!.group).toEqual({ TargetUserName: 'bob' });
    // base rules of a generate:false correlation do not report on their own
    expect(out.some((d) => d.title === 'Failed Logon' || d.title === 'Successful Logon')).toBe(false);
  });

  it('filters by level, tag and time range', async () => {
    const high = await hunt([examples], [demoLog], { filter: { minLevel: 'high' } });
    expect(high.out.every((d) => ['high', 'critical'].includes(d.level!))).toBe(true);
    expect(high.out.map((d) => d.record)).toEqual([3, 4, 6, 12, 15, 17]);
    const tag = await hunt([examples], [demoLog], { filter: { tags: ['attack.t1059*'] } });
    expect(tag.out.map((d) => d.record)).toEqual([4, 15]);
    const time = await hunt([examples], [demoLog], { filter: { since: Date.parse('2026-11-20T09:04:00Z'), until: Date.parse('2026-11-20T09:06:00Z') } });
    expect(time.out.map((d) => d.record)).toEqual([6, 7]);
  });

  it('gives the same detections, in source order, with --workers 2 and with a warm worker beside the main thread', async () => {
    const ndjson = join(mkdtempSync(join(tmpdir(), 'luna-hunt-')), 'many.ndjson');
    const lines = readFileSync(demoLog, 'utf8').trim().split('\n');
    // 1,200 copies (18 MB: three slices), shifted in time so that correlations stay per copy
    const all: string[] = [];
    for (let i = 0; i < 1200; i++) {
      for (const l of lines) {
        const o = JSON.parse(l);
        const t = new Date(Date.parse(o['@timestamp']) + i * 3_600_000).toISOString();
        o['@timestamp'] = o.TimeCreated = t;
        all.push(JSON.stringify(o));
      }
    }
    writeFileSync(ndjson, all.join('\n') + '\n');
    const one = await hunt([examples], [ndjson], { workers: 1 });
    expect(one.out.length).toBe(1200 * 10);
    expect(one.summary.workers).toBe(1);
    // 18 MB is too little for a worker to pay off: the main thread does it all.
    const two = await hunt([examples], [ndjson], { workers: 2 });
    expect(two.summary.workers).toBe(1);
    expect(two.out).toEqual(one.out);
    // Told to start it after the first slice, the worker joins when ready (or finds nothing
    // left): the same detections in the same order either way.
    const early = await hunt([examples], [ndjson], { workers: 2, startWorkers: { afterMs: 0, minBytesLeft: 0 } });
    expect([1, 2]).toContain(early.summary.workers);
    expect(early.out).toEqual(one.out);
    // A ready worker takes the first slices, the main thread the next: both scan. A compiled
    // bundle's tables serve the workers too (a hunt over a bundle once ignored --workers).
    const bundle = join(mkdtempSync(join(tmpdir(), 'luna-hunt-bundle-')), 'examples.lbundle');
    const compiled = run(['compile', examples, '-o', bundle]);
    expect(compiled.status, compiled.stderr).toBe(0);
    for (const rules of [[examples], [bundle]]) {
      const loaded = await loadHuntRules(rules);
      const prepared = await createMatcher(loaded);
      expect(prepared.compiled).toBeDefined();
      const pool = await HuntPool.start(1, { kind: 'tables', compiled: prepared.compiled });
      try {
        let last: number[] = [];
        const warm = await hunt(rules, [ndjson], { pool, loaded, prepared, onProgress: (e, b, t) => (last = [e, b, t]) });
        expect(warm.summary.matcher).toBe(rules[0] === bundle ? 'bundle' : 'tables');
        expect(warm.summary.workers).toBe(2);
        expect(warm.out).toEqual(one.out);
        // The worker's progress deltas and this thread's add up to the whole input.
        expect(last).toEqual([one.summary.events, statSync(ndjson).size, statSync(ndjson).size]);
      } finally {
        await pool.close();
      }
      // A worker still starting joins when it is ready (or not at all): the same detections.
      const fresh = HuntPool.spawn(1, { kind: 'tables', compiled: prepared.compiled });
      try {
        const joined = await hunt(rules, [ndjson], { pool: fresh, loaded, prepared });
        expect([1, 2]).toContain(joined.summary.workers);
        expect(joined.out).toEqual(one.out);
      } finally {
        await fresh.close();
      }
    }
    // A worker that cannot build its matcher fails the pool's start with its reason.
    await expect(HuntPool.start(1, { kind: 'tables', compiled: { format: 'not-tables', version: 9 } })).rejects.toThrow(/unsupported table format not-tables v9/);
  });

  it('keeps a pool usable after a failed run: its late results do not leak into the next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-pool-'));
    const log = join(dir, 'big.ndjson');
    writeFileSync(log, readFileSync(demoLog, 'utf8').repeat(1500)); // 23 MB: six slices
    const slices = splitForWorkers(log, 2, { sliceBytes: 4 << 20 });
    expect(slices.length).toBeGreaterThan(3);
    const prepared = await createMatcher(await loadHuntRules([examples]));
    const pool = await HuntPool.start(1, { kind: 'tables', compiled: prepared.compiled });
    try {
      // This thread fails on its first slice while the worker still holds two.
      await expect(pool.run(slices, { fields: [], events: false }, () => {}, () => {}, () => {
        throw new Error('boom');
      })).rejects.toThrow('boom');
      // The next run, over another file: only its own results count.
      const small = join(dir, 'small.ndjson');
      writeFileSync(small, readFileSync(demoLog, 'utf8').repeat(100));
      const seen: number[] = [];
      const threads = await pool.run([{ path: small, format: 'ndjson', gzip: false }], { fields: [], events: false }, (r) => seen.push(r.events), () => {});
      expect(threads).toBe(1);
      expect(seen).toEqual([100 * 19]);
    } finally {
      await pool.close();
    }
  });

  it('reports progress in events and bytes up to the whole input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-progress-'));
    const lines = readFileSync(demoLog, 'utf8');
    const big = join(dir, 'big.ndjson');
    writeFileSync(big, lines.repeat(3000)); // 57,000 events, 46 MB: several slices
    const evtx = resolve(corpus, 'regression/regression_data/rules/windows/file/file_event/file_event_win_creation_system_dll_files/13c02350-4177-4e45-ac17-cf7ca628ff5e.evtx');
    const logs = [demoLog, big, evtx];
    const total = logs.reduce((n, f) => n + statSync(f).size, 0);
    for (const workers of [1, 2]) {
      const seen: [number, number, number][] = [];
      const { summary } = await hunt([examples], logs, { workers, onProgress: (e, b, t) => seen.push([e, b, t]) });
      expect(seen.length).toBeGreaterThan(3);
      expect(seen.every(([, , t]) => t === total)).toBe(true);
      // Never backwards, never past the input, and all of it at the end.
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
        expect(seen[i][1]).toBeGreaterThanOrEqual(seen[i - 1][1]);
      }
      expect(Math.max(...seen.map(([, b]) => b))).toBeLessThanOrEqual(total);
      expect(seen.at(-1)).toEqual([summary.events, total, total]);
      // Partway through the big file, the bytes say so.
      expect(seen.some(([, b]) => b > total * 0.2 && b < total * 0.8)).toBe(true);
    }
  });

  it('implements the spec\'s chained correlation example on events written for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-corr-'));
    const log = join(dir, 'security.ndjson');
    const ev = (t: string, id: number, user: string) => JSON.stringify({ '@timestamp': t, Channel: 'Security', EventID: id, User: user, Computer: 'dc1' });
    const lines: string[] = [];
    // alice: 10 failures within 10 minutes, then a success → alert
    for (let i = 0; i < 10; i++) lines.push(ev(`2024-05-01T10:0${i}:00Z`, 4625, 'alice'));
    lines.push(ev('2024-05-01T10:09:30Z', 4624, 'alice'));
    // bob: 9 failures then a success → nothing; carol: success first, then 10 failures → nothing
    for (let i = 0; i < 9; i++) lines.push(ev(`2024-05-01T11:0${i}:00Z`, 4625, 'bob'));
    lines.push(ev('2024-05-01T11:09:30Z', 4624, 'bob'));
    lines.push(ev('2024-05-01T12:00:00Z', 4624, 'carol'));
    for (let i = 0; i < 10; i++) lines.push(ev(`2024-05-01T12:0${i}:10Z`, 4625, 'carol'));
    writeFileSync(log, lines.join('\n') + '\n');
    const { out } = await hunt([resolve(corpus, 'correlation/spec-examples/correlation_failed_logins_followed_by_success.yml')], [log]);
    expect(out.map((d) => [d.title, d.correlation?.group])).toEqual([
      ['Correlation - Multiple Failed Logins Followed by Successful Login', { User: 'alice' }],
    ]);
    expect(out[0].author).toBe('Florian Roth (Nextron Systems)');
    expect(out[0].correlation!.events.map((e) => e.record)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('reads EVTX: record = the EVTX record number, event_record_id = System/EventRecordID', async () => {
    const t = JSON.parse(readFileSync(resolve(corpus, 'regression/MANIFEST.json'), 'utf8'))[0];
    const { out } = await hunt([resolve(corpus, 'rules', t.rule_path)], [resolve(corpus, 'regression', t.evtx)]);
    expect(out.length).toBeGreaterThanOrEqual(t.match_count ?? 1);
    const json = readFileSync(resolve(corpus, 'regression', t.json), 'utf8');
    for (const d of out) {
      expect(d.rule_id).toBe(t.rule_id);
      expect(d.record).toBeGreaterThan(0);
      expect(json).toContain(`"EventRecordID": ${d.event_record_id}`);
    }
    // the JSON export of the same log gives the same event record ids
    const fromJson = await hunt([resolve(corpus, 'rules', t.rule_path)], [resolve(corpus, 'regression', t.json)]);
    expect(fromJson.out.map((d) => d.event_record_id)).toEqual(out.map((d) => d.event_record_id));
  });

  it('CLI: JSONL with the required keys, CSV, table, exit codes', () => {
    const j = run(['hunt', '-r', 'examples/sigma', '--output', 'jsonl', 'examples/logs']);
    expect(j.status).toBe(1);
    const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(10);
    for (const r of rows) for (const k of ['rule_id', 'title', 'level', 'author', 'source_file', 'record', 'timestamp']) expect(r).toHaveProperty(k);
    expect(j.stderr).toMatch(/10 detection\(s\) from 8 rule\(s\) in 19 events/);
    const c = run(['hunt', '-r', 'examples/sigma', '--output', 'csv', '--level', 'critical', 'examples/logs']);
    expect(c.stdout.trim().split('\n')).toEqual([
      'rule_id,title,level,author,source_file,record,timestamp,event_type,kind,tags',
      expect.stringMatching(/^5d8e1f37-.*,Failed Logons Followed by a Successful Logon,critical,Luna examples,examples\/logs\/sysmon-security-demo.ndjson,12,/),
      expect.stringMatching(/^8f7e6d5c-.*,LSASS Memory Read by an Untrusted Process,critical,Luna examples,examples\/logs\/sysmon-security-demo.ndjson,17,/),
    ]);
    const t = run(['hunt', '-r', 'examples/sigma', 'examples/logs']);
    expect(t.stdout).toMatch(/^TIME +LEVEL +RULE/);
    const none = run(['hunt', '-r', 'examples/sigma', '--level', 'critical', '--since', '2030-01-01', 'examples/logs']);
    expect(none.status).toBe(0);
    const bad = run(['hunt', '-r', 'examples/sigma', '--output', 'xml', 'examples/logs']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--output must be table, jsonl or csv/);
    const noRules = run(['hunt', '-r', 'no/such/rules.yml', 'examples/logs']);
    expect(noRules.status).toBe(2);
    expect(noRules.stderr).toMatch(/LUN1003: cannot read no\/such\/rules.yml/);
    expect(noRules.stdout).toBe('');
    const missing = run(['hunt', '-r', 'examples/sigma', 'no/such/file.evtx']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no\/such\/file\.evtx/);
    expect(missing.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    // An output file that cannot be written: a clean error before the hunt, or after it when
    // the writes fail (a full disk), never a stack trace or the findings exit code.
    const unwritable = run(['hunt', '-r', 'examples/sigma', '-o', 'no/such/dir/out.jsonl', 'examples/logs']);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toMatch(/LUN0001: --out: cannot write no\/such\/dir\/out\.jsonl: ENOENT/);
    expect(unwritable.stderr).not.toMatch(/node:events|Unhandled/);
    const full = run(['hunt', '-r', 'examples/sigma', '-o', '/dev/full', '--output', 'jsonl', 'examples/logs']);
    expect(full.status).toBe(2);
    expect(full.stderr).toMatch(/LUN0001: --out: writing \/dev\/full failed: ENOSPC/);
  });

  it('a rule file reached twice (its directory and itself, or two spellings) is loaded once, without a duplicate warning', async () => {
    const once = await loadHuntRules([examples]);
    const twice = await loadHuntRules([examples, join(examples, 'proc_creation_recon_whoami.yml'), join(repoRoot, 'examples/./sigma')]);
    expect([...twice.rules.keys()].sort()).toEqual([...once.rules.keys()].sort());
    expect(twice.diagnostics.map((d) => d.code)).toEqual(once.diagnostics.map((d) => d.code));
    expect(twice.policies.flatMap((p) => p.rules)).toHaveLength(once.policies.flatMap((p) => p.rules).length);
  });

  it('CLI: the --out file is not hunted, even inside the directory being hunted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-selfout-'));
    writeFileSync(join(dir, 'a.ndjson'), readFileSync(demoLog));
    const out = join(dir, 'z-found.jsonl'); // walked after a.ndjson, while detections stream into it
    const r = run(['hunt', '-r', 'examples/sigma', '--format', 'json', '--output', 'jsonl', '-o', out, dir]);
    expect(r.status, r.stderr).toBe(1);
    const summary = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"summary"'))!).summary;
    expect(summary.files).toBe(1);
    expect(summary.events).toBe(readFileSync(demoLog, 'utf8').trim().split('\n').length);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(summary.detections);
  });

  it('CLI: -o picks the format from the file\'s extension unless --output says otherwise; --output with a file name points at -o', () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-outfmt-'));
    const jsonl = run(['hunt', '-r', 'examples/sigma', '-o', join(dir, 'found.jsonl'), 'examples/logs']);
    expect(jsonl.status).toBe(1);
    const rows = readFileSync(join(dir, 'found.jsonl'), 'utf8').trim().split('\n');
    expect(rows.length).toBeGreaterThan(5);
    for (const l of rows) expect(JSON.parse(l)).toHaveProperty('rule_id');
    run(['hunt', '-r', 'examples/sigma', '-o', join(dir, 'found.CSV'), 'examples/logs']);
    const csv = readFileSync(join(dir, 'found.CSV'), 'utf8').split('\n');
    expect(csv[0]).toMatch(/^rule_id,/);
    expect(csv.filter(Boolean)).toHaveLength(rows.length + 1);
    // --output wins; a name without a known extension keeps the table.
    run(['hunt', '-r', 'examples/sigma', '--output', 'jsonl', '-o', join(dir, 'found.csv'), 'examples/logs']);
    expect(JSON.parse(readFileSync(join(dir, 'found.csv'), 'utf8').split('\n')[0])).toHaveProperty('rule_id');
    run(['hunt', '-r', 'examples/sigma', '-o', join(dir, 'found.txt'), 'examples/logs']);
    expect(readFileSync(join(dir, 'found.txt'), 'utf8')).toMatch(/^TIME +LEVEL +RULE/);
    const wrong = run(['hunt', '-r', 'examples/sigma', '--output', 'found.csv', 'examples/logs']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/LUN0001: --output must be table, jsonl or csv, not 'found\.csv'; to write the detections to a file, use -o\/--out found\.csv/);
  });

  it('--sort time: one timeline across files, the same detections; source order otherwise', () => {
    // A second host's log whose events fall between the demo's (shifted by 30 s).
    const dir = mkdtempSync(join(tmpdir(), 'luna-sort-'));
    const shifted = join(dir, 'other-host.ndjson');
    writeFileSync(shifted, readFileSync(demoLog, 'utf8').trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      o['@timestamp'] = o.TimeCreated = new Date(Date.parse(o['@timestamp']) + 30_000).toISOString();
      o.Computer = 'WKS-777.corp.example';
      return JSON.stringify(o);
    }).join('\n') + '\n');
    const detections = (sort: string) => {
      const r = run(['hunt', '-r', 'examples/sigma', '--output', 'jsonl', '--sort', sort, demoLog, shifted]);
      expect(r.status, r.stderr).toBe(1);
      return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Detection);
    };
    const bySource = detections('source');
    const byTime = detections('time');
    const times = (ds: Detection[]) => ds.map((d) => Date.parse(d.timestamp!));
    expect(times(byTime)).toEqual([...times(byTime)].sort((a, b) => a - b));
    expect(times(bySource)).not.toEqual([...times(bySource)].sort((a, b) => a - b)); // it did reorder
    expect(bySource.map((d) => d.source_file)).toEqual([...bySource.map((d) => d.source_file)].sort((a, b) => (a === demoLog ? 0 : 1) - (b === demoLog ? 0 : 1)));
    const key = (d: Detection) => `${d.source_file}#${d.record}:${d.rule_id}`;
    expect(byTime.map(key).sort()).toEqual(bySource.map(key).sort());
    expect(new Set(byTime.slice(0, 4).map((d) => d.source_file)).size).toBe(2); // interleaved
    const bad = run(['hunt', '-r', 'examples/sigma', '--sort', 'bogus', demoLog]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--sort must be source or time/);
  });

  it('--event: each rule detection carries its event, the rule\'s fields first; the same through a worker and on the CLI', async () => {
    const lines = readFileSync(demoLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const { out } = await hunt([examples], [demoLog], { withEvents: true });
    const rules = out.filter((d) => d.kind === 'rule');
    expect(rules.length).toBeGreaterThan(5);
    for (const d of rules) {
      // The line as read (these rows are flat), keys and values.
      const line = lines[d.record - 1];
      expect(d.event).toEqual(line);
      expect(Object.keys(d.event!).sort()).toEqual(Object.keys(line).sort());
    }
    // The fields the rule tests lead: the whoami rule looks at Image/OriginalFileName, not at time.
    const whoami = rules.find((d) => d.title === 'Whoami Execution')!;
    expect(Object.keys(whoami.event!).slice(0, 6)).toEqual(expect.arrayContaining(['Image', 'OriginalFileName']));
    expect(Object.keys(whoami.event!)[0]).not.toBe(Object.keys(lines[whoami.record - 1])[0]);
    expect(out.filter((d) => d.kind === 'correlation').every((d) => d.event === undefined)).toBe(true);
    // Without --event, no event.
    expect((await hunt([examples], [demoLog])).out.every((d) => d.event === undefined)).toBe(true);
    // A worker's hits carry the event too (the pool alone scans: no local thread given).
    const prepared = await createMatcher(await loadHuntRules([examples]));
    const pool = await HuntPool.start(1, { kind: 'tables', compiled: prepared.compiled });
    try {
      const results: ScanResult[] = [];
      await pool.run([{ path: demoLog, format: 'ndjson', gzip: false }], { fields: [], events: true }, (r) => results.push(r), () => {});
      const hits = results.flatMap((r) => r.hits);
      expect(hits.length).toBeGreaterThanOrEqual(new Set(rules.map((d) => d.record)).size);
      for (const h of hits) expect(h.event).toEqual(lines[h.record - 1]);
    } finally {
      await pool.close();
    }
    // CLI: a CSV column of JSON, a line under each table row.
    const csv = run(['hunt', '-r', 'examples/sigma', '--event', '--output', 'csv', 'examples/logs']);
    const [head, first] = csv.stdout.split('\n');
    expect(head.endsWith(',event')).toBe(true);
    expect(first).toContain('""CommandLine"":""whoami /all""');
    const table = run(['hunt', '-r', 'examples/sigma', '--event', 'examples/logs']).stdout.split('\n');
    expect(table[1]).toMatch(/Whoami Execution/);
    expect(table[2]).toMatch(/^ {4}\{"Channel":"Microsoft-Windows-Sysmon\/Operational",.*"Image":"C:\\\\Windows\\\\System32\\\\whoami\.exe"/);
  });

  it('CLI: hunts standard input (-), gzip on it, and a FIFO: same detections, named as given, copies removed', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'luna-stdin-'));
    const env = { ...process.env, CI: '1', TMPDIR: tmp };
    const jsonl = (args: string[], input?: Buffer) => {
      const r = spawnSync(luna, ['hunt', '-r', 'examples/sigma', '--output', 'jsonl', ...args], { cwd: repoRoot, encoding: 'utf8', env, input });
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
      return { status: r.status, found: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Detection), stderr: r.stderr };
    };
    const direct = jsonl([demoLog]);
    expect(direct.found.length).toBeGreaterThan(5);
    const strip = (ds: Detection[]) => ds.map((d) => ({ ...d, source_file: '', correlation: d.correlation && { ...d.correlation, events: d.correlation.events.map((e) => ({ ...e, source_file: '' })) } }));
    const piped = jsonl(['-'], readFileSync(demoLog));
    expect(piped.status).toBe(1);
    expect(strip(piped.found)).toEqual(strip(direct.found));
    expect(new Set(piped.found.map((d) => d.source_file))).toEqual(new Set(['-']));
    const gz = jsonl(['-'], gzipSync(readFileSync(demoLog)));
    expect(strip(gz.found)).toEqual(strip(direct.found));
    // A FIFO (what process substitution hands over) cannot be read by position either.
    const fifo = join(tmp, 'events.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${demoLog}" > "${fifo}"`]);
    const fromFifo = jsonl([fifo]);
    writer.kill();
    expect(strip(fromFifo.found)).toEqual(strip(direct.found));
    expect(fromFifo.found[0].source_file).toBe(fifo);
    // A damaged line on stdin is reported at '-', the name the user gave.
    const bad = jsonl(['-'], Buffer.from(`${readFileSync(demoLog, 'utf8').split('\n')[0]}\n{"broken":\n`));
    expect(bad.stderr).toMatch(/^-:2:\d+: warning LUN6610/m);
    // The copies are gone: only the FIFO is left.
    expect(readdirSync(tmp)).toEqual(['events.fifo']);
  });

  it('CLI: a hunt killed with SIGKILL while copying a stream leaves nothing in $TMPDIR', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'luna-killed-'));
    const fifo = join(tmp, 'events.fifo');
    execFileSync('mkfifo', [fifo]);
    // The writer sends some events and keeps the FIFO open: the hunt is still copying.
    // (Opened read-write so that opening does not wait for a reader; closed here once handed on.)
    const end = openSync(fifo, 'r+');
    const writer = spawn('sh', ['-c', `cat "${demoLog}"; exec sleep 60`], { stdio: ['ignore', end, 'ignore'] });
    closeSync(end);
    const hunt = spawn(luna, ['hunt', '-r', 'examples/sigma', fifo], { cwd: repoRoot, env: { ...process.env, CI: '1', TMPDIR: tmp }, stdio: 'ignore' });
    try {
      // The copy exists only as an open descriptor of the hunt, already unlinked.
      let copy: string | undefined;
      for (let i = 0; i < 200 && copy === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          copy = readdirSync(`/proc/${hunt.pid}/fd`).map((fd) => readlinkSync(`/proc/${hunt.pid}/fd/${fd}`)).find((l) => l.startsWith(join(tmp, 'luna-hunt-stream-')));
        } catch {
          // the process is still starting
        }
      }
      expect(copy).toMatch(/ \(deleted\)$/);
      expect(readdirSync(tmp)).toEqual(['events.fifo']);
    } finally {
      hunt.kill('SIGKILL');
      writer.kill('SIGKILL');
    }
    await new Promise((r) => hunt.once('exit', r));
    expect(readdirSync(tmp)).toEqual(['events.fifo']);
  });

  it('CLI: luna import sigma writes .luna files and the JSON fidelity report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-import-'));
    const r = run(['import', 'sigma', 'examples/sigma', '-o', join(dir, 'out'), '--report', join(dir, 'report.json')]);
    expect(r.status).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.rules.length).toBe(12); // 8 rules, 3 correlations, 1 filter
    expect(report.rules.find((e: { kind: string }) => e.kind === "filter").status).toBe("exact");
    for (const e of report.rules) {
      expect(['exact', 'warning', 'rejected']).toContain(e.status);
      expect(e).toHaveProperty('path');
      expect(e).toHaveProperty('id');
      expect(Array.isArray(e.reasons)).toBe(true);
    }
    const text = readFileSync(join(dir, 'out/proc_creation_recon_whoami.luna'), 'utf8');
    expect(text).toMatch(/Detection Rule License/);
    expect(text).toMatch(/author "Luna examples"/);
    expect(text).toMatch(/3e2d8c91-2a47-4f0e-8f4b-5b8e2f1c7d02/);
    void execFileSync;
  });
});
