// Which endpoint the next call goes to. Writes go to the leader when the client knows which
// endpoint serves it (a follower would forward them, at the price of a hop); everything
// else sticks to one endpoint until it fails, then moves on to the next healthy one.

/** An endpoint that failed is skipped for this long, unless every endpoint has failed. */
export const ENDPOINT_QUARANTINE_MS = 1_000;

export type CallKind = 'write' | 'read';

export class EndpointPool {
  /** Invariant: 0 <= currentIndex < endpoints.length. */
  private currentIndex = 0;
  /** Member id (as the server reports it) of each endpoint that answered a status call. */
  private readonly memberIdByEndpoint = new Map<string, string>();
  private leaderMemberId: string | undefined;
  /** When each failed endpoint may be tried again, in the pool's clock. */
  private readonly quarantinedUntilMs = new Map<string, number>();

  constructor(
    readonly endpoints: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    if (endpoints.length === 0) throw new Error('at least one endpoint is needed');
  }

  /** The endpoint for the next attempt of a call of this kind. */
  pick(kind: CallKind): string {
    const leader = kind === 'write' ? this.leaderEndpoint() : undefined;
    if (leader !== undefined && !this.isQuarantined(leader)) return leader;
    for (let offset = 0; offset < this.endpoints.length; offset += 1) {
      const index = (this.currentIndex + offset) % this.endpoints.length;
      const endpoint = this.endpoints[index] as string;
      if (!this.isQuarantined(endpoint)) {
        this.currentIndex = index;
        return endpoint;
      }
    }
    // Every endpoint failed recently: try the next one anyway rather than give up.
    this.currentIndex = (this.currentIndex + 1) % this.endpoints.length;
    return this.endpoints[this.currentIndex] as string;
  }

  /** An endpoint could not be reached or is not serving: skip it for a while. */
  reportFailure(endpoint: string): void {
    this.quarantinedUntilMs.set(endpoint, this.now() + ENDPOINT_QUARANTINE_MS);
    if (this.memberIdByEndpoint.get(endpoint) === this.leaderMemberId) this.leaderMemberId = undefined;
  }

  reportSuccess(endpoint: string): void {
    this.quarantinedUntilMs.delete(endpoint);
  }

  /** What a status answer from `endpoint` taught: whose endpoint it is and who leads. */
  learn(endpoint: string, memberId: string, leaderMemberId: string | undefined): void {
    this.memberIdByEndpoint.set(endpoint, memberId);
    this.leaderMemberId = leaderMemberId;
  }

  /** The leader's endpoint, when an endpoint of the leader has answered a status call. */
  leaderEndpoint(): string | undefined {
    if (this.leaderMemberId === undefined) return undefined;
    for (const [endpoint, memberId] of this.memberIdByEndpoint) if (memberId === this.leaderMemberId) return endpoint;
    return undefined;
  }

  private isQuarantined(endpoint: string): boolean {
    return (this.quarantinedUntilMs.get(endpoint) ?? 0) > this.now();
  }
}
