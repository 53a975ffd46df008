import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { escapeBanner, BANNER_CAP } from '../../../scanner/identify/banner.ts';
import { PARSERS } from '../../../scanner/identify/parsers/index.ts';
import { parseMysql } from '../../../scanner/identify/parsers/mysql.ts';
import { parseMongodb, bsonTopLevel } from '../../../scanner/identify/parsers/mongodb.ts';
import { parseMinecraft, writeVarInt, readVarInt } from '../../../scanner/identify/parsers/minecraft.ts';
import { parseAmqp } from '../../../scanner/identify/parsers/amqp.ts';
import { parseNmapServiceProbes } from '../../../scanner/identify/nmap-probes.ts';
import { compileProbeFile, builtinProbes } from '../../../scanner/identify/probe-data.ts';
import { matchData } from '../../../scanner/identify/identify.ts';

describe('banner escaping', () => {
  it('keeps printable ASCII, escapes the rest, caps at 4 KiB', () => {
    expect(escapeBanner(Buffer.from('SSH-2.0-x\r\n\x00\xff\\', 'latin1'))).toBe('SSH-2.0-x\\r\\n\\x00\\xff\\\\');
    expect(escapeBanner(Buffer.alloc(BANNER_CAP + 10, 0x41)).length).toBe(BANNER_CAP + 1);
  });
  it('never emits control or non-ASCII characters (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(escapeBanner(bytes)).toMatch(/^[\x20-\x7e]*…?$/);
      }),
    );
  });
});

describe('structured parsers', () => {
  it('never throw on arbitrary bytes (property), and sometimes see their protocol', () => {
    const prefixes = [Buffer.from('INFO {"server_id":"x","version":"2.1.0"}\r\n'), Buffer.from([0x20, 2, 0, 0]), Buffer.from('HTTP/1.1 200 OK\r\n\r\n')];
    let recognised = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 300 }), (pick, tail) => {
        const data = pick < 3 ? Buffer.concat([prefixes[pick], tail]) : Buffer.from(tail);
        for (const p of Object.values(PARSERS)) {
          const r = p(data, { host: 'h', port: 1 });
          if (r) recognised++;
        }
      }),
      { numRuns: 400 },
    );
    expect(recognised).toBeGreaterThan(100);
  });

  it('MySQL handshake and MariaDB compat prefix; ERR packet', () => {
    const v = Buffer.from('\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\x00\x07\x00\x00\x00', 'latin1');
    const pkt = Buffer.concat([Buffer.from([v.length, 0, 0, 0]), v]);
    expect(parseMysql(pkt)).toMatchObject({ product: 'MariaDB', version: '10.11.6' });
    const v2 = Buffer.from('\x0a8.0.36\x00\x01\x00\x00\x00', 'latin1');
    expect(parseMysql(Buffer.concat([Buffer.from([v2.length, 0, 0, 0]), v2]))).toMatchObject({ product: 'MySQL', version: '8.0.36' });
    const err = Buffer.from("\xff\x6a\x04Host '10.0.0.1' is not allowed to connect to this MySQL server", 'latin1');
    expect(parseMysql(Buffer.concat([Buffer.from([err.length, 0, 0, 0]), err]))?.extra?.error_code).toBe(1130);
    expect(parseMysql(Buffer.from('SSH-2.0-OpenSSH'))).toBeNull();
  });

  it('MongoDB OP_MSG buildInfo reply', () => {
    const doc = Buffer.from([
      ...[0, 0, 0, 0],
      0x02, ...Buffer.from('version\0'), 6, 0, 0, 0, ...Buffer.from('7.0.5\0'),
      0x01, ...Buffer.from('ok\0'), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
      0,
    ]);
    doc.writeInt32LE(doc.length, 0);
    expect(bsonTopLevel(doc)).toEqual({ version: '7.0.5', ok: 1 });
    const head = Buffer.alloc(21);
    const msg = Buffer.concat([head, doc]);
    msg.writeInt32LE(msg.length, 0);
    msg.writeInt32LE(1, 4);
    msg.writeInt32LE(0x4c554e41, 8);
    msg.writeInt32LE(2013, 12);
    expect(parseMongodb(msg)).toMatchObject({ service: 'mongodb', product: 'MongoDB', version: '7.0.5' });
  });

  it('varints round-trip and Minecraft needs the whole JSON', () => {
    for (const n of [0, 1, 127, 128, 300, 2097151, 767]) expect(readVarInt(writeVarInt(n), 0)).toEqual([n, writeVarInt(n).length]);
    const json = Buffer.from(JSON.stringify({ version: { name: '1.20.4', protocol: 765 }, players: { online: 0, max: 10 }, description: 'hi' }));
    const body = Buffer.concat([Buffer.from([0]), writeVarInt(json.length), json]);
    const full = Buffer.concat([writeVarInt(body.length), body]);
    expect(parseMinecraft(full.subarray(0, full.length - 3))).toBeNull();
    expect(parseMinecraft(full)).toMatchObject({ version: '1.20.4', extra: { motd: 'hi', players_max: 10 } });
  });

  it('AMQP 1.0-only brokers answer with a protocol header', () => {
    expect(parseAmqp(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'))).toMatchObject({ service: 'amqp', version: '1.0.0' });
  });
});

