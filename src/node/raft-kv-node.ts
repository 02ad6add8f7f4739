// RaftKvNode: one Beaver-Vault member. It opens the data directory (lock, identity, Raft log,
// MVCC store) and restarts the Raft core from the applied index (node-startup.ts), and runs the
// Ready loop on a tick timer. Writes are validated, checked against the quota and proposed in an envelope
// that names this node, and settle when this node applies them; linearizable reads (and
// read-only txns) wait for a batched ReadIndex; lease keep-alives and membership changes go to
// the leader; a restore is replicated in staged steps; the node publishes its client URLs.

import { openStream, sealStream } from '../encryption/sealed-stream.js';
import type { EtcdHashKv, LeaseRecord, LeaseTimeToLive, MvccResponse, RangeRequest, RangeResponse, RestoreRequest, TxnRequest, Watcher, WatchRequest } from '../mvcc/index.js';
import type { TokenEvent } from '../auth/auth-requests.js';
import type { AuthState } from '../auth/auth-state.js';
import { encodeRequest, MvccError, txnIsReadOnly, validateRequest, validateRequestSize } from '../mvcc/index.js';
import type { MvccLimits, MvccRequest } from '../mvcc/index.js';
import { resolveLimits } from '../mvcc/index.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { registerPeerMetrics } from '../observability/peer-metrics.js';
import type { Logger } from '../observability/logger.js';
import { StartupSteps } from '../observability/startup-steps.js';
import { requestSpan, tracingOn } from '../observability/spans.js';
import type { NodeId } from '../raft/types.js';
import { NO_NODE, StateType } from '../raft/types.js';
import type { PeerTransport } from '../transport/transport.js';
import { ClusterRestore } from './cluster-restore.js';
import { CommittedApplier } from './committed-applier.js';
import { ConditionWaiters } from './condition-waiters.js';
import { encodeEnvelope, EntryKind, UNTRACKED_REQUEST_ID } from './entry-envelope.js';
import { isNodeError, NodeError } from './errors.js';
import { memberIdOf } from './identity.js';
import type { AddMemberRequest, KvNode, MemberInfo, NodePosition, NodeStatus, Readiness, ReadOptions, WriteOptions, WriteRequest } from './kv-node.js';
import { KeyRotation, type KeyRotationResult } from './key-rotation.js';
import { LeaseDriver } from './lease-driver.js';
import { MemberPublisher } from './member-publisher.js';
import { inviteMember } from './member-invitation.js';
import { Membership } from './membership.js';
import { LogMaintenance } from './log-maintenance.js';
import { knownMembers, type NodeOptions, type ResolvedNodeOptions, resolveNodeOptions } from './node-options.js';
import { closeNodeParts, type NodeParts, openNodeParts } from './node-startup.js';
import { type NodeState, nodeReadiness, nodeStatus } from './node-status.js';
import type { NodeStorage } from './node-storage.js';
import { PeerForwarder } from './peer-forwarder.js';
import { ProposalTracker } from './proposal-tracker.js';
import { ForwardedEntryTraces, ProposalTrace } from './proposal-trace.js';
import { QuotaMonitor } from './quota-monitor.js';
import { ReadIndexBatcher } from './read-index-batcher.js';
import { ReadyLoop } from './ready-loop.js';
import { persistReceivedSnapshot, receivedSnapshotPath } from './received-snapshots.js';
import { SnapshotPolicy } from './snapshot-policy.js';
import { TransportPeers } from './transport-peers.js';
import type { NodeClock, NodeIo } from './node-io.js';

/** Ticks between measurements of the database for the quota. */
const QUOTA_MEASURE_TICKS = 10;
/** Ticks between a joining learner's requests to be promoted. */
const JOIN_PROMOTION_TICKS = 10;
/** Ticks before a member announces its client URLs again if the first announcement was lost. */
const PUBLISH_RETRY_TICKS = 50;

export class RaftKvNode implements KvNode {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  readonly metrics: NodeMetrics;
  private state: NodeState = 'running';
  private closing: Promise<void> | undefined;
  private readonly options: ResolvedNodeOptions;
  private readonly io: NodeIo;
  private readonly limits: MvccLimits;
  private readonly logger: Logger;
  private readonly transport: PeerTransport;
  private readonly proposals: ProposalTracker;
  private readonly reads: ReadIndexBatcher;
  private readonly waiters = new ConditionWaiters();
  private readonly loop: ReadyLoop;
  private readonly membership: Membership;
  private readonly leaseDriver: LeaseDriver;
  private readonly quota: QuotaMonitor;
  private readonly logMaintenance: LogMaintenance;
  private readonly forwarder: PeerForwarder;
  private readonly restores: ClusterRestore;
  private readonly publisher: MemberPublisher;
  private readonly keyRotation: KeyRotation;
  private readonly peers: TransportPeers;
  private stopTicker: (() => void) | undefined;
  private ticks = 0;
  private joinPromotionInFlight = false;
  /** The database measurement under way, awaited by close so it never reads a closed store. */
  private measurement: Promise<void> | undefined;

