// A rule's `scan "policy" target Field` action runs the named scan policy against the event's
// field value (here the loopback address of a NetworkConnect event).

import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicies } from '../../../policy/load.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import { runScanAction, findScanPolicy } from '../../../runtime/scan/scan-action.ts';

const dir = mkdtempSync(join(tmpdir(), 'luna-scanact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scan action', () => {
  it('a matching rule triggers the named scan policy on the event address', async () => {
    const srv = await new Promise<net.Server>((r) => {
      const s = net.createServer((c) => {
        c.on('error', () => {});
        c.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
      });
      s.listen(0, '127.0.0.1', () => r(s));
    });
    const port = (srv.address() as net.AddressInfo).port;
    try {
      writeFileSync(join(dir, 'probe.scan.yaml'), `name: probe-peer\ntargets: [192.0.2.1]\nports: [${port}]\nidentify: { probe_wait: 500ms }\nmetrics: false\n`);
      writeFileSync(
        join(dir, 'rules.luna'),
        `policy "react" version "1.0.0"\n\nrule scan_peer "Scan who we talked to" on NetworkConnect {\n  when DestinationPort == ${port}\n  action scan "probe-peer" target DestinationIp\n}\n`,
      );
      const loaded = await loadPolicies([join(dir, 'rules.luna')]);
      expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const event = { type: 'NetworkConnect', fields: { DestinationIp: '127.0.0.1', DestinationPort: port } };
      const [match] = createInterpreter(loaded.policies).match(event);
      const action = match.actions.find((a) => a.kind === 'scan');
      expect(action).toMatchObject({ kind: 'scan', policy: 'probe-peer', target: 'DestinationIp' });
      expect(findScanPolicy('probe-peer', [dir])?.ports).toEqual([port]);
      const r = await runScanAction(action as never, event, { policyPaths: [dir], stateDir: join(dir, 'state') });
      expect(r.refused).toBeUndefined();
      expect(r.target).toBe('127.0.0.1');
      const banner = r.run!.events.find((e) => e.type === 'ServiceBanner');
      expect(banner?.fields).toMatchObject({ ip: '127.0.0.1', port, service: 'ssh', product: 'OpenSSH', version: '9.2p1' });
      const bad = await runScanAction(action as never, { type: 'NetworkConnect', fields: { DestinationIp: "'; rm -rf /" } }, { policyPaths: [dir], stateDir: join(dir, 'state') });
      expect(bad.refused).toMatch(/not an address/);
      expect((await runScanAction({ kind: 'scan', policy: 'nope' }, event, { policyPaths: [dir], stateDir: dir })).refused).toMatch(/no scan policy/);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  }, 30000);
});
