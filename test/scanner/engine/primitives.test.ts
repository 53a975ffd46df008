import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { openFileLimit, boundConcurrency } from '../../../scanner/engine/fd-limit.ts';
import { TokenBucket } from '../../../scanner/engine/token-bucket.ts';
import { AdaptiveTimeout } from '../../../scanner/engine/adaptive-timeout.ts';
import { parsePorts, formatPorts, PortSpecError } from '../../../scanner/ports.ts';
import { expandTarget, TargetError } from '../../../scanner/targets.ts';

describe('fd limit', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n';
    expect(openFileLimit(text)).toBe(4096);
    expect(openFileLimit('Max open files            unlimited            unlimited            files')).toBe(1 << 20);
    expect(openFileLimit()).toBeGreaterThan(0);
  });
  it('bounds concurrency below the limit, per worker', () => {
    expect(boundConcurrency(5000, 1, 1024)).toBeLessThanOrEqual(1024 - 204);
    expect(boundConcurrency(5000, 2, 1024)).toBeLessThanOrEqual(410);
    expect(boundConcurrency(100, 2, 20000)).toBe(100);
  });
});

describe('token bucket and adaptive timeout', () => {
  it('hands out a burst, then refuses until time passes', () => {
    const b = new TokenBucket(100, 5);
    let t = 1000;
    let granted = 0;
    for (let i = 0; i < 20; i++) if (b.take(t)) granted++;
    expect(granted).toBeLessThanOrEqual(5);
    expect(b.waitMs(t)).toBeGreaterThan(0);
    t += 50; // 5 more tokens
    let later = 0;
    for (let i = 0; i < 20; i++) if (b.take(t)) later++;
    expect(later).toBe(5);
  });
  it('timeout follows measured RTTs within bounds', () => {
    const a = new AdaptiveTimeout(1000, 100, 1000);
    expect(a.current()).toBe(1000);
    for (let i = 0; i < 20; i++) a.observe(2);
    expect(a.current()).toBe(100);
    for (let i = 0; i < 20; i++) a.observe(300);
    expect(a.current()).toBeGreaterThan(300);
    expect(a.current()).toBeLessThanOrEqual(1000);
  });
});

describe('port specs', () => {
  it('parses ranges, lists and named sets', () => {
    expect(parsePorts('22,80,8000-8002')).toEqual([22, 80, 8000, 8001, 8002]);
    expect(parsePorts('1-65535').length).toBe(65535);
    expect(parsePorts('-').length).toBe(65535);
    expect(parsePorts('databases')).toContain(5432);
    expect(parsePorts([22, '80-81'])).toEqual([22, 80, 81]);
  });
  it('rejects bad specs with the offending token', () => {
    expect(() => parsePorts('22,0')).toThrow(PortSpecError);
    expect(() => parsePorts('22,99999')).toThrow(/outside/);
    expect(() => parsePorts('80-20')).toThrow(/backwards/);
    expect(() => parsePorts('http')).toThrow(/named set/);
    try {
      parsePorts('22, nope');
    } catch (e) {
      expect((e as PortSpecError).offset).toBe(3);
    }
  });
  it('format∘parse is the identity on sorted sets (property)', () => {
    let ranges = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 60 }), (arr) => {
        const sorted = [...arr].sort((a, b) => a - b);
        const text = formatPorts(sorted);
        if (text.includes('-')) ranges++;
        expect(parsePorts(text)).toEqual(sorted);
      }),
      { numRuns: 300 },
    );
    expect(ranges).toBeGreaterThan(10); // the generator really produced ranges
  });
});

describe('targets', () => {
  it('expands CIDR blocks without network/broadcast', () => {
    const h = expandTarget('127.0.0.0/30');
    expect(h.map((x) => x.address)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(expandTarget('127.0.0.5/32').map((x) => x.address)).toEqual(['127.0.0.5']);
    expect(expandTarget('10.0.0.0/24').length).toBe(254);
  });
  it('handles IPv6 literals and blocks', () => {
    expect(expandTarget('[::1]')).toEqual([{ name: '::1', address: '::1', family: 6 }]);
    const b = expandTarget('fd00::/126');
    expect(b.map((x) => x.address)).toEqual(['fd00::', 'fd00::1', 'fd00::2', 'fd00::3']);
  });
  it('rejects garbage and oversized blocks', () => {
    expect(() => expandTarget('10.0.0.0/8')).toThrow(TargetError);
    expect(() => expandTarget('1.2.3.4/40')).toThrow(/CIDR/);
    expect(() => expandTarget('bad host!')).toThrow(/neither/);
    expect(expandTarget('localhost')).toEqual([{ name: 'localhost' }]);
  });
});
