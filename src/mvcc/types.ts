// The vocabulary of the MVCC state machine. Field names and meanings follow etcd's
// etcdserverpb and mvccpb messages (camelCase, Uint8Array for bytes) so that the etcd gRPC
// API can later be a thin mapping over these types.

/** A store-wide revision. The empty store is at revision 1; each write request adds one. */
export type Revision = number & { readonly __brand: 'Revision' };
/** A lease id; 0 means "no lease". */
export type LeaseId = number & { readonly __brand: 'LeaseId' };

export const revision = (value: number): Revision => value as Revision;
export const leaseId = (value: number): LeaseId => value as LeaseId;
export const NO_LEASE: LeaseId = leaseId(0);

/** Native per-key metadata from the seeds; created and updated times come from the request. */
export interface KeyMetadata {
  /** A MIME type hint; empty when not set. */
  readonly contentType: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Tags sorted by name, so that equal metadata always encodes to equal bytes. */
  readonly tags: ReadonlyArray<readonly [string, string]>;
}

export interface KeyValue {
  readonly key: Uint8Array;
  readonly createRevision: Revision;
  readonly modRevision: Revision;
  readonly version: number;
  readonly value: Uint8Array;
  readonly lease: LeaseId;
  readonly metadata: KeyMetadata;
}

export interface ResponseHeader {
  /** The store revision when the request was served (after it, for a write). */
  readonly revision: Revision;
}

/** A change as watchers see it (mvccpb.Event). A delete's kv has only key and modRevision. */
export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** A change with its place in history: (kv.modRevision, sub) orders all events. */
export interface PositionedEvent {
  readonly event: WatchEvent;
  readonly sub: number;
}

/** etcd's HashKV answer: the CRC-32C of the history, the store's revision and compact revision (0: none). */
export interface EtcdHashKv {
  readonly hash: number;
  readonly revision: number;
  readonly compactRevision: number;
}
