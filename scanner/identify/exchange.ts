// One probe exchange: connect (plain or TLS), send the payload, read the answer until the
// caller's matcher is satisfied, the peer closes, the size cap is hit or the deadline passes.
// Every path ends the socket; nothing a hostile peer does (endless data, slow drip, reset,
// garbage) can keep it open past the deadline or grow memory past the cap.

import net from 'node:net';
import tls from 'node:tls';
import type { TlsInfo } from '../types.ts';

export type Decision = 'done' | 'soft' | 'more';

export interface ExchangeOptions {
  address: string;
  family: 4 | 6;
  port: number;
  /** Host name for SNI (omitted for literal addresses). */
  servername?: string;
  tls: boolean;
  payload: Buffer;
  connectTimeoutMs: number;
  /** Reading time after the connection (and handshake) is up. */
  waitMs: number;
  /** Extra time after a soft match, for the rest of the answer. */
  softWaitMs?: number;
  cap: number;
  decide(data: Buffer): Decision;
}

export interface ExchangeResult {
  data: Buffer;
  connected: boolean;
  tls?: TlsInfo;
  error?: string;
  /** The peer closed (FIN or RST) before we were done. */
  closed: boolean;
  timedOut: boolean;
  capped: boolean;
  decision: Decision;
  ms: number;
}

function certName(x: Record<string, unknown> | undefined): string | null {
  if (!x || typeof x !== 'object') return null;
  const parts: string[] = [];
  for (const k of ['CN', 'O', 'OU', 'L', 'ST', 'C']) {
    const v = x[k];
    if (typeof v === 'string') parts.push(`${k}=${v}`);
    else if (Array.isArray(v)) parts.push(`${k}=${v.join('+')}`);
  }
  return parts.length ? parts.join(', ') : null;
}

export function tlsInfoOf(sock: tls.TLSSocket): TlsInfo {
  const cert = sock.getPeerCertificate() as tls.PeerCertificate & { subjectaltname?: string };
  const has = cert && Object.keys(cert).length > 0;
  const subject = has ? certName(cert.subject as unknown as Record<string, unknown>) : null;
  const issuer = has ? certName(cert.issuer as unknown as Record<string, unknown>) : null;
  return {
    protocol: sock.getProtocol() ?? null,
    cipher: sock.getCipher()?.name ?? null,
    alpn: typeof sock.alpnProtocol === 'string' ? sock.alpnProtocol : null,
    subject,
    issuer,
    validFrom: has && cert.valid_from ? new Date(cert.valid_from).toISOString() : null,
    validTo: has && cert.valid_to ? new Date(cert.valid_to).toISOString() : null,
    fingerprint256: has ? (cert.fingerprint256 ?? null) : null,
    selfSigned: has ? subject === issuer : false,
    sans: has && cert.subjectaltname ? cert.subjectaltname.slice(0, 512) : null,
  };
}

export function exchange(o: ExchangeOptions): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let connected = false;
    let settled = false;
    let decision: Decision = 'more';
    let tlsInfo: TlsInfo | undefined;
    let timer: ReturnType<typeof setTimeout>;
    const out: Partial<ExchangeResult> = { closed: false, timedOut: false, capped: false };

    const sock: net.Socket = o.tls
      ? tls.connect({
          host: o.address,
          port: o.port,
          servername: o.servername,
          ALPNProtocols: ['http/1.1', 'h2'],
          rejectUnauthorized: false,
          minVersion: 'TLSv1',
        })
      : net.connect({ host: o.address, port: o.port, family: o.family });

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.on('error', () => {});
      sock.destroy();
      const data = Buffer.concat(chunks, size);
      resolve({ data, connected, tls: tlsInfo, closed: !!out.closed, timedOut: !!out.timedOut, capped: !!out.capped, error: out.error, decision, ms: Math.round(performance.now() - started) });
    };
    const deadline = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        out.timedOut = true;
        finish();
      }, ms);
    };

    deadline(o.connectTimeoutMs + (o.tls ? o.connectTimeoutMs : 0));
    sock.on(o.tls ? 'secureConnect' : 'connect', () => {
      connected = true;
      if (o.tls) tlsInfo = tlsInfoOf(sock as tls.TLSSocket);
      deadline(o.waitMs);
      if (o.payload.length) sock.write(o.payload);
    });
    sock.on('data', (chunk: Buffer) => {
      const room = o.cap - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        out.capped = true;
      } else {
        chunks.push(chunk);
        size += chunk.length;
      }
      decision = o.decide(Buffer.concat(chunks, size));
      if (decision === 'done' || out.capped) return finish();
      if (decision === 'soft') deadline(Math.min(o.softWaitMs ?? 300, o.waitMs));
    });
    sock.on('end', () => {
      out.closed = true;
      finish();
    });
    sock.on('close', () => {
      out.closed = true;
      finish();
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      out.error = err.code ?? err.message;
      if (err.code === 'ECONNRESET') out.closed = true;
      finish();
    });
  });
}
