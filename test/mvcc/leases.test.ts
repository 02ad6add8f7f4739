import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, type Harness, openHarness, put, text } from './helpers.js';
import { LeaseExpiry } from '../../src/mvcc/lease-expiry.js';
import type { LeaseEvent } from '../../src/mvcc/lessor.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

const grant = async (ttl: number, id = 0): Promise<number> => {
  const response = await h.apply({ type: 'leaseGrant', leaseGrant: { ttl, id } });
  if (response.type !== 'leaseGrant') throw new Error('not a grant');
  return response.leaseGrant.id;
};

describe('replicated lease table', () => {
  it('grants with a chosen or a store-picked id and refuses duplicates', async () => {
    expect(await grant(10, 5)).toBe(5);
    expect(await grant(10)).toBe(1);
    expect(await grant(10)).toBe(2);
    await expect(grant(10, 5)).rejects.toMatchObject({ code: 'MVCC_LEASE_EXISTS', message: 'etcdserver: lease already exists' });
    expect((await h.store.leases()).map((lease) => lease.id)).toEqual([1, 2, 5]);
    expect(h.store.currentRevision).toBe(1);
  });

  it('attaches keys, refuses unknown leases, and revokes all keys in one revision', async () => {
    const id = await grant(30);
    await h.applyAll([put('a', '1', { lease: id }), put('b', '2', { lease: id }), put('c', '3')]);
    await expect(h.apply(put('d', '4', { lease: 999 }))).rejects.toMatchObject({ code: 'MVCC_LEASE_NOT_FOUND', message: 'etcdserver: requested lease not found: lease 999 (0x3e7)' });
    const ttl = await h.store.leaseTimeToLive(id, true);
    expect(ttl.keys.map(text)).toEqual(['a', 'b']);
    expect(ttl.grantedTtl).toBe(30);
    // Re-putting without a lease detaches the key.
    await h.apply(put('b', '2b'));
    expect((await h.store.leaseTimeToLive(id, true)).keys.map(text)).toEqual(['a']);
    const before = h.store.currentRevision;
    await h.apply({ type: 'leaseRevoke', leaseRevoke: { id } });
    expect(h.store.currentRevision).toBe(before + 1);
    expect((await h.get('a')).count).toBe(0);
    expect((await h.get('b')).count).toBe(1);
    await expect(h.store.leaseTimeToLive(id, false)).rejects.toMatchObject({ code: 'MVCC_LEASE_NOT_FOUND' });
    await expect(h.apply({ type: 'leaseRevoke', leaseRevoke: { id } })).rejects.toMatchObject({ code: 'MVCC_LEASE_NOT_FOUND' });
  });

  it('keeps the lease with ignoreLease and raises short TTLs to the minimum', async () => {
    const id = await grant(0);
    expect((await h.store.leaseTimeToLive(id, false)).grantedTtl).toBe(1);
    await h.apply(put('a', '1', { lease: id }));
    await h.apply(put('a', '2', { ignoreLease: true }));
    expect((await h.get('a')).kvs[0]?.lease).toBe(id);
    await expect(h.apply(put('a', '3', { ignoreLease: true, lease: id }))).rejects.toMatchObject({ code: 'MVCC_LEASE_PROVIDED' });
  });

  it('a revoke of a lease without keys does not bump the revision', async () => {
    const id = await grant(5);
    await h.apply({ type: 'leaseRevoke', leaseRevoke: { id } });
    expect(h.store.currentRevision).toBe(1);
  });
});

describe('leader-side expiry', () => {
  it('proposes expired leases for revocation, honours keep-alive, and retries after a while', async () => {
    let now = 0;
    const expiry = new LeaseExpiry({ now: () => now, revokeRetryMs: 1000 });
    h.store.addLeaseListener((event: LeaseEvent) => expiry.observe(event));
    expiry.promote(await h.store.leases());
    const a = await grant(10);
    const b = await grant(20);
    now = 9_000;
    expect(expiry.keepAlive(a)).toBe(10);
    now = 15_000;
    expect(expiry.expired()).toEqual([]);
    expect(expiry.remainingTtl(a)).toBe(4);
    now = 21_000;
    expect(expiry.expired()).toEqual([a, b]);
    expect(expiry.expired()).toEqual([]);
    now = 22_500;
    expect(expiry.expired()).toEqual([a, b]);
    await h.apply({ type: 'leaseRevoke', leaseRevoke: { id: a } });
    now = 30_000;
    expect(expiry.expired()).toEqual([b]);
    expect(() => expiry.keepAlive(a)).toThrow(`etcdserver: requested lease not found: lease ${a} (0x${a.toString(16)})`);
  });

  it('keeps the remaining TTL across a change of leader through checkpoints', async () => {
    let now = 0;
    const oldLeader = new LeaseExpiry({ now: () => now, checkpointIntervalMs: 5_000 });
    h.store.addLeaseListener((event) => oldLeader.observe(event));
    oldLeader.promote(await h.store.leases());
    const id = await grant(60);
    now = 40_000;
    const checkpoint = oldLeader.checkpoints();
    expect(checkpoint).toEqual({ checkpoints: [{ id, remainingTtl: 20 }] });
    await h.apply({ type: 'leaseCheckpoint', leaseCheckpoint: checkpoint ?? { checkpoints: [] } });
    oldLeader.demote();
    expect(() => oldLeader.keepAlive(id)).toThrow(/not a primary lessor/);
    // The new leader (after a restart, even) starts from the replicated remaining TTL, not 60 s.
    await h.reopen();
    const newLeader = new LeaseExpiry({ now: () => now });
    newLeader.promote(await h.store.leases());
    expect(newLeader.remainingTtl(id)).toBe(20);
    now = 60_001;
    expect(newLeader.expired()).toEqual([id]);
    // A keep-alive is replicated as a reset to the full TTL.
    const renewed = new LeaseExpiry({ now: () => now });
    renewed.promote(await h.store.leases());
    renewed.keepAlive(id);
    expect(renewed.checkpoints()).toEqual({ checkpoints: [{ id, remainingTtl: 0 }] });
    expect(renewed.checkpoints()).toBeUndefined();
  });

  it('does nothing when not primary', () => {
    const expiry = new LeaseExpiry({ now: () => 0 });
    expect(expiry.expired()).toEqual([]);
    expect(expiry.checkpoints()).toBeUndefined();
    expect(() => expiry.keepAlive(1)).toThrow(/not a primary lessor/);
  });
});

describe('lease keys', () => {
  it('reads the attached key values', async () => {
    const id = await grant(10);
    await h.apply(put('x', 'y', { lease: id }));
    expect(text((await h.get('x')).kvs[0]?.value ?? bytes(''))).toBe('y');
  });
});
