// The public API of the consensus core.
export * from './types.js';
export * from './errors.js';
export * from './storage.js';
export * from './config.js';
export * from './random.js';
export { MemoryStorage } from './memory-storage.js';
export type { MemoryStorageOptions } from './memory-storage.js';
export { RawNode } from './raw-node.js';
export { encodeConfChange, decodeConfChange } from './confchange-codec.js';
