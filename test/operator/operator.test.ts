// The operator on the Kubernetes test bed, with real pods running Beaver-Vault: it forms a
// cluster from a KVCluster, scales it up and down under a write load without losing an
// acknowledged write or serving a stale read, survives being killed at every step of a scale and
// of a rolling restart, gives a deleted pod back on its volume and replaces a member whose volume
// is lost, upgrades one member at a time with the leader last, grows the members' volumes, and
// reports a lost quorum without acting on it.

import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrentWriters, request, sleep, waitFor, type WriteTarget } from '../cluster/cluster-harness.js';
import { etcdctlAt } from '../etcd-compat/etcdctl-runner.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import type { KVCluster } from '../../operator/src/kvcluster.js';
import { isRunningWith, kvclusterManifest, memberObjectNames, memberPods, memberUrls, OperatorProcess, readCluster, waitForCluster } from './operator-harness.js';

const CRD = join(REPOSITORY_ROOT, 'operator', 'crd', 'kvclusters.kv.beavervault.io.yaml');
const NAMESPACE = 'operator-test';
const CLUSTER = 'orders';
const SETTLE_MS = 240_000;

let bed: Bed;
let operator: OperatorProcess;
/** Outside the bed's directory, which goes with the bed: kept for a look after a failure. */
const OPERATOR_LOG = join(REPOSITORY_ROOT, 'data', 'test-logs', 'operator.log');
const operatorLog = () => OPERATOR_LOG;

beforeAll(async () => {
  await mkdir(dirname(OPERATOR_LOG), { recursive: true });
  await rm(OPERATOR_LOG, { force: true });
  bed = await startBed({ nodes: 2 });
  await bed.kubectl(['apply', '--server-side', '-f', CRD]);
  await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kvclusters.kv.beavervault.io']);
  await bed.kubectl(['create', 'namespace', NAMESPACE]);
  operator = new OperatorProcess(bed, operatorLog());
}, 240_000);

afterAll(async () => {
  await operator?.stop();
  await bed?.stop();
}, 120_000);

const settled = (what: string, check: (cluster: KVCluster) => boolean) => waitForCluster(bed, NAMESPACE, CLUSTER, what, SETTLE_MS, check);

