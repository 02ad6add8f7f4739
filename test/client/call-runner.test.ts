// The call runner with scripted attempts: what is retried, where, and what is not.
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { KVClient } from '../../src/generated/beavervault/v1/kv.js';
import { CallRunner } from '../../src/client/call-runner.js';
import { resolveOptions } from '../../src/client/client-options.js';
import { EndpointPool } from '../../src/client/endpoint-pool.js';
import type { GrpcChannels } from '../../src/client/grpc-channels.js';

function serviceError(code: GrpcStatus, details: string, serverCode?: string): ServiceError {
  const metadata = new Metadata();
  if (serverCode !== undefined) metadata.set('bvault-error-code', serverCode);
  return Object.assign(new Error(details), { code, details, metadata });
}

const header = (memberId: bigint, leaderId: bigint): { header: { clusterId: bigint; memberId: bigint; revision: bigint; raftTerm: bigint; leaderId: bigint } } => ({
  header: { clusterId: 1n, memberId, revision: 1n, raftTerm: 1n, leaderId },
});

/** A runner over endpoints a, b and c whose connections always succeed. */
function runnerOf(attemptsMax = 5): { runner: CallRunner; pool: EndpointPool } {
  const options = resolveOptions({ endpoints: ['a:1', 'b:1', 'c:1'], requestTimeoutMs: 5_000, retry: { attemptsMax, baseDelayMs: 1, maxDelayMs: 2 } });
  const pool = new EndpointPool(options.endpoints);
  const channels = { ready: async () => ({}) as KVClient } as unknown as GrpcChannels;
  return { runner: new CallRunner(options, pool, channels), pool };
}

describe('call runner', () => {
  it('sends a write once when its outcome is unknown, and says it may have committed', async () => {
    const { runner } = runnerOf();
    const endpoints: string[] = [];
    const call = runner.run({ kind: 'write', idempotent: false }, async (_client, _deadline, endpoint) => {
      endpoints.push(endpoint);
      throw serviceError(GrpcStatus.UNAVAILABLE, 'leadership changed', 'NODE_LEADERSHIP_LOST');
    });
    await expect(call).rejects.toMatchObject({ code: 'NODE_LEADERSHIP_LOST', mayHaveCommitted: true });
    expect(endpoints).toEqual(['a:1']);
  });

  it('moves a write refused before proposal to the next endpoint and succeeds there', async () => {
    const { runner } = runnerOf();
    const endpoints: string[] = [];
    const answer = await runner.run({ kind: 'write', idempotent: false }, async (_client, _deadline, endpoint) => {
      endpoints.push(endpoint);
      if (endpoint === 'a:1') throw serviceError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED');
      return header(2n, 2n);
    });
    expect(answer.header.memberId).toBe(2n);
    expect(endpoints).toEqual(['a:1', 'b:1']);
  });

  it('retries a read after an unknown outcome, up to attemptsMax attempts', async () => {
    const { runner } = runnerOf(3);
    let attempts = 0;
    const call = runner.run({ kind: 'read', idempotent: true }, async () => {
      attempts += 1;
      throw serviceError(GrpcStatus.UNAVAILABLE, 'no answer', 'NODE_TIMEOUT');
    });
    await expect(call).rejects.toMatchObject({ code: 'NODE_TIMEOUT', retryable: true });
    expect(attempts).toBe(3);
  });

  it('learns the leader from a response header and sends the next write there', async () => {
    const { runner, pool } = runnerOf();
    await runner.run({ kind: 'read', idempotent: true }, async () => header(1n, 1n));
    expect(pool.leaderEndpoint()).toBe('a:1');
    pool.learn('c:1', '3', '3');
    const endpoints: string[] = [];
    await runner.run({ kind: 'write', idempotent: false }, async (_client, _deadline, endpoint) => {
      endpoints.push(endpoint);
      return header(3n, 3n);
    });
    expect(endpoints).toEqual(['c:1']);
  });
});
