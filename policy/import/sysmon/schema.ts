// What Sysmon's configuration schema knows: event types (with their ids, rule element name,
// manifest default and ordered field list — the order matters, see fieldAppliesTo), filter
// conditions, and configuration options. Facts from SysmonCommon's manifest.xml (schema 4.90).

export interface SysmonEventDef {
  id: number;
  /** Rule element name in a config (= Luna event type name); undefined for service events. */
  ruleName?: string;
  template: string;
  /** Manifest `ruledefault` (absent ⇒ exclude): what happens with no rule element at all. */
  ruleDefault: 'include' | 'exclude';
  /** Fields in manifest order (index = Sysmon field id). */
  fields: string[];
}

const P = ['RuleName', 'UtcTime', 'ProcessGuid', 'ProcessId'];
const FILE_DEL = [...P, 'User', 'Image', 'TargetFilename', 'Hashes'];

export const SYSMON_EVENTS: SysmonEventDef[] = [
  { id: 1, ruleName: 'ProcessCreate', template: 'Process Create', ruleDefault: 'include', fields: [...P, 'Image', 'FileVersion', 'Description', 'Product', 'Company', 'OriginalFileName', 'CommandLine', 'CurrentDirectory', 'User', 'LogonGuid', 'LogonId', 'TerminalSessionId', 'IntegrityLevel', 'Hashes', 'ParentProcessGuid', 'ParentProcessId', 'ParentImage', 'ParentCommandLine', 'ParentUser'] },
  { id: 2, ruleName: 'FileCreateTime', template: 'File creation time changed', ruleDefault: 'exclude', fields: [...P, 'Image', 'TargetFilename', 'CreationUtcTime', 'PreviousCreationUtcTime', 'User'] },
  { id: 3, ruleName: 'NetworkConnect', template: 'Network connection detected', ruleDefault: 'exclude', fields: [...P, 'Image', 'User', 'Protocol', 'Initiated', 'SourceIsIpv6', 'SourceIp', 'SourceHostname', 'SourcePort', 'SourcePortName', 'DestinationIsIpv6', 'DestinationIp', 'DestinationHostname', 'DestinationPort', 'DestinationPortName'] },
  { id: 4, template: 'Sysmon service state changed', ruleDefault: 'include', fields: ['UtcTime', 'State', 'Version', 'SchemaVersion'] },
  { id: 5, ruleName: 'ProcessTerminate', template: 'Process terminated', ruleDefault: 'include', fields: [...P, 'Image', 'User'] },
  { id: 6, ruleName: 'DriverLoad', template: 'Driver loaded', ruleDefault: 'exclude', fields: ['RuleName', 'UtcTime', 'ImageLoaded', 'Hashes', 'Signed', 'Signature', 'SignatureStatus'] },
  { id: 7, ruleName: 'ImageLoad', template: 'Image loaded', ruleDefault: 'exclude', fields: [...P, 'Image', 'ImageLoaded', 'FileVersion', 'Description', 'Product', 'Company', 'OriginalFileName', 'Hashes', 'Signed', 'Signature', 'SignatureStatus', 'User'] },
  { id: 8, ruleName: 'CreateRemoteThread', template: 'CreateRemoteThread detected', ruleDefault: 'exclude', fields: ['RuleName', 'UtcTime', 'SourceProcessGuid', 'SourceProcessId', 'SourceImage', 'TargetProcessGuid', 'TargetProcessId', 'TargetImage', 'NewThreadId', 'StartAddress', 'StartModule', 'StartFunction', 'SourceUser', 'TargetUser'] },
  { id: 9, ruleName: 'RawAccessRead', template: 'RawAccessRead detected', ruleDefault: 'exclude', fields: [...P, 'Image', 'Device', 'User'] },
  { id: 10, ruleName: 'ProcessAccess', template: 'Process accessed', ruleDefault: 'exclude', fields: ['RuleName', 'UtcTime', 'SourceProcessGUID', 'SourceProcessId', 'SourceThreadId', 'SourceImage', 'TargetProcessGUID', 'TargetProcessId', 'TargetImage', 'GrantedAccess', 'CallTrace', 'SourceUser', 'TargetUser'] },
  { id: 11, ruleName: 'FileCreate', template: 'File created', ruleDefault: 'exclude', fields: [...P, 'Image', 'TargetFilename', 'CreationUtcTime', 'User'] },
  { id: 12, ruleName: 'RegistryEvent', template: 'Registry object added or deleted', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'TargetObject', 'User'] },
  { id: 13, ruleName: 'RegistryEvent', template: 'Registry value set', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'TargetObject', 'Details', 'User'] },
  { id: 14, ruleName: 'RegistryEvent', template: 'Registry object renamed', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'TargetObject', 'NewName', 'User'] },
  { id: 15, ruleName: 'FileCreateStreamHash', template: 'File stream created', ruleDefault: 'exclude', fields: [...P, 'Image', 'TargetFilename', 'CreationUtcTime', 'Hash', 'Contents', 'User'] },
  { id: 16, template: 'Sysmon config state changed', ruleDefault: 'include', fields: ['UtcTime', 'Configuration', 'ConfigurationFileHash'] },
  { id: 17, ruleName: 'PipeEvent', template: 'Pipe Created', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'ProcessGuid', 'ProcessId', 'PipeName', 'Image', 'User'] },
  { id: 18, ruleName: 'PipeEvent', template: 'Pipe Connected', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'ProcessGuid', 'ProcessId', 'PipeName', 'Image', 'User'] },
  { id: 19, ruleName: 'WmiEvent', template: 'WmiEventFilter activity detected', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'Operation', 'User', 'EventNamespace', 'Name', 'Query'] },
  { id: 20, ruleName: 'WmiEvent', template: 'WmiEventConsumer activity detected', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'Operation', 'User', 'Name', 'Type', 'Destination'] },
  { id: 21, ruleName: 'WmiEvent', template: 'WmiEventConsumerToFilter activity detected', ruleDefault: 'exclude', fields: ['RuleName', 'EventType', 'UtcTime', 'Operation', 'User', 'Consumer', 'Filter'] },
  { id: 22, ruleName: 'DnsQuery', template: 'Dns query', ruleDefault: 'exclude', fields: [...P, 'QueryName', 'QueryStatus', 'QueryResults', 'Image', 'User'] },
  { id: 23, ruleName: 'FileDelete', template: 'File Delete archived', ruleDefault: 'exclude', fields: [...FILE_DEL, 'IsExecutable', 'Archived'] },
  { id: 24, ruleName: 'ClipboardChange', template: 'Clipboard changed', ruleDefault: 'exclude', fields: [...P, 'Image', 'Session', 'ClientInfo', 'Hashes', 'Archived', 'User'] },
  { id: 25, ruleName: 'ProcessTampering', template: 'Process Tampering', ruleDefault: 'exclude', fields: [...P, 'Image', 'Type', 'User'] },
  { id: 26, ruleName: 'FileDeleteDetected', template: 'File Delete logged', ruleDefault: 'exclude', fields: [...FILE_DEL, 'IsExecutable'] },
  { id: 27, ruleName: 'FileBlockExecutable', template: 'File Block Executable', ruleDefault: 'exclude', fields: [...FILE_DEL] },
  { id: 28, ruleName: 'FileBlockShredding', template: 'File Block Shredding', ruleDefault: 'exclude', fields: [...FILE_DEL, 'IsExecutable'] },
  { id: 29, ruleName: 'FileExecutableDetected', template: 'File Executable Detected', ruleDefault: 'exclude', fields: [...FILE_DEL] },
  { id: 255, template: 'Error report', ruleDefault: 'include', fields: ['UtcTime', 'ID', 'Description'] },
];

