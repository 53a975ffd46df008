// Sysmon XML importer: bytes or text → Luna policy + diagnostics. Also the front end that
// loadPolicies() uses for `.xml` files whose root is <Sysmon>.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Policy } from '../../ast.ts';
import { hasErrors, type Diagnostic } from '../../diagnostics.ts';
import { decodeXmlBytes, looksMisdecoded } from '../xml/decode.ts';
import { parseXml } from '../xml/parse.ts';
import { readSysmonConfig, type SysmonConfig } from './read.ts';
import { sysmonToPolicy } from './to-policy.ts';

export interface SysmonImport {
  policies: Policy[];
  diagnostics: Diagnostic[];
  config?: SysmonConfig;
  /** The decoded text (diagnostic excerpts refer to it). */
  text?: string;
}

function policyName(file: string): string {
  const base = basename(file).replace(/\.xml$/i, '');
  return base.replace(/[^A-Za-z0-9_.-]+/g, '-') || 'sysmon';
}

/** Import decoded text (already a JS string). */
export function importSysmonText(file: string, text: string): SysmonImport {
  const { doc, diagnostics } = parseXml(text, file);
  if (!doc) return { policies: [], diagnostics, text };
  const r = readSysmonConfig(doc);
  diagnostics.push(...r.diagnostics);
  if (!r.config || hasErrors(diagnostics)) return { policies: [], diagnostics, config: r.config, text };
  return { policies: [sysmonToPolicy(r.config, { name: policyName(file), file })], diagnostics, config: r.config, text };
}

/** Import raw bytes: detects UTF-8 (±BOM), UTF-16 LE/BE (±BOM) and declared 8-bit encodings. */
export function importSysmonBytes(file: string, bytes: Uint8Array): SysmonImport {
  const { decoded, diagnostics } = decodeXmlBytes(bytes, file);
  if (!decoded) return { policies: [], diagnostics };
  const r = importSysmonText(file, decoded.text);
  return { ...r, diagnostics: [...diagnostics, ...r.diagnostics] };
}

export function importSysmonFile(file: string): SysmonImport {
  return importSysmonBytes(file, readFileSync(file));
}

/** Cheap sniff: an XML document whose root element is <Sysmon>. */
export function looksLikeSysmon(path: string, text: string): boolean {
  if (!/\.xml$/i.test(path) && !/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<Sysmon[\s>]/.test(text.replace(/^\ufeff/, ''))) return false;
  if (text.includes('<Sysmon')) return true;
  // A UTF-16 file read as UTF-8 shows NULs between the letters.
  return looksMisdecoded(text) && text.replace(/\u0000/g, '').includes('<Sysmon');
}

export const sysmonFrontEnd = {
  name: 'sysmon',
  detect: (path: string, text: string) => looksLikeSysmon(path, text),
  parse: (path: string, text: string) => {
    // The generic loader decodes as UTF-8; UTF-16 and Latin-1 files need their bytes again.
    const needBytes = looksMisdecoded(text) || /^[^>]*encoding\s*=\s*["'](?!utf-?8)/i.test(text.slice(0, 200));
    if (needBytes) {
      try {
        const r = importSysmonBytes(path, readFileSync(path));
        return { policies: r.policies, diagnostics: r.diagnostics };
      } catch {
        // fall through to the text we were given
      }
    }
    const r = importSysmonText(path, text.replace(/^\ufeff/, ''));
    return { policies: r.policies, diagnostics: r.diagnostics };
  },
};
