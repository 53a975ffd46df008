// A structured parser turns a binary protocol answer into facts. It returns null when the
// bytes are not (yet) that protocol; `soft` asks the caller to keep reading for a better answer.

export interface ParsedService {
  service: string;
  product: string | null;
  version: string | null;
  extra?: Record<string, string | number | boolean>;
  soft?: boolean;
}

export type Parser = (data: Buffer, ctx: { host: string; port: number }) => ParsedService | null;
