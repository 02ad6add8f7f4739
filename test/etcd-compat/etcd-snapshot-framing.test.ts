// The framing that makes a Beaver-Vault backup look like an etcd snapshot to etcdctl: size
// 32 more than a multiple of 512, a SHA-256 at the end, and the backup recoverable exactly.
import { describe, expect, it } from 'vitest';
import { etcdSnapshotFrames, unwrapEtcdSnapshot } from '../../src/api/grpc/etcd/etcd-snapshot-framing.js';

async function frame(chunks: Uint8Array[]): Promise<Buffer> {
  async function* source(): AsyncIterable<Uint8Array> {
    yield* chunks;
  }
  const framed: Uint8Array[] = [];
  for await (const chunk of etcdSnapshotFrames(source())) framed.push(chunk);
  return Buffer.concat(framed);
}

describe('etcd snapshot framing', () => {
  it.each([0, 1, 503, 504, 505, 512, 4096, 70_001])('frames a %i-byte backup to etcd\'s shape and recovers it exactly', async (sizeBytes) => {
    const backup = Buffer.from(Array.from({ length: sizeBytes }, (_unused, index) => (index * 7) % 256));
    const framed = await frame([backup.subarray(0, sizeBytes / 2), backup.subarray(sizeBytes / 2)]);
    expect(framed.byteLength % 512).toBe(32);
    expect(Buffer.from(unwrapEtcdSnapshot(framed)).equals(backup)).toBe(true);
  });

  it('refuses a framed snapshot with a flipped byte or a wrong size', async () => {
    const framed = await frame([Buffer.from('a backup')]);
    const flipped = Buffer.from(framed);
    flipped[3] = (flipped[3] ?? 0) ^ 1;
    expect(() => unwrapEtcdSnapshot(flipped)).toThrow('SHA-256 does not match');
    expect(() => unwrapEtcdSnapshot(framed.subarray(1))).toThrow('32 bytes more than a multiple of 512');
  });
});