describe('probe data', () => {
  it('the built-in file validates and compiles', () => {
    const set = builtinProbes();
    expect(set.probes.length).toBeGreaterThan(8);
    expect(set.matchers.length).toBeGreaterThan(20);
    expect(set.probes.map((p) => p.name)).toContain('null');
  });
  it('bad probe files give diagnostics at line:col', () => {
    const text = 'version: 1\nprobes:\n  - name: x\n    payload: ""\n    tls: maybe\nmatchers:\n  - name: y\n    service: s\n    pattern: "(unclosed"\n';
    const r = compileProbeFile('bad.yaml', text);
    const tls = r.diagnostics.find((d) => d.message.includes('tls'));
    expect(tls).toMatchObject({ code: 'LUN7102', span: { line: 5, col: 10 } });
    const text2 = 'version: 1\nprobes: []\nmatchers:\n  - name: y\n    service: s\n    pattern: "(unclosed"\n';
    expect(compileProbeFile('bad2.yaml', text2).diagnostics[0]).toMatchObject({ code: 'LUN7104', span: { line: 6 } });
  });
  it('matchers fill templates from captures and build CPEs', () => {
    const hit = matchData(Buffer.from('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n'), builtinProbes().matchers, { host: 'h', port: 22 });
    expect(hit).toMatchObject({ service: 'ssh', product: 'OpenSSH', version: '9.6p1', info: 'Ubuntu-3ubuntu13', cpe: 'cpe:/a:openbsd:openssh:9.6p1' });
  });
});

describe('nmap-service-probes reader (format only; test text written here, no nmap data)', () => {
  const sample = [
    '# a tiny file in nmap-service-probes format',
    'Probe TCP NULL q||',
    'totalwaitms 6000',
    'match luna-demo m|^LUNA-DEMO ([\\d.]+)\\r\\n| p/Luna demo daemon/ v/$1/ cpe:/a:luna:demo:$1/',
    'softmatch luna-soft m|^LUNA|i',
    'match broken m|(?>atomic)| p/x/',
    'Probe TCP Hello q|HELLO\\r\\n\\x00|',
    'ports 7000-7002,7010',
    'match hello m=^OLLEH= p/Hello/',
    'Probe UDP Ignored q|x|',
  ].join('\n');
  it('reads probes, ports, payload escapes, match templates; skips PCRE-only patterns', () => {
    const r = parseNmapServiceProbes(sample);
    expect(r.probes.map((p) => p.name)).toEqual(['nmap:NULL', 'nmap:Hello']);
    expect(r.skipped).toBe(1);
    expect(r.matchers).toBe(3);
    const hello = r.probes[1];
    expect([...hello.ports]).toEqual([7000, 7001, 7002, 7010]);
    expect(hello.payload('h', 1)).toEqual(Buffer.from('HELLO\r\n\x00', 'latin1'));
    const m = r.probes[0].matchers![0];
    expect(m).toMatchObject({ service: 'luna-demo', product: 'Luna demo daemon', version: '$1', cpe: 'cpe:/a:luna:demo:$1' });
    const hit = matchData(Buffer.from('LUNA-DEMO 1.4\r\n'), r.probes[0].matchers!, { host: 'h', port: 1 });
    expect(hit).toMatchObject({ product: 'Luna demo daemon', version: '1.4', cpe: 'cpe:/a:luna:demo:1.4' });
  });
});

describe('a user-installed nmap-service-probes (read at run time, never shipped)', () => {
  const file = '/usr/share/nmap/nmap-service-probes';
  it('parses the installed file and its matchers identify a real banner', async (ctx) => {
    const { existsSync, readFileSync } = await import('node:fs');
    if (!existsSync(file)) {
      console.warn(`SKIP: ${file} not installed (apt-get install nmap)`);
      return ctx.skip('nmap not installed');
    }
    const r = parseNmapServiceProbes(readFileSync(file, 'utf8'));
    expect(r.probes.length).toBeGreaterThan(50);
    expect(r.matchers).toBeGreaterThan(5000);
    const nul = r.probes.find((p) => p.name === 'nmap:NULL')!;
    const hit = matchData(Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'), nul.matchers!, { host: 'h', port: 22 });
    expect(hit?.service).toBe('ssh');
    expect(hit?.product).toBe('OpenSSH');
    expect(hit?.version).toBe('9.2p1 Debian 2+deb12u3');
  }, 30000);
});

describe('Tor ORPort heuristic', () => {
  it('recognises a relay link certificate by its random www names', async () => {
    const { torLike } = await import('../../../scanner/identify/identify.ts');
    const t = (subject: string, issuer: string) => ({ protocol: 'TLSv1.3', cipher: null, alpn: null, subject, issuer, validFrom: null, validTo: null, fingerprint256: null, selfSigned: subject === issuer, sans: null });
    expect(torLike(t('CN=www.k3mrdqsk2b7z.net', 'CN=www.q7xbcfe4vdy2jz.com'))).toBe(true);
    expect(torLike(t('CN=www.example.com, O=Example', 'CN=R3, O=Let\'s Encrypt, C=US'))).toBe(false);
    expect(torLike(t('CN=www.abcdefgh.net', 'CN=www.abcdefgh.net'))).toBe(false); // self-issued: not Tor's shape
  });
});
