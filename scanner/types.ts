// Shapes the scanner produces. Plain data (JSON-serialisable) so results cross worker threads,
// land in state files and become Luna events without conversion.

export type PortStateName = 'open' | 'closed' | 'filtered';

/** Numeric codes used in the packed worker results (one byte per job). */
export const STATE_OPEN = 1;
export const STATE_CLOSED = 2;
export const STATE_FILTERED = 3;
export const STATE_NAMES: Record<number, PortStateName> = { 1: 'open', 2: 'closed', 3: 'filtered' };

export interface PortResult {
  host: string;
  /** The address actually connected to (differs from host when host is a name). */
  address: string;
  port: number;
  proto: 'tcp';
  state: PortStateName;
  /** Why filtered: 'timeout' | 'unreachable'; absent otherwise. */
  reason?: string;
}

export interface ServiceInfo {
  service: string | null;
  product: string | null;
  version: string | null;
  cpe: string | null;
  /** Escaped printable rendering of the (size-capped) banner; never interpreted. */
  banner: string;
  /** The raw banner bytes, base64 (capped). */
  bannerB64: string;
  /** Which probe produced the answer and which matcher identified it. */
  probe: string | null;
  matcher: string | null;
  tls?: TlsInfo;
  /** Extra structured facts (players for Minecraft, server name for NATS, ...). */
  extra?: Record<string, string | number | boolean>;
}

export interface TlsInfo {
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  subject: string | null;
  issuer: string | null;
  validFrom: string | null;
  validTo: string | null;
  fingerprint256: string | null;
  selfSigned: boolean;
  sans: string | null;
}

export interface ScanStats {
  jobs: number;
  open: number;
  closed: number;
  filtered: number;
  retries: number;
  selfConnects: number;
  elapsedMs: number;
  workers: number;
  engine: 'syscall' | 'tcp-wrap' | 'net';
}
