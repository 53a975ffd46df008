// The `luna agent` process: options + config → sinks → Agent; SIGHUP reloads, SIGTERM/SIGINT
// detach and exit 0, a crash detaches (links are unpinned fds, so the kernel drops them too).

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticError, diag } from '../../policy/diagnostics.ts';
import type { Format } from '../cli/output.ts';
import { printJson } from '../cli/output.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../cli/exit-codes.ts';
import { JsonlSink } from '../sinks/jsonl.ts';
import { StdoutSink } from '../sinks/stdout.ts';
import type { Sink } from '../sinks/types.ts';
import { Agent } from './agent.ts';
import { readAgentConfig } from './config.ts';
import { agentAlive, readStatus } from './status.ts';

export async function runAgent(opts: Record<string, unknown>, format: Format): Promise<number> {
  const cfg = opts.config ? readAgentConfig(String(opts.config)) : {};
  const bundle = (opts.bundle as string | undefined) ?? cfg.bundle;
  if (!bundle) throw new DiagnosticError([diag('LUN8000', 'error', 'no bundle: give --bundle <file> or bundle: in --config')]);
  if (process.getuid?.() !== 0) throw new DiagnosticError([diag('LUN8009', 'error', 'the agent loads BPF programs and needs root')]);
  const sinks: Sink[] = [];
  const jsonl = opts.jsonl ? { path: String(opts.jsonl), rotateSize: opts.rotateSize as number | undefined, rotateCount: opts.rotateCount as number | undefined } : cfg.jsonl;
  if (jsonl) sinks.push(new JsonlSink({ path: jsonl.path, maxBytes: jsonl.rotateSize, keep: jsonl.rotateCount }));
  for (const url of (opts.report as string[] | undefined) ?? cfg.report ?? []) {
    const { ReportSink } = await import('../sinks/report.ts');
    sinks.push(await ReportSink.open(url, { spoolDir: join(String(opts.stateDir ?? cfg.stateDir ?? '/run/luna'), 'spool') }));
  }
  if (opts.stdout || cfg.stdout || !sinks.length) sinks.push(new StdoutSink());
  const stateDir = String(opts.stateDir ?? cfg.stateDir ?? '/run/luna');
  const keys = ((opts.key as string[] | undefined) ?? cfg.keys ?? []).map((k) => readFileSync(k, 'utf8'));
  const agent = new Agent({
    bundle,
    scopeCgroup: (opts.scopeCgroup as string | undefined) ?? cfg.scopeCgroup,
    dryRun: !!(opts.dryRun ?? cfg.dryRun),
    enforceSystemWide: !!opts.enforceSystemWide,
    fanotifyDirs: (opts.fanotifyDir as string[] | undefined) ?? cfg.fanotifyDirs,
    sinks,
    stateDir,
    keys,
    allowUnsigned: !!opts.allowUnsigned,
    scanDir: opts.scanDir as string | undefined,
    bpfStats: !!opts.bpfStats,
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await agent.stop();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(EXIT_OK));
  process.on('SIGINT', () => void stop(EXIT_OK));
  process.on('uncaughtException', (err) => {
    process.stderr.write(`error LUN8099: agent crashed: ${err.message}\n`);
    void stop(70);
  });
  process.on('SIGHUP', () => {
    // `luna agent reload --bundle X` leaves the new path in reload.json
    const req = join(stateDir, 'reload.json');
    let path: string | undefined;
    if (existsSync(req)) {
      try {
        path = (JSON.parse(readFileSync(req, 'utf8')) as { bundle?: string }).bundle;
      } catch {
        path = undefined;
      }
      rmSync(req, { force: true });
    }
    void agent.reload(path);
  });
  await agent.start();
  const s = agent.status();
  const line = `luna agent running (pid ${process.pid}, ${s.mode}${s.scopeCgroup ? `, scope ${s.scopeCgroup}` : ''}, revision ${s.active?.revision}); SIGHUP reloads, SIGTERM stops`;
  if (format === 'json') process.stderr.write(JSON.stringify({ message: line, status: s }) + '\n');
  else process.stderr.write(line + '\n');
  await new Promise<never>(() => undefined); // runs until a signal ends the process
  return EXIT_OK;
}

export async function requestReload(opts: { stateDir: string; bundle?: string; timeout: number }, format: Format): Promise<number> {
  const s = readStatus(opts.stateDir);
  if (!s || !agentAlive(s)) {
    process.stderr.write(`error LUN8020: no running agent found through ${opts.stateDir}/status.json\n`);
    return EXIT_USAGE;
  }
  if (opts.bundle) writeFileSync(join(opts.stateDir, 'reload.json'), JSON.stringify({ bundle: opts.bundle }));
  const before = s.history.length ? s.history[s.history.length - 1].at : '';
  const beforeLen = s.history.length;
  process.kill(s.pid, 'SIGHUP');
  const t0 = Date.now();
  while (Date.now() - t0 < opts.timeout) {
    await new Promise((r) => setTimeout(r, 100));
    const now = readStatus(opts.stateDir);
    const last = now?.history[now.history.length - 1];
    if (now && last && (now.history.length !== beforeLen || last.at !== before)) {
      if (format === 'json') printJson({ ok: last.ok, active: now.active, lastError: now.lastError });
      else process.stdout.write(last.ok ? `reloaded: revision ${now.active?.revision} (${now.active?.source})\n` : `reload refused: ${last.error}\nstill active: ${now.active?.source} revision ${now.active?.revision}\n`);
      return last.ok ? EXIT_OK : EXIT_FINDINGS;
    }
  }
  process.stderr.write('error LUN8021: the agent did not report the reload in time\n');
  return EXIT_USAGE;
}
