// A TEST DOUBLE of KvNode: one real MvccStore in a temporary directory, with writes applied
// directly through `store.apply` instead of Raft. It lets the REST API be tested against the
// real state machine (revisions, txns, leases, watches, snapshots, NOSPACE) before and beside
// the real RaftKvNode. Membership and leadership are kept in memory; `failWritesWith` injects
// the node-level errors (no leader, timeout) a single store cannot produce by itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptionError } from '../../src/encryption/errors.js';
import type { KeyRotationResult } from '../../src/node/key-rotation.js';
import {
  type Database,
  encodeRequest,
  type EtcdHashKv,
  LeaseExpiry,
  type LeaseRecord,
  type MvccRequest,
  type MvccResponse,
  MvccStore,
  openDatabase,
  type RangeRequest,
  type RangeResponse,
  validateRequest,
  type Watcher,
  type WatchRequest,
} from '../../src/mvcc/index.js';
import type { AddMemberRequest, KvNode, MemberInfo, NodePosition, NodeStatus, Readiness, WriteRequest } from '../../src/node/kv-node.js';
import { groupId, type NodeId } from '../../src/raft/types.js';

const MEMBER_ID = 1 as NodeId;
const LEASE_SWEEP_MS = 100;

export class SingleStoreKvNode implements KvNode {
  readonly id = MEMBER_ID;
  readonly name = 'n1';
  readonly clusterId = '00000000000000aa';
  /** What readiness() answers; tests flip it. */
  readiness_: Readiness = { ready: true, reason: '' };
  /** When set, every write and read rejects with it (as the node would without a leader). */
  failWritesWith: Error | undefined;
  /** The target of the last transferLeadership call (null for "any voter"). */
  transferredTo: NodeId | null | undefined;
  defragmentations = 0;
  private index = 0;
  private applying: Promise<unknown> = Promise.resolve();
  private readonly memberList: MemberInfo[] = [{ id: MEMBER_ID, name: 'n1', peerAddress: '127.0.0.1:7000', clientUrls: [], grpcUrls: [], isLearner: false }];
  private readonly leaseSweep: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    private readonly db: Database,
    readonly store: MvccStore,
    private readonly expiry: LeaseExpiry,
  ) {
    store.addLeaseListener((event) => expiry.observe(event));
    this.leaseSweep = setInterval(() => void this.revokeExpired(), LEASE_SWEEP_MS);
  }

  static async open(): Promise<SingleStoreKvNode> {
    const dir = await mkdtemp(join(tmpdir(), 'bv-api-'));
    const db = await openDatabase(join(dir, 'keyvalue'), { cacheBytes: 1 << 20, writeBufferBytes: 1 << 20 });
    const store = await MvccStore.open(db, { groupId: groupId(0) });
    const expiry = new LeaseExpiry({ now: Date.now });
    expiry.promote(await store.leases());
    return new SingleStoreKvNode(dir, db, store, expiry);
  }

  write(request: WriteRequest): Promise<MvccResponse> {
    if (this.failWritesWith !== undefined) return Promise.reject(this.failWritesWith);
    return this.serially(async () => {
      validateRequest(request as MvccRequest, this.store.limits);
      const [result] = await this.store.apply([{ index: ++this.index, term: 1, data: encodeRequest({ timestampMs: Date.now(), request }) }]);
      if (result?.outcome === 'error') throw result.error;
      if (result?.outcome !== 'ok') throw new Error(`unexpected apply outcome ${result?.outcome}`);
      return result.response;
    });
  }

  async range(request: RangeRequest): Promise<RangeResponse> {
    if (this.failWritesWith !== undefined) throw this.failWritesWith;
    return this.store.range(request);
  }

  watch(request: WatchRequest): Watcher {
    return this.store.watch(request);
  }

  async leaseKeepAlive(id: number): Promise<number> {
    return this.expiry.keepAlive(id);
  }

  async leaseTimeToLive(id: number, withKeys: boolean) {
    const lease = await this.store.leaseTimeToLive(id, withKeys);
    return { ...lease, remainingTtl: this.expiry.remainingTtl(id) };
  }

  leases(): Promise<LeaseRecord[]> {
    return this.store.leases();
  }

  members(): readonly MemberInfo[] {
    return this.memberList;
  }

  async addMember(request: AddMemberRequest): Promise<MemberInfo> {
    const member = { id: (this.memberList.length + 1) as NodeId, name: request.name, peerAddress: request.peerAddress, clientUrls: request.clientUrls ?? [], grpcUrls: [], isLearner: request.learner ?? true };
    this.memberList.push(member);
    return member;
  }

  /** One store has no peers to invite. */
  async inviteMember(): Promise<boolean> {
    return false;
  }

  async promoteMember(id: NodeId): Promise<void> {
    const index = this.memberList.findIndex((member) => member.id === id);
    const member = this.memberList[index];
    if (member !== undefined) this.memberList[index] = { ...member, isLearner: false };
  }

  async updateMember(id: NodeId, peerAddress: string): Promise<void> {
    const index = this.memberList.findIndex((member) => member.id === id);
    const member = this.memberList[index];
    if (member !== undefined) this.memberList[index] = { ...member, peerAddress };
  }

  async removeMember(id: NodeId): Promise<void> {
    const index = this.memberList.findIndex((member) => member.id === id);
    if (index >= 0) this.memberList.splice(index, 1);
  }

  async transferLeadership(to?: NodeId): Promise<void> {
    this.transferredTo = to ?? null;
  }

  async status(): Promise<NodeStatus> {
    return {
      id: this.id,
      name: this.name,
      clusterId: this.clusterId,
      groupId: 0,
      version: 'test',
      role: 'StateLeader' as NodeStatus['role'],
      isLearner: false,
      leaderId: this.id,
      term: 1,
      commitIndex: this.index,
      appliedIndex: this.store.appliedIndex,
      lastIndex: this.index,
      revision: this.store.currentRevision,
      compactRevision: this.store.compactRevision,
      dbSizeBytes: await this.store.backendSize(),
      quotaBytes: 2 ** 31,
      alarms: this.store.alarms,
    };
  }

  position(): NodePosition {
    return { term: 1, leaderId: this.id, revision: this.store.currentRevision };
  }

  readiness(): Readiness {
    return this.readiness_;
  }

  backup(): AsyncIterable<Uint8Array> {
    return this.store.snapshot();
  }

  restore(stream: AsyncIterable<Uint8Array>): Promise<void> {
    return this.serially(async () => {
      await this.store.restore(stream);
      this.expiry.promote(await this.store.leases());
    });
  }

  hashKv(revision: number): Promise<EtcdHashKv> {
    return this.store.hashKv(revision);
  }

  waitForCompaction(): Promise<void> {
    return this.store.waitForCompaction();
  }

  rotateEncryptionKey(): Promise<KeyRotationResult> {
    return Promise.reject(new EncryptionError('ENCRYPTION_OFF', {}));
  }

  async defragment(): Promise<void> {
    this.defragmentations++;
    await this.store.reclaim();
  }

  async close(): Promise<void> {
    clearInterval(this.leaseSweep);
    await this.applying.catch(() => undefined);
    await this.store.close();
    await this.db.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Like the node's apply loop: one apply or restore at a time. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.applying.then(work, work);
    this.applying = result.catch(() => undefined);
    return result;
  }

  private async revokeExpired(): Promise<void> {
    for (const id of this.expiry.expired()) {
      await this.write({ type: 'leaseRevoke', leaseRevoke: { id } }).catch(() => undefined);
    }
  }
}
