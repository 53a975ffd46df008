// .luna.yaml front end. (Placeholder until the YAML form lands.)
import type { Policy } from '../ast.ts';
import { diag, type Diagnostic } from '../diagnostics.ts';

export function looksLikeLunaYaml(text: string): boolean {
  return /^luna:\s/m.test(text);
}

export function parseLunaYaml(path: string, _text: string): { policies: Policy[]; diagnostics: Diagnostic[] } {
  return { policies: [], diagnostics: [diag('LUN1000', 'error', 'the .luna.yaml front end is not available yet', { file: path })] };
}
