// MoonMon's luna.yaml vocabulary: event lists and their Luna event types, snake_case fields and
// their Luna (Sysmon-named) fields, operators with aliases, block actions, global settings.
// This table is the documented mapping (docs/moonmon.md renders it).

import type { CompareOp } from '../../ast.ts';

export interface MoonmonEvent {
  /** Prefix of the list keys: `<name>_{block,include,exclude}_list`. */
  name: string;
  /** Luna event type. */
  type: string;
  /** global_settings switch that turns the source on or off. */
  monitor: string;
  /** Fields valid on this event: snake_case → Luna field. */
  fields: Record<string, string>;
  /** MoonMon can block it (deny the operation). */
  blockable: boolean;
}

const PROCESS: Record<string, string> = {
  image_file_name: 'Image',
  command_line: 'CommandLine',
  parent_image_file_name: 'ParentImage',
  parent_command_line: 'ParentCommandLine',
  current_directory: 'CurrentDirectory',
  user_name: 'User',
  parent_user_name: 'ParentUser',
  integrity_level: 'IntegrityLevel',
  process_id: 'ProcessId',
  parent_process_id: 'ParentProcessId',
  session_id: 'TerminalSessionId',
  hashes: 'Hashes',
  original_file_name: 'OriginalFileName',
  file_description: 'Description',
  product: 'Product',
  company: 'Company',
};

const ACTOR: Record<string, string> = {
  image_file_name: 'Image',
  process_id: 'ProcessId',
  user_name: 'User',
};

export const MOONMON_EVENTS: readonly MoonmonEvent[] = [
  { name: 'process_creation', type: 'ProcessCreate', monitor: 'monitor_process_creation', fields: PROCESS, blockable: true },
  { name: 'process_termination', type: 'ProcessTerminate', monitor: 'monitor_process_termination', fields: ACTOR, blockable: false },
  {
    name: 'image_load',
    type: 'ImageLoad',
    monitor: 'monitor_image_load',
    fields: { ...ACTOR, image_loaded: 'ImageLoaded', hashes: 'Hashes', signed: 'Signed', signature: 'Signature', signature_status: 'SignatureStatus', original_file_name: 'OriginalFileName', company: 'Company' },
    blockable: true,
  },
  {
    name: 'thread_creation',
    type: 'CreateRemoteThread',
    monitor: 'monitor_thread_creation',
    fields: { source_image_file_name: 'SourceImage', target_image_file_name: 'TargetImage', source_process_id: 'SourceProcessId', target_process_id: 'TargetProcessId', start_address: 'StartAddress', start_module: 'StartModule', start_function: 'StartFunction' },
    blockable: false,
  },
  {
    name: 'process_access',
    type: 'ProcessAccess',
    monitor: 'monitor_process_access',
    fields: { source_image_file_name: 'SourceImage', target_image_file_name: 'TargetImage', source_process_id: 'SourceProcessId', target_process_id: 'TargetProcessId', desired_access: 'GrantedAccess', call_trace: 'CallTrace', source_user_name: 'SourceUser', target_user_name: 'TargetUser' },
    blockable: true,
  },
  { name: 'file_create', type: 'FileCreate', monitor: 'monitor_file', fields: { ...ACTOR, file_name: 'TargetFilename' }, blockable: true },
  { name: 'file_delete', type: 'FileDelete', monitor: 'monitor_file', fields: { ...ACTOR, file_name: 'TargetFilename', hashes: 'Hashes', is_executable: 'IsExecutable' }, blockable: true },
  {
    name: 'registry',
    type: 'RegistryEvent',
    monitor: 'monitor_registry',
    fields: { ...ACTOR, registry_key: 'TargetObject', registry_value_data: 'Details', registry_new_name: 'NewName', registry_operation: 'EventType' },
    blockable: true,
  },
  {
    name: 'network_connect',
    type: 'NetworkConnect',
    monitor: 'monitor_network',
    fields: {
      ...ACTOR,
      net_protocol: 'Protocol',
      net_initiated: 'Initiated',
      net_local_ipv4_addr: 'SourceIp',
      net_local_ipv6_addr: 'SourceIp',
      net_local_port: 'SourcePort',
      net_local_hostname: 'SourceHostname',
      net_remote_ipv4_addr: 'DestinationIp',
      net_remote_ipv6_addr: 'DestinationIp',
      net_remote_port: 'DestinationPort',
      net_remote_hostname: 'DestinationHostname',
    },
    blockable: true,
  },
  { name: 'dns_query', type: 'DnsQuery', monitor: 'monitor_dns', fields: { ...ACTOR, query_name: 'QueryName', query_status: 'QueryStatus', query_results: 'QueryResults' }, blockable: false },
];

