// The cluster view, and the poller behind it: every second the console reads this member's
// status, the member list and /metrics, and keeps the last two minutes of figures in memory.
// Other members are seen from this member: up while its peer transport reaches them
// (bvault_network_active_peers), with the round-trip time it measures; their own figures
// come from their own status, which a member lets the consoles of its cluster read.
import { authenticationRequired, json, loggedIn } from './api.js';
import { formatBytes, h, replace, sparkline } from './dom.js';
import { p99Seconds, parseMetrics, requestRate, type Scrape, sum, value } from './metrics.js';

export interface Status {
  readonly id: number;
  readonly name: string;
  readonly clusterId: string;
  readonly version: string;
  readonly role: string;
  readonly isLearner: boolean;
  readonly leaderId: number;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly dbSizeBytes: number;
  readonly quotaBytes: number;
  readonly alarms: readonly { memberId: number; alarm: number | string }[];
}

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerAddress: string;
  readonly clientUrls: readonly string[];
  readonly grpcUrls: readonly string[];
  readonly isLearner: boolean;
}

interface Point {
  readonly atMs: number;
  readonly rate: number | null;
  readonly p99: number | null;
}

interface LeaderChange {
  readonly atMs: number;
  readonly leader: string;
  readonly term: number;
}

export const POLL_INTERVAL_MS = 1_000;
/** Two minutes of figures at one a second. */
const POINTS_MAX = 120;
const LEADER_CHANGES_MAX = 50;

export const state = {
  status: undefined as Status | undefined,
  members: [] as Member[],
  /** Each other member's own status, by id; absent while it does not answer. */
  peers: new Map<number, Status>(),
  scrape: undefined as Scrape | undefined,
  scrapedAtMs: 0,
  points: [] as Point[],
  leaderChanges: [] as LeaderChange[],
  error: '',
};

let listeners: (() => void)[] = [];

export function onPoll(listener: () => void): () => void {
  listeners.push(listener);
  return () => (listeners = listeners.filter((candidate) => candidate !== listener));
}

export function startPolling(): void {
  const tick = async (): Promise<void> => {
    await pollOnce();
    for (const listener of listeners) listener();
    setTimeout(() => void tick(), POLL_INTERVAL_MS);
  };
  void tick();
}

async function pollOnce(): Promise<void> {
  try {
    const metricsText = fetch('/metrics', { cache: 'no-store', credentials: 'omit' }).then((response) => response.text());
    if (!authenticationRequired() || loggedIn()) {
      const [status, membership] = await Promise.all([json<Status>('GET', '/api/v1/admin/status'), json<{ members: Member[] }>('GET', '/api/v1/cluster/members')]);
      recordLeader(status, membership.members);
      state.status = status;
      state.members = membership.members;
      state.peers = await peerStatuses(status, membership.members);
    }
    recordFigures(parseMetrics(await metricsText));
    state.error = '';
  } catch (error) {
    state.error = error instanceof Error ? error.message : String(error);
  }
}

/** How long another member's status may take before it counts as not answering. */
const PEER_STATUS_TIMEOUT_MS = 900;

async function peerStatuses(self: Status, members: readonly Member[]): Promise<Map<number, Status>> {
  const peers = new Map<number, Status>();
  await Promise.all(
    members.map(async (member) => {
      const url = member.clientUrls[0];
      if (member.id === self.id || url === undefined) return;
      try {
        const response = await fetch(`${new URL(url).origin}/api/v1/admin/status`, { mode: 'cors', credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(PEER_STATUS_TIMEOUT_MS) });
        if (response.ok) peers.set(member.id, (await response.json()) as Status);
      } catch {
        // Not answering: its row shows no figures of its own.
      }
    }),
  );
  return peers;
}

function recordLeader(status: Status, members: readonly Member[]): void {
  const previous = state.leaderChanges[state.leaderChanges.length - 1];
  const leader = status.leaderId === 0 ? 'none' : (members.find((member) => member.id === status.leaderId)?.name ?? hex(status.leaderId));
  if (previous !== undefined && previous.leader === leader && previous.term === status.term) return;
  state.leaderChanges.push({ atMs: Date.now(), leader, term: status.term });
  if (state.leaderChanges.length > LEADER_CHANGES_MAX) state.leaderChanges.shift();
}

function recordFigures(scrape: Scrape): void {
  const now = Date.now();
  const before = state.scrape;
  if (before !== undefined) {
    const seconds = (now - state.scrapedAtMs) / 1000;
    state.points.push({ atMs: now, rate: requestRate(before, scrape, seconds), p99: p99Seconds(before, scrape) });
    if (state.points.length > POINTS_MAX) state.points.shift();
  }
  state.scrape = scrape;
  state.scrapedAtMs = now;
}

export const hex = (id: number): string => id.toString(16);

type Health = 'up' | 'down' | 'unknown';

/** How this member sees another: itself is up; a peer is up while its transport reaches it. */
function healthOf(member: Member, self: Status | undefined, scrape: Scrape | undefined): Health {
  if (self !== undefined && member.id === self.id) return 'up';
  const active = scrape === undefined ? undefined : value(scrape, 'bvault_network_active_peers', { Remote: hex(member.id) });
  if (active === undefined) return 'unknown';
  return active === 1 ? 'up' : 'down';
}

