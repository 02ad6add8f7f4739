import { describeStorageContract } from '../raft/storage-contract.js';
import type { DurableLogStore } from '../../src/storage/index.js';
import { openStore, reopenStore, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

describeStorageContract('DurableLogStore', async (init) => openStore(await temporaryDirectory(), init), {
  reopen: (store) => reopenStore(store as DurableLogStore),
});

// Tiny segments put nearly every record in a segment of its own, so the same contract also
// holds across rolls and the deletion of compacted segments.
describeStorageContract(
  'DurableLogStore with 256-byte segments',
  async (init) => openStore(await temporaryDirectory(), { ...init, segmentBytesMax: 256 }),
  { reopen: (store) => reopenStore(store as DurableLogStore, { segmentBytesMax: 256 }) },
);
