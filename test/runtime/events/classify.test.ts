import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, flattenRecord, toLunaEvent } from '../../../runtime/events/classify.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');

function files(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, ext));
    else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

describe('flattenRecord on evtx_dump-style records', () => {
  it('hoists System and EventData fields (SigmaHQ regression JSON)', () => {
    const f = path.join(
      corpus,
      'sigma/regression/regression_data/rules/windows/file/file_event/file_event_win_creation_system_dll_files/13c02350-4177-4e45-ac17-cf7ca628ff5e.json',
    );
    const flat = flattenRecord(JSON.parse(readFileSync(f, 'utf8')));
    expect(flat).toMatchObject({
      EventID: 11,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Provider_Name: 'Microsoft-Windows-Sysmon',
      Provider_Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9',
      TimeCreated_SystemTime: '2025-10-24T23:41:00.601559Z',
      Execution_ProcessID: 3308,
      Security_UserID: 'S-1-5-18',
      Computer: 'ar-win-dc.attackrange.local',
      EventRecordID: 23503,
      Image: 'C:\\Windows\\system32\\cmd.exe',
      TargetFilename: 'C:\\tdh.dll',
      ProcessId: 10048,
    });
    expect(flat.Correlation).toBeNull();
    expect(Object.keys(flat).some((k) => k.startsWith('Event.') || k.includes('#'))).toBe(false);
    expect(toLunaEvent(flat).type).toBe('FileCreate');
  });

  it('every regression JSON record classifies as a Sysmon type with its EventData hoisted', () => {
    const all = files(path.join(corpus, 'sigma/regression/regression_data'), '.json');
    expect(all.length).toBeGreaterThan(50);
    let records = 0;
    const types = new Set<string>();
    for (const f of all) {
      // Files hold one record or several concatenated pretty-printed records.
      const text = readFileSync(f, 'utf8').trim();
      const parts = text.startsWith('[') ? JSON.parse(text) : text.split(/\n(?=\{)/).map((s) => JSON.parse(s));
      for (const rec of parts) {
        const flat = flattenRecord(rec);
        const e = toLunaEvent(flat);
        records++;
        types.add(e.type);
        expect(typeof flat.EventID, f).toBe('number');
        expect(e.type, f).not.toBe('LinuxEvent');
        expect(Object.keys(flat).filter((k) => k.includes('#')), f).toEqual([]);
        const data = rec.Event?.EventData;
        if (data && typeof data === 'object') for (const k of Object.keys(data)) if (k !== 'Data') expect(Object.hasOwn(flat, k) || Object.hasOwn(flat, `EventData.${k}`), `${f} ${k}`).toBe(true);
      }
    }
    expect(records).toBeGreaterThanOrEqual(all.length);
    expect(types.has('ProcessCreate')).toBe(true);
    expect(types.has('RegistryEvent')).toBe(true);
  });

  it('EventData.Data arrays of {Name, #text}, unnamed Data, UserData, EventID with Qualifiers', () => {
    const flat = flattenRecord({
      Event: {
        System: {
          Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } },
          EventID: { '#text': '4688', '#attributes': { Qualifiers: '' } },
          Channel: 'Security',
        },
        EventData: {
          Data: [
            { '#attributes': { Name: 'NewProcessName' }, '#text': 'C:\\Windows\\System32\\cmd.exe' },
            { Name: 'CommandLine', '#text': 'cmd /c whoami' },
            { '#attributes': { Name: 'Empty' } },
          ],
        },
      },
    });
    expect(flat).toMatchObject({
      EventID: 4688,
      EventID_Qualifiers: '',
      Provider_Name: 'Microsoft-Windows-Security-Auditing',
      NewProcessName: 'C:\\Windows\\System32\\cmd.exe',
      CommandLine: 'cmd /c whoami',
      Empty: '',
    });
    expect(toLunaEvent(flat).type).toBe('WinEvent');

    const unnamed = flattenRecord({ Event: { System: { EventID: 7036, Channel: 'System' }, EventData: { Data: ['a', 'b'], Binary: '00' } } });
    expect(unnamed).toMatchObject({ 'Data.0': 'a', 'Data.1': 'b', Binary: '00' });
    const single = flattenRecord({ Event: { System: { EventID: 1 }, EventData: { Data: { '#attributes': { Name: 'Image' }, '#text': 'x.exe' } } } });
    expect(single.Image).toBe('x.exe');

    const cleared = flattenRecord({
      Event: { System: { EventID: 1102, Channel: 'Security' }, UserData: { LogFileCleared: { '#attributes': { xmlns: 'x' }, SubjectUserName: 'bob' } } },
    });
    expect(cleared.SubjectUserName).toBe('bob');
  });

  it('EventData does not overwrite System fields', () => {
    const flat = flattenRecord({ Event: { System: { EventID: 4719, Channel: 'Security' }, EventData: { EventID: 'inner', Channel: 'x' } } });
    expect(flat.EventID).toBe(4719);
    expect(flat.Channel).toBe('Security');
    expect(flat['EventData.EventID']).toBe('inner');
  });

  it('plain nested objects get dotted keys', () => {
    expect(flattenRecord({ a: { b: { c: 1 } }, tags: ['x', 'y'], n: null })).toEqual({ 'a.b.c': 1, 'tags.0': 'x', 'tags.1': 'y', n: null });
  });
});

