// KernelTables → map entries, without the kernel: validation, key layout, longest-prefix flag
// merging (a longer report prefix must not hide a shorter block prefix), CIDR keys, inode
// entries from caseless paths, and the user-space matcher the fanotify worker uses.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateKernelTables, type KernelTables } from '../../schemas/kernel-tables.ts';
import { buildTables, matchPathEntries, resolveCaseless } from '../../driver/tables.ts';
import { CLS, H, P, T, kernelDev } from '../../driver/layout.ts';

const base = (entries: KernelTables['entries'], prefilter: KernelTables['prefilter'] = { ProcessCreate: 'matches' }): KernelTables => ({
  format: 'luna-kernel-tables',
  version: 1,
  prefilter,
  rules: [{ id: 'A', title: 'a' }, { id: 'B', title: 'b' }],
  entries,
});

describe('kernel tables', () => {
  it('validates the contract', () => {
    expect(validateKernelTables(base([]))).toEqual([]);
    const errs = validateKernelTables(base([
      { rule: 5, on: 'ProcessCreate', field: 'Image', op: 'eq', value: '/x', effect: 'block' },
      { rule: 0, on: 'ProcessCreate', field: 'CommandLine', op: 'eq', value: 'x', effect: 'report' },
      { rule: 0, on: 'ProcessCreate', field: 'Image', op: 'cidr', value: '/x', effect: 'report' },
      { rule: 0, on: 'ProcessCreate', field: 'Image', op: 'eq', value: '/Bin/X', effect: 'report' },
    ]));
    expect(errs.join('\n')).toMatch(/rule index out of range[\s\S]*not decidable[\s\S]*op 'cidr'[\s\S]*lowercase/);
    expect(() => buildTables({ ...base([]), format: 'nope' } as never, 0)).toThrow(/invalid kernel tables/);
  });

  it('merges shorter prefixes into longer ones so the LPM answer carries every hit', () => {
    const b = buildTables(base([
      { rule: 0, on: 'ProcessCreate', field: 'Image', op: 'startswith', value: '/tmp/', effect: 'block' },
      { rule: 1, on: 'ProcessCreate', field: 'Image', op: 'startswith', value: '/tmp/cache/', effect: 'report' },
    ]), 1);
    const prefixes = b.writes.filter((w) => w.map === 'path_prefix');
    expect(prefixes).toHaveLength(2);
    const long = prefixes.find((w) => w.key.readUInt32LE(0) === (2 + '/tmp/cache/'.length) * 8)!;
    expect(long.key[4]).toBe(1); // generation
    expect(long.key[5]).toBe(CLS.ProcessCreate);
    expect(long.key.subarray(6, 6 + 11).toString()).toBe('/tmp/cache/');
    expect(long.value.readUInt32LE(4)).toBe(T.block | T.report);
    expect(long.value.readUInt32LE(0)).toBe(0); // the blocking rule names the verdict
    expect(b.gen.has[CLS.ProcessCreate] & H.prefix).toBeTruthy();
    expect(b.gen.prefilter[CLS.ProcessCreate]).toBe(P.matches);
  });

  it('stores suffixes reversed and CIDRs as bit prefixes', () => {
    const b = buildTables(base([
      { rule: 0, on: 'ProcessCreate', field: 'Image', op: 'endswith', value: '/nc', effect: 'block' },
      { rule: 1, on: 'NetworkConnect', field: 'DestinationIp', op: 'cidr', value: '10.1.0.0/16', effect: 'block' },
      { rule: 1, on: 'NetworkConnect', field: 'DestinationIp', op: 'cidr', value: 'fe80::/10', effect: 'report' },
      { rule: 1, on: 'NetworkConnect', field: 'DestinationPort', op: 'eq', value: 4444, effect: 'block' },
    ], { NetworkConnect: 'all' }), 0);
    const suf = b.writes.find((w) => w.map === 'path_suffix')!;
    expect(suf.key.subarray(6, 9).toString()).toBe('cn/');
    const v4 = b.writes.find((w) => w.map === 'nets4')!;
    expect(v4.key.readUInt32LE(0)).toBe(8 + 16);
    expect([...v4.key.subarray(5, 9)]).toEqual([10, 1, 0, 0]);
    const v6 = b.writes.find((w) => w.map === 'nets6')!;
    expect(v6.key.readUInt32LE(0)).toBe(8 + 10);
    expect(v6.key[5]).toBe(0xfe);
    expect(v6.key[6] & 0xc0).toBe(0x80);
    const port = b.writes.find((w) => w.map === 'ports')!;
    expect(port.key.readUInt16LE(2)).toBe(4444);
    expect(b.gen.prefilter[CLS.NetworkConnect]).toBe(P.all);
    expect(b.gen.has[CLS.NetworkConnect]).toBe(H.v4 | H.v6 | H.port);
  });

  it('finds files for lowercase paths and adds their inodes (kernel dev_t encoding)', () => {
    const dir = mkdtempSync('/tmp/luna-Tables-');
    try {
      writeFileSync(join(dir, 'MixedCase.Bin'), 'x');
      const lowered = join(dir, 'MixedCase.Bin').toLowerCase();
      expect(resolveCaseless(lowered)).toEqual([join(dir, 'MixedCase.Bin')]);
      expect(resolveCaseless('/definitely/not/here')).toEqual([]);
      const b = buildTables(base([{ rule: 0, on: 'ProcessCreate', field: 'Image', op: 'eq', value: lowered, effect: 'block' }]), 0, { fanotify: true });
      const ino = b.writes.find((w) => w.map === 'inodes')!;
      const st = statSync(join(dir, 'MixedCase.Bin'), { bigint: true });
      expect(ino.key.readBigUInt64LE(8)).toBe(kernelDev(st.dev));
      expect(ino.key.readBigUInt64LE(16)).toBe(st.ino);
      expect(b.userEntries[0].inodes).toEqual([`${st.dev}:${st.ino}`]);
      expect(matchPathEntries(b.userEntries, 'ProcessCreate', '/elsewhere/hardlink', { dev: st.dev, ino: st.ino })?.rule).toBe(0);
      expect(matchPathEntries(b.userEntries, 'ProcessCreate', '/elsewhere/other', { dev: st.dev, ino: st.ino + 1n })).toBeUndefined();
      expect(matchPathEntries(b.userEntries, 'ProcessCreate', join(dir, 'MIXEDCASE.bin'))?.rule).toBe(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('kernelDev turns st_dev into MKDEV(major, minor)', () => {
    // major 8, minor 1 (sda1): new_encode_dev = 0x801
    expect(kernelDev(0x801n)).toBe((8n << 20n) | 1n);
    // major 259, minor 300: minor low byte + high bits
    const st = (300n & 0xffn) | (259n << 8n) | ((300n & ~0xffn) << 12n);
    expect(kernelDev(st)).toBe((259n << 20n) | 300n);
  });
});