  private constructor(private readonly parts: NodeParts) {
    const { options, storage, rawNode, members, metrics, logger } = parts;
    this.options = options;
    this.io = options.io;
    this.proposals = new ProposalTracker(options.io.randomInt, options.queueLimits);
    this.id = memberIdOf(options.name);
    this.name = options.name;
    this.clusterId = parts.clusterId;
    this.metrics = metrics;
    this.limits = resolveLimits(options.limits);
    this.logger = logger;
    this.transport = options.transport;
    registerPeerMetrics(metrics.registry, () => this.transport.counters());
    const electionTimeoutMs = options.electionTicks * options.tickMs;
    this.reads = new ReadIndexBatcher(electionTimeoutMs, options.queueLimits.pendingReadsMax, options.io.randomInt);
    this.leaseDriver = new LeaseDriver({ checkpointIntervalMs: options.leaseCheckpointIntervalMs, now: () => this.clock.monotonicNowMs(), leases: () => this.mvcc.leases(), promotionExtendMs: electionTimeoutMs });
    this.quota = new QuotaMonitor(options.quotaBytes, this.id);
    const forwardedTraces = tracingOn() ? { forwardedTraces: new ForwardedEntryTraces(this.id) } : {};
    this.peers = new TransportPeers({ id: this.id, transport: this.transport, members, configured: knownMembers(options) });
    const applier = new CommittedApplier({ id: this.id, rawNode, mvcc: storage.mvcc, members, proposals: this.proposals, metrics, ...forwardedTraces, onMembershipChange: (confState) => this.peers.update(confState) });
    const loopParts = { id: this.id, rawNode, logStore: storage.logStore, mvcc: storage.mvcc, transport: this.transport, members, applier, proposals: this.proposals, reads: this.reads, waiters: this.waiters, metrics, layout: parts.layout, logger: this.logger, clock: this.clock, fileSystem: this.io.fileSystem, cipher: storage.cipher, inboxBounds: options.queueLimits, ...forwardedTraces };
    this.loop = new ReadyLoop(loopParts, {
      onLeadershipChange: (isLeader) => this.leaseDriver.leadershipChanged(isLeader),
      onMembersReplaced: () => this.peers.update(rawNode.status().confState),
      afterIteration: async () => {
        await this.leaseDriver.resumeAfterRestore(this.isLeader);
        await this.logMaintenance.snapshotByPolicy();
        await this.logMaintenance.resealLogIfAsked();
      },
      onFatal: (error) => this.fail(error),
    });
    this.membership = new Membership({ id: this.id, rawNode, loop: this.loop, waiters: this.waiters, members, lastIndex: () => storage.logStore.lastIndex(), timeoutMs: options.requestTimeoutMs, clock: this.clock });
    this.logMaintenance = new LogMaintenance({
      rawNode,
      logStore: storage.logStore,
      members,
      confState: () => this.membership.confState(),
      policy: new SnapshotPolicy(options.snapshotEntries, options.compactionMarginEntries, options.logBytesMax),
      metrics,
      logger,
      clock: this.clock,
      requestTimeoutMs: options.requestTimeoutMs,
      wake: () => this.loop.wake(),
    });
    this.forwarder = new PeerForwarder({ transport: this.transport, loop: this.loop, timeoutMs: options.requestTimeoutMs, forwardedRequestsMax: options.queueLimits.forwardedRequestsMax, metrics });
    const proposeRestoreStep = (request: RestoreRequest, timeoutMs: number): Promise<MvccResponse> => this.proposeRequest(request, { timeoutMs });
    const { fileSystem, randomInt } = this.io;
    this.restores = new ClusterRestore({ layout: parts.layout, propose: proposeRestoreStep, requestTimeoutMs: options.requestTimeoutMs, fileSystem, randomInt, cipher: storage.cipher });
    this.publisher = new MemberPublisher({ id: this.id, name: options.name, clientUrls: options.clientUrls, grpcUrls: options.grpcUrls, members, retryTicks: PUBLISH_RETRY_TICKS });
    this.keyRotation = new KeyRotation({
      keyFile: options.encryptionKeyFile,
      cipher: storage.cipher,
      database: storage.encryptedDatabase,
      logStore: storage.logStore,
      metrics,
      logger: this.logger,
      resealLog: (sequence, lastIndexBefore) => this.logMaintenance.resealLog(sequence, lastIndexBefore),
      reclaim: () => this.mvcc.reclaim(),
    });
    storage.mvcc.addLeaseListener((event) => {
      this.leaseDriver.observe(event);
      if (event.type === 'grant') metrics.leasesGranted.inc();
      else if (event.type === 'revoke') metrics.leasesRevoked.inc();
    });
    metrics.quotaBytes.set(options.quotaBytes);
  }

