// HTTP/1.x responses: status, Server header (split into product/version), page title.
// The body is never interpreted beyond finding a <title> as plain text.

import type { ParsedService } from './types.ts';

export function parseHttp(data: Buffer): ParsedService | null {
  if (data.length < 12 || data.toString('latin1', 0, 5) !== 'HTTP/') return null;
  const text = data.toString('latin1', 0, Math.min(data.length, 16384));
  const status = /^HTTP\/(\d\.\d) (\d{3})/.exec(text);
  if (!status) return null;
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd >= 0 ? text.slice(0, headEnd) : text;
  const server = /\r\nServer:[ \t]*([^\r\n]{0,200})/i.exec(head)?.[1]?.trim() ?? null;
  const extra: Record<string, string | number | boolean> = { http_status: Number(status[2]) };
  if (server) extra.http_server = server;
  let product: string | null = null;
  let version: string | null = null;
  if (server) {
    const m = /^([A-Za-z][\w.-]*?)(?:\/([\w.-]+))?(?:\s|$)/.exec(server);
    product = m ? m[1] : server;
    version = m?.[2] ?? null;
  }
  if (headEnd >= 0) {
    const title = /<title[^>]*>([^<]{0,300})/i.exec(text.slice(headEnd))?.[1]?.trim();
    if (title) extra.http_title = title;
  }
  // Wait for the body (for the title) unless the connection ends first.
  return { service: 'http', product, version, extra, soft: headEnd < 0 || !('http_title' in extra) };
}
