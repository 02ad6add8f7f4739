// The node as one caller may use it: a KvNode decorator that checks the caller's permissions
// on every call, as etcd 3.4 does, and stamps every write with the caller so apply checks it
// again against the auth state of that moment (a permission revoked in between is honoured).
// Reads and watches need read on their range; writes are checked here and at apply
// (request-permissions.ts); membership, leadership, backup, restore, hash, defragment and key rotation need
// the root role. Status, position, readiness, the member list and lease reads are open, as in
// etcd 3.4.
import type { CallerNode } from '../access/node-access.js';
import { MvccError } from '../mvcc/errors.js';
import type { EtcdHashKv, RangeRequest, RangeResponse, Watcher, WatchRequest } from '../mvcc/index.js';
import type { AddMemberRequest, KvNode, MemberInfo, ReadOptions, WriteOptions, WriteRequest } from '../node/kv-node.js';
import type { KeyRotationResult } from '../node/key-rotation.js';
import type { NodeId } from '../raft/types.js';
import type { AuthState, Caller } from './auth-state.js';
import { checkAdminPermitted, checkRangePermitted, checkRequestPermitted } from './request-permissions.js';

/** Where the node's current auth state comes from (the state machine's last committed batch). */
export interface AuthStateSource {
  authState(): AuthState;
}

export class AuthorizedNode implements CallerNode {
  constructor(
    private readonly node: KvNode,
    private readonly source: AuthStateSource,
    readonly caller: Caller,
  ) {}

  /** The user the credentials proved, for the audit log; undefined for an anonymous caller or with auth off. */
  get user(): string | undefined {
    return this.caller.user === '' ? undefined : this.caller.user;
  }

  get id(): NodeId {
    return this.node.id;
  }

  get name(): string {
    return this.node.name;
  }

  get clusterId(): string {
    return this.node.clusterId;
  }

  write(request: WriteRequest, options: WriteOptions = {}): ReturnType<KvNode['write']> {
    // Tokens are assigned by the authenticator after a password check, never by a client's write.
    if (request.type === 'auth' && request.auth.op === 'authenticate') return Promise.reject(new MvccError('AUTH_PERMISSION_DENIED'));
    try {
      checkRequestPermitted(this.source.authState(), this.caller, request);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.node.write(request, { ...options, caller: this.caller });
  }

  range(request: RangeRequest, options?: ReadOptions): Promise<RangeResponse> {
    try {
      checkRangePermitted(this.source.authState(), this.caller, 'read', request.key, request.rangeEnd);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.node.range(request, options);
  }

  /** Throws AUTH_PERMISSION_DENIED (or an auth revision error) before the watch starts. */
  watch(request: WatchRequest): Watcher {
    checkRangePermitted(this.source.authState(), this.caller, 'read', request.key, request.rangeEnd);
    return this.node.watch(request);
  }

  leaseKeepAlive(id: number): ReturnType<KvNode['leaseKeepAlive']> {
    return this.node.leaseKeepAlive(id);
  }

  leaseTimeToLive(id: number, withKeys: boolean): ReturnType<KvNode['leaseTimeToLive']> {
    return this.node.leaseTimeToLive(id, withKeys);
  }

  leases(): ReturnType<KvNode['leases']> {
    return this.node.leases();
  }

  members(): readonly MemberInfo[] {
    return this.node.members();
  }

  addMember(request: AddMemberRequest): Promise<MemberInfo> {
    return this.asAdmin(() => this.node.addMember(request));
  }

  inviteMember(id: NodeId): Promise<boolean> {
    return this.asAdmin(() => this.node.inviteMember(id));
  }

  promoteMember(id: NodeId): Promise<void> {
    return this.asAdmin(() => this.node.promoteMember(id));
  }

  updateMember(id: NodeId, peerAddress: string): Promise<void> {
    return this.asAdmin(() => this.node.updateMember(id, peerAddress));
  }

  removeMember(id: NodeId): Promise<void> {
    return this.asAdmin(() => this.node.removeMember(id));
  }

  transferLeadership(to?: NodeId): Promise<void> {
    return this.asAdmin(() => this.node.transferLeadership(to));
  }

  status(): ReturnType<KvNode['status']> {
    return this.node.status();
  }

  position(): ReturnType<KvNode['position']> {
    return this.node.position();
  }

  readiness(): ReturnType<KvNode['readiness']> {
    return this.node.readiness();
  }

  /** Checked when the first chunk is asked for: the backup is the whole key space. */
  async *backup(): AsyncIterable<Uint8Array> {
    checkAdminPermitted(this.source.authState(), this.caller);
    yield* this.node.backup();
  }

  restore(stream: AsyncIterable<Uint8Array>): Promise<void> {
    return this.asAdmin(() => this.node.restore(stream));
  }

  hashKv(revision: number): Promise<EtcdHashKv> {
    return this.asAdmin(() => this.node.hashKv(revision));
  }

  waitForCompaction(): Promise<void> {
    return this.node.waitForCompaction();
  }

  defragment(): Promise<void> {
    return this.asAdmin(() => this.node.defragment());
  }

  rotateEncryptionKey(): Promise<KeyRotationResult> {
    return this.asAdmin(() => this.node.rotateEncryptionKey());
  }

  /** A caller's view never stops the node. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private asAdmin<T>(call: () => Promise<T>): Promise<T> {
    try {
      checkAdminPermitted(this.source.authState(), this.caller);
    } catch (error) {
      return Promise.reject(error);
    }
    return call();
  }
}
