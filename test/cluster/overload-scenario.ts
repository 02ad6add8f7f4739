// The overload scenario, shared by the overload test and `npm run bench:overload`: a real
// three-process cluster with one slow follower (its WAL writes held by the wal-write failpoint),
// thousands of concurrent requests over a handful of gRPC channels, most of them large puts to
// the leader and the rest linearizable reads from every member. It records every request's
// outcome and latency, samples each server's resident memory (VmRSS) throughout, reads the
// term before and after, and finally reads every acknowledged key back from every member.

import { type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { Consistency } from '../../src/generated/beavervault/v1/types.js';
import { GetRequest, type KVClient, PutRequest } from '../../src/generated/beavervault/v1/kv.js';
import { residentMemoryMiB } from '../../bench/compare-clusters.js';
import { freePort, request, type ServerProcess, sleep, TestCluster, waitFor } from './cluster-harness.js';
import { Metadata, nativeClient } from '../grpc-native/native-client.js';

export interface OverloadOptions {
  /** Requests sent in all. */
  readonly requests: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** gRPC channels per member the requests share. */
  readonly channelsPerMember: number;
  readonly valueBytes: number;
  /** Every this many puts is a large one. */
  readonly largeValueEvery: number;
  readonly largeValueBytes: number;
  /** Of every 10 requests, this many are linearizable reads (from the leader and the healthy follower); the rest are puts to the leader. */
  readonly readsInTen: number;
  /** The slow follower's delay of each WAL batch. */
  readonly slowDiskMs: number;
  /** Each request's deadline (the server's own request timeout is 10 s). */
  readonly deadlineMs: number;
  /** Settings every member gets, e.g. ['--pending-proposal-bytes-max', '16MiB']. */
  readonly serverArgs: readonly string[];
  readonly onProgress?: (done: number) => void;
  /** Where each member's output is kept as <name>.log; kept only in memory when omitted. */
  readonly logDirectory?: string;
}

export interface OverloadFigures {
  readonly requests: number;
  readonly acknowledged: number;
  readonly reads: number;
  /** Refusals by their server code (NODE_OVERLOADED expected). */
  readonly refused: Readonly<Record<string, number>>;
  /** Any other failure, by code or gRPC status, with one message each. */
  readonly failed: Readonly<Record<string, { count: number; example: string }>>;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly durationMs: number;
  readonly rssMiBMax: Readonly<Record<string, number>>;
  readonly rssMiBBefore: Readonly<Record<string, number>>;
  readonly termBefore: number;
  readonly termAfter: number;
  readonly leaderBefore: number;
  readonly leaderAfter: number;
  /**
   * bvault_server_leader_changes_seen_total summed over the members during the load. A member
   * that stopped hearing the leader for an election timeout and tried a pre-vote (which does not
   * change the term or the leader) adds one when it hears the leader again.
   */
  readonly leaderChanges: number;
  readonly lostKeys: readonly string[];
  readonly droppedPeerMessages: Readonly<Record<string, number>>;
  readonly overloadRefusals: Readonly<Record<string, number>>;
  readonly slowFollower: string;
}

const RSS_SAMPLE_MS = 200;
const READ_BACK_CONCURRENCY = 32;

export async function runOverloadScenario(options: OverloadOptions): Promise<OverloadFigures> {
  const failpointPorts = new Map<string, number>();
  for (const name of ['n1', 'n2', 'n3']) failpointPorts.set(name, await freePort());
  const cluster = await TestCluster.start({
    size: 3,
    prefix: 'overload',
    extraArgs: options.serverArgs,
    memberOptions: (name) => ({ environment: { BVAULT_FAILPOINTS_HTTP: `127.0.0.1:${failpointPorts.get(name)}` }, ...(options.logDirectory === undefined ? {} : { outputFile: `${options.logDirectory}/${name}.log` }) }),
  });
  const channels: KVClient[] = [];
  try {
    const leader = await cluster.leader();
    const slow = cluster.members.find((member) => member !== leader)!;
    const slowDisk = async (action: string): Promise<void> => {
      const answer = await fetch(`http://127.0.0.1:${failpointPorts.get(slow.name)}/wal-write`, { method: 'PUT', body: action });
      if (!answer.ok) throw new Error(`the failpoint refused ${action}: ${answer.status}`);
    };
    const channelsOf = new Map<ServerProcess, KVClient[]>();
    for (const member of cluster.members) {
      const own = Array.from({ length: options.channelsPerMember }, () => nativeClient(member.grpcAddress));
      channelsOf.set(member, own);
      channels.push(...own);
    }
    const { term: termBefore, leaderId: leaderBefore } = await leader.status();
    const leaderChangesBefore = await leaderChangesSeen(cluster.members);
    const rssMiBBefore = await residentMemory(cluster.members);
    await slowDisk(`sleep(${options.slowDiskMs})`);
    const sampler = sampleResidentMemory(cluster.members);
    const load = await runLoad(options, leader, cluster.members.filter((member) => member !== slow), channelsOf);
    const rssMiBMax = await sampler.stop();
    await slowDisk('off');
    const { term: termAfter, leaderId: leaderAfter } = await leader.status();
    const leaderChanges = (await leaderChangesSeen(cluster.members)) - leaderChangesBefore;
    await waitForEveryMemberToApply(cluster.members, leader);
    const lostKeys = await readBack(options, channelsOf, load.acknowledged);
    return {
      requests: options.requests,
      acknowledged: load.acknowledged.length,
      reads: load.reads,
      refused: load.refused,
      failed: load.failed,
      latencyMs: percentiles(load.latenciesMs),
      durationMs: load.durationMs,
      rssMiBMax,
      rssMiBBefore,
      termBefore,
      termAfter,
      leaderBefore,
      leaderAfter,
      leaderChanges,
      lostKeys,
      droppedPeerMessages: await metricByMember(cluster.members, 'bvault_network_peer_messages_dropped_total'),
      overloadRefusals: await metricByMember(cluster.members, 'bvault_server_overload_refusals_total'),
      slowFollower: slow.name,
    };
  } finally {
    for (const channel of channels) channel.close();
    await cluster.destroy();
  }
}

interface LoadOutcome {
  readonly acknowledged: string[];
  reads: number;
  readonly refused: Record<string, number>;
  readonly failed: Record<string, { count: number; example: string }>;
  readonly latenciesMs: number[];
  durationMs: number;
}

/** `concurrency` workers take request numbers until all are sent; each request is timed. */
async function runLoad(options: OverloadOptions, leader: ServerProcess, readers: readonly ServerProcess[], channelsOf: ReadonlyMap<ServerProcess, KVClient[]>): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { acknowledged: [], reads: 0, refused: {}, failed: {}, latenciesMs: [], durationMs: 0 };
  const value = Buffer.alloc(options.valueBytes, 'v');
  const largeValue = Buffer.alloc(options.largeValueBytes, 'V');
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let number = next++; number < options.requests; number = next++) {
      const isRead = number % 10 < options.readsInTen;
      // Reads go to the leader and the healthy follower: the slow one's state lags its commit
      // index, so a linearizable read there waits for its disk, up to the server's timeout.
      const member = isRead ? readers[number % readers.length]! : leader;
      const own = channelsOf.get(member)!;
      const channel = own[number % own.length]!;
      const key = `load/${number}`;
      const begun = performance.now();
      try {
        if (isRead) {
          await get(channel, `load/${Math.max(0, number - 50)}`, Consistency.CONSISTENCY_LINEARIZABLE, options.deadlineMs);
          outcome.reads++;
        } else {
          const payload = number % options.largeValueEvery === 0 ? largeValue : value;
          await put(channel, key, payload, options.deadlineMs);
          outcome.acknowledged.push(key);
        }
      } catch (error) {
        record(outcome, error as ServiceError, isRead ? 'get' : 'put');
      }
      outcome.latenciesMs.push(performance.now() - begun);
      options.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  outcome.durationMs = performance.now() - started;
  return outcome;
}

