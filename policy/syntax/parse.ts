// .luna text front end: lexer → CST → AST. (Placeholder until the parser lands.)
import type { Policy } from '../ast.ts';
import { diag, type Diagnostic } from '../diagnostics.ts';

export function parseLunaText(path: string, _text: string): { policies: Policy[]; diagnostics: Diagnostic[] } {
  return { policies: [], diagnostics: [diag('LUN1000', 'error', 'the .luna parser is not available yet', { file: path })] };
}
