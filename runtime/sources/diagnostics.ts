// Diagnostic codes of the log readers (LUN60xx text/JSON logs, LUN61xx EVTX). Stable: listed in
// docs/diagnostics.md. Damaged input is a warning (the reader goes on and delivers every record
// it can); only a file that cannot be read at all is an error.

import { diag, type Diagnostic, type Severity } from '../../policy/diagnostics.ts';
import type { Span } from '../../policy/ast.ts';

export const CODES = {
  CANNOT_READ: 'LUN6001',
  UNKNOWN_FORMAT: 'LUN6002',
  BAD_JSON_LINE: 'LUN6010',
  NOT_AN_OBJECT: 'LUN6011',
  BAD_JSON_DOCUMENT: 'LUN6012',
  BAD_GZIP: 'LUN6013',
  BAD_TEXT_LINE: 'LUN6014',
  EVTX_BAD_FILE_HEADER: 'LUN6101',
  EVTX_FILE_HEADER_CRC: 'LUN6102',
  EVTX_DIRTY: 'LUN6103',
  EVTX_BAD_CHUNK: 'LUN6110',
  EVTX_CHUNK_HEADER_CRC: 'LUN6111',
  EVTX_CHUNK_DATA_CRC: 'LUN6112',
  EVTX_TRUNCATED: 'LUN6113',
  EVTX_BAD_RECORD: 'LUN6120',
  EVTX_BAD_BINXML: 'LUN6121',
} as const;

export type DiagnosticSink = (d: Diagnostic) => void;

export function at(code: string, severity: Severity, message: string, file: string, where: { offset?: number; record?: number; span?: Span } = {}): Diagnostic {
  return diag(code, severity, message, { file, ...where });
}

/** A one-line span (1-based line, whole line) for text-format diagnostics. */
export function lineSpan(file: string, line: number, col = 1, offset = 0): Span {
  return { file, line, col, endLine: line, endCol: col + 1, offset, endOffset: offset + 1 };
}
