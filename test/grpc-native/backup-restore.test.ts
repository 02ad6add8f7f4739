// Backup and Restore through the native service on a real 3-member cluster: a backup streams
// the store in chunks that end with their SHA-256; restoring it through a follower brings
// every member back to the backed-up state; a backup whose checksum does not match is
// refused and changes nothing.
import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupChunk, GetRequest, type KVClient, PutRequest, RestoreChunk, type RestoreResponse } from '../../src/generated/beavervault/v1/kv.js';
import { Consistency } from '../../src/generated/beavervault/v1/types.js';
import { type ServerProcess, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { bytes, callOptions, Metadata, nativeClient, refusal, text, unary } from './native-client.js';

describe('native gRPC backup and restore on a 3-member cluster', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  let leaderClient: KVClient;
  let followerClient: KVClient;
  let follower: ServerProcess;

  const put = (client: KVClient, key: string, value: string): Promise<unknown> =>
    unary((done) => client.put(PutRequest.fromPartial({ key: bytes(key), value: bytes(value) }), new Metadata(), callOptions(), done));
  const valueAt = async (client: KVClient, key: string, consistency = Consistency.CONSISTENCY_SERIALIZABLE): Promise<string | undefined> => {
    const answer = unary<{ kv?: { value: Uint8Array } }>((done) => client.get(GetRequest.fromPartial({ key: bytes(key), consistency }), new Metadata(), callOptions(), done));
    return answer.then((read) => text(read.kv?.value), () => undefined);
  };

  const backup = (): Promise<BackupChunk[]> =>
    new Promise((resolve, reject) => {
      const chunks: BackupChunk[] = [];
      const stream = leaderClient.backup({}, new Metadata(), callOptions());
      stream.on('data', (chunk: BackupChunk) => chunks.push(chunk));
      stream.on('end', () => resolve(chunks));
      stream.on('error', reject);
    });

  const restore = (chunks: readonly RestoreChunk[]): Promise<RestoreResponse> =>
    unary((done) => {
      const stream = followerClient.restore(new Metadata(), callOptions(), done);
      for (const chunk of chunks) stream.write(chunk);
      stream.end();
    });

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 3, prefix: 'grpc-backup' });
    const leader = await cluster.leader();
    follower = cluster.members.find((member) => member !== leader)!;
    leaderClient = nativeClient(leader.grpcAddress);
    followerClient = nativeClient(follower.grpcAddress);
  }, 60_000);

  afterAll(async () => {
    leaderClient?.close();
    followerClient?.close();
    await cluster?.destroy();
  });

  it('streams a backup whose last message names the SHA-256 and size of all chunks, and restores it on every member', async () => {
    await put(leaderClient, 'kept', 'as backed up');
    await put(leaderClient, 'changed', 'before');
    const chunks = await backup();
    const data = Buffer.concat(chunks.map((chunk) => chunk.data));
    const last = chunks[chunks.length - 1]!;
    expect(data.length).toBeGreaterThan(0);
    expect(last.totalBytes).toBe(BigInt(data.length));
    expect(Buffer.from(last.sha256).equals(createHash('sha256').update(data).digest())).toBe(true);

    await put(leaderClient, 'changed', 'after');
    await put(leaderClient, 'added', 'after the backup');
    const restored = await restore([...chunks.filter((chunk) => chunk.data.length > 0).map((chunk) => RestoreChunk.fromPartial({ data: chunk.data })), RestoreChunk.fromPartial({ sha256: last.sha256 })]);
    expect(restored.restoredBytes).toBe(BigInt(data.length));
    for (const member of cluster.members) {
      const client = nativeClient(member.grpcAddress);
      try {
        await waitFor(`${member.name} to hold the restored state`, 15_000, async () =>
          (await valueAt(client, 'changed')) === 'before' && (await valueAt(client, 'added')) === undefined ? true : undefined,
        );
        expect(await valueAt(client, 'kept')).toBe('as backed up');
      } finally {
        client.close();
      }
    }
  });

  it('refuses a restore whose checksum does not match, before anything changes', async () => {
    const chunks = await backup();
    await put(leaderClient, 'after-second-backup', 'stays');
    const data = chunks.filter((chunk) => chunk.data.length > 0).map((chunk) => RestoreChunk.fromPartial({ data: chunk.data }));
    const wrongChecksum = createHash('sha256').update('something else').digest();
    const refused = await refusal(restore([...data, RestoreChunk.fromPartial({ sha256: wrongChecksum })]));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.errorCode).toBe('MVCC_SNAPSHOT_INVALID');
    expect(await valueAt(followerClient, 'after-second-backup', Consistency.CONSISTENCY_LINEARIZABLE)).toBe('stays');
  });
});
