// Correlation semantics (Sigma correlation spec 2.1) on hand-written match streams.
import { describe, expect, it } from 'vitest';
import type { CorrelationDecl } from '../../../policy/ast.ts';
import { createCorrelationEngine, type CorrelationInput } from '../../../runtime/correlation/engine.ts';

const MIN = 60_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

function corr(over: Partial<CorrelationDecl>): CorrelationDecl {
  return {
    id: 'c1', title: 'c1', tags: [], references: [], type: 'event_count', rules: ['r1'], groupBy: ['User'],
    timespanMs: 10 * MIN, condition: { op: 'gte', value: 3 }, aliases: {}, generate: false, actions: [], ...over,
  };
}
let rec = 0;
function m(ruleId: string, minute: number, fields: Record<string, string | number>): CorrelationInput {
  rec++;
  return { ruleId, time: T0 + minute * MIN, fields, refs: [{ source_file: 'f', record: rec, rule_id: ruleId }] };
}

describe('correlation engine', () => {
  it('event_count: per group, inside the timespan, fires once per burst with the contributing events', () => {
    const e = createCorrelationEngine([corr({})]);
    rec = 0;
    expect(e.push(m('r1', 0, { User: 'bob' }))).toEqual([]);
    expect(e.push(m('r1', 1, { User: 'alice' }))).toEqual([]);
    expect(e.push(m('r1', 2, { User: 'bob' }))).toEqual([]);
    const a = e.push(m('r1', 3, { User: 'BOB' })); // group keys compare case-insensitively
    expect(a).toHaveLength(1);
    expect(a[0].value).toBe(3);
    expect(a[0].group).toEqual({ User: 'bob' });
    expect(a[0].events.map((x) => x.record)).toEqual([1, 3, 4]);
    // The window was consumed: the next bob match starts over.
    expect(e.push(m('r1', 4, { User: 'bob' }))).toEqual([]);
  });
  it('event_count: matches older than the timespan slide out', () => {
    const e = createCorrelationEngine([corr({})]);
    e.push(m('r1', 0, { User: 'bob' }));
    e.push(m('r1', 5, { User: 'bob' }));
    expect(e.push(m('r1', 11, { User: 'bob' }))).toEqual([]); // minute 0 expired
    expect(e.push(m('r1', 12, { User: 'bob' }))).toHaveLength(1);
    expect(e.stats.expiredEvents).toBe(1);
  });
  it('value_count counts distinct values of the condition field', () => {
    const e = createCorrelationEngine([corr({ type: 'value_count', groupBy: ['Computer'], condition: { op: 'gte', value: 3, field: 'TargetUserName' } })]);
    e.push(m('r1', 0, { Computer: 'dc1', TargetUserName: 'a' }));
    e.push(m('r1', 1, { Computer: 'dc1', TargetUserName: 'a' }));
    expect(e.push(m('r1', 2, { Computer: 'dc1', TargetUserName: 'b' }))).toEqual([]);
    const a = e.push(m('r1', 3, { Computer: 'dc1', TargetUserName: 'c' }));
    expect(a.map((x) => x.value)).toEqual([3]);
  });
  it('temporal: all rules in any order within the timespan', () => {
    const d = corr({ type: 'temporal', rules: ['a', 'b', 'c'], condition: { op: 'gte', value: 3 }, timespanMs: 5 * MIN });
    const e = createCorrelationEngine([d]);
    e.push(m('c', 0, { User: 'u' }));
    e.push(m('a', 3, { User: 'u' }));
    expect(e.push(m('b', 7, { User: 'u' }))).toEqual([]); // c at 0 is older than 5 minutes
    const a = e.push(m('c', 8, { User: 'u' }));
    expect(a).toHaveLength(1);
    expect(a[0].events.map((x) => x.rule_id)).toEqual(['a', 'b', 'c']);
    expect(e.push(m('x', 8, { User: 'u' }))).toEqual([]); // unrelated rule id: ignored
  });
  it('temporal_ordered: only in the given order', () => {
    const d = corr({ type: 'temporal_ordered', rules: ['fail', 'ok'], condition: { op: 'gte', value: 2 } });
    const e = createCorrelationEngine([d]);
    e.push(m('ok', 0, { User: 'u' }));
    expect(e.push(m('fail', 1, { User: 'u' }))).toEqual([]); // ok came first: no
    const a = e.push(m('ok', 2, { User: 'u' }));
    expect(a).toHaveLength(1);
    expect(a[0].events.map((x) => x.rule_id)).toEqual(['ok', 'fail', 'ok']);
    // unordered temporal would have fired at minute 1
    const t = createCorrelationEngine([{ ...d, type: 'temporal' }]);
    t.push(m('ok', 0, { User: 'u' }));
    expect(t.push(m('fail', 1, { User: 'u' }))).toHaveLength(1);
  });
  it('temporal_ordered judges order by event time, not by arrival (one file after another)', () => {
    const d = corr({ type: 'temporal_ordered', rules: ['fail', 'ok'], condition: { op: 'gte', value: 2 } });
    const e = createCorrelationEngine([d]);
    // the Security log (ok at minute 5) is read before the other file (fail at minute 3)
    e.push(m('ok', 5, { User: 'u' }));
    const a = e.push(m('fail', 3, { User: 'u' }));
    expect(a).toHaveLength(1);
    expect(a[0].events.map((x) => x.rule_id)).toEqual(['fail', 'ok']);
    const f = createCorrelationEngine([d]);
    f.push(m('fail', 5, { User: 'u' }));
    expect(f.push(m('ok', 3, { User: 'u' }))).toEqual([]);
  });
  it('value_sum, value_avg and value_percentile', () => {
    const sum = createCorrelationEngine([corr({ type: 'value_sum', condition: { op: 'gt', value: 1000, field: 'bytes' } })]);
    expect(sum.push(m('r1', 0, { User: 'u', bytes: 600 }))).toEqual([]);
    expect(sum.push(m('r1', 1, { User: 'u', bytes: '500' }))[0].value).toBe(1100);
    const avg = createCorrelationEngine([corr({ type: 'value_avg', condition: { op: 'gt', value: 500, field: 'bytes' } })]);
    expect(avg.push(m('r1', 0, { User: 'u', bytes: 400 }))).toEqual([]);
    expect(avg.push(m('r1', 1, { User: 'u', bytes: 700 }))[0].value).toBe(550);
    const pct = createCorrelationEngine([corr({ type: 'value_percentile', groupBy: ['Computer'], condition: { op: 'lte', value: 10, field: 'Image' } })]);
    let fired = 0;
    for (let i = 0; i < 19; i++) fired += pct.push(m('r1', 0, { Computer: 'h', Image: 'svchost.exe' })).length;
    expect(fired).toBe(0); // a common value is never rare
    const rare = pct.push(m('r1', 1, { Computer: 'h', Image: 'evil.exe' }));
    expect(rare).toHaveLength(1);
    expect(rare[0].value).toBe(5); // 1 of 20 = 5 %
  });
  it('"at most" conditions are judged when the window closes (tumbling) or at flush', () => {
    const e = createCorrelationEngine([corr({ condition: { op: 'lt', value: 2 } })]);
    e.push(m('r1', 0, { User: 'quiet' }));
    e.push(m('r1', 0, { User: 'busy' }));
    e.push(m('r1', 1, { User: 'busy' }));
    const closed = e.push(m('r1', 11, { User: 'quiet' })); // quiet's first window (1 match) is over
    expect(closed.map((a) => a.group.User)).toEqual(['quiet']);
    const end = e.flush();
    expect(end.map((a) => a.group.User).sort()).toEqual(['quiet']); // busy had 2, quiet's 2nd window 1
  });
  it('aliases map group-by names onto each rule\'s own field', () => {
    const d = corr({ type: 'temporal', rules: ['err', 'conn'], groupBy: ['ip'], condition: { op: 'gte', value: 2 }, aliases: { ip: { err: 'destination.ip', conn: 'source.ip' } } });
    const e = createCorrelationEngine([d]);
    e.push(m('err', 0, { 'destination.ip': '10.0.0.1' }));
    expect(e.push(m('conn', 1, { 'source.ip': '10.0.0.2' }))).toEqual([]);
    expect(e.push(m('conn', 1, { 'source.ip': '10.0.0.1' }))[0].group).toEqual({ ip: '10.0.0.1' });
    expect(e.fieldsFor('err')).toEqual(['destination.ip']);
  });
  it('chains: a correlation alert feeds the correlations that refer to it', () => {
    const burst = corr({ id: 'burst', rules: ['fail'], groupBy: ['User'], condition: { op: 'gte', value: 3 } });
    const chain = corr({ id: 'chain', type: 'temporal_ordered', rules: ['burst', 'ok'], groupBy: ['User'], condition: { op: 'gte', value: 2 } });
    const e = createCorrelationEngine([chain, burst]);
    expect(e.suppressed).toEqual(new Set(['burst', 'ok', 'fail']));
    for (let i = 0; i < 3; i++) e.push(m('fail', i, { User: 'bob' }));
    const a = e.push(m('ok', 4, { User: 'bob' }));
    expect(a.map((x) => x.correlation.id)).toEqual(['chain']);
    expect(a[0].events.map((x) => x.rule_id)).toEqual(['fail', 'fail', 'fail', 'ok']);
  });
  it('running aggregates stay right through expiry on long streams', () => {
    // one match per second, 1000 distinct users in turn; a 5-minute window holds 301 matches
    const stream = (need: number) => {
      const e = createCorrelationEngine([corr({ type: 'value_count', timespanMs: 5 * MIN, condition: { op: 'gte', value: need, field: 'u' } })]);
      const fired: number[] = [];
      for (let i = 0; i < 5000; i++) if (e.push({ ruleId: 'r1', time: T0 + i * 1000, fields: { User: 'g', u: `user${i % 1000}` }, refs: [] }).length) fired.push(i);
      return { fired, stats: e.stats };
    };
    const never = stream(400); // stale counts of expired users would reach 400
    expect(never.fired).toEqual([]);
    expect(never.stats.expiredEvents).toBe(5000 - 301);
    const full = stream(301);
    expect(full.fired.slice(0, 3)).toEqual([300, 601, 902]);
  });
  it('bounded memory: groups beyond the limit are evicted and counted', () => {
    const e = createCorrelationEngine([corr({})], { maxGroups: 2, maxEventsPerGroup: 2 });
    e.push(m('r1', 0, { User: 'a' }));
    e.push(m('r1', 0, { User: 'b' }));
    e.push(m('r1', 0, { User: 'c' })); // evicts a
    expect(e.stats.evictedGroups).toBe(1);
    expect(e.stats.openGroups).toBe(2);
    e.push(m('r1', 0, { User: 'b' }));
    e.push(m('r1', 0, { User: 'b' })); // 3rd entry for b: oldest dropped, count stays 2 → never reaches 3
    expect(e.stats.droppedEvents).toBe(1);
  });
});
