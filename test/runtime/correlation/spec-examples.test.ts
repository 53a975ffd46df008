// Every correlation example of the Sigma correlation specification, run on events written
// here: base rules with the ids/names the examples refer to, events that must and must not
// trigger each correlation.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHunt } from '../../../runtime/hunt/run.ts';
import type { Detection } from '../../../runtime/hunt/detection.ts';

const examples = resolve(import.meta.dirname, '../../../../shared/corpus/sigma/correlation/spec-examples');

function base(idOrName: string, logsource: string, detection: string): string {
  const isId = /^[0-9a-f]{8}-/.test(idOrName);
  return `title: base ${idOrName}\n${isId ? `id: ${idOrName}` : `id: base-${idOrName}\nname: ${idOrName}`}\nauthor: test\nlogsource:\n${logsource}\ndetection:\n${detection}\n`;
}
const security = '    product: windows\n    service: security';
const t = (minute: number, second = 0) => new Date(Date.UTC(2024, 4, 1, 10, 0, 0) + minute * 60_000 + second * 1000).toISOString();

async function run(example: string, rules: string[], events: Record<string, unknown>[]): Promise<Detection[]> {
  const dir = mkdtempSync(join(tmpdir(), 'luna-spec-'));
  rules.forEach((r, i) => writeFileSync(join(dir, `base${i}.yml`), r));
  const log = join(dir, 'events.ndjson');
  writeFileSync(log, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const out: Detection[] = [];
  await runHunt({ rules: [resolve(examples, example), dir], logs: [log], onDetection: (d) => out.push(d) });
  return out.filter((d) => d.kind === 'correlation');
}

describe('Sigma correlation specification examples', () => {
  it('event_count: 100 failed logins on one computer within 1h', async () => {
    const rule = base('5638f7c0-ac70-491d-8465-2a65075e0d86', security, '    sel:\n        EventID: 4625\n    condition: sel');
    const ev = (m: number, host: string) => ({ '@timestamp': t(m / 2), Channel: 'Security', EventID: 4625, ComputerName: host });
    const events = [...Array.from({ length: 100 }, (_, i) => ev(i, 'A')), ...Array.from({ length: 99 }, (_, i) => ev(i, 'B'))];
    const a = await run('correlation_event_count.yml', [rule], events);
    expect(a.map((d) => [d.title, d.correlation!.group, d.correlation!.value, d.correlation!.events.length])).toEqual([['Many failed logins', { ComputerName: 'A' }, 100, 100]]);
  });
  it('value_count: 100 distinct users from one workstation within a day', async () => {
    const rule = base('5638f7c0-ac70-491d-8465-2a65075e0d86', security, '    sel:\n        EventID: 4625\n    condition: sel');
    const ev = (i: number, user: string) => ({ '@timestamp': t(i), Channel: 'Security', EventID: 4625, ComputerName: 'dc1', WorkstationName: 'W1', User: user });
    const same = Array.from({ length: 150 }, (_, i) => ev(i, 'alice'));
    expect(await run('correlation_value_count.yml', [rule], same)).toEqual([]);
    const many = Array.from({ length: 100 }, (_, i) => ev(i, `user${i}`));
    const a = await run('correlation_value_count.yml', [rule], many);
    expect(a.map((d) => d.correlation!.value)).toEqual([100]);
  });
  it('temporal: three recon commands by the same user on one computer within 5 minutes, any order', async () => {
    const proc = '    product: windows\n    category: process_creation';
    const rules = ['whoami', 'net', 'ipconfig'].map((x, i) => base(`recon_cmd_${'abc'[i]}`, proc, `    sel:\n        Image|endswith: '\\\\${x}.exe'\n    condition: sel`));
    const ev = (m: number, x: string, user = 'bob') => ({ '@timestamp': t(m), Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: `C:\\Windows\\System32\\${x}.exe`, ComputerName: 'pc1', User: user });
    const hit = await run('correlation_temporal.yml', rules, [ev(0, 'ipconfig'), ev(1, 'whoami'), ev(2, 'whoami', 'eve'), ev(3, 'net')]);
    expect(hit.map((d) => d.correlation!.group)).toEqual([{ ComputerName: 'pc1', User: 'bob' }]);
    const slow = await run('correlation_temporal.yml', rules, [ev(0, 'ipconfig'), ev(3, 'whoami'), ev(6, 'net')]);
    expect(slow).toEqual([]);
  });
  it('temporal_ordered: many failed logins, then a successful login, in that order', async () => {
    const rules = [
      base('many_failed_logins', security, '    sel:\n        EventID: 4625\n    condition: sel'),
      base('successful_login', security, '    sel:\n        EventID: 4624\n    condition: sel'),
    ];
    const ev = (m: number, id: number, user: string) => ({ '@timestamp': t(m), Channel: 'Security', EventID: id, User: user });
    const a = await run('correlation_temporal_ordered.yml', rules, [ev(0, 4624, 'carol'), ev(1, 4625, 'carol'), ev(2, 4625, 'dave'), ev(3, 4624, 'dave')]);
    expect(a.map((d) => d.correlation!.group)).toEqual([{ User: 'dave' }]);
  });
  it('value_sum: more than 1,000,000 bytes sent by one source/user within 1h', async () => {
    const rule = base('website_access', '    category: proxy', '    sel:\n        cs-method: POST\n    condition: sel');
    const ev = (m: number, bytes: number, ip = '10.0.0.5') => ({ '@timestamp': t(m), 'cs-method': 'POST', SourceIP: ip, User: 'u', bytes_sent: bytes });
    const a = await run('correlation_value_sum.yml', [rule], [ev(0, 600_000), ev(1, 300_000, '10.0.0.6'), ev(2, 400_001)]);
    expect(a.map((d) => [d.correlation!.group, d.correlation!.value])).toEqual([[{ SourceIP: '10.0.0.5', User: 'u' }, 1_000_001]]);
  });
  it('value_avg: average BytesOut above 500 within 24h', async () => {
    const rule = base('rule_a_id', '    category: proxy', '    sel:\n        cs-method: GET\n    condition: sel');
    const ev = (m: number, bytes: number) => ({ '@timestamp': t(m), 'cs-method': 'GET', SourceIP: '10.0.0.5', User: 'u', BytesOut: bytes });
    const a = await run('correlation_value_avg.yml', [rule], [ev(0, 100), ev(1, 200), ev(2, 1500)]);
    expect(a.map((d) => d.correlation!.value)).toEqual([600]);
  });
  it('value_percentile: a process name among the rarest 1 % on a computer within 24h', async () => {
    const rule = base('process_creation', '    product: windows\n    category: process_creation', '    sel:\n        Image|exists: true\n    condition: sel');
    const ev = (i: number, img: string) => ({ '@timestamp': t(i), Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, ComputerName: 'pc1', Image: img });
    const events = [...Array.from({ length: 199 }, (_, i) => ev(i, 'C:\\Windows\\System32\\svchost.exe')), ev(300, 'C:\\Users\\x\\evil.exe')];
    const a = await run('correlation_value_percentile.yml', [rule], events);
    expect(a.map((d) => [d.record, d.correlation!.value])).toEqual([[200, 0.5]]);
  });
  it('field name aliases: the same address as destination of one rule and source of the other', async () => {
    const ev = (s: number, o: Record<string, unknown>) => ({ '@timestamp': t(0, s), ...o });
    const events = [
      ev(0, { http: { response: { status_code: 500 } }, source: { ip: '198.51.100.9' }, destination: { ip: '10.0.0.7' } }),
      ev(3, { event: { category: 'network', type: 'connection', outcome: 'success' }, source: { ip: '10.0.0.8' }, destination: { ip: '198.51.100.9' } }),
      ev(5, { event: { category: 'network', type: 'connection', outcome: 'success' }, source: { ip: '10.0.0.7' }, destination: { ip: '198.51.100.9' } }),
    ];
    const a = await run('correlation_field_name_aliases.yml', [], events);
    expect(a.map((d) => [d.record, d.correlation!.group])).toEqual([[3, { internal_ip: '10.0.0.7', remote_ip: '198.51.100.9' }]]);
  });
});
