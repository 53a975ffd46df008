// Servers the identification tests start on loopback: HTTP, HTTPS (certificate made by openssl
// in a temp dir), a Minecraft server-list-ping responder, a set of hostile servers, and the
// real sshd / vsftpd daemons from Debian on high ports with temp configs (killed by pid).

import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readVarInt } from '../../../scanner/identify/parsers/minecraft.ts';

export interface Started {
  port: number;
  stop(): Promise<void>;
  info?: Record<string, unknown>;
}

function portOf(s: net.Server): number {
  return (s.address() as net.AddressInfo).port;
}
function listenOn(s: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(portOf(s)));
  });
}
function closer(s: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const c of sockets) c.destroy();
      s.close(() => resolve());
    });
}
function tracked(s: net.Server): Set<net.Socket> {
  const set = new Set<net.Socket>();
  s.on('connection', (c: net.Socket) => {
    set.add(c);
    c.on('error', () => {});
    c.on('close', () => set.delete(c));
  });
  return set;
}

export async function startHttp(): Promise<Started> {
  const s = http.createServer((_req, res) => {
    res.setHeader('Server', 'LunaTestHTTP/1.2.3');
    res.setHeader('Content-Type', 'text/html');
    res.end('<html><head><title>Luna <b>test</b> page</title></head><body>hi</body></html>');
  });
  const sockets = tracked(s);
  return { port: await listenOn(s), stop: closer(s, sockets) };
}

export function makeCert(dir: string, cn: string): { key: string; cert: string } {
  const key = join(dir, `${cn}.key`);
  const cert = join(dir, `${cn}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${cn}/O=Luna Test`, '-addext', `subjectAltName=DNS:${cn}`], { stdio: 'pipe' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

export async function startHttps(dir: string): Promise<Started & { sni: string[] }> {
  const { key, cert } = makeCert(dir, 'luna-test.local');
  const sni: string[] = [];
  const s = https.createServer({ key, cert, ALPNProtocols: ['http/1.1'], SNICallback: (name, cb) => { sni.push(name); cb(null); } }, (_req, res) => {
    res.setHeader('Server', 'LunaTestTLS/2.0');
    res.end('<title>secure</title>');
  });
  const sockets = tracked(s);
  return { port: await listenOn(s), stop: closer(s, sockets), sni };
}

export async function startMinecraft(): Promise<Started> {
  const status = JSON.stringify({ version: { name: '1.21.1', protocol: 767 }, players: { max: 20, online: 3 }, description: { text: 'Luna test realm' } });
  const s = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 4096) return void c.destroy();
      try {
        answer();
      } catch {
        c.destroy(); // not a server-list ping (other scanners' probes): hang up
      }
    });
    const answer = () => {
      // Wait for handshake + status request (two framed packets), then answer.
      const first = readVarInt(buf, 0);
      if (!first) return;
      const secondAt = first[1] + first[0];
      const second = readVarInt(buf, secondAt);
      if (!second || buf.length < secondAt + second[1] + second[0]) return;
      const json = Buffer.from(status, 'utf8');
      const body = Buffer.concat([Buffer.from([0]), varint(json.length), json]);
      c.write(Buffer.concat([varint(body.length), body]));
    };
  });
  const sockets = tracked(s);
  return { port: await listenOn(s), stop: closer(s, sockets) };
}

function varint(v: number): Buffer {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

export type HostileKind = 'endless' | 'garbage' | 'drip' | 'reset' | 'silent' | 'huge-line';

export async function startHostile(kind: HostileKind): Promise<Started> {
  const timers = new Set<ReturnType<typeof setInterval>>();
  const s = net.createServer((c) => {
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => (c.destroyed ? clearInterval(t) : fn()), ms);
      timers.add(t);
      c.on('close', () => {
        clearInterval(t);
        timers.delete(t);
      });
    };
    switch (kind) {
      case 'endless': {
        const chunk = Buffer.alloc(16384, 'A');
        const pump = () => {
          while (!c.destroyed && c.write(chunk));
        };
        c.on('drain', pump);
        pump();
        break;
      }
      case 'garbage':
        c.write(Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff)));
        break;
      case 'drip':
        every(150, () => c.write('2'));
        break;
      case 'reset':
        c.resetAndDestroy();
        break;
      case 'huge-line':
        c.write('220 ' + '\x1b[31m<script>alert(1)</script>\'; DROP TABLE scans; --'.repeat(300) + '\r\n');
        break;
      case 'silent':
        break;
    }
  });
  const sockets = tracked(s);
  const stop = closer(s, sockets);
  return {
    port: await listenOn(s),
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await stop();
    },
  };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  const p = await listenOn(s);
  await new Promise((r) => s.close(r));
  return p;
}

async function waitListening(port: number, child: ChildProcess, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('daemon did not start listening');
}

// Daemons still running when this process exits (a crash, an uncaught error) die with it.
const liveDaemons = new Set<number>();
process.on('exit', () => {
  for (const pid of liveDaemons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

function killer(child: ChildProcess, dir: string): () => Promise<void> {
  if (child.pid) liveDaemons.add(child.pid);
  child.once('exit', () => child.pid && liveDaemons.delete(child.pid));
  return async () => {
    if (child.pid && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {}
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {}
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Debian's OpenSSH server on a random loopback port, or a reason it cannot run. */
export async function startSshd(): Promise<Started | { skipReason: string }> {
  if (!existsSync('/usr/sbin/sshd')) return { skipReason: 'openssh-server is not installed (scripts/apt-packages.txt lists it)' };
  const dir = mkdtempSync(join(tmpdir(), 'luna-sshd-'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')], { stdio: 'pipe' });
    mkdirSync('/run/sshd', { recursive: true });
    const port = await freePort();
    writeFileSync(join(dir, 'sshd_config'), [`ListenAddress 127.0.0.1`, `Port ${port}`, `HostKey ${dir}/hostkey`, 'PidFile none', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', ''].join('\n'));
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
    await waitListening(port, child);
    return { port, stop: killer(child, dir), info: { version: debianUpstreamVersion('openssh-server') } };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { skipReason: `cannot start sshd: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Debian's vsftpd on a random loopback port with a temp config. */
export async function startVsftpd(): Promise<Started | { skipReason: string }> {
  if (!existsSync('/usr/sbin/vsftpd')) return { skipReason: 'vsftpd is not installed (scripts/apt-packages.txt lists it)' };
  const dir = mkdtempSync(join(tmpdir(), 'luna-ftpd-'));
  try {
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, 'anon'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'vsftpd.conf'),
      ['listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'anonymous_enable=YES', `anon_root=${dir}/anon`, 'no_anon_password=YES', 'local_enable=NO', 'write_enable=NO', 'background=NO', `secure_chroot_dir=${dir}/empty`, 'seccomp_sandbox=NO', ''].join('\n'),
    );
    const child = spawn('/usr/sbin/vsftpd', [join(dir, 'vsftpd.conf')], { stdio: 'ignore' });
    await waitListening(port, child);
    return { port, stop: killer(child, dir), info: { version: debianUpstreamVersion('vsftpd') } };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { skipReason: `cannot start vsftpd: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** "1:9.2p1-2+deb12u3" → "9.2p1": the upstream version of an installed Debian package. */
export function debianUpstreamVersion(pkg: string): string | null {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return v.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  } catch {
    return null;
  }
}
