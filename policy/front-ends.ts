// The registry of policy front ends. loadPolicies() hands each file to the first front end
// whose detect() accepts it. Importers add one line each to FRONT_ENDS (order matters: more
// specific detectors go before general ones).

import type { Policy } from './ast.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseLunaText } from './syntax/parse.ts';
import { parseLunaYaml, looksLikeLunaYaml } from './yaml/parse.ts';
import { sigmaFrontEnd } from './import/sigma/front-end.ts';
import { sysmonFrontEnd } from './import/sysmon/index.ts';
import { moonmonFrontEnd } from './import/moonmon/index.ts';

export interface FrontEnd {
  name: string;
  detect(path: string, text: string): boolean;
  parse(path: string, text: string, opts?: Record<string, unknown>): { policies: Policy[]; diagnostics: Diagnostic[] };
}

export const lunaFrontEnd: FrontEnd = {
  name: 'luna',
  detect: (path) => path.endsWith('.luna'),
  parse: (path, text) => parseLunaText(path, text),
};

export const lunaYamlFrontEnd: FrontEnd = {
  name: 'luna-yaml',
  detect: (path, text) => /\.luna\.ya?ml$/.test(path) || (/\.ya?ml$/.test(path) && looksLikeLunaYaml(text)),
  parse: (path, text) => parseLunaYaml(path, text),
};

export const FRONT_ENDS: FrontEnd[] = [
  lunaFrontEnd,
  moonmonFrontEnd,
  lunaYamlFrontEnd,
  sigmaFrontEnd,
  sysmonFrontEnd,
];