  /** Opens the data directory and starts the node; rejects with a NodeError or a storage error naming the problem. */
  static async open(input: NodeOptions): Promise<RaftKvNode> {
    const steps = new StartupSteps();
    const parts = await openNodeParts(resolveNodeOptions(input), steps);
    try {
      const node = new RaftKvNode(parts);
      await node.start(steps);
      return node;
    } catch (error) {
      await closeNodeParts(parts);
      throw error;
    }
  }

  private async start(steps: StartupSteps): Promise<void> {
    this.forwarder.serve({
      leaseKeepAlive: (id) => this.leaderKeepAlive(id),
      leaseRemainingTtl: (id) => this.leaseDriver.remainingTtl(id),
      addMember: (request) => this.membership.addMember(request),
      promoteMember: (id) => this.membership.promoteMember(id),
      updateMember: (id, peerAddress) => this.membership.updateMember(id, peerAddress),
      removeMember: (id) => this.membership.removeMember(id),
      transferLeadership: (to) => this.membership.transferLeadership(to),
    });
    this.peers.update(this.parts.rawNode.status().confState);
    await steps.time('restoreLeftoversRemoval', () => this.restores.removeLeftovers());
    await steps.time('transportStart', () => this.transport.start({
      onMessages: (messages) => this.loop.receive(messages),
      onSnapshot: async (message, chunks) => {
        const metadata = message.snapshot?.metadata;
        if (metadata === undefined) throw new Error('a snapshot message without a snapshot');
        await persistReceivedSnapshot(this.io.fileSystem, receivedSnapshotPath(this.parts.layout, metadata.term, metadata.index), chunks, this.parts.storage.cipher);
        this.loop.deliver([message]);
      },
      onUnreachable: (peer) => this.loop.run(() => this.parts.rawNode.reportUnreachable(peer)),
      onSnapshotStatus: (peer, ok) => this.loop.run(() => this.parts.rawNode.reportSnapshot(peer, ok)),
    }));
    this.stopTicker = this.clock.repeat(this.options.tickMs, () => this.onTick());
    this.loop.wake();
    steps.register(this.metrics.registry);
    this.logger.info({ id: this.id, clusterId: this.clusterId, appliedIndex: this.mvcc.appliedIndex, startupMs: steps.summary() }, 'node started');
  }

  private get clock(): NodeClock {
    return this.io.clock;
  }

  private get mvcc(): NodeStorage['mvcc'] {
    return this.parts.storage.mvcc;
  }

  /** A txn of range operations only is served as a linearizable read, without a log entry. */
  async write(request: WriteRequest, options: WriteOptions = {}): Promise<MvccResponse> {
    this.ensureRunning();
    if (request.type === 'txn' && txnIsReadOnly(request.txn)) return this.readOnlyTxn(request.txn, options.timeoutMs);
    return this.proposeRequest(request, options);
  }

  private async readOnlyTxn(txn: TxnRequest, timeoutMs: number | undefined): Promise<MvccResponse> {
    await this.readBarrier(timeoutMs);
    return { type: 'txn', txn: await this.mvcc.readTxn(txn) };
  }

