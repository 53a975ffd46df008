// Diagnostic codes of the log readers (LUN660x files, LUN661x JSON/text, LUN662x-664x EVTX). Stable: listed in
// docs/diagnostics.md. Damaged input is a warning (the reader goes on and delivers every record
// it can); only a file that cannot be read at all is an error.

import { diag, type Diagnostic, type Severity } from '../../policy/diagnostics.ts';
import type { Span } from '../../policy/ast.ts';

export const CODES = {
  CANNOT_READ: 'LUN6601',
  UNKNOWN_FORMAT: 'LUN6602',
  NO_LOGS: 'LUN6603',
  BAD_JSON_LINE: 'LUN6610',
  NOT_AN_OBJECT: 'LUN6611',
  BAD_JSON_DOCUMENT: 'LUN6612',
  BAD_GZIP: 'LUN6613',
  BAD_TEXT_LINE: 'LUN6614',
  LENIENT_XML: 'LUN6615',
  LINE_TOO_LONG: 'LUN6616',
  EVTX_BAD_FILE_HEADER: 'LUN6620',
  EVTX_FILE_HEADER_CRC: 'LUN6621',
  EVTX_DIRTY: 'LUN6622',
  EVTX_BAD_CHUNK: 'LUN6630',
  EVTX_CHUNK_HEADER_CRC: 'LUN6631',
  EVTX_CHUNK_DATA_CRC: 'LUN6632',
  EVTX_TRUNCATED: 'LUN6633',
  EVTX_BAD_RECORD: 'LUN6640',
  EVTX_BAD_BINXML: 'LUN6641',
} as const;

export type DiagnosticSink = (d: Diagnostic) => void;

export function at(code: string, severity: Severity, message: string, file: string, where: { offset?: number; record?: number; span?: Span } = {}): Diagnostic {
  return diag(code, severity, message, { file, ...where });
}

/** A one-line span (1-based line, whole line) for text-format diagnostics. */
export function lineSpan(file: string, line: number, col = 1, offset = 0): Span {
  return { file, line, col, endLine: line, endCol: col + 1, offset, endOffset: offset + 1 };
}