function record(outcome: LoadOutcome, error: ServiceError, kind: 'get' | 'put'): void {
  const code = error.metadata?.get('bvault-error-code')[0]?.toString();
  // A read of a key whose put was refused or is still on its way is answered, with "not found".
  if (code === 'API_KEY_NOT_FOUND') {
    outcome.reads++;
    return;
  }
  if (code === 'NODE_OVERLOADED' && error.code === GrpcStatus.RESOURCE_EXHAUSTED) {
    outcome.refused[code] = (outcome.refused[code] ?? 0) + 1;
    return;
  }
  const name = `${kind} ${code ?? GrpcStatus[error.code] ?? String(error.code)}`;
  const entry = (outcome.failed[name] ??= { count: 0, example: error.details || error.message });
  entry.count++;
}

function put(channel: KVClient, key: string, value: Buffer, deadlineMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    channel.put(PutRequest.fromPartial({ key: Buffer.from(key), value }), new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

function get(channel: KVClient, key: string, consistency: Consistency, deadlineMs: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    channel.get(GetRequest.fromPartial({ key: Buffer.from(key), consistency }), new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response.kv?.value)));
  });
}

function percentiles(latenciesMs: number[]): OverloadFigures['latencyMs'] {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (fraction: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
}

async function residentMemory(members: readonly ServerProcess[]): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const member of members) figures[member.name] = Math.round(await residentMemoryMiB(member.pid));
  return figures;
}

