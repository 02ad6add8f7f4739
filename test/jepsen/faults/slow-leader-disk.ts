// The slow-leader-disk fault: the leader's own disk far behind the network, then a crash of
// the leader before its writes are durable. The leader sends its appends before its own fsync,
// so the followers hold entries that the leader's disk does not; the leader must not count
// its copy toward the quorum until it is durable. The plain slow disk never crashes a member
// whose disk is behind, so it cannot show a leader that does.
//
// In order: the leader's WAL slowed by hundreds of milliseconds per batch, and every follower
// beyond the quorum's need cut off, so that the followers that acknowledge (the holders) are
// one short of a quorum without the leader's own copy. Ending it: kill -9 of the leader with
// its latest batches unwritten, the holders cut off from the rest, the leader restarted (its
// failpoints off, as every restarted member's) until the rest elect a leader from what their
// disks hold, then the network healed. A correct cluster committed nothing that only the
// holders had; a leader that counted itself early let them apply entries the new leader never
// had, which then conflict with its log.

import type { JepsenCluster, JepsenClusterMember } from '../cluster/jepsen-cluster.js';
import { waitFor } from '../../cluster/cluster-harness.js';
import type { ActiveFault } from './fault-starters.js';
import { between, shuffled } from './random-choice.js';

/** Several group-commit batches of client writes wait in memory when the leader dies. */
const LEADER_DISK_DELAY_MS_MIN = 300;
const LEADER_DISK_DELAY_MS_MAX = 1_000;
const LEADER_LOOKUP_TIMEOUT_MS = 3_000;
/** Restart, an election timeout or two, and the new leader's first commit. */
const ELECTION_WITHOUT_HOLDERS_TIMEOUT_MS = 10_000;

function names(members: readonly JepsenClusterMember[]): string {
  return members.map((member) => member.name).join(', ') || 'none';
}

export async function startSlowLeaderDisk(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  // Not cluster.leader(): in a long run some member often lags or is cut off, and waiting for
  // every member to agree left this fault unstarted 13 times in 15 over 30 minutes.
  const leader = await cluster.leaderOfNewestTerm(LEADER_LOOKUP_TIMEOUT_MS);
  if (leader === undefined) throw new Error('no member leads: there is no leader disk to slow');
  const followers = shuffled(random, cluster.answering().filter((member) => member !== leader));
  const quorum = Math.floor(cluster.members().length / 2) + 1;
  const holders = followers.slice(0, quorum - 1);
  const cutOff = followers.slice(holders.length);
  const delayMs = between(random, LEADER_DISK_DELAY_MS_MIN, LEADER_DISK_DELAY_MS_MAX);
  await cluster.setDiskDelay(leader, delayMs);
  for (const member of cutOff) cluster.proxy.isolate(member.name);
  return {
    kind: 'slow-leader-disk',
    description: `slow leader disk: ${delayMs} ms before each WAL write on the leader ${leader.name}; ${names(cutOff)} cut off, ${names(holders)} acknowledging`,
    stop: () => crashLeaderBehind(cluster, leader, holders, cutOff),
  };
}

/** Kills the leader with writes unwritten and lets the members without the holders elect; resolves with what happened. */
async function crashLeaderBehind(cluster: JepsenCluster, leader: JepsenClusterMember, holders: readonly JepsenClusterMember[], cutOff: readonly JepsenClusterMember[]): Promise<string> {
  // A membership change during the fault may have removed any of them; a removed member stays stopped.
  const stillMembers = (members: readonly JepsenClusterMember[]): JepsenClusterMember[] => members.filter((member) => cluster.members().includes(member));
  if (!stillMembers([leader]).includes(leader)) {
    cluster.proxy.heal();
    return `${leader.name} was removed meanwhile; healed the network`;
  }
  await cluster.kill(leader);
  cluster.proxy.heal();
  const rest = [leader, ...stillMembers(cutOff)];
  cluster.proxy.separate(stillMembers(holders).map((member) => member.name), rest.map((member) => member.name));
  let elected: string | undefined;
  try {
    await cluster.restart(leader);
    elected = await waitFor('a leader among the members without the holders', ELECTION_WITHOUT_HOLDERS_TIMEOUT_MS, async () => {
      const statuses = await Promise.all(rest.map((member) => member.status().catch(() => undefined)));
      return statuses.find((status) => status?.role === 'leader')?.name;
    }).catch(() => undefined);
  } finally {
    // Also when the restart failed: the next fault must not start with the holders cut off.
    cluster.proxy.heal();
  }
  const election = elected === undefined ? 'no leader elected without them in time' : `${elected} elected without them`;
  return `kill -9 ${leader.name} with writes unwritten, restarted cut off from ${names(holders)}: ${election}; healed the network`;
}
