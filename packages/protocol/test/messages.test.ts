import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_MESSAGE_BYTES, checkNowPlaying, parseClientMessage, parseServerMessage } from '../src/index.js';

const state = { station: { id: 'live' }, online: true, stale: false, history: {} };

describe('parseClientMessage (relay side)', () => {
  it('accepts resync and ping, echoing a ping id', () => {
    expect(parseClientMessage('{"type":"resync"}')).toEqual({ ok: true, message: { type: 'resync' } });
    expect(parseClientMessage('{"type":"ping","id":7}')).toEqual({ ok: true, message: { type: 'ping', id: 7 } });
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
  });

  it.each([
    ['not JSON', '{type:resync', 'not valid JSON'],
    ['an array', '[1,2]', 'JSON object'],
    ['null', 'null', 'JSON object'],
    ['no type', '{"seq":1}', '"type"'],
    ['unknown type', '{"type":"subscribe"}', 'unknown message type'],
    ['oversized', JSON.stringify({ type: 'ping', id: 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES) }), 'larger than'],
    ['a long id', JSON.stringify({ type: 'ping', id: 'x'.repeat(65) }), '"id"'],
    ['an object id', '{"type":"ping","id":{"a":1}}', '"id"'],
    ['a binary frame', new Uint8Array([1, 2]), 'text frame'],
  ])('rejects %s with a reason', (_name, input, reason) => {
    const result = parseClientMessage(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(reason);
  });

  it('counts bytes, not characters: 400 emoji exceed the limit', () => {
    const text = JSON.stringify({ type: 'ping', id: '🎵'.repeat(300) });
    expect(text.length).toBeLessThan(MAX_CLIENT_MESSAGE_BYTES);
    expect(parseClientMessage(text)).toMatchObject({ ok: false, error: expect.stringContaining('larger than') });
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (input) => {
        const result = parseClientMessage(input);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseServerMessage (browser side)', () => {
  it('accepts the four server messages', () => {
    const snapshot = { type: 'snapshot', v: 1, station: 'live', seq: 3, heartbeat: 15000, data: state };
    expect(parseServerMessage(JSON.stringify(snapshot))).toEqual({ ok: true, message: snapshot });
    expect(parseServerMessage('{"type":"patch","station":"live","seq":4,"patch":{"listeners":2}}').ok).toBe(true);
    expect(parseServerMessage('{"type":"ping","t":1}').ok).toBe(true);
    expect(parseServerMessage('{"type":"error","code":"bad-message","message":"x"}').ok).toBe(true);
  });

  it.each([
    ['a snapshot without data', { type: 'snapshot', v: 1, station: 'live', seq: 1, heartbeat: 1000 }, '"data"'],
    ['a snapshot with a negative seq', { type: 'snapshot', v: 1, station: 'live', seq: -1, heartbeat: 1000, data: state }, 'seq'],
    ['a snapshot with no heartbeat', { type: 'snapshot', v: 1, station: 'live', seq: 1, data: state }, 'heartbeat'],
    ['a patch with a fractional seq', { type: 'patch', station: 'live', seq: 1.5, patch: {} }, 'seq'],
    ['a patch without patch', { type: 'patch', station: 'live', seq: 2 }, '"patch"'],
    ['a ping without t', { type: 'ping' }, '"t"'],
    ['an unknown type', { type: 'html', html: '<script>' }, 'unknown message type'],
  ])('rejects %s', (_name, message, reason) => {
    const result = parseServerMessage(JSON.stringify(message));
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining(reason) });
  });

  it('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (input) => typeof parseServerMessage(input).ok === 'boolean'));
  });
});

describe('checkNowPlaying', () => {
  it('accepts a minimal state and names what is wrong otherwise', () => {
    expect(checkNowPlaying(state)).toBeUndefined();
    expect(checkNowPlaying({ ...state, online: 'yes' })).toContain('online');
    expect(checkNowPlaying({ ...state, history: null })).toContain('history');
    expect(checkNowPlaying({ ...state, history: 'x' })).toContain('history');
    expect(checkNowPlaying({ ...state, history: [] })).toBeUndefined(); // protocol v1
    expect(checkNowPlaying({ ...state, track: { text: 5 } })).toContain('track.text');
    expect(checkNowPlaying({ ...state, station: {} })).toContain('station.id');
  });
});