  /** Validates, checks the quota and proposes; settles when this node applies the entry. */
  private async proposeRequest(request: MvccRequest, options: WriteOptions): Promise<MvccResponse> {
    this.ensureRunning();
    validateRequest(request, this.limits);
    const timestampMs = this.clock.wallClockMs();
    const bytes = encodeRequest(options.caller === undefined ? { timestampMs, request } : { timestampMs, request, caller: options.caller });
    validateRequestSize(bytes.byteLength, this.limits);
    const refusal = this.quota.refusal(request, bytes.byteLength, this.mvcc.alarms);
    if (refusal !== undefined) {
      if (refusal.raise !== undefined) this.proposeUntracked({ type: 'alarm', alarm: refusal.raise });
      throw new MvccError('MVCC_NOSPACE');
    }
    const { requestId, settled } = this.countingOverload(() => this.proposals.track(this.clock.monotonicNowMs(), options.timeoutMs ?? this.options.requestTimeoutMs, bytes.byteLength));
    const trace = this.traceProposal(requestId);
    this.loop.propose(encodeEnvelope(this.id, requestId, bytes, EntryKind.MvccRequest, trace?.spanContext()), requestId);
    if (options.signal !== undefined) {
      const signal = options.signal;
      signal.addEventListener('abort', () => this.proposals.fail(requestId, signal.reason instanceof Error ? signal.reason : new Error('aborted')), { once: true });
    }
    return settled;
  }

  /** Spans for the proposal when the request being served is traced (tracing on, and sampled). */
  private traceProposal(requestId: number): ProposalTrace | undefined {
    const request = requestSpan();
    if (request === undefined) return undefined;
    const trace = new ProposalTrace(request, this.isLeader ? undefined : this.loop.lead);
    this.proposals.traced(requestId, trace);
    return trace;
  }

  async range(request: RangeRequest, options: ReadOptions = {}): Promise<RangeResponse> {
    this.ensureRunning();
    validateRequest({ type: 'range', range: request }, this.limits);
    if ((options.consistency ?? 'linearizable') === 'linearizable') await this.readBarrier(options.timeoutMs);
    return this.mvcc.range(request);
  }

  watch(request: WatchRequest): Watcher {
    this.ensureRunning();
    return this.mvcc.watch(request);
  }

  /** The replicated auth state as of the last applied batch (for src/auth's permission checks). */
  authState(): AuthState {
    return this.mvcc.authState;
  }

  /**
   * Resolves once this member has applied everything committed when it was called (a ReadIndex
   * barrier): a simple token assigned through another member is known here after it.
   */
  async catchUp(): Promise<void> {
    this.ensureRunning();
    await this.readBarrier(undefined);
  }

  /** Hears each simple token assigned through the log (src/auth/simple-tokens.ts). */
  addTokenListener(listener: (event: TokenEvent) => void): () => void {
    return this.mvcc.addTokenListener(listener);
  }

  async leaseKeepAlive(id: number): Promise<number> {
    this.ensureRunning();
    if (this.isLeader) return this.leaderKeepAlive(id);
    return this.forwarder.leaseKeepAlive(id);
  }

  /**
   * etcd's waitAppliedIndex before a renewal: a lease granted through another member may be
   * committed but not yet applied here, so an unknown lease is looked up once more after this
   * leader applied everything it knew to be committed, instead of being reported lost.
   */
  private async leaderKeepAlive(id: number): Promise<number> {
    try {
      return this.leaseDriver.keepAlive(id);
    } catch (error) {
      if (!(error instanceof MvccError) || error.code !== 'MVCC_LEASE_NOT_FOUND') throw error;
      await this.readBarrier(undefined);
      return this.leaseDriver.keepAlive(id);
    }
  }

  async leaseTimeToLive(id: number, withKeys: boolean): Promise<LeaseTimeToLive & { readonly remainingTtl: number }> {
    this.ensureRunning();
    await this.readBarrier(undefined);
    const stored = await this.mvcc.leaseTimeToLive(id, withKeys);
    const remainingTtl = this.isLeader ? this.leaseDriver.remainingTtl(id) : await this.forwarder.leaseRemainingTtl(id);
    return { ...stored, remainingTtl };
  }

  async leases(): Promise<LeaseRecord[]> {
    this.ensureRunning();
    return this.mvcc.leases();
  }

  members(): readonly MemberInfo[] {
    return this.parts.members.members(this.membership.confState());
  }

  async addMember(request: AddMemberRequest): Promise<MemberInfo> {
    this.ensureRunning();
    if (this.isLeader) return this.membership.addMember(request);
    const added = await this.forwarder.addMember(request);
    await this.readBarrier(undefined);
    return added;
  }

  /** Never rejects: the route that adds the member does not wait for it. */
  async inviteMember(id: NodeId): Promise<boolean> {
    const parts = { transport: this.transport, clusterId: this.clusterId, members: () => this.members(), running: () => this.state === 'running', logger: this.logger };
    return inviteMember(parts, id);
  }

