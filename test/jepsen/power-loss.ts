// The last fault of a run that has both kill and slow-disk among its faults: a power loss.
// The followers' disks are slowed so that each of their WAL batches waits in memory before it
// is written, clients keep writing, then every member is killed at once. Whatever a member
// promised was durable (an append acknowledgement, a vote) must survive. A follower that
// acknowledges before its fsync lets the leader commit and answer writes that only the
// leader's fast disk holds; the followers, restarted first, elect one of themselves and
// overwrite them. A kill without a slow disk rarely shows that.
import { sleep, waitFor } from '../cluster/cluster-harness.js';
import type { JepsenCluster } from './cluster/jepsen-cluster.js';
import type { FaultEvent } from './faults/nemesis.js';

/** Long enough that several batches of writes wait unwritten when the power goes. */
const DISK_DELAY_MS = 1_000;
const WRITING_UNDER_SLOW_DISK_MS = 1_500;
/**
 * The power goes only once this many more writes were acknowledged after that, so that some
 * acknowledged writes are surely still waiting for the followers' disks: a loss that depends
 * on the clients' timing showed only in some runs.
 */
const ACKNOWLEDGED_BEFORE_THE_LOSS_MIN = 5;
const ACKNOWLEDGED_WAIT_MAX_MS = 10_000;
const LEADER_LOOKUP_TIMEOUT_MS = 5_000;

/** `acknowledgedWrites` counts the writes the clients have seen acknowledged so far. */
export async function powerLoss(cluster: JepsenCluster, clock: () => number, record: (event: FaultEvent) => void, acknowledgedWrites: () => number): Promise<void> {
  const members = cluster.answering();
  const names = members.map((member) => member.name).join(', ');
  const leader = await cluster.leader(LEADER_LOOKUP_TIMEOUT_MS);
  const followers = members.filter((member) => member.name !== leader?.name);
  const followerNames = followers.map((member) => member.name).join(', ');
  record({ atMs: clock(), kind: 'slow-disk', phase: 'start', description: `power loss: ${DISK_DELAY_MS} ms before each WAL write on ${leader === undefined ? 'every member (no leader agreed)' : `the followers (${followerNames}) of ${leader.name}`}` });
  await Promise.all(followers.map((member) => cluster.setDiskDelay(member, DISK_DELAY_MS)));
  await sleep(WRITING_UNDER_SLOW_DISK_MS);
  const acknowledgedBefore = acknowledgedWrites();
  await waitFor('writes acknowledged under the slow disks', ACKNOWLEDGED_WAIT_MAX_MS, () =>
    acknowledgedWrites() >= acknowledgedBefore + ACKNOWLEDGED_BEFORE_THE_LOSS_MIN ? true : undefined,
  ).catch(() => undefined);
  record({ atMs: clock(), kind: 'kill', phase: 'start', description: `power loss: kill -9 of every member (${names}) with writes unwritten` });
  await Promise.all(members.map((member) => cluster.kill(member)));
  // Power returns to the followers first (a restarted member starts with every failpoint off):
  // a majority, they elect a leader among themselves from what their disks hold, and the old
  // leader, restarted by heal(), must follow it.
  await Promise.all(followers.map((member) => cluster.restart(member)));
  record({ atMs: clock(), kind: 'slow-disk', phase: 'stop', description: `power loss: restarted ${followerNames}, disks at full speed` });
  record({ atMs: clock(), kind: 'kill', phase: 'stop', description: `power loss: ${leader === undefined ? 'every member restarted' : `${leader.name} is restarted by healing`}` });
}
