// Every metric docs/observability.md lists is on a real member's /metrics after a workload, with
// a value that fits what the workload did: a three-member cluster takes writes over REST and
// etcd's gRPC API, a watch, a transaction and a lease that expires; then each member is scraped.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, request, TestCluster, waitFor, type ServerProcess } from '../cluster/cluster-harness.js';
import { etcdctlBackground, etcdctlOk } from '../etcd-compat/etcdctl-runner.js';
import { connect } from '../../src/client/index.js';

/** One sample of the Prometheus text format: its name, labels and value. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The metric families a scrape declares (a labelled one with no series yet still has its HELP line). */
function familiesOf(text: string): Set<string> {
  return new Set([...text.matchAll(/^# HELP (\S+) /gm)].map((match) => match[1]!));
}

/** The metric names the member tables of the document give, without their labels. */
async function documentedMetrics(): Promise<string[]> {
  const document = await readFile(join(REPOSITORY_ROOT, 'docs', 'observability.md'), 'utf8');
  // The members' metrics: the section before the operator's.
  const members = document.slice(document.indexOf('## Metrics'), document.indexOf("## The operator's metrics"));
  return [...members.matchAll(/^\| `([a-z_]+)(?:\{[^}]*\})?`/gm)].map((match) => match[1]!);
}

/** The keys the workload leaves: 20 over REST, two over etcd's API; the leased one expires. */
const WORKLOAD_KEYS = 22;

let cluster: TestCluster;
let leader: ServerProcess;
const scrapes = new Map<string, Sample[]>();
const families = new Map<string, Set<string>>();

const sum = (samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)).reduce((total, sample) => total + sample.value, 0);

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'metrics' });
  leader = await cluster.leader();
  const follower = cluster.members.find((member) => member !== leader)!;
  for (let index = 0; index < 20; index++) expect((await request(follower.url, 'PUT', `/api/v1/keys/rest-${index}`, `value ${index}`)).status).toBe(200);
  await etcdctlOk([leader], ['put', 'etcd-key', 'etcd value']);
  await etcdctlOk([follower], ['txn'], 'value("etcd-key") = "etcd value"\n\nput txn-key yes\n\n\n');
  const watch = etcdctlBackground([leader], ['watch', 'etcd-key', '--rev', '1']);
  try {
    await watch.waitForOutput((output) => output.includes('etcd value'));
  } finally {
    watch.stop();
  }
  // A lease of one second, left to expire: the leader revokes it.
  const granted = await etcdctlOk([leader], ['lease', 'grant', '1']);
  const leaseId = /lease ([0-9a-f]+) granted/.exec(granted)?.[1];
  expect(leaseId).toBeDefined();
  await etcdctlOk([leader], ['put', 'leased-key', 'x', '--lease', leaseId!]);
  await waitFor('the lease to expire', 20_000, async () => ((await etcdctlOk([leader], ['get', 'leased-key'])).trim() === '' ? true : undefined));
  // Scraped once every member has applied the whole workload, the lease's revoke included:
  // 20 keys over REST and two over etcd's API are left.
  for (const member of cluster.members) {
    await waitFor(`${member.name} to apply the workload`, 10_000, async () => {
      const text = (await request(member.url, 'GET', '/metrics')).text;
      const samples = parseSamples(text);
      if (sum(samples, 'bvault_mvcc_keys_total') !== WORKLOAD_KEYS) return undefined;
      scrapes.set(member.name, samples);
      families.set(member.name, familiesOf(text));
      return true;
    });
  }
}, 120_000);

/** The leader's member id in hex, as the peer labels give it, from the member list. */
async function leaderIdHex(): Promise<string> {
  const members = JSON.parse((await request(leader.url, 'GET', '/api/v1/cluster/members')).text) as { members: { id: string; name: string }[] };
  const id = members.members.find((member) => member.name === leader.name)?.id;
  if (id === undefined) throw new Error(`no member ${leader.name} in ${JSON.stringify(members)}`);
  return BigInt(id).toString(16);
}

afterAll(async () => {
  await cluster?.destroy();
});

