import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, diff, historyList, type History, type HistoryEntry } from '../src/index.js';

const entry = (text: string): HistoryEntry => ({ text, startedAt: '2026-11-24T21:00:00.000Z' });

describe('historyList', () => {
  it('reads v2 (keyed by seq) most recent first, by number not by string', () => {
    const history: History = { '9': entry('nine'), '10': entry('ten'), '100': entry('hundred') };
    expect(historyList({ history }).map((e) => e.text)).toEqual(['hundred', 'ten', 'nine']);
  });

  it('reads v1 (an array, most recent first) as it is', () => {
    expect(historyList({ history: [entry('a'), entry('b')] }).map((e) => e.text)).toEqual(['a', 'b']);
  });

  it('skips entries without a text and survives any shape', () => {
    const history = { '1': entry('ok'), '2': null, '3': { title: 'no text' }, '4': 'x' } as unknown as History;
    expect(historyList({ history }).map((e) => e.text)).toEqual(['ok']);
    fc.assert(fc.property(fc.anything(), (history) => Array.isArray(historyList({ history: history as History }))));
  });

  it('a history that gains one entry and loses the oldest is a patch of two members, whatever its length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 1000 }), (length, first) => {
        const before: History = {};
        for (let seq = first; seq < first + length; seq++) before[seq] = entry(`track ${seq}`);
        const after: History = { ...before, [first + length]: entry('new') };
        delete after[first];
        const patch = diff({ history: before }, { history: after });
        expect(patch).toEqual({ history: { [first + length]: entry('new'), [first]: null } });
        expect(historyList(apply<{ history: History }>({ history: before }, patch))[0]!.text).toBe('new');
      }),
    );
  });
});
