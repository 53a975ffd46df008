// CRC-32 (IEEE, reflected 0xEDB88320) as used by EVTX file and chunk checksums. Node ≥ 22.2
// ships it natively in zlib (much faster than a JS table loop over 64 KiB chunks).
import { crc32 as zcrc32 } from 'node:zlib';

/** CRC of buf[start, end), continuing from `crc` (0 to start) so several ranges can be chained. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  return zcrc32(buf.subarray(start, end), crc) >>> 0;
}