  async promoteMember(id: NodeId): Promise<void> {
    this.ensureRunning();
    if (this.isLeader) return this.membership.promoteMember(id);
    await this.forwarder.promoteMember(id);
    await this.readBarrier(undefined);
  }

  async updateMember(id: NodeId, peerAddress: string): Promise<void> {
    this.ensureRunning();
    if (this.isLeader) return this.membership.updateMember(id, peerAddress);
    await this.forwarder.updateMember(id, peerAddress);
    await this.readBarrier(undefined);
  }

  async removeMember(id: NodeId): Promise<void> {
    this.ensureRunning();
    if (this.isLeader) return this.membership.removeMember(id);
    await this.forwarder.removeMember(id);
    await this.readBarrier(undefined);
  }

  async transferLeadership(to?: NodeId): Promise<void> {
    this.ensureRunning();
    if (this.isLeader) return this.membership.transferLeadership(to);
    return this.forwarder.transferLeadership(to ?? NO_NODE);
  }

  async status(): Promise<NodeStatus> {
    const { rawNode, storage } = this.parts;
    return nodeStatus({ id: this.id, name: this.name, clusterId: this.clusterId, rawNode, storage, quota: this.quota }, this.state === 'running');
  }

  position(): NodePosition {
    return { term: this.loop.term, leaderId: this.loop.lead, revision: this.mvcc.currentRevision };
  }

  readiness(): Readiness {
    return nodeReadiness(this.state, this.loop, this.mvcc.appliedIndex);
  }

  /** Sealed under this member's newest key when encryption at rest is on. */
  backup(): AsyncIterable<Uint8Array> {
    this.ensureRunning();
    return sealStream(this.mvcc.snapshot(), this.parts.storage.cipher);
  }

  /**
   * Replaces every member's state with the backup, through Raft; resolves once this node applied
   * it. A sealed backup is opened here, with this member's keys, before anything is proposed.
   */
  async restore(stream: AsyncIterable<Uint8Array>): Promise<void> {
    this.ensureRunning();
    await this.restores.restore(openStream(stream, this.parts.storage.cipher, 'the backup'));
  }

  /** SHA-256 (hex) of this member's whole state machine; members that applied the same entries agree. */
  async hash(): Promise<string> {
    this.ensureRunning();
    return this.mvcc.hash();
  }

  async hashKv(revision: number): Promise<EtcdHashKv> {
    this.ensureRunning();
    return this.mvcc.hashKv(revision);
  }

  async waitForCompaction(): Promise<void> {
    this.ensureRunning();
    await this.mvcc.waitForCompaction();
  }

  /** Compacts this member's database so that space freed by compaction returns to the disk (etcd's defragment). */
  async defragment(): Promise<void> {
    this.ensureRunning();
    await this.mvcc.reclaim();
    await this.measureQuota();
  }

  async rotateEncryptionKey(): Promise<KeyRotationResult> {
    this.ensureRunning();
    return this.keyRotation.rotate();
  }

  /** Stops serving; a leader first hands leadership to another voter (bounded by two election timeouts). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'running' && this.isLeader && this.membership.mostCaughtUpVoter() !== NO_NODE) {
      this.state = 'closing';
      const timeoutMs = 2 * this.options.electionTicks * this.options.tickMs;
      await this.membership.transferLeadership(undefined, timeoutMs).catch((error: unknown) => this.logger.warn({ err: error }, 'leadership transfer before close failed'));
    }
    if (this.state !== 'failed') this.state = 'closed';
    this.stopTicker?.();
    await this.loop.stop();
    await this.measurement;
    const stopped = new NodeError('NODE_STOPPED');
    this.proposals.failAll(stopped);
    this.reads.failAll(stopped);
    this.waiters.failAll(stopped);
    await this.transport.close();
    await closeNodeParts(this.parts);
    this.logger.info('node stopped');
  }

  private get isLeader(): boolean {
    return this.loop.role === StateType.Leader;
  }

  private ensureRunning(): void {
    if (this.state !== 'running') throw new NodeError('NODE_STOPPED');
  }

  /**
   * Resolves once this node applied everything committed when it was called. After a
   * membership change the leader made for this follower, it makes the follower's own member
   * list, which the caller is answered with, show the change.
   */
  private async readBarrier(timeoutMs: number | undefined): Promise<void> {
    const released = this.reads.enqueue(this.clock.monotonicNowMs(), timeoutMs ?? this.options.requestTimeoutMs);
    this.loop.wake();
    await released.catch((error: unknown) => {
      this.countOverload(error);
      throw error;
    });
  }