/** Fields whose values are IP addresses: equals/notequals with a `/prefix` value is a CIDR test. */
export const IP_FIELDS = new Set(['net_local_ipv4_addr', 'net_local_ipv6_addr', 'net_remote_ipv4_addr', 'net_remote_ipv6_addr']);
/** Fields whose values are integers (numbers compare numerically; masks apply). */
export const INT_FIELDS = new Set(['process_id', 'parent_process_id', 'session_id', 'source_process_id', 'target_process_id', 'desired_access', 'net_local_port', 'net_remote_port']);

export interface OperatorDef {
  op: CompareOp;
  negate: boolean;
}

/** Canonical operator → Luna op (negated for the not… forms). */
export const OPERATORS: Record<string, OperatorDef> = {
  startswith: { op: 'startswith', negate: false },
  notstartswith: { op: 'startswith', negate: true },
  endswith: { op: 'endswith', negate: false },
  notendswith: { op: 'endswith', negate: true },
  contains: { op: 'contains', negate: false },
  notcontains: { op: 'contains', negate: true },
  equals: { op: 'eq', negate: false },
  notequals: { op: 'eq', negate: true },
  and: { op: 'bitand', negate: false },
  notand: { op: 'bitand', negate: true },
  greaterthan: { op: 'gt', negate: false },
  notgreaterthan: { op: 'gt', negate: true },
  greaterorequal: { op: 'gte', negate: false },
  lessthan: { op: 'lt', negate: false },
  notlessthan: { op: 'lt', negate: true },
  lessorequal: { op: 'lte', negate: false },
};

/** Aliases MoonMon accepts (lower-cased, `_`/`-`/space removed before lookup). */
export const OPERATOR_ALIASES: Record<string, string> = {
  beginswith: 'startswith',
  notbeginswith: 'notstartswith',
  has: 'contains',
  excludes: 'notcontains',
  doesnotcontain: 'notcontains',
  eq: 'equals',
  equal: 'equals',
  is: 'equals',
  '==': 'equals',
  ne: 'notequals',
  neq: 'notequals',
  isnot: 'notequals',
  notequal: 'notequals',
  '!=': 'notequals',
  bitand: 'and',
  mask: 'and',
  allbits: 'and',
  notbitand: 'notand',
  notmask: 'notand',
  gt: 'greaterthan',
  '>': 'greaterthan',
  ngt: 'notgreaterthan',
  gte: 'greaterorequal',
  ge: 'greaterorequal',
  greaterthanorequal: 'greaterorequal',
  '>=': 'greaterorequal',
  lt: 'lessthan',
  '<': 'lessthan',
  nlt: 'notlessthan',
  lte: 'lessorequal',
  le: 'lessorequal',
  lessthanorequal: 'lessorequal',
  '<=': 'lessorequal',
};

export function canonicalOperator(raw: string): string | undefined {
  const k = raw.toLowerCase().replace(/[\s_-]/g, '');
  if (Object.hasOwn(OPERATORS, k)) return k;
  if (Object.hasOwn(OPERATOR_ALIASES, k)) return OPERATOR_ALIASES[k];
  return undefined;
}

export const BLOCK_MODES = ['accessdenied', 'notfound', 'pending'] as const;

/** global_settings keys and their kinds. */
export const GLOBAL_SETTINGS: Record<string, 'string|false' | 'int' | 'bool'> = {
  file_output: 'string|false',
  file_output_rotate_size: 'int',
  file_output_rotate_count: 'int',
  keep_excludes: 'bool',
  ...Object.fromEntries([...new Set(MOONMON_EVENTS.map((e) => e.monitor))].map((m) => [m, 'bool' as const])),
};
