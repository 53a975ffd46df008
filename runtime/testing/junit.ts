// JUnit XML for CI systems: one <testsuite> per (policy, engine), one <testcase> per test.

import { location, type Diagnostic } from '../../policy/diagnostics.ts';
import type { TestOutcome } from './run.ts';

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // XML 1.0 forbids most control characters even when escaped.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A test case from another runner (e.g. property tests), written as its own suite. */
export interface ExtraCase {
  classname: string;
  name: string;
  time?: number;
  failure?: { message: string; body: string };
  skipped?: string;
}

export function toJUnitXml(
  outcomes: readonly TestOutcome[],
  opts: { name?: string; timeMs?: number; extra?: { suite: string; cases: readonly ExtraCase[] } } = {},
): string {
  const suites = new Map<string, TestOutcome[]>();
  for (const o of outcomes) {
    const key = `${o.policy}\u0000${o.engine}`;
    const list = suites.get(key) ?? [];
    list.push(o);
    suites.set(key, list);
  }
  const extra = opts.extra?.cases ?? [];
  const failures = outcomes.filter((o) => !o.passed).length + extra.filter((c) => c.failure).length;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites name="${xmlEscape(opts.name ?? 'luna test')}" tests="${outcomes.length + extra.length}" failures="${failures}" errors="0"${opts.timeMs !== undefined ? ` time="${(opts.timeMs / 1000).toFixed(3)}"` : ''}>`,
  );
  for (const list of suites.values()) {
    const { policy, engine, file } = list[0];
    const f = list.filter((o) => !o.passed).length;
    lines.push(
      `  <testsuite name="${xmlEscape(`${policy} [${engine}]`)}" tests="${list.length}" failures="${f}" errors="0" skipped="0"${file ? ` file="${xmlEscape(file)}"` : ''}>`,
    );
    for (const o of list) {
      const where = o.span ? ` file="${xmlEscape(o.span.file)}" line="${o.span.line}"` : o.file ? ` file="${xmlEscape(o.file)}"` : '';
      const open = `    <testcase classname="${xmlEscape(`${policy}.${engine}`)}" name="${xmlEscape(o.test)}"${where}`;
      if (o.passed) lines.push(`${open}/>`);
      else {
        lines.push(`${open}>`);
        lines.push(`      <failure message="${xmlEscape(o.reasons[0] ?? 'failed')}" type="AssertionError">${xmlEscape(o.reasons.join('\n'))}</failure>`);
        lines.push('    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  if (opts.extra && extra.length) {
    const f = extra.filter((c) => c.failure).length;
    const sk = extra.filter((c) => c.skipped !== undefined && !c.failure).length;
    lines.push(`  <testsuite name="${xmlEscape(opts.extra.suite)}" tests="${extra.length}" failures="${f}" errors="0" skipped="${sk}">`);
    for (const c of extra) {
      const open = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="${((c.time ?? 0) / 1000).toFixed(3)}"`;
      if (c.failure) {
        lines.push(`${open}>`);
        lines.push(`      <failure message="${xmlEscape(c.failure.message)}" type="PropertyFailure">${xmlEscape(c.failure.body)}</failure>`);
        lines.push('    </testcase>');
      } else if (c.skipped !== undefined) {
        lines.push(`${open}>`);
        lines.push(`      <skipped message="${xmlEscape(c.skipped)}"/>`);
        lines.push('    </testcase>');
      } else lines.push(`${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

/** The policies did not load: one <error> case per error diagnostic, so CI shows why. */
export function loadErrorsJUnit(diags: readonly Diagnostic[]): string {
  const errors = diags.filter((d) => d.severity === 'error');
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="luna test" tests="${errors.length}" failures="0" errors="${errors.length}">`);
  lines.push(`  <testsuite name="load policies" tests="${errors.length}" failures="0" errors="${errors.length}" skipped="0">`);
  for (const d of errors) {
    const where = location(d);
    lines.push(`    <testcase classname="load" name="${xmlEscape(`${d.code} ${where}`)}">`);
    lines.push(`      <error message="${xmlEscape(d.message)}" type="${xmlEscape(d.code)}">${xmlEscape(`${where}: ${d.message}`)}</error>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
