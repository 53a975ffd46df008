// Banners are untrusted bytes: capped, kept binary-safe, rendered as an escaped printable
// string (never interpreted as markup, SQL or terminal escapes) plus base64 of the raw bytes.

export const BANNER_CAP = 4096;

/** Printable ASCII stays; \r \n \t and backslash are escaped; every other byte becomes \xNN. */
export function escapeBanner(bytes: Uint8Array, cap = BANNER_CAP): string {
  const n = Math.min(bytes.length, cap);
  let out = '';
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  if (bytes.length > cap) out += '…';
  return out;
}

export function bannerBase64(bytes: Uint8Array, cap = BANNER_CAP): string {
  return Buffer.from(bytes.subarray(0, Math.min(bytes.length, cap))).toString('base64');
}

/** Text fields pulled out of a banner (versions, titles) get the same treatment, shorter. */
export function cleanField(text: string | null | undefined, cap = 256): string | null {
  if (text === null || text === undefined) return null;
  const s = escapeBanner(Buffer.from(text, 'latin1'), cap).trim();
  return s === '' ? null : s;
}
