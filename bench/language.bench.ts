// The rule language front end, measured side by side in one run on the same generated pack
// (LUNA_BENCH_RULES rules, default 2,000, mixed operators, lists, macros, exceptions, tests):
//   - .luna: lex only, lex+parse+CST→AST, semantic check, format;
//   - the same policy as .luna.yaml: YAML parse + ajv schema + condition parsing;
//   - the shipped examples (load + check).
// Prints medians of LUNA_BENCH_REPS runs (default 7) and ratios.

import { resolve } from 'node:path';
import { checkPolicies } from '../policy/check.ts';
import { fmtExpr, formatPolicy } from '../policy/format.ts';
import { loadPolicies } from '../policy/load.ts';
import { lunaLexer } from '../policy/syntax/lexer.ts';
import { parseLunaText } from '../policy/syntax/parse.ts';
import { parseLunaYaml } from '../policy/yaml/parse.ts';

const RULES = Number(process.env.LUNA_BENCH_RULES ?? 2000);
const REPS = Number(process.env.LUNA_BENCH_REPS ?? 7);

function pack(n: number): string {
  const out = ['policy "bench" version "1.0.0"', 'list shells = ["/bin/sh", "/bin/bash", "/usr/bin/zsh"]', 'macro web = ParentImage endswith any ["/nginx", "/httpd"]'];
  for (let i = 0; i < n; i++) {
    const k = i % 5;
    const cond =
      k === 0 ? `web and Image in shells and CommandLine contains "x${i}"`
      : k === 1 ? `CommandLine =~ /payload-${i}\\s+-e/i or (Image endswith '\\tool-${i}.exe' and not User == "SYSTEM")`
      : k === 2 ? `Image startswith any ["/opt/a${i}/", "/srv/b${i}/"] and CurrentDirectory matches "/tmp/*${i}*"`
      : k === 3 ? `ProcessId > ${i} and hour(UtcTime) >= 22 and exists(ParentUser)`
      : `* contains "needle-${i}" or OriginalFileName in ["a${i}.exe", "b${i}.exe"]`;
    out.push(`rule R-${i} "rule ${i}" on ProcessCreate {\n  level high\n  tags [attack.t${1000 + (i % 900)}]\n  when ${cond}\n  except ok (User) { ("svc-${i}") }\n  action alert high\n}`);
  }
  for (let i = 0; i < n / 10; i++) out.push(`test "t${i}" on ProcessCreate {\n  event { Image: "/bin/bash", CommandLine: "x${i * 10}", ParentImage: "/usr/sbin/nginx" }\n  expect match R-${i * 10}\n}`);
  return out.join('\n\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const text = pack(RULES);
const parsed = parseLunaText('bench.luna', text);
if (parsed.diagnostics.length) throw new Error(`bench pack does not parse: ${parsed.diagnostics[0].message}`);
const policy = parsed.policies[0];
const yamlLines = ['luna: 1', 'policy: bench', 'version: 1.0.0', 'lists:', '  shells: ["/bin/sh", "/bin/bash", "/usr/bin/zsh"]', 'macros:', `  web: ${JSON.stringify(fmtExpr(policy.macros[0].condition))}`, 'rules:'];
for (const r of policy.rules) {
  yamlLines.push(`  - id: ${r.id}`, `    title: ${JSON.stringify(r.title)}`, '    on: ProcessCreate', '    level: high', `    tags: [${r.tags.join(', ')}]`, `    when: ${JSON.stringify(fmtExpr(r.condition))}`, `    except: [{ name: ok, fields: [User], values: [${JSON.stringify((r.exceptions[0].values[0][0] as { value: string }).value)}] }]`, '    action: alert high');
}
const yamlText = yamlLines.join('\n') + '\n';

const results: Record<string, number[]> = { lex: [], parse: [], check: [], format: [], yaml: [], examples: [] };
const examples = resolve(import.meta.dirname, '../examples');
for (let rep = 0; rep < REPS; rep++) {
  results.lex.push(time(() => lunaLexer.tokenize(text)));
  results.parse.push(time(() => parseLunaText('bench.luna', text)));
  results.check.push(time(() => checkPolicies([policy])));
  results.format.push(time(() => formatPolicy(policy)));
  results.yaml.push(time(() => parseLunaYaml('bench.luna.yaml', yamlText)));
  const t0 = performance.now();
  const loaded = await loadPolicies([`${examples}/linux`, `${examples}/windows`]);
  checkPolicies(loaded.policies);
  results.examples.push(performance.now() - t0);
}

const kb = (s: string) => (s.length / 1024).toFixed(0);
console.log(`pack: ${RULES} rules, ${policy.tests.length} tests, .luna ${kb(text)} KiB, .luna.yaml ${kb(yamlText)} KiB; median of ${REPS} runs`);
console.log('stage                          median ms   µs/rule   MB/s');
const row = (name: string, key: string, bytes: number) => {
  const m = median(results[key]);
  console.log(`${name.padEnd(30)} ${m.toFixed(1).padStart(9)} ${((m * 1000) / RULES).toFixed(1).padStart(9)} ${(bytes / 1e6 / (m / 1000)).toFixed(2).padStart(6)}`);
};
row('.luna lex', 'lex', text.length);
row('.luna lex+parse+AST', 'parse', text.length);
row('check (semantic)', 'check', text.length);
row('format', 'format', text.length);
row('.luna.yaml parse+schema+AST', 'yaml', yamlText.length);
console.log(`examples load+check (6 files)   ${median(results.examples).toFixed(1).padStart(9)}`);
console.log(`ratios: parse/lex ${(median(results.parse) / median(results.lex)).toFixed(2)}×, check/parse ${(median(results.check) / median(results.parse)).toFixed(2)}×, yaml/luna parse ${(median(results.yaml) / median(results.parse)).toFixed(2)}×, format/parse ${(median(results.format) / median(results.parse)).toFixed(2)}×`);
