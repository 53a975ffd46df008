import { describe, expect, it } from 'vitest';
import { allEventTypes, eventType, eventTypeForSysmonId, fieldType } from '../../policy/catalogue.ts';

describe('field catalogue', () => {
  it('covers every Sysmon event id 1-29 and 255 exactly once', () => {
    const ids = allEventTypes().flatMap((t) => t.sysmonIds).sort((a, b) => a - b);
    expect(ids).toEqual([...Array.from({ length: 29 }, (_, i) => i + 1), 255]);
  });
  it('maps grouped Sysmon ids to one type', () => {
    expect([12, 13, 14].map((i) => eventTypeForSysmonId(i)?.name)).toEqual(['RegistryEvent', 'RegistryEvent', 'RegistryEvent']);
    expect([17, 18].map((i) => eventTypeForSysmonId(i)?.name)).toEqual(['PipeEvent', 'PipeEvent']);
    expect([19, 20, 21].map((i) => eventTypeForSysmonId(i)?.name)).toEqual(['WmiEvent', 'WmiEvent', 'WmiEvent']);
    expect(eventTypeForSysmonId(4)?.name).toBe('SysmonServiceStateChange');
    expect(eventTypeForSysmonId(30)).toBeUndefined();
  });
  it('has the ProcessCreate fields of the Sysmon manifest with types', () => {
    const pc = eventType('ProcessCreate')!;
    for (const f of ['Image', 'CommandLine', 'ParentImage', 'ParentCommandLine', 'ParentUser', 'OriginalFileName', 'Hashes', 'IntegrityLevel'])
      expect(pc.fields[f]).toBe('string');
    expect(pc.fields.ProcessId).toBe('int');
    expect(pc.fields.UtcTime).toBe('time');
    expect(pc.fields.EventID).toBe('int'); // common System field
    expect(pc.platforms).toContain('linux');
    expect(pc.open).toBe(false);
  });
  it('types network fields', () => {
    expect(fieldType('NetworkConnect', 'DestinationIp')).toBe('ip');
    expect(fieldType('NetworkConnect', 'DestinationPort')).toBe('int');
    expect(fieldType('NetworkConnect', 'Initiated')).toBe('bool');
    expect(fieldType('NetworkConnect', 'Nope')).toBeUndefined();
  });
  it('open types accept any field as string', () => {
    expect(eventType('WinEvent')!.open).toBe(true);
    expect(fieldType('WinEvent', 'AnythingAtAll')).toBe('string');
    expect(fieldType('WinEvent', 'EventID')).toBe('int');
    expect(fieldType('LinuxEvent', 'whatever')).toBe('string');
  });
  it('has the scanner event types', () => {
    expect(fieldType('PortState', 'port')).toBe('int');
    expect(fieldType('ServiceBanner', 'tls_not_after')).toBe('time');
    expect(fieldType('HostMetrics', 'syncookies_sent')).toBe('int');
    expect(fieldType('ScanChange', 'change')).toBe('string');
    expect(eventType('PortState')!.fields.EventID).toBeUndefined();
  });
});
