// A throw-away network namespace joined to the host by a veth pair with a private /30, with
// nftables rules inside the namespace: DROP on one port (→ filtered by timeout), ICMP
// host-unreachable REJECT on another (→ filtered, unreachable), nothing on the rest (→ closed
// by the namespace's kernel), and an optional listener (→ open). Traffic never leaves the
// machine. Everything is removed in cleanup(); if namespaces cannot be made, `skipReason` says why.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface TestNetns {
  name: string;
  hostAddr: string;
  nsAddr: string;
  dropPort: number;
  rejectPort: number;
  openPort: number;
  cleanup(): void;
}

function sh(args: string[]): void {
  execFileSync(args[0], args.slice(1), { stdio: 'pipe', timeout: 10000 });
}

export async function makeNetns(nodeBin: string): Promise<TestNetns | { skipReason: string }> {
  if (process.getuid?.() !== 0) return { skipReason: 'network namespaces need root' };
  const id = process.pid % 60000;
  const name = `luna-test-${process.pid}`;
  const a = `lt${id}a`;
  const b = `lt${id}b`;
  // 10.203.x.y/30 from the pid so parallel test processes don't collide.
  const base = (id % 16000) * 4;
  const net3 = 10 + Math.floor(base / 256) % 240;
  const hostAddr = `10.203.${net3}.${(base % 256) + 1}`;
  const nsAddr = `10.203.${net3}.${(base % 256) + 2}`;
  let child: ChildProcess | undefined;
  const cleanup = () => {
    if (child?.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {}
    }
    try {
      sh(['ip', 'netns', 'del', name]); // removes the veth pair and its route too
    } catch {}
    try {
      sh(['ip', 'link', 'del', a]);
    } catch {}
  };
  try {
    sh(['ip', 'netns', 'add', name]);
    sh(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    sh(['ip', 'link', 'set', b, 'netns', name]);
    sh(['ip', 'addr', 'add', `${hostAddr}/30`, 'dev', a]);
    sh(['ip', 'link', 'set', a, 'up']);
    sh(['ip', 'netns', 'exec', name, 'ip', 'addr', 'add', `${nsAddr}/30`, 'dev', b]);
    sh(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', b, 'up']);
    sh(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    const rules = [
      'add table inet lunatest',
      'add chain inet lunatest input { type filter hook input priority 0 ; }',
      'add rule inet lunatest input tcp dport 81 drop',
      'add rule inet lunatest input tcp dport 82 reject with icmp type host-unreachable',
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'pipe', 'pipe'], timeout: 10000 });
    child = spawn('ip', ['netns', 'exec', name, nodeBin, '-e', `require('net').createServer(s=>{s.on('error',()=>{});s.end('hi\\r\\n')}).listen(8080,'${nsAddr}',()=>console.log('up'))`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('namespace listener did not start')), 10000);
      child!.stdout!.once('data', () => {
        clearTimeout(t);
        resolve();
      });
      child!.once('exit', (c) => reject(new Error(`namespace listener exited ${c}`)));
    });
    return { name, hostAddr, nsAddr, dropPort: 81, rejectPort: 82, openPort: 8080, cleanup };
  } catch (err) {
    cleanup();
    return { skipReason: `cannot set up a network namespace: ${(err as Error).message.split('\n')[0]}` };
  }
}
