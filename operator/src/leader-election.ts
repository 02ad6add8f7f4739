// Only one operator replica reconciles at a time: the one holding a coordination.k8s.io Lease.
// A standby takes the Lease once its holder has not renewed it for the lease's duration, and
// each write goes through the Lease's resourceVersion, so two replicas never both believe they
// won. A holder that cannot renew in time gives up leadership (the process exits and restarts
// as a standby) rather than reconcile next to a new holder. A holder that stops cleanly
// releases the Lease so that a standby takes over at once.

import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';

export interface LeaseSettings {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly durationSeconds: number;
  readonly renewEveryMs: number;
}

export class LeaderElection {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** The holder's last renewal as this replica saw it, and when (by this replica's clock, so clocks need not agree). */
  private seen: { renewal: string; atMs: number } | undefined;

  constructor(
    private readonly leases: CoordinationV1Api,
    private readonly settings: LeaseSettings,
  ) {}

  /** Resolves once this replica holds the Lease; `onLost` is called if it later fails to renew it in time. */
  async acquire(onLost: (reason: string) => void): Promise<void> {
    while (!this.stopped && !(await this.tryToHold().catch(() => false))) await sleep(this.settings.renewEveryMs);
    if (this.stopped) return;
    let renewedAtMs = Date.now();
    const renew = async (): Promise<void> => {
      if (this.stopped) return;
      const held = await this.tryToHold().catch(() => false);
      if (held) renewedAtMs = Date.now();
      else if (Date.now() - renewedAtMs > this.settings.durationSeconds * 1000 * 0.8) return onLost(`the Lease ${this.settings.namespace}/${this.settings.name} was not renewed in time`);
      this.timer = setTimeout(() => void renew(), this.settings.renewEveryMs);
    };
    this.timer = setTimeout(() => void renew(), this.settings.renewEveryMs);
  }

  /** Stops renewing and hands the Lease back, if this replica holds it. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const lease = await this.read().catch(() => undefined);
    if (lease?.spec?.holderIdentity !== this.settings.identity) return;
    lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new V1MicroTime() };
    await this.leases.replaceNamespacedLease({ namespace: this.settings.namespace, name: this.settings.name, body: lease }).catch(() => undefined);
  }

  /** Takes or renews the Lease; false when another replica holds it and has renewed it lately. */
  private async tryToHold(): Promise<boolean> {
    const { namespace, name, identity, durationSeconds } = this.settings;
    const now = new V1MicroTime();
    const lease = await this.read();
    if (lease === undefined) {
      await this.leases.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const ours = spec.holderIdentity === identity;
    const renewal = `${spec.holderIdentity ?? ''} ${String(spec.renewTime ?? '')}`;
    if (this.seen?.renewal !== renewal) this.seen = { renewal, atMs: Date.now() };
    const expired = spec.holderIdentity === undefined || spec.holderIdentity === '' || Date.now() - this.seen.atMs > (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (!ours && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: now,
      ...(ours ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    // The resourceVersion read above makes this fail with a conflict if another replica wrote in between.
    await this.leases.replaceNamespacedLease({ namespace, name, body: lease });
    return true;
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.leases.readNamespacedLease({ namespace: this.settings.namespace, name: this.settings.name });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