/** Rule element name → its event definitions in manifest order (RegistryEvent → 12, 13, 14). */
export const RULE_ELEMENTS: ReadonlyMap<string, SysmonEventDef[]> = (() => {
  const m = new Map<string, SysmonEventDef[]>();
  for (const e of SYSMON_EVENTS) {
    if (!e.ruleName) continue;
    const list = m.get(e.ruleName) ?? [];
    list.push(e);
    m.set(e.ruleName, list);
  }
  return m;
})();

export function eventById(id: number): SysmonEventDef | undefined {
  return SYSMON_EVENTS.find((e) => e.id === id);
}

/**
 * Sysmon resolves a filter by field *index* in the sub-event its element was compiled for
 * (the first of the series that has every field the element uses), and on another sub-event
 * the filter applies only when the same name sits at the same index. Returns the ids the
 * filter on `field` applies to, given the element's chosen sub-event.
 */
export function fieldAppliesTo(series: SysmonEventDef[], chosen: SysmonEventDef, field: string): number[] {
  const idx = chosen.fields.indexOf(field);
  return series.filter((e) => e.fields[idx] === field).map((e) => e.id);
}

export type SysmonCondition =
  | 'is'
  | 'is not'
  | 'is any'
  | 'contains'
  | 'contains any'
  | 'contains all'
  | 'excludes'
  | 'excludes any'
  | 'excludes all'
  | 'begin with'
  | 'not begin with'
  | 'end with'
  | 'not end with'
  | 'less than'
  | 'more than'
  | 'image';

export const CONDITIONS: readonly SysmonCondition[] = [
  'is', 'is not', 'is any', 'contains', 'contains any', 'contains all', 'excludes', 'excludes any',
  'excludes all', 'begin with', 'not begin with', 'end with', 'not end with', 'less than', 'more than', 'image',
];

/** Top-level configuration elements (children of <Sysmon>) Sysmon accepts. */
export const OPTIONS: readonly string[] = [
  'ArchiveDirectory', 'CaptureClipboard', 'CheckRevocation', 'CopyOnDeletePE', 'CopyOnDeleteSIDs',
  'CopyOnDeleteExtensions', 'CopyOnDeleteProcesses', 'DnsLookup', 'DnsQuery', 'DriverName', 'FieldSizes',
  'HashAlgorithms', 'ImageLoad', 'NetworkConnect', 'PipeMonitoring', 'ProcessAccess',
];
