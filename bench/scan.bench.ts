// Luna's scanner side by side with nmap from Debian, in one run:
//  1. full 65,535-port TCP connect scan of 127.0.0.1: `nmap -sT -p- -T5 127.0.0.1` vs
//     `luna scan --target 127.0.0.1 --ports 1-65535 --format jsonl` (whole processes, wall time)
//     and Luna's engine in-process (no Node start-up);
//  2. service identification on the machine's services plus servers started here:
//     `nmap -sV -p <ports>` vs `luna scan --identify`, with per-port agreement.
// Prints medians over several alternating repetitions and the ratios.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectScan } from '../scanner/engine/connect-scan.ts';
import { startHttp, startHttps, startMinecraft, startSshd, startVsftpd, type Started } from '../test/scanner/helpers/servers.ts';

const repo = resolve(import.meta.dirname, '..');
const luna = join(repo, 'bin/luna');
const FULL_REPS = Number(process.env.SCAN_BENCH_REPS ?? 5);
const SV_REPS = Number(process.env.SCAN_BENCH_SV_REPS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const TIME = existsSync('/usr/bin/time');

/** Wall time, plus the child's CPU time (user+sys) via /usr/bin/time when available. */
function timed(cmd: string, args: string[]): Promise<{ ms: number; cpuMs: number; stdout: string; code: number }> {
  return new Promise((res) => {
    const t0 = performance.now();
    const c = TIME ? spawn('/usr/bin/time', ['-f', 'LUNA-CPU %U %S', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr?.on('data', (d) => (stderr += d));
    c.on('close', (code) => {
      const m = /LUNA-CPU ([\d.]+) ([\d.]+)/.exec(stderr);
      res({ ms: performance.now() - t0, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, stdout, code: code ?? -1 });
    });
  });
}

function openPortsNmap(xml: string): number[] {
  return [...xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="open"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

interface Ident { service: string; product: string; version: string }
function nmapServices(xml: string): Map<number, Ident> {
  const out = new Map<number, Ident>();
  for (const m of xml.matchAll(/<port protocol="tcp" portid="(\d+)">(.*?)<\/port>/gs)) {
    const svc = /<service ([^>]*?)\/?>/.exec(m[2])?.[1] ?? '';
    const attr = (k: string) => new RegExp(`\\b${k}="([^"]*)"`).exec(svc)?.[1] ?? '';
    const tunnel = attr('tunnel');
    let name = attr('name');
    let product = attr('product');
    let version = attr('version');
    // A port-table guess is not an identification.
    if (attr('method') === 'table') name = 'unknown';
    // nmap names Mosquitto's $SYS answer as the service name ("mosquitto version 2.0.11").
    const sys = /^(\w+) version ([\w.]+)$/.exec(name);
    if (sys) [name, product, version] = [sys[1].toLowerCase() === 'mosquitto' ? 'mqtt' : sys[1], sys[1], sys[2]];
    out.set(Number(m[1]), { service: (tunnel ? `${tunnel}/` : '') + name, product, version });
  }
  return out;
}

// Names for the same thing differ between the tools; compare meaning, not spelling.
const SAME: Record<string, string> = { 'ssl/http': 'https', 'ssl/https': 'https', postgres: 'postgresql', 'minecraft': 'minecraft', 'nats': 'nats', 'ms-sql-s': 'mssql' };
const canon = (s: string) => SAME[s.toLowerCase()] ?? s.toLowerCase();

function verdict(n: Ident | undefined, l: Ident | undefined): string {
  const nSvc = n?.service && !['unknown', 'tcpwrapped'].includes(n.service) ? canon(n.service).replace(/^ssl\/unknown$/, 'ssl') : '';
  const lSvc = l?.service && !['unknown', 'tcpwrapped'].includes(l.service) ? canon(l.service) : '';
  if (!nSvc && !lSvc) return 'both unknown';
  if (!lSvc) return 'nmap better';
  if (!nSvc) return 'luna better';
  if (nSvc === 'ssl' && (lSvc === 'https' || lSvc.startsWith('ssl/'))) return 'luna better';
  if (nSvc !== lSvc) return `differ`;
  const nv = n!.version ? 1 : 0;
  const lv = l!.version ? 1 : 0;
  if (lv > nv) return 'same service, luna has version';
  if (nv > lv) return 'same service, nmap has version';
  return 'agree';
}

async function main(): Promise<void> {
  const nmap = spawnSync('nmap', ['--version'], { encoding: 'utf8' });
  if (nmap.status !== 0) {
    console.log('SKIP: nmap is not installed (apt-get install nmap; scripts/apt-packages.txt lists it)');
    return;
  }
  console.log(nmap.stdout.split('\n')[0]);

  // ---- 1. full port scan -------------------------------------------------------------
  const nm: number[] = [];
  const lc: number[] = [];
  const nmCpu: number[] = [];
  const lcCpu: number[] = [];
  const le: number[] = [];
  let nmOpen: number[] = [];
  let lOpen: number[] = [];
  console.log(`load average before: ${readFileSync('/proc/loadavg', 'utf8').trim()} (2 cores shared; figures scale with it)`);
  for (let i = 0; i < (process.env.SCAN_BENCH_ONLY === 'sv' ? 0 : FULL_REPS); i++) {
    const a = await timed('nmap', ['-sT', '-p-', '-T5', '-n', '-oX', '-', '127.0.0.1']);
    nm.push(a.ms);
    nmCpu.push(a.cpuMs);
    nmOpen = openPortsNmap(a.stdout);
    const b = await timed(luna, ['scan', '--target', '127.0.0.1', '--ports', '1-65535', '--format', 'jsonl']);
    lc.push(b.ms);
    lcCpu.push(b.cpuMs);
    lOpen = b.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).port).sort((x: number, y: number) => x - y);
    const t0 = performance.now();
    await connectScan([{ name: '127.0.0.1', address: '127.0.0.1', family: 4 }], Array.from({ length: 65535 }, (_, k) => k + 1));
    le.push(performance.now() - t0);
  }
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  if (nm.length) console.log(`\nFull 65,535-port loopback connect scan (${FULL_REPS} alternating runs, median wall time)`);
  if (nm.length) {
  console.log(`  nmap -sT -p- -T5 -n 127.0.0.1        ${fmt(median(nm))}   (runs: ${nm.map(fmt).join(', ')})`);
  console.log(`  luna scan (whole CLI process)         ${fmt(median(lc))}   (runs: ${lc.map(fmt).join(', ')})`);
  console.log(`  luna engine in-process                ${fmt(median(le))}   (runs: ${le.map(fmt).join(', ')})`);
  console.log(`  ratio nmap/luna-cli = ${(median(nm) / median(lc)).toFixed(2)}×, nmap/luna-engine = ${(median(nm) / median(le)).toFixed(2)}×  (>1 means Luna is faster)`);
  if (TIME) console.log(`  CPU time (user+sys, median): nmap ${fmt(median(nmCpu))}, luna ${fmt(median(lcCpu))} — on a busy machine wall time follows CPU share`);
  const same = JSON.stringify(nmOpen) === JSON.stringify(lOpen);
  console.log(`  open ports agree: ${same ? 'yes' : 'NO'} (nmap ${nmOpen.join(',')} | luna ${lOpen.join(',')})`);
  }

  // ---- 2. service identification ---------------------------------------------------------
  if (process.env.SCAN_BENCH_ONLY === 'full') return;
  const dir = mkdtempSync(join(tmpdir(), 'luna-bench-'));
  const started: Started[] = [];
  const labels = new Map<number, string>([[3306, 'MariaDB'], [5432, 'PostgreSQL'], [6379, 'Redis'], [5672, 'RabbitMQ'], [1883, 'Mosquitto'], [4222, 'NATS']]);
  try {
    const add = async (label: string, p: Promise<Started | { skipReason: string }>) => {
      const s = await p;
      if ('skipReason' in s) console.log(`  (no ${label}: ${s.skipReason})`);
      else {
        started.push(s);
        labels.set(s.port, label);
      }
    };
    await add('HTTP (node)', startHttp());
    await add('HTTPS (node, openssl cert)', startHttps(dir));
    await add('Minecraft SLP', startMinecraft());
    await add('OpenSSH (Debian)', startSshd());
    await add('vsftpd (Debian)', startVsftpd());
    const ports = [...labels.keys()].sort((a, b) => a - b);
    const portArg = ports.join(',');
    const nt: number[] = [];
    const lt: number[] = [];
    let nIds = new Map<number, Ident>();
    let lIds = new Map<number, Ident>();
    // Our test servers live in this process: run the tools asynchronously so they can answer.
    for (let i = 0; i < SV_REPS; i++) {
      const a = await timed('nmap', ['-sV', '-sT', '-n', '-T5', '-p', portArg, '-oX', '-', '127.0.0.1']);
      nt.push(a.ms);
      nIds = nmapServices(a.stdout);
      const b = await timed(luna, ['scan', '--target', '127.0.0.1', '--ports', portArg, '--identify', '--format', 'jsonl']);
      lt.push(b.ms);
      lIds = new Map(
        b.stdout.trim().split('\n').filter(Boolean).map((l) => {
          const j = JSON.parse(l);
          return [j.port, { service: j.service ?? '', product: j.product ?? '', version: j.version ?? '' }];
        }),
      );
    }
    console.log(`\nService identification on ${ports.length} loopback ports (${SV_REPS} alternating runs, median wall time)`);
    console.log(`  nmap -sV -sT -T5 -p <ports>           ${fmt(median(nt))}   (runs: ${nt.map(fmt).join(', ')})`);
    console.log(`  luna scan --identify                  ${fmt(median(lt))}   (runs: ${lt.map(fmt).join(', ')})`);
    console.log(`  ratio nmap/luna = ${(median(nt) / median(lt)).toFixed(2)}×  (>1 means Luna is faster)`);
    console.log('\n  port   server                      nmap                                         luna                                         verdict');
    const tally: Record<string, number> = {};
    for (const p of ports) {
      const n = nIds.get(p);
      const l = lIds.get(p);
      const v = verdict(n, l);
      tally[v] = (tally[v] ?? 0) + 1;
      const show = (x?: Ident) => (x ? `${x.service} ${x.product} ${x.version}`.trim().slice(0, 44) : '-');
      console.log(`  ${String(p).padEnd(6)} ${labels.get(p)!.padEnd(27)} ${show(n).padEnd(44)} ${show(l).padEnd(44)} ${v}`);
    }
    console.log(`\n  identification: ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    console.log(`  load average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  } finally {
    for (const s of started) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