/** Samples every member's VmRSS until stopped; resolves with each one's largest sample. */
function sampleResidentMemory(members: readonly ServerProcess[]): { stop(): Promise<Record<string, number>> } {
  const largest: Record<string, number> = {};
  let running = true;
  const sampling = (async () => {
    while (running) {
      const sample = await residentMemory(members);
      for (const [name, mib] of Object.entries(sample)) largest[name] = Math.max(largest[name] ?? 0, mib);
      await sleep(RSS_SAMPLE_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await sampling;
      return largest;
    },
  };
}

async function metricByMember(members: readonly ServerProcess[], name: string): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const member of members) {
    const text = (await request(member.url, 'GET', '/metrics')).text;
    let sum = 0;
    for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(match[1]);
    figures[member.name] = sum;
  }
  return figures;
}

async function leaderChangesSeen(members: readonly ServerProcess[]): Promise<number> {
  const figures = await metricByMember(members, 'bvault_server_leader_changes_seen_total');
  return Object.values(figures).reduce((sum, count) => sum + count, 0);
}

async function waitForEveryMemberToApply(members: readonly ServerProcess[], leader: ServerProcess): Promise<void> {
  const { commitIndex } = await leader.status();
  await waitFor('every member to apply what the leader committed', 60_000, async () => {
    const statuses = await Promise.all(members.map((member) => member.status()));
    return statuses.every((status) => status.appliedIndex >= commitIndex) ? true : undefined;
  });
}

/** Every acknowledged key, read from every member's own state; returns `member:key` of each one missing. */
async function readBack(options: OverloadOptions, channelsOf: ReadonlyMap<ServerProcess, KVClient[]>, keys: readonly string[]): Promise<string[]> {
  const lost: string[] = [];
  for (const [member, own] of channelsOf) {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let index = next++; index < keys.length; index = next++) {
        const key = keys[index]!;
        const number = Number(key.slice('load/'.length));
        const expectedBytes = number % options.largeValueEvery === 0 ? options.largeValueBytes : options.valueBytes;
        const value = await get(own[index % own.length]!, key, Consistency.CONSISTENCY_SERIALIZABLE, 30_000);
        if (value?.byteLength !== expectedBytes) lost.push(`${member.name}:${key}`);
      }
    };
    await Promise.all(Array.from({ length: READ_BACK_CONCURRENCY }, worker));
  }
  return lost;
}

/** One line per figure, for the test's output and the benchmark's. */
export function describeFigures(figures: OverloadFigures): string {
  const refused = Object.values(figures.refused).reduce((sum, count) => sum + count, 0);
  const failed = Object.entries(figures.failed).map(([code, entry]) => `${code} ×${entry.count} (${entry.example})`);
  return [
    `requests ${figures.requests}: ${figures.acknowledged} puts acknowledged, ${figures.reads} reads answered, ${refused} refused (NODE_OVERLOADED), ${failed.length === 0 ? 'no other errors' : `other errors: ${failed.join('; ')}`}`,
    `latency ms: p50 ${figures.latencyMs.p50}, p99 ${figures.latencyMs.p99}, max ${figures.latencyMs.max}; ${(figures.durationMs / 1000).toFixed(1)} s in all`,
    `VmRSS MiB before → max during the load: ${Object.keys(figures.rssMiBMax).map((name) => `${name}${name === figures.slowFollower ? ' (slow)' : ''} ${figures.rssMiBBefore[name]} → ${figures.rssMiBMax[name]}`).join(', ')}`,
    `term before ${figures.termBefore}, after ${figures.termAfter}; leader ${figures.leaderBefore === figures.leaderAfter ? 'unchanged' : 'changed'}; leader changes seen (failed pre-votes included) ${figures.leaderChanges}`,
    `overload refusals by member: ${JSON.stringify(figures.overloadRefusals)}; peer messages dropped: ${JSON.stringify(figures.droppedPeerMessages)}`,
    `acknowledged keys missing on a member: ${figures.lostKeys.length}`,
  ].join('\n');
}