describe('the metrics of a member after a workload', () => {
  it('has every metric docs/observability.md lists, on every member', async () => {
    const documented = await documentedMetrics();
    expect(documented.length).toBeGreaterThanOrEqual(40);
    for (const [member, declared] of families) {
      expect(documented.filter((name) => !declared.has(name)), `${member} lacks metrics`).toEqual([]);
    }
  });

  it('agrees on one leader and counts the workload\'s entries on every member', () => {
    const leaders = [...scrapes.values()].map((samples) => sum(samples, 'bvault_server_is_leader'));
    expect(leaders.sort()).toEqual([0, 0, 1]);
    for (const samples of scrapes.values()) {
      expect(sum(samples, 'bvault_server_has_leader')).toBe(1);
      expect(sum(samples, 'bvault_server_proposals_committed_total')).toBeGreaterThanOrEqual(23);
      expect(sum(samples, 'bvault_server_proposals_applied_total')).toBeGreaterThanOrEqual(23);
      expect(sum(samples, 'bvault_server_apply_duration_seconds_count')).toBeGreaterThan(0);
      expect(sum(samples, 'bvault_disk_wal_fsync_duration_seconds_count')).toBeGreaterThan(0);
      expect(sum(samples, 'bvault_disk_backend_commit_duration_seconds_count')).toBeGreaterThan(0);
      expect(sum(samples, 'bvault_mvcc_db_total_size_in_bytes')).toBeGreaterThan(0);
      expect(sum(samples, 'bvault_server_quota_backend_bytes')).toBeGreaterThan(sum(samples, 'bvault_mvcc_db_total_size_in_bytes'));
      expect(sum(samples, 'bvault_lease_granted_total')).toBeGreaterThanOrEqual(1);
      expect(sum(samples, 'bvault_lease_revoked_total')).toBeGreaterThanOrEqual(1);
      expect(sum(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
      expect(sum(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(sum(samples, 'bvault_server_event_loop_delay_seconds', { quantile: '1' })).toBeGreaterThan(0);
    }
    expect(sum(scrapes.get(leader.name)!, 'bvault_lease_expired_total')).toBeGreaterThanOrEqual(1);
  });

  it('counts the client connections open on each port, from accept to close', async () => {
    const member = cluster.members[0]!;
    const connections = async (): Promise<Record<string, number>> => {
      const samples = parseSamples((await request(member.url, 'GET', '/metrics')).text).filter((sample) => sample.name === 'bvault_server_client_connections');
      return Object.fromEntries(samples.map((sample) => [sample.labels.api, sample.value]));
    };
    // etcdctl's connections of the workload are gone once its processes are.
    await waitFor('no gRPC connection', 10_000, async () => ((await connections()).grpc === 0 ? true : undefined));
    const client = connect({ endpoints: [member.grpcAddress] });
    try {
      await client.get(Buffer.from('etcd-key'));
      const open = await connections();
      expect(open.grpc).toBe(1);
      // This scrape's own connection, at least.
      expect(open.http).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
    }
    await waitFor('the client\'s connection to close', 10_000, async () => ((await connections()).grpc === 0 ? true : undefined));
  });

  it('shows each peer as active, the leader\'s traffic to and from each follower, and round-trip times', async () => {
    const leaderId = (await leaderIdHex());
    for (const [name, samples] of scrapes) {
      const peers = samples.filter((sample) => sample.name === 'bvault_network_active_peers');
      expect(peers.map((sample) => sample.value), `${name}'s peers`).toEqual([1, 1]);
      if (name === leader.name) continue;
      // A follower talks to the leader only.
      expect(sum(samples, 'bvault_network_peer_sent_bytes_total', { To: leaderId }), `${name} to the leader`).toBeGreaterThan(0);
      expect(sum(samples, 'bvault_network_peer_received_bytes_total', { From: leaderId }), `${name} from the leader`).toBeGreaterThan(0);
    }
    const fromLeader = scrapes.get(leader.name)!;
    for (const name of ['bvault_network_peer_sent_bytes_total', 'bvault_network_peer_received_bytes_total']) {
      const perPeer = fromLeader.filter((sample) => sample.name === name);
      expect(perPeer, name).toHaveLength(2);
      for (const sample of perPeer) expect(sample.value, `${name} ${JSON.stringify(sample.labels)}`).toBeGreaterThan(0);
    }
    const roundTrips = scrapes.get(leader.name)!.filter((sample) => sample.name === 'bvault_network_peer_round_trip_time_seconds');
    expect(roundTrips).toHaveLength(2);
    for (const sample of roundTrips) expect(sample.value).toBeGreaterThan(0);
  });

  it('counts gRPC calls under go-grpc-prometheus\'s names, and REST requests by route', () => {
    const all = [...scrapes.values()].flat();
    const put = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Put' };
    expect(sum(all, 'grpc_server_started_total', put)).toBeGreaterThanOrEqual(2);
    expect(sum(all, 'grpc_server_handled_total', { ...put, grpc_code: 'OK' })).toBeGreaterThanOrEqual(2);
    expect(sum(all, 'grpc_server_handling_seconds_count', put)).toBeGreaterThanOrEqual(2);
    expect(sum(all, 'grpc_server_handled_total', { grpc_service: 'etcdserverpb.KV', grpc_method: 'Txn', grpc_code: 'OK' })).toBe(1);
    expect(sum(all, 'grpc_server_started_total', { grpc_type: 'bidi_stream', grpc_service: 'etcdserverpb.Watch', grpc_method: 'Watch' })).toBeGreaterThanOrEqual(1);
    expect(sum(all, 'grpc_server_started_total', { grpc_service: 'etcdserverpb.Lease', grpc_method: 'LeaseGrant' })).toBe(1);
    expect(sum(all, 'bvault_http_request_duration_seconds_count', { method: 'PUT', status_code: '200' })).toBeGreaterThanOrEqual(20);
  });
});