/** Reads back, linearizably and from any member, keys whose writes were acknowledged before the read began. */
class LinearizableReader {
  reads = 0;
  readonly stale: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(writers: ConcurrentWriters, targets: () => readonly WriteTarget[]) {
    this.loop = (async () => {
      for (let turn = 0; this.running; turn++) {
        const acknowledged = [...writers.acknowledged];
        const [key, value] = acknowledged[acknowledged.length - 1 - (turn % Math.min(5, Math.max(1, acknowledged.length)))] ?? [];
        const members = targets();
        const target = members[turn % Math.max(1, members.length)];
        if (key === undefined || value === undefined || target === undefined) {
          await sleep(50);
          continue;
        }
        const answer = await request(target.url, 'GET', `/api/v1/keys/${key}`).catch(() => undefined);
        // A member that is stopping or has no leader refuses; only an answer can be stale.
        if (answer === undefined || answer.status >= 500) continue;
        this.reads++;
        if (answer.status !== 200 || !answer.text.includes(value)) this.stale.push(`${key} at ${target.url}: ${answer.status} ${answer.text.slice(0, 120)}`);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** The members' REST endpoints, refreshed from the pods every second while a load runs. */
function liveTargets(): { targets: () => readonly WriteTarget[]; stop(): void } {
  let targets: WriteTarget[] = [];
  const refresh = async () => {
    targets = [...(await memberUrls(bed, NAMESPACE, CLUSTER).catch(() => new Map<string, string>())).values()].map((url) => ({ url, running: true }));
  };
  void refresh();
  const timer = setInterval(() => void refresh(), 1_000);
  return { targets: () => targets, stop: () => clearInterval(timer) };
}

async function missingAcknowledged(writers: ConcurrentWriters): Promise<string[]> {
  const [url] = (await memberUrls(bed, NAMESPACE, CLUSTER)).values();
  const missing: string[] = [];
  for (const [key, value] of writers.acknowledged) {
    const answer = await request(url ?? '', 'GET', `/api/v1/keys/${key}`);
    if (answer.status !== 200 || !answer.text.includes(value)) missing.push(key);
  }
  return missing;
}

async function eventReasons(): Promise<string[]> {
  const output = await bed.kubectl(['get', 'events', '--namespace', NAMESPACE, '--field-selector', `involvedObject.name=${CLUSTER}`, '-o', 'jsonpath={.items[*].reason}']);
  return output.trim().split(/\s+/);
}

/**
 * Kills the operator at the first step of each kind it has not been killed at yet: as the step
 * starts (its call may or may not have gone out), and once the call returned. Until `disarm`, an
 * operator that was killed is replaced by a new one while `settle` waits.
 */
class StepKiller {
  readonly killedBefore = new Set<string>();
  readonly killedAfter = new Set<string>();
  /** Every kind of step an operator started while armed. */
  readonly taken = new Set<string>();
  kills = 0;
  private armed = true;

  constructor() {
    this.arm(operator);
  }

  /** Waits for the cluster to satisfy `check`, replacing killed operators; `look` sees every status read on the way. */
  async settle(what: string, check: (cluster: KVCluster) => boolean, look: (cluster: KVCluster) => void = () => undefined): Promise<KVCluster> {
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline) {
      const cluster = await readCluster(bed, NAMESPACE, CLUSTER);
      look(cluster);
      if (cluster.status?.observedGeneration === cluster.metadata.generation && check(cluster)) return cluster;
      if (operator.hasExited()) {
        operator = new OperatorProcess(bed, operatorLog());
        this.arm(operator);
      }
      await sleep(500);
    }
    throw new Error(`timed out after ${SETTLE_MS} ms waiting for ${what}`);
  }

  /** Whatever happened, the tests after this get an operator that is left alone. */
  async disarm(): Promise<void> {
    this.armed = false;
    await sleep(1_000);
    if (operator.hasExited()) operator = new OperatorProcess(bed, operatorLog());
  }

  /** Every kind of step taken was killed as it started; those killed after their call are among them. */
  expectEveryStepKilled(): void {
    console.log(`operator killed ${this.kills} times: before ${[...this.killedBefore].join(', ')}; after ${[...this.killedAfter].join(', ')}`);
    expect([...this.killedBefore].sort()).toEqual([...this.taken].sort());
    // Which steps also get killed after their call returned depends on timing (a call that went out
    // before the kill needs no repeat), so only that they are steps taken is checked.
    expect([...this.killedAfter].filter((step) => !this.killedBefore.has(step))).toEqual([]);
  }

  private arm(process: OperatorProcess): void {
    process.onLine((line) => {
      if (!this.armed) return true;
      if (line.step === undefined || line.step === 'wait' || line.step === 'idle') return false;
      this.taken.add(line.step);
      const seen = line.msg === 'step' ? this.killedBefore : this.killedAfter;
      if (seen.has(line.step)) return false;
      seen.add(line.step);
      this.kills++;
      void process.kill();
      return true;
    });
  }
}

describe('the operator on the test bed', () => {
  it('forms a three-member cluster from a KVCluster, with its Services and a quorum-keeping disruption budget', async () => {
    const started = Date.now();
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, CLUSTER, '  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n  settings: { snapshot-entries: "5000" }'));
    const cluster = await settled('three ready members', isRunningWith(3));
    console.log(`a 3-member cluster was ready ${((Date.now() - started) / 1000).toFixed(1)} s after kubectl apply`);
    expect(cluster.status?.leader).toMatch(new RegExp(`^${CLUSTER}-`));
    expect(cluster.status?.clusterId).toMatch(/^[0-9a-f]{16}$/);
    expect(cluster.status?.conditions?.find((condition) => condition.type === 'Available')?.status).toBe('True');
    expect(await memberObjectNames(bed, NAMESPACE, CLUSTER, 'pvc')).toEqual((cluster.status?.members ?? []).map((member) => member.name).sort());

    expect((await bed.kubectl(['get', 'pdb', CLUSTER, '--namespace', NAMESPACE, '-o', 'jsonpath={.spec.minAvailable}'])).trim()).toBe('2');
    expect((await bed.kubectl(['get', 'service', `${CLUSTER}-peers`, '--namespace', NAMESPACE, '-o', 'jsonpath={.spec.clusterIP}'])).trim()).toBe('None');
    expect(await bed.kubectl(['get', 'configmap', `${CLUSTER}-config`, '--namespace', NAMESPACE, '-o', 'jsonpath={.data.bvault\\.yaml}'])).toContain('snapshot-entries: "5000"');
    // No Promote is asked for: a caught-up learner may promote itself before the operator does.
    expect(await eventReasons()).toEqual(expect.arrayContaining(['Bootstrap', 'AddLearner', 'CreatePod']));

    const endpoints = [...(await memberUrls(bed, NAMESPACE, CLUSTER)).values()].map((url) => url.replace('http://', '').replace(':8000', ':9090'));
    const put = await etcdctlAt(endpoints, ['put', 'greeting', 'hello']);
    expect(put.code, put.stderr).toBe(0);
    const get = await etcdctlAt(endpoints.slice(-1), ['get', 'greeting', '--print-value-only']);
    expect(get.stdout.trim()).toBe('hello');
  }, 300_000);

  it('scales 3 → 5 → 3 under a write load: no acknowledged write lost, no stale read', async () => {
    const live = liveTargets();
    const writers = new ConcurrentWriters(live.targets, 3, 'scale-');
    const reader = new LinearizableReader(writers, live.targets);
    try {
      const up = Date.now();
      await bed.kubectl(['scale', `kvc/${CLUSTER}`, '--namespace', NAMESPACE, '--replicas=5']);
      await settled('five ready members', isRunningWith(5));
      console.log(`scaled 3 → 5 in ${((Date.now() - up) / 1000).toFixed(1)} s under a write load`);
      const down = Date.now();
      await bed.kubectl(['scale', `kvc/${CLUSTER}`, '--namespace', NAMESPACE, '--replicas=3']);
      const cluster = await settled('three ready members again', isRunningWith(3));
      console.log(`scaled 5 → 3 in ${((Date.now() - down) / 1000).toFixed(1)} s under a write load`);
      await waitFor('the removed members\' pods and volumes to go', 60_000, async () => {
        const names = (cluster.status?.members ?? []).map((member) => member.name).sort();
        const [pods, volumes] = await Promise.all([memberObjectNames(bed, NAMESPACE, CLUSTER, 'pods'), memberObjectNames(bed, NAMESPACE, CLUSTER, 'pvc')]);
        return JSON.stringify(pods) === JSON.stringify(names) && JSON.stringify(volumes) === JSON.stringify(names) ? true : undefined;
      });
    } finally {
      await writers.stop();
      await reader.stop();
      live.stop();
    }
    console.log(`during the scale: ${writers.acknowledged.size} writes acknowledged, ${writers.failures} failed, ${reader.reads} linearizable reads checked`);
    expect(writers.acknowledged.size).toBeGreaterThan(20);
    expect(reader.reads).toBeGreaterThan(20);
    expect(reader.stale).toEqual([]);
    expect(await missingAcknowledged(writers)).toEqual([]);
  }, 600_000);

  it('converges when killed at every step of a scale up and down, before and after each call', async () => {
    const membersSeen = new Set<string>();
    const gone = new Set<string>();
    const revived: string[] = [];
    const look = (cluster: KVCluster) => {
      const current = new Set((cluster.status?.members ?? []).map((member) => member.name));
      for (const name of current) if (gone.has(name)) revived.push(name);
      for (const name of membersSeen) if (!current.has(name)) gone.add(name);
      for (const name of current) membersSeen.add(name);
    };
    const killer = new StepKiller();
    let final: KVCluster;
    try {
      await bed.kubectl(['scale', `kvc/${CLUSTER}`, '--namespace', NAMESPACE, '--replicas=4']);
      await killer.settle('four ready members with the operator killed at each step', isRunningWith(4), look);
      await bed.kubectl(['scale', `kvc/${CLUSTER}`, '--namespace', NAMESPACE, '--replicas=3']);
      final = await killer.settle('three ready members with the operator killed at each step', isRunningWith(3), look);
    } finally {
      await killer.disarm();
    }
    // (A learner may promote itself before the operator does, and one whose invitation was lost
    // is invited again: which of those steps happen depends on timing.)
    killer.expectEveryStepKilled();
    expect([...killer.taken]).toEqual(expect.arrayContaining(['add-learner', 'create-pod', 'delete-pod', 'delete-volume', 'remove-member']));
    const names = (final.status?.members ?? []).map((member) => member.name).sort();
    expect(final.status?.members?.filter((member) => member.role === 'learner')).toEqual([]);
    await waitFor('pods and volumes of exactly the members', 60_000, async () => {
      const [pods, volumes] = await Promise.all([memberObjectNames(bed, NAMESPACE, CLUSTER, 'pods'), memberObjectNames(bed, NAMESPACE, CLUSTER, 'pvc')]);
      return JSON.stringify(pods) === JSON.stringify(names) && JSON.stringify(volumes) === JSON.stringify(names) ? true : undefined;
    });
    expect(gone.size, 'one member was removed in the scale down').toBe(1);
    expect(revived, 'a removed member never comes back').toEqual([]);
    const greeting = await request((await memberUrls(bed, NAMESPACE, CLUSTER)).get(names[0] ?? '') ?? '', 'GET', '/api/v1/keys/greeting');
    expect(greeting.text).toContain('hello');
  }, 600_000);

  it('gives a deleted pod back on its volume, and replaces a member whose volume is lost', async () => {
    const before = await readCluster(bed, NAMESPACE, CLUSTER);
    const followers = (before.status?.members ?? []).filter((member) => member.role === 'follower').map((member) => member.name);
    const [keep, lose] = followers;
    expect(lose).toBeDefined();
    const uidBefore = (await memberPods(bed, NAMESPACE, CLUSTER)).find((pod) => pod.metadata?.name === keep)?.metadata?.uid;
    await bed.kubectl(['delete', 'pod', keep ?? '', '--namespace', NAMESPACE, '--wait=true']);
    await waitFor(`a new pod for ${keep}`, SETTLE_MS, async () => {
      const pod = (await memberPods(bed, NAMESPACE, CLUSTER)).find((candidate) => candidate.metadata?.name === keep);
      const ready = pod?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;
      return pod !== undefined && pod.metadata?.uid !== uidBefore && ready ? true : undefined;
    });
    const restored = await settled(`${keep} back on its volume`, isRunningWith(3));
    expect((restored.status?.members ?? []).map((member) => member.name).sort()).toEqual((before.status?.members ?? []).map((member) => member.name).sort());
    const greeting = await request((await memberUrls(bed, NAMESPACE, CLUSTER)).get(keep ?? '') ?? '', 'GET', '/api/v1/keys/greeting');
    expect(greeting.text).toContain('hello');

    await bed.kubectl(['delete', 'pvc', lose ?? '', '--namespace', NAMESPACE, '--wait=false']);
    await bed.kubectl(['delete', 'pod', lose ?? '', '--namespace', NAMESPACE, '--wait=true']);
    const replaced = await settled(`a new member in place of ${lose}`, (cluster) => isRunningWith(3)(cluster) && !(cluster.status?.members ?? []).some((member) => member.name === lose));
    const names = (replaced.status?.members ?? []).map((member) => member.name);
    expect(names).not.toContain(lose);
    expect(names).toContain(keep);
    expect(await eventReasons()).toEqual(expect.arrayContaining(['RemoveMember']));
    const newcomer = names.find((name) => !(before.status?.members ?? []).some((member) => member.name === name)) ?? '';
    await waitFor(`greeting on ${newcomer}`, 30_000, async () => {
      const answer = await request((await memberUrls(bed, NAMESPACE, CLUSTER)).get(newcomer) ?? '', 'GET', '/api/v1/keys/greeting?consistency=serializable');
      return answer.text.includes('hello') ? true : undefined;
    });
  }, 600_000);

  it('upgrades one member at a time under a write load, followers first and the leader last, and refuses to skip a minor version', async () => {
    const before = await readCluster(bed, NAMESPACE, CLUSTER);
    const leader = before.status?.leader ?? '';
    const termOf = async () => Math.max(...await Promise.all([...(await memberUrls(bed, NAMESPACE, CLUSTER)).values()].map(async (url) => (JSON.parse((await request(url, 'GET', '/api/v1/admin/status')).text) as { term: number }).term)));
    const termBefore = await termOf();
    const live = liveTargets();
    const writers = new ConcurrentWriters(live.targets, 2, 'upgrade-');
    const upgradedOrder: string[] = [];
    const watcher = setInterval(() => void memberPods(bed, NAMESPACE, CLUSTER).then((pods) => {
      for (const pod of pods) {
        const name = pod.metadata?.name ?? '';
        if (pod.metadata?.annotations?.['kv.beavervault.io/version'] === '0.2.0' && !upgradedOrder.includes(name)) upgradedOrder.push(name);
      }
    }).catch(() => undefined), 300);
    try {
      const started = Date.now();
      await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"version":"0.2.0"}}']);
      await settled('every member on 0.2.0', isRunningWith(3, '0.2.0'));
      console.log(`upgraded 3 members in ${((Date.now() - started) / 1000).toFixed(1)} s under a write load`);
    } finally {
      clearInterval(watcher);
      await writers.stop();
      live.stop();
    }
    expect(upgradedOrder).toHaveLength(3);
    expect(upgradedOrder[2]).toBe(leader);
    const elections = (await termOf()) - termBefore;
    console.log(`the upgrade took ${elections} elections; ${writers.acknowledged.size} writes acknowledged, ${writers.failures} failed`);
    expect(elections).toBeLessThanOrEqual(3);
    expect(await missingAcknowledged(writers)).toEqual([]);

    await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"version":"0.4.0"}}']);
    const refused = await settled('the skipped minor version refused', (cluster) => cluster.status?.phase === 'Degraded');
    expect(refused.status?.conditions?.find((condition) => condition.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'UnsupportedUpgrade' });
    expect((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => pod.metadata?.annotations?.['kv.beavervault.io/version'])).toEqual(['0.2.0', '0.2.0', '0.2.0']);
    expect(await eventReasons()).toContain('UnsupportedUpgrade');
    await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"version":"0.2.0"}}']);
    await settled('back to running on 0.2.0', isRunningWith(3, '0.2.0'));
  }, 600_000);

  it('rolls a changed setting through the members one at a time, the leader last, killed at every step of the roll', async () => {
    const before = await readCluster(bed, NAMESPACE, CLUSTER);
    const leader = before.status?.leader ?? '';
    const uids = new Map((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => [pod.metadata?.name ?? '', pod.metadata?.uid]));
    const restartedOrder: string[] = [];
    const watcher = setInterval(() => void memberPods(bed, NAMESPACE, CLUSTER).then((pods) => {
      for (const pod of pods) {
        const name = pod.metadata?.name ?? '';
        if (uids.get(name) !== pod.metadata?.uid && !restartedOrder.includes(name)) restartedOrder.push(name);
      }
    }).catch(() => undefined), 300);
    const killer = new StepKiller();
    try {
      await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"settings":{"snapshot-entries":"6000"}}}']);
      await killer.settle('every member restarted with the new setting, the operator killed at each step', isRunningWith(3, '0.2.0'));
    } finally {
      clearInterval(watcher);
      await killer.disarm();
    }
    killer.expectEveryStepKilled();
    expect([...killer.taken]).toEqual(expect.arrayContaining(['restart-member', 'move-leader']));
    expect(await bed.kubectl(['get', 'configmap', `${CLUSTER}-config`, '--namespace', NAMESPACE, '-o', 'jsonpath={.data.bvault\\.yaml}'])).toContain('snapshot-entries: "6000"');
    expect(restartedOrder).toHaveLength(3);
    expect(restartedOrder[2]).toBe(leader);
    const digests = new Set((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => pod.metadata?.annotations?.['kv.beavervault.io/spec-digest']));
    expect(digests.size).toBe(1);
  }, 300_000);

  it('stops an upgrade whose image cannot be pulled after one member, and undoes it when the spec is taken back', async () => {
    await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"version":"0.3.0","image":"registry.invalid/beaver-vault:0.3.0"}}']);
    const stopped = await settled('the upgrade stopped', (cluster) => cluster.status?.phase === 'Degraded');
    expect(stopped.status?.conditions?.find((condition) => condition.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'MemberNotReady', message: expect.stringContaining('ImagePullBackOff') });
    expect(stopped.status?.conditions?.find((condition) => condition.type === 'Available')?.status).toBe('True');
    const images = (await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => pod.spec?.containers[0]?.image);
    expect(images.filter((image) => image === 'registry.invalid/beaver-vault:0.3.0')).toHaveLength(1);

    await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"version":"0.2.0","image":null}}']);
    await settled('back on 0.2.0', isRunningWith(3, '0.2.0'));
    expect((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => pod.spec?.containers[0]?.image)).toEqual(['beaver-vault:0.2.0', 'beaver-vault:0.2.0', 'beaver-vault:0.2.0']);
  }, 300_000);

  it('grows every member\'s volume when storage.size grows, restarting no member', async () => {
    const uids = (await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => pod.metadata?.uid).sort();
    await bed.kubectl(['patch', 'kvc', CLUSTER, '--namespace', NAMESPACE, '--type=merge', '-p', '{"spec":{"storage":{"size":"1536Mi"}}}']);
    const capacities = async () => (await bed.kubectl(['get', 'pvc', '--namespace', NAMESPACE, '-l', `app.kubernetes.io/instance=${CLUSTER}`, '-o', 'jsonpath={.items[*].status.capacity.storage}'])).trim().split(/\s+/);
    await waitFor('every volume grown', 60_000, async () => ((await capacities()).every((capacity) => capacity === '1536Mi') ? true : undefined));
    expect(await capacities()).toHaveLength(3);
    expect(await eventReasons()).toContain('ExpandVolume');
    expect((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => pod.metadata?.uid).sort()).toEqual(uids);
    await settled('running as before', isRunningWith(3, '0.2.0'));
  }, 120_000);

  it('reports a lost quorum and replaces nobody', async () => {
    const before = await readCluster(bed, NAMESPACE, CLUSTER);
    const followers = (before.status?.members ?? []).filter((member) => member.role === 'follower').map((member) => member.name);
    expect(followers).toHaveLength(2);
    for (const name of followers) await bed.kubectl(['delete', 'pvc', name, '--namespace', NAMESPACE, '--wait=false']);
    await bed.kubectl(['delete', 'pod', ...followers, '--namespace', NAMESPACE, '--wait=true']);
    const lost = await settled('quorum lost reported', (cluster) => cluster.status?.phase === 'QuorumLost');
    expect(lost.status?.conditions?.find((condition) => condition.type === 'Available')?.status).toBe('False');
    expect(lost.status?.conditions?.find((condition) => condition.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'QuorumLost' });
    expect(await eventReasons()).toContain('QuorumLost');
    // Some passes later, still nothing replaced: the two lost members are still members.
    await sleep(6_000);
    const later = await readCluster(bed, NAMESPACE, CLUSTER);
    expect(later.status?.phase).toBe('QuorumLost');
    expect(await memberObjectNames(bed, NAMESPACE, CLUSTER, 'pods')).toEqual([before.status?.leader]);
    const removals = operator.lines.filter((line) => line.step === 'remove-member' && line.msg !== 'step' && followers.some((name) => line.msg.includes(name)));
    expect(removals).toEqual([]);
  }, 300_000);
});

