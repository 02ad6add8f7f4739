// Replay reproduces exactly the state before a restart: random sequences of appends (with
// overwrites), hard states, compactions, created and applied snapshots and reopens run against
// MemoryStorage (the reference) and the durable store with tiny segments, so that rolling and
// segment deletion happen all the time; after every step both must read the same.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogStore } from '../../src/raft/index.js';
import { EMPTY_CONF_STATE, MemoryStorage, logIndex, nodeId, term } from '../../src/raft/index.js';
import type { DurableLogStore } from '../../src/storage/index.js';
import { entry, openStore, reopenStore, shapeOf, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

const MEMBERS = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] };
const SEGMENT_BYTES_MAX = 512;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

type Step =
  | { kind: 'append'; back: number; count: number; term: number; size: number }
  | { kind: 'hardState'; term: number; commit: number }
  | { kind: 'compact'; fraction: number }
  | { kind: 'createSnapshot'; fraction: number }
  | { kind: 'applySnapshot'; ahead: number; term: number }
  | { kind: 'reopen' };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), count: fc.integer({ min: 1, max: 4 }), term: fc.integer({ min: 1, max: 9 }), size: fc.nat(120) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), term: fc.nat(9), commit: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createSnapshot' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('applySnapshot' as const), ahead: fc.integer({ min: -3, max: 8 }), term: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** A valid index in (low, high], picked by `fraction`, or null when the range is empty. */
function pick(low: number, high: number, fraction: number): number | null {
  if (high <= low) return null;
  return Math.min(high, low + 1 + Math.floor(fraction * (high - low)));
}

/** Applies `step` to the model and the store alike; returns the store (a new one after a reopen). */
async function run(step: Step, model: MemoryStorage, store: DurableLogStore): Promise<DurableLogStore> {
  const origin = model.firstIndex() - 1;
  const last = model.lastIndex();
  const snapshotIndex = model.snapshot().metadata.index;
  const both = async (action: (target: LogStore) => unknown): Promise<void> => {
    action(model);
    await action(store);
  };
  switch (step.kind) {
    case 'append': {
      const first = Math.max(origin + 1, last + 1 - step.back);
      const entries = Array.from({ length: step.count }, (_, i) => entry(first + i, step.term, 'e'.repeat(step.size)));
      await both((target) => target.append(entries));
      return store;
    }
    case 'hardState':
      await both((target) => target.setHardState({ term: term(step.term), vote: nodeId(1), commit: logIndex(step.commit) }));
      return store;
    case 'compact': {
      const index = pick(origin, last, step.fraction);
      if (index !== null) await both((target) => target.compact(logIndex(index)));
      return store;
    }
    case 'createSnapshot': {
      const index = pick(Math.max(origin - 1, snapshotIndex), last, step.fraction);
      const data = new TextEncoder().encode(`state at ${index}`);
      if (index !== null) await both((target) => target.createSnapshot(logIndex(index), MEMBERS, data));
      return store;
    }
    case 'applySnapshot': {
      const index = Math.max(snapshotIndex + 1, last + step.ahead);
      const snapshot = { metadata: { index: logIndex(index), term: term(step.term), confState: MEMBERS }, data: new Uint8Array([index % 256]) };
      await both((target) => target.applySnapshot(snapshot));
      return store;
    }
    case 'reopen':
      return reopenStore(store, { segmentBytesMax: SEGMENT_BYTES_MAX });
  }
}

function view(target: LogStore): unknown {
  const first = target.firstIndex();
  const last = target.lastIndex();
  const { metadata, data } = target.snapshot();
  return {
    first,
    last,
    originTerm: target.term(logIndex(first - 1)),
    entries: shapeOf(target.entries(first, logIndex(last + 1), UNLIMITED)),
    initialState: target.initialState(),
    snapshot: { index: metadata.index, term: metadata.term, data: [...data] },
  };
}

describe('replay', () => {
  it('reproduces the state before every reopen, whatever the sequence of writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 10, maxLength: 40 }), async (steps) => {
        const model = new MemoryStorage({ confState: MEMBERS });
        let store = await openStore(await temporaryDirectory(), { confState: MEMBERS, segmentBytesMax: SEGMENT_BYTES_MAX });
        for (const step of steps) {
          store = await run(step, model, store);
          expect(view(store)).toEqual(view(model));
        }
        store = await reopenStore(store, { segmentBytesMax: SEGMENT_BYTES_MAX });
        expect(view(store)).toEqual(view(model));
        await store.close();
      }),
      { numRuns: 60 },
    );
  });
});
