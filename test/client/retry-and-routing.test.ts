// Unit tests of the client's pure parts: backoff with jitter, deadlines, endpoint choice and
// how a failed attempt is classified.
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/client/backoff.js';
import { errorOfAttempt } from '../../src/client/client-errors.js';
import { Deadline } from '../../src/client/deadline.js';
import { ENDPOINT_QUARANTINE_MS, EndpointPool } from '../../src/client/endpoint-pool.js';

const policy = { attemptsMax: 8, baseDelayMs: 50, maxDelayMs: 1_000 };

function serviceError(code: GrpcStatus, details: string, serverCode?: string): ServiceError {
  const metadata = new Metadata();
  if (serverCode !== undefined) metadata.set('bvault-error-code', serverCode);
  return Object.assign(new Error(details), { code, details, metadata });
}

describe('backoff', () => {
  it('doubles the ceiling with every retry until the maximum', () => {
    const highest = (retry: number): number => backoffDelayMs(retry, policy, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(highest)).toEqual([50, 100, 200, 400, 800, 1_000]);
  });

  it('draws each delay between half the ceiling and the ceiling', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(150);
    for (let draw = 0; draw < 200; draw += 1) {
      const delay = backoffDelayMs(10, policy);
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });

  it('spreads clients that retry at the same moment', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('deadline', () => {
  it('is shared by every attempt and never extended', () => {
    let nowMs = 1_000;
    const deadline = new Deadline(500, () => nowMs);
    expect(deadline.remainingMs()).toBe(500);
    nowMs = 1_300;
    expect(deadline.remainingMs()).toBe(200);
    expect(deadline.allowsWait(150)).toBe(true);
    expect(deadline.allowsWait(250)).toBe(false);
    nowMs = 1_600;
    expect(deadline.expired()).toBe(true);
    expect(deadline.asDate().getTime()).toBe(1_500);
  });
});

describe('endpoint pool', () => {
  it('sends writes to the leader once a status answer named it, and reads to the sticky endpoint', () => {
    const pool = new EndpointPool(['a:1', 'b:1', 'c:1']);
    expect(pool.pick('write')).toBe('a:1');
    pool.learn('b:1', 'member-b', 'member-b');
    expect(pool.pick('write')).toBe('b:1');
    expect(pool.pick('read')).toBe('a:1');
  });

  it('fails over to the next endpoint and forgets a failed leader', () => {
    let nowMs = 0;
    const pool = new EndpointPool(['a:1', 'b:1', 'c:1'], () => nowMs);
    pool.learn('a:1', 'member-a', 'member-a');
    pool.reportFailure('a:1');
    expect(pool.leaderEndpoint()).toBeUndefined();
    expect(pool.pick('write')).toBe('b:1');
    pool.reportFailure('b:1');
    expect(pool.pick('read')).toBe('c:1');
    nowMs = ENDPOINT_QUARANTINE_MS + 1;
    pool.reportFailure('c:1');
    expect(pool.pick('read')).toBe('a:1');
  });

  it('still tries an endpoint when every one failed recently', () => {
    const pool = new EndpointPool(['a:1', 'b:1'], () => 0);
    pool.reportFailure('a:1');
    pool.reportFailure('b:1');
    expect(['a:1', 'b:1']).toContain(pool.pick('read'));
  });
});

describe('classifying a failed attempt', () => {
  it('retries a refusal that happened before anything was proposed, for writes too', () => {
    const error = errorOfAttempt(serviceError(GrpcStatus.UNAVAILABLE, 'no leader', 'NODE_NO_LEADER'), 'a:1', false);
    expect(error).toMatchObject({ code: 'NODE_NO_LEADER', retryable: true, mayHaveCommitted: false, endpoint: 'a:1' });
  });

  it('never retries a non-idempotent write after leadership was lost or a timeout, and says it may have committed', () => {
    for (const code of ['NODE_LEADERSHIP_LOST', 'NODE_TIMEOUT']) {
      const error = errorOfAttempt(serviceError(GrpcStatus.UNAVAILABLE, 'may still commit', code), 'a:1', false);
      expect(error).toMatchObject({ code, retryable: false, mayHaveCommitted: true });
    }
  });

  it('retries a read whose outcome was unknown', () => {
    const error = errorOfAttempt(serviceError(GrpcStatus.UNAVAILABLE, 'may still commit', 'NODE_TIMEOUT'), 'a:1', true);
    expect(error).toMatchObject({ retryable: true, mayHaveCommitted: false });
  });

  it('retries a write that never reached a server, but not one whose connection broke mid-call', () => {
    const refused = errorOfAttempt(serviceError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED'), 'a:1', false);
    expect(refused).toMatchObject({ code: 'CLIENT_UNAVAILABLE', retryable: true, mayHaveCommitted: false });
    const dropped = errorOfAttempt(serviceError(GrpcStatus.UNAVAILABLE, 'Connection dropped'), 'a:1', false);
    expect(dropped).toMatchObject({ code: 'CLIENT_UNAVAILABLE', retryable: false, mayHaveCommitted: true });
  });

  it('does not retry a request the server refused as invalid', () => {
    const error = errorOfAttempt(serviceError(GrpcStatus.INVALID_ARGUMENT, 'key too large', 'MVCC_KEY_TOO_LARGE'), 'a:1', true);
    expect(error).toMatchObject({ code: 'MVCC_KEY_TOO_LARGE', retryable: false, mayHaveCommitted: false });
  });
});
