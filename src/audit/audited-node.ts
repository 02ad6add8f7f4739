// The audit log as a view of the node: it serves each call from the view beneath it (the
// caller's, with its permission checks) and appends one line per write, membership change and
// admin call, and per read when `reads` is on. NodeAccess composes it around whatever view a
// caller got, so it sees every call of all three APIs in one place, refused ones included.
import type { CallerNode, CallOrigin } from '../access/node-access.js';
import { toClientError } from '../api/errors.js';
import type { EtcdHashKv, LeaseRecord, LeaseTimeToLive, MvccResponse, RangeRequest, RangeResponse, Watcher, WatchRequest } from '../mvcc/index.js';
import type { AddMemberRequest, MemberInfo, NodePosition, NodeStatus, ReadOptions, Readiness, WriteOptions, WriteRequest } from '../node/kv-node.js';
import type { NodeId } from '../raft/types.js';
import type { KeyRotationResult } from '../node/key-rotation.js';
import { type AuditTarget, rangeTarget, responseRevision, writeOperation, writeTarget } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';

export interface AuditOptions {
  /** Reads (ranges, watches, lease and member lists, status) are recorded too. */
  readonly reads: boolean;
}

const OK = 'OK';

export class AuditedNode implements CallerNode {
  constructor(
    private readonly node: CallerNode,
    private readonly origin: CallOrigin,
    private readonly log: AuditLog,
    private readonly options: AuditOptions,
  ) {}

  get id(): NodeId {
    return this.node.id;
  }

  get name(): string {
    return this.node.name;
  }

  get clusterId(): string {
    return this.node.clusterId;
  }

  get user(): string | undefined {
    return this.node.user;
  }

  write(request: WriteRequest, options?: WriteOptions): Promise<MvccResponse> {
    return this.recorded(writeOperation(request), writeTarget(request), () => this.node.write(request, options), responseRevision);
  }

  range(request: RangeRequest, options?: ReadOptions): Promise<RangeResponse> {
    if (!this.options.reads) return this.node.range(request, options);
    return this.recorded('range', rangeTarget(request), () => this.node.range(request, options), (response) => response.header.revision);
  }

  watch(request: WatchRequest): Watcher {
    if (!this.options.reads) return this.node.watch(request);
    try {
      const watcher = this.node.watch(request);
      this.append('watch', rangeTarget(request), OK);
      return watcher;
    } catch (error) {
      this.append('watch', rangeTarget(request), toClientError(error).code);
      throw error;
    }
  }

  /** Renewals arrive every few seconds per lease: recorded as reads, not as writes. */
  leaseKeepAlive(id: number): Promise<number> {
    if (!this.options.reads) return this.node.leaseKeepAlive(id);
    return this.recorded('leaseKeepAlive', { lease: id }, () => this.node.leaseKeepAlive(id));
  }

  leaseTimeToLive(id: number, withKeys: boolean): Promise<LeaseTimeToLive & { readonly remainingTtl: number }> {
    if (!this.options.reads) return this.node.leaseTimeToLive(id, withKeys);
    return this.recorded('leaseTimeToLive', { lease: id }, () => this.node.leaseTimeToLive(id, withKeys));
  }

  leases(): Promise<LeaseRecord[]> {
    if (!this.options.reads) return this.node.leases();
    return this.recorded('leases', {}, () => this.node.leases());
  }

  members(): readonly MemberInfo[] {
    // Synchronous and asked for by most membership answers; recorded as a read.
    if (this.options.reads) this.append('members', {}, OK);
    return this.node.members();
  }

  addMember(request: AddMemberRequest): Promise<MemberInfo> {
    return this.recorded('addMember', { member: `${request.name} ${request.peerAddress}` }, () => this.node.addMember(request));
  }

  inviteMember(id: NodeId): Promise<boolean> {
    return this.recorded('inviteMember', { member: String(id) }, () => this.node.inviteMember(id));
  }

  promoteMember(id: NodeId): Promise<void> {
    return this.recorded('promoteMember', { member: String(id) }, () => this.node.promoteMember(id));
  }

  updateMember(id: NodeId, peerAddress: string): Promise<void> {
    return this.recorded('updateMember', { member: `${id} ${peerAddress}` }, () => this.node.updateMember(id, peerAddress));
  }

  removeMember(id: NodeId): Promise<void> {
    return this.recorded('removeMember', { member: String(id) }, () => this.node.removeMember(id));
  }

  transferLeadership(to?: NodeId): Promise<void> {
    return this.recorded('transferLeadership', to === undefined ? {} : { member: String(to) }, () => this.node.transferLeadership(to));
  }

  status(): Promise<NodeStatus> {
    if (!this.options.reads) return this.node.status();
    return this.recorded('status', {}, () => this.node.status());
  }

  position(): NodePosition {
    return this.node.position();
  }

  readiness(): Readiness {
    return this.node.readiness();
  }

  /** Recorded when the stream ends: complete, CANCELLED when the client stopped reading, or the error that ended it. */
  async *backup(): AsyncIterable<Uint8Array> {
    let result = 'CANCELLED';
    try {
      yield* this.node.backup();
      result = OK;
    } catch (error) {
      result = toClientError(error).code;
      throw error;
    } finally {
      this.append('backup', {}, result);
    }
  }

  restore(stream: AsyncIterable<Uint8Array>): Promise<void> {
    return this.recorded('restore', {}, () => this.node.restore(stream));
  }

  hashKv(revision: number): Promise<EtcdHashKv> {
    return this.recorded('hashKv', {}, () => this.node.hashKv(revision));
  }

  /** Part of a Compact that asked for physical compaction, which is recorded already. */
  waitForCompaction(): Promise<void> {
    return this.node.waitForCompaction();
  }

  defragment(): Promise<void> {
    return this.recorded('defragment', {}, () => this.node.defragment());
  }

  rotateEncryptionKey(): Promise<KeyRotationResult> {
    return this.recorded('rotateEncryptionKey', {}, () => this.node.rotateEncryptionKey());
  }

  close(): Promise<void> {
    return this.node.close();
  }

  private async recorded<T>(operation: string, target: AuditTarget, call: () => Promise<T>, revisionOf?: (result: T) => number | undefined): Promise<T> {
    let result: T;
    try {
      result = await call();
    } catch (error) {
      this.append(operation, target, toClientError(error).code);
      throw error;
    }
    this.append(operation, target, OK, revisionOf?.(result));
    return result;
  }

  private append(operation: string, target: AuditTarget, result: string, revision: number = this.node.position().revision): void {
    const { api, method, source } = this.origin;
    this.log.append({ time: new Date().toISOString(), user: this.node.user ?? null, source, api, method, operation, ...target, result, revision });
  }
}