  /** Runs `admit`, counting a NODE_OVERLOADED refusal it throws in the overload metric. */
  private countingOverload<T>(admit: () => T): T {
    try {
      return admit();
    } catch (error) {
      this.countOverload(error);
      throw error;
    }
  }

  private countOverload(error: unknown): void {
    if (isNodeError(error, 'NODE_OVERLOADED')) this.metrics.overloadRefusals.inc({ queue: error.details.queue });
  }

  private onTick(): void {
    const now = this.clock.monotonicNowMs();
    this.ticks++;
    this.loop.tick();
    const expired = this.proposals.expire(now);
    if (expired > 0) this.metrics.proposalsFailed.inc({ code: 'NODE_TIMEOUT' }, expired);
    this.reads.sweep(now);
    this.waiters.check(now);
    this.metrics.proposalsPending.set(this.proposals.size);
    this.metrics.proposalBytesPending.set(this.proposals.bytes);
    this.metrics.readsPending.set(this.reads.pendingCount);
    this.metrics.watchers.set(this.mvcc.watcherCount);
    const keys = this.mvcc.keyCount;
    if (keys !== undefined) this.metrics.keys.set(keys);
    if (this.isLeader) this.proposeLeaderDuties(now);
    if (this.loop.lead !== NO_NODE) this.publishAttributes();
    if (this.ticks % QUOTA_MEASURE_TICKS === 0 && this.measurement === undefined) {
      this.measurement = this.measureQuota()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'measuring the database failed'))
        .finally(() => {
          this.measurement = undefined;
        });
    }
    if (this.ticks % JOIN_PROMOTION_TICKS === 0) this.requestJoinPromotion();
  }

  /** Lease revokes and checkpoints, and automatic compaction: the leader proposes them. */
  private proposeLeaderDuties(now: number): void {
    for (const request of this.leaseDriver.due()) {
      if (request.type === 'leaseRevoke') this.metrics.leasesExpired.inc();
      this.proposeUntracked(request);
    }
    const target = this.options.autoCompaction?.next(now, this.mvcc.currentRevision, this.mvcc.compactRevision);
    if (target !== undefined) this.proposeUntracked({ type: 'compaction', compaction: { revision: target } });
  }

  private publishAttributes(): void {
    const attributes = this.publisher.attributesToPublish(this.ticks);
    if (attributes === undefined) return;
    this.logger.info({ clientUrls: this.options.clientUrls, grpcUrls: this.options.grpcUrls }, 'publishing this member\'s client URLs');
    this.loop.propose(encodeEnvelope(this.id, UNTRACKED_REQUEST_ID, attributes, EntryKind.MemberAttributes), UNTRACKED_REQUEST_ID);
  }

  private proposeUntracked(request: MvccRequest): void {
    const bytes = encodeRequest({ timestampMs: this.clock.wallClockMs(), request });
    this.loop.propose(encodeEnvelope(this.id, UNTRACKED_REQUEST_ID, bytes), UNTRACKED_REQUEST_ID);
  }

  private async measureQuota(): Promise<void> {
    if (this.state !== 'running') return;
    const sizeBytes = await this.mvcc.backendSize();
    this.metrics.databaseSizeBytes.set(sizeBytes);
    const alarm = this.quota.measured(sizeBytes, this.mvcc.alarms);
    if (alarm !== undefined && this.loop.lead !== NO_NODE) {
      this.logger.warn({ sizeBytes, quotaBytes: this.quota.quotaBytes, action: alarm.action }, 'proposing a change of the NOSPACE alarm');
      this.proposeUntracked({ type: 'alarm', alarm });
    }
    this.metrics.leases.set((await this.mvcc.leases()).length);
  }

  /** A node that joined as a learner asks the leader to make it a voter until it is one. */
  private requestJoinPromotion(): void {
    if (this.options.cluster.mode !== 'join' || this.joinPromotionInFlight || this.loop.lead === NO_NODE) return;
    if (!this.membership.confState().learners.includes(this.id)) return;
    this.joinPromotionInFlight = true;
    this.forwarder
      .promoteMember(this.id)
      .then(() => this.logger.info('promoted from learner to voter'))
      .catch((error: unknown) => this.logger.debug({ err: error }, 'not promoted yet'))
      .finally(() => {
        this.joinPromotionInFlight = false;
      });
  }

  private fail(error: unknown): void {
    this.logger.fatal({ err: error }, 'the node stopped after a storage or state-machine failure');
    this.state = 'failed';
    this.options.onFatalError?.(error);
    void this.close();
  }
}