function roleOf(member: Member, own: Status | undefined, self: Status | undefined): string {
  if (member.isLearner) return 'learner';
  if (own !== undefined) return own.role;
  if (self === undefined) return '—';
  return member.id === self.leaderId ? 'leader' : 'follower';
}

/** The member's own status: this member's, or the one it answered. */
function statusOf(member: Member): Status | undefined {
  return member.id === state.status?.id ? state.status : state.peers.get(member.id);
}

function memberRow(member: Member, self: Status | undefined, scrape: Scrape | undefined): HTMLTableRowElement {
  const isSelf = self !== undefined && member.id === self.id;
  const own = statusOf(member);
  const health = healthOf(member, self, scrape);
  const rtt = scrape === undefined || isSelf ? undefined : value(scrape, 'bvault_network_peer_round_trip_time_seconds', { To: hex(member.id) });
  // Lag is how far the member's state machine is behind what the leader has committed.
  const leaderStatus = self === undefined ? undefined : state.members.find((candidate) => candidate.id === self.leaderId);
  const leaderCommit = leaderStatus === undefined ? undefined : statusOf(leaderStatus)?.commitIndex;
  const lag = own === undefined ? undefined : Math.max(0, (leaderCommit ?? own.commitIndex) - own.appliedIndex);
  const role = roleOf(member, own, self);
  const consoleUrl = member.clientUrls[0];
  return h(
    'tr',
    { 'data-member': member.name, 'data-health': health },
    h('td', {}, member.name, isSelf ? h('small', { class: 'muted' }, ' (this member)') : null),
    h('td', { class: 'mono' }, hex(member.id)),
    h('td', {}, h('span', { class: `role role-${role}` }, role)),
    h('td', {}, h('span', { class: `health health-${health}` }, health)),
    h('td', { class: 'num' }, own?.term ?? '—'),
    h('td', { class: 'num' }, own?.commitIndex ?? '—'),
    h('td', { class: 'num' }, own?.appliedIndex ?? '—'),
    h('td', { class: 'num' }, lag ?? '—'),
    h('td', {}, own === undefined ? '—' : quotaBar(own.dbSizeBytes, own.quotaBytes)),
    h('td', {}, own?.version ?? '—'),
    h('td', { class: 'num' }, rtt === undefined ? '—' : `${(rtt * 1000).toFixed(1)} ms`),
    h('td', {}, consoleUrl === undefined || isSelf ? '' : h('a', { href: `${new URL(consoleUrl).origin}/ui/` }, 'open')),
  );
}

function quotaBar(used: number, quota: number): HTMLElement {
  const share = quota > 0 ? Math.min(1, used / quota) : 0;
  const meter = h('meter', { min: 0, max: 1, value: share, low: 0.7, high: 0.9, optimum: 0 });
  return h('span', { class: 'quota', title: `${used} of ${quota} bytes` }, meter, ` ${formatBytes(used)} / ${formatBytes(quota)}`);
}

export function renderCluster(container: HTMLElement): void {
  const self = state.status;
  const leaderName = self === undefined ? '—' : self.leaderId === 0 ? 'none' : (state.members.find((member) => member.id === self.leaderId)?.name ?? hex(self.leaderId));
  const points = state.points;
  const scrape = state.scrape;
  replace(
    container,
    h('h1', {}, 'Cluster'),
    state.error === '' ? null : h('p', { class: 'error' }, `Not refreshed: ${state.error}`),
    h(
      'section',
      { class: 'summary' },
      summaryItem('Leader', leaderName, 'leader'),
      summaryItem('Term', self?.term ?? '—'),
      summaryItem('Revision', self?.revision ?? '—'),
      summaryItem('Compacted at', self?.compactRevision ?? '—'),
      summaryItem('Keys', scrape === undefined ? '—' : sum(scrape, 'bvault_mvcc_keys_total')),
      summaryItem('Watchers', scrape === undefined ? '—' : sum(scrape, 'bvault_mvcc_watcher_total')),
      summaryItem('Cluster id', self?.clusterId ?? '—'),
    ),
    h(
      'section',
      { class: 'charts' },
      sparkline('Requests / s', points.map((point) => point.rate), (rate) => rate.toFixed(1)),
      sparkline('p99 latency', points.map((point) => point.p99), (seconds) => `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`),
    ),
    h('h2', {}, 'Members'),
    h(
      'table',
      { id: 'members' },
      h('thead', {}, h('tr', {}, ...['Name', 'Id', 'Role', 'Health', 'Term', 'Commit', 'Applied', 'Lag', 'Database / quota', 'Version', 'Round trip', 'Console'].map((title) => h('th', {}, title)))),
      h('tbody', {}, state.members.map((member) => memberRow(member, self, scrape))),
    ),
    h('p', { class: 'muted' }, 'Each member’s term, indexes, size and version are its own, read from it; lag is how far its applied index is behind the leader’s commit index. Health and round trip are as this member’s peer transport sees the others.'),
    h('h2', {}, 'Leader changes'),
    h(
      'ol',
      { id: 'leader-changes', class: 'timeline' },
      [...state.leaderChanges].reverse().map((change) => h('li', {}, h('time', {}, new Date(change.atMs).toLocaleTimeString()), ` ${change.leader} (term ${change.term})`)),
    ),
  );
}

function summaryItem(label: string, shown: string | number, id?: string): HTMLElement {
  return h('div', { class: 'item' }, h('span', { class: 'label' }, label), h('span', { class: 'figure', id: id === undefined ? undefined : `summary-${id}` }, String(shown)));
}
