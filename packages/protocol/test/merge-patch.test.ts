import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, diff, jsonEqual, type JsonValue, type NowPlaying } from '../src/index.js';

// JSON values without null members: the one thing RFC 7396 cannot carry (null means "delete").
const jsonWithoutNull: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.boolean(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const track = fc.record({ text: fc.string(), artist: optional(fc.string()), title: optional(fc.string()) }, { requiredKeys: ['text'] });

/** Arbitrary normalised states, shaped like the relay's (absent values absent, never null). */
const nowPlaying: fc.Arbitrary<NowPlaying> = fc
  .record(
    {
      station: fc.record(
        { id: fc.constantFrom('live', 'second'), name: optional(fc.string()), genre: optional(fc.string()) },
        { requiredKeys: ['id'] },
      ),
      online: fc.boolean(),
      stale: fc.boolean(),
      staleReason: fc.constantFrom('timeout', 'HTTP 500', 'invalid JSON'),
      track,
      startedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      listeners: fc.nat(),
      bitrate: fc.nat(),
      // v2: keyed by seq (decimal strings), so arbitrary pairs share, add and drop keys.
      history: fc.dictionary(
        fc.integer({ min: 1, max: 30 }).map(String),
        fc.record({ text: fc.string(), title: fc.string(), startedAt: fc.constant('2026-11-24T21:00:00.000Z') }),
        { maxKeys: 10 },
      ),
    },
    { requiredKeys: ['station', 'online', 'stale', 'history'] },
  )
  .map((state) => JSON.parse(JSON.stringify(state)) as NowPlaying); // drop undefined members

describe('merge patch (RFC 7396)', () => {
  /** The round-trip property: the patch from a to b turns a into b. */
  const roundTrips = <T>(arbitrary: fc.Arbitrary<T>, numRuns: number) =>
    fc.assert(
      fc.property(arbitrary, arbitrary, (a, b) => {
        const patch = diff(a, b);
        expect(jsonEqual(patch === undefined ? a : apply(a, patch), b)).toBe(true);
      }),
      { numRuns },
    );

  it('apply(a, diff(a, b)) equals b for arbitrary NowPlaying states', () => roundTrips(nowPlaying, 500));

  it('apply(a, diff(a, b)) equals b for arbitrary JSON without nulls', () => roundTrips(jsonWithoutNull, 1000));

  it('diff of equal states is undefined (nothing to send)', () => {
    fc.assert(fc.property(nowPlaying, (a) => diff(a, structuredClone(a)) === undefined));
  });

  it('sends only what changed: a listener count is one member', () => {
    const a = { station: { id: 'live', name: 'X' }, online: true, listeners: 3, track: { text: 'A - B' } };
    expect(diff(a, { ...a, listeners: 4 })).toEqual({ listeners: 4 });
  });

  it('deletes with null, replaces arrays whole, recurses into objects', () => {
    const a = { track: { text: 'A - B', artist: 'A', title: 'B' }, history: [{ text: '1' }, { text: '2' }], x: 1 };
    const b = { track: { text: 'C', title: 'C' }, history: [{ text: '0' }, { text: '1' }] };
    expect(diff(a, b)).toEqual({ track: { text: 'C', artist: null, title: 'C' }, history: b.history, x: null });
  });

  it('follows the RFC 7396 appendix A examples', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases) expect(apply(target, patch)).toEqual(result);
  });

  it('never mutates its inputs', () => {
    const target = { a: { b: 1 }, list: [1] };
    const patch = { a: { b: 2, c: 3 }, list: [2] };
    const frozen = JSON.stringify([target, patch]);
    apply(target, patch);
    diff(target, patch);
    expect(JSON.stringify([target, patch])).toBe(frozen);
  });

  it('a hostile "__proto__" member stays a plain member and pollutes nothing', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    const result = apply<Record<string, unknown>>({}, patch);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