describe('toLunaEvent classification', () => {
  it('EventType naming a type wins; other EventType values do not', () => {
    expect(classify({ EventType: 'ProcessCreate', EventID: 3 })).toBe('ProcessCreate');
    expect(classify({ EventType: 'PortState' })).toBe('PortState');
    expect(classify({ EventType: 'ServiceStateChange' })).toBe('SysmonServiceStateChange');
    expect(classify({ EventType: 'SetValue', EventID: 13, Channel: 'Microsoft-Windows-Sysmon/Operational' })).toBe('RegistryEvent');
    expect(classify({ EventType: 'AUDIT_SUCCESS', EventID: 4688, Channel: 'Security' })).toBe('WinEvent');
  });
  it('Sysmon ids count only on Sysmon channels or without a channel', () => {
    expect(classify({ EventID: 1 })).toBe('ProcessCreate');
    expect(classify({ EventID: '3' })).toBe('NetworkConnect');
    expect(classify({ EventID: 22, Channel: 'Microsoft-Windows-Sysmon/Operational' })).toBe('DnsQuery');
    expect(classify({ EventID: 5, Channel: 'Linux-Sysmon/Operational' })).toBe('ProcessTerminate');
    expect(classify({ EventID: 1, Channel: 'Security' })).toBe('WinEvent');
    expect(classify({ EventID: 4688 })).toBe('WinEvent');
    expect(classify({ Channel: 'System' })).toBe('WinEvent');
    expect(classify({ type: 'SYSCALL', exe: '/bin/sh' })).toBe('LinuxEvent');
    expect(classify({})).toBe('LinuxEvent');
  });

  it('OTRF NDJSON logs: Sysmon records get Sysmon types, Security records WinEvent', () => {
    const all = files(path.join(corpus, 'events/otrf'), '.json');
    expect(all.length).toBeGreaterThan(5);
    const byChannel = new Map<string, Map<string, number>>();
    let n = 0;
    for (const f of all) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const e = toLunaEvent(flattenRecord(JSON.parse(line)));
        n++;
        const ch = String(e.fields.Channel ?? '-');
        const m = byChannel.get(ch) ?? new Map<string, number>();
        m.set(e.type, (m.get(e.type) ?? 0) + 1);
        byChannel.set(ch, m);
        if (/sysmon/i.test(ch)) expect(e.type, line.slice(0, 200)).not.toBe('WinEvent');
      }
    }
    expect(n).toBeGreaterThan(5000);
    expect([...byChannel.get('Security')!.keys()]).toEqual(['WinEvent']);
    const sysmon = byChannel.get('Microsoft-Windows-Sysmon/Operational')!;
    expect(sysmon.get('ProcessCreate')).toBeGreaterThan(10);
    expect(sysmon.get('NetworkConnect')).toBeGreaterThan(0);
    expect(sysmon.get('RegistryEvent')).toBeGreaterThan(0);
    // Syslog-wrapped Linux records have no Channel/EventID
    expect(byChannel.get('-')!.get('LinuxEvent')).toBeGreaterThan(0);
  });
});
