// When the backend passes its quota, writes fail with NOSPACE (507) on every member while reads
// still work; deleting, compacting, defragmenting and disarming the alarm clear it, as etcd's space quota does.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, TestCluster, waitFor } from './cluster-harness.js';

const QUOTA_BYTES = 1024 * 1024;
const BATCH_ITEMS = 64;
const VALUE_BYTES = 4096;
/** Enough batches to pass the quota many times over; the test fails if NOSPACE never comes. */
const BATCHES_MAX = 60;
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'quota', extraArgs: ['--quota-bytes', String(QUOTA_BYTES)] });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

/** Random (incompressible) values, so the store really grows. */
function fillBatch(batch: number): object {
  return { items: Array.from({ length: BATCH_ITEMS }, (_unused, index) => ({ key: `fill/${batch}-${index}`, value: randomBytes(VALUE_BYTES / 2).toString('hex') })) };
}

describe('the space quota', () => {
  it('refuses writes with NOSPACE while reads work, until compaction, defragmentation and disarm clear it', async () => {
    const leader = await cluster.leader();
    expect((await request(leader.url, 'PUT', '/api/v1/keys/readable', 'still here')).status).toBe(200);
    let refused;
    for (let batch = 0; batch < BATCHES_MAX && refused === undefined; batch++) {
      const answer = await request(leader.url, 'POST', '/api/v1/batch/put', fillBatch(batch));
      if (answer.status !== 200) refused = answer;
    }
    expect(refused?.status, refused?.text ?? 'the quota was never reached').toBe(507);
    expect((refused?.json as { error: { code: string } }).error.code).toBe('MVCC_NOSPACE');

    for (const member of cluster.members) {
      const write = await request(member.url, 'PUT', '/api/v1/keys/refused', 'no room');
      expect(write.status, `${member.name}: ${write.text}`).toBe(507);
      const read = await request(member.url, 'GET', '/api/v1/keys/readable');
      expect(read.status).toBe(200);
      expect(read.text).toBe('still here');
      expect((await member.status()).alarms.length).toBeGreaterThan(0);
    }

    const deletion = await request(leader.url, 'POST', '/api/v1/transaction', { success: [{ deleteRange: { key: 'fill/', rangeEnd: 'fill0' } }] });
    expect(deletion.status, deletion.text).toBe(200);
    const { revision } = await leader.status();
    expect((await request(leader.url, 'POST', '/api/v1/admin/compact', { revision })).status).toBe(200);
    for (const member of cluster.members) {
      const defragment = await request(member.url, 'POST', '/api/v1/admin/defragment');
      expect(defragment.status, defragment.text).toBe(200);
    }
    expect((await request(leader.url, 'POST', '/api/v1/admin/alarms/disarm')).status).toBe(200);

    await waitFor('writes to be accepted again', 10_000, async () => ((await request(leader.url, 'PUT', '/api/v1/keys/accepted', 'room again')).status === 200 ? true : undefined));
    for (const member of cluster.members) {
      expect((await request(member.url, 'GET', '/api/v1/keys/accepted')).text).toBe('room again');
      expect((await member.status()).alarms).toEqual([]);
    }
  }, 60_000);
});
