import { MemoryStorage } from '../../src/raft/index.js';
import { describeStorageContract } from './storage-contract.js';

describeStorageContract('MemoryStorage', (init) => new MemoryStorage(init));

// Memory does not outlive its process, so there is nothing to reopen; handing back the same
// store checks the suite's own reopen tests, so that the durable WAL inherits working ones.
describeStorageContract('MemoryStorage reopened as itself', (init) => new MemoryStorage(init), {
  reopen: async (store) => store,
});
