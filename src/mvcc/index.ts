// The public surface of the MVCC state machine, for the node and the API layers.
export { MvccStore, type ApplyEntry, type ApplyResult, type LeaseTimeToLive, type MvccStoreOptions } from './kv-store.js';
export { openDatabase, type Database, type DatabaseTuning } from './storage.js';
export { encodeRequest, decodeRequest, REQUEST_FORMAT_VERSION } from './request-codec.js';
export { validateRequest, validateRequestSize } from './request-validation.js';
export { txnIsReadOnly } from './txn.js';
export { RESTORE_CHUNK_BYTES_MAX, RESTORE_CHECKSUM_BYTES } from './restore-staging.js';
export { SnapshotReader } from './snapshot.js';
export { MvccError, isMvccError, mvccError, type MvccErrorCode, type MvccErrorDetails } from './errors.js';
export { DEFAULT_LIMITS, positiveIntegerProblems, resolveLimits, type MvccLimits } from './limits.js';
export { LeaseExpiry, type LeaseExpiryOptions } from './lease-expiry.js';
export type { LeaseEvent } from './lessor.js';
export type { LeaseRecord } from './record-codec.js';
export { QuotaGuard, DEFAULT_QUOTA_BYTES, noSpaceActive } from './quota.js';
export { RevisionRetention, TimeRetention, type CompactionPolicy } from './compaction-policy.js';
export { Watcher, type WatchRequest, type WatchResponse } from './watcher.js';
export type { WatchHubOptions } from './watch-hub.js';
export * from './requests.js';
export * from './types.js';
