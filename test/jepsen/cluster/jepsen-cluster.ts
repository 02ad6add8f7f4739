// A real cluster of `bvault server` processes for fault runs, built on the cluster test kit.
// Every member's peer traffic goes through the fault-injecting peer proxy (grpc_proxy points
// at its egress listener there, so members added later are covered too), its disk can be
// slowed through the failpoint control listener, and, where libfaketime is installed, its
// wall clock can be stepped through a timestamp file while its monotonic clock runs true.
// Data, logs and clock files live under the caller's run directory, so a failing run keeps
// them for the report.

import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agreedLeader, freePort, request, ServerProcess, waitFor, type NodeStatusView, type ServerPorts } from '../../cluster/cluster-harness.js';
import { PeerProxy } from '../faults/peer-proxy.js';

export interface JepsenClusterOptions {
  readonly nodes: number;
  readonly runDirectory: string;
  readonly random: () => number;
  readonly tickMs?: number;
}

export interface JepsenMember {
  readonly name: string;
  readonly grpcAddress: string;
  readonly url: string;
  readonly peerAddress: string;
  running: boolean;
  paused: boolean;
}

/** Where Debian's libfaketime package puts the library, by architecture. */
const LIBFAKETIME_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];
export const LIBFAKETIME_PATH = LIBFAKETIME_CANDIDATES.find((candidate) => existsSync(candidate));
/** How long libfaketime may keep reading an old offset: a jump takes effect within this. */
const FAKETIME_CACHE_SECONDS = 1;

const START_TIMEOUT_MS = 60_000;
const LEADER_TIMEOUT_MS = 15_000;
const HEAL_TIMEOUT_MS = 90_000;
const JOIN_TIMEOUT_MS = 60_000;
const REMOVAL_TIMEOUT_MS = 30_000;
const FAILPOINT = 'wal-write';
/** gRPC honours these; any of them could send peer traffic around the proxy or to another one. */
const PROXY_VARIABLES = ['no_proxy', 'no_grpc_proxy', 'NO_PROXY', 'http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY'];

interface MemberView {
  readonly name: string;
  readonly isLearner: boolean;
}

/** A member as the nemesis handles it: its server process and its fault controls. */
export class JepsenClusterMember implements JepsenMember {
  paused = false;

  constructor(
    readonly server: ServerProcess,
    readonly failpointAddress: string,
    /** libfaketime's timestamp file for this member, when wall-clock jumps are available. */
    readonly clockFile: string | undefined,
  ) {}

  get name(): string {
    return this.server.name;
  }

  get grpcAddress(): string {
    return this.server.grpcAddress;
  }

  get url(): string {
    return this.server.url;
  }

  get peerAddress(): string {
    return this.server.peerAddress;
  }

  get running(): boolean {
    return this.server.running;
  }

  async status(): Promise<NodeStatusView> {
    return this.server.status();
  }

  /** Running and not stopped by SIGSTOP: it can answer. */
  get answering(): boolean {
    return this.server.running && !this.paused;
  }
}

export class JepsenCluster {
  readonly proxy = new PeerProxy();
  private readonly current: JepsenClusterMember[] = [];
  private readonly removed: JepsenClusterMember[] = [];
  /** Members whose removal was asked for and not yet seen to take effect. */
  private readonly removalsUnfinished = new Set<JepsenClusterMember>();
  private membersCreated = 0;

  private constructor(private readonly options: JepsenClusterOptions) {}

  static async start(options: JepsenClusterOptions): Promise<JepsenCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new Error(`nodes must be a positive integer, not ${options.nodes}`);
    await mkdir(options.runDirectory, { recursive: true });
    const cluster = new JepsenCluster(options);
    try {
      const ports: ServerPorts[] = [];
      for (let index = 0; index < options.nodes; index++) ports.push({ http: await freePort(), raft: await freePort(), grpc: await freePort() });
      const initialCluster = ports.map((port, index) => `n${index + 1}=127.0.0.1:${port.raft}`).join(',');
      for (const port of ports) await cluster.createMember(port, ['--initial-cluster', initialCluster]);
      for (const member of cluster.current) member.server.start();
      await Promise.all(cluster.current.map((member) => member.server.waitUntilReady(START_TIMEOUT_MS)));
      return cluster;
    } catch (error) {
      await cluster.destroy({ keepFiles: true });
      throw error;
    }
  }

  /** Whether `setClockOffset` can step wall clocks (libfaketime is installed). */
  get canJumpClocks(): boolean {
    return LIBFAKETIME_PATH !== undefined;
  }

  members(): readonly JepsenClusterMember[] {
    return this.current;
  }

  clientEndpoints(): string[] {
    return this.current.map((member) => member.grpcAddress);
  }

  /** The leader every answering member agrees on, or undefined if there is none by the deadline. */
  async leader(timeoutMs = LEADER_TIMEOUT_MS): Promise<JepsenClusterMember | undefined> {
    return waitFor('a leader every answering member agrees on', timeoutMs, () => agreedLeader(this.answering())).catch(() => undefined);
  }

  answering(): JepsenClusterMember[] {
    return this.current.filter((member) => member.answering);
  }

  /** kill -9; the data directory stays for `restart`. */
  async kill(member: JepsenClusterMember): Promise<void> {
    await member.server.kill();
    member.paused = false;
  }

  /** Starts a killed member again on its data directory and waits until it is ready. */
  async restart(member: JepsenClusterMember, timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (!member.running) member.server.start();
    await member.server.waitUntilReady(timeoutMs);
  }

  pause(member: JepsenClusterMember): void {
    this.signal(member, 'SIGSTOP');
    member.paused = true;
  }

  resume(member: JepsenClusterMember): void {
    if (!member.paused) return;
    if (member.running) this.signal(member, 'SIGCONT');
    member.paused = false;
  }

  /** Delays each WAL batch of `member` by `delayMs` before its write and fsync; undefined clears it. */
  async setDiskDelay(member: JepsenClusterMember, delayMs: number | undefined): Promise<void> {
    const answer = delayMs === undefined
      ? await request(`http://${member.failpointAddress}`, 'DELETE', `/${FAILPOINT}`)
      : await request(`http://${member.failpointAddress}`, 'PUT', `/${FAILPOINT}`, `sleep(${delayMs})`);
    if (answer.status !== 204) throw new Error(`${member.name}'s failpoint ${FAILPOINT} answered ${answer.status}: ${answer.text}`);
  }

  /** The failpoint's action as the member reports it: `off` or `sleep(N)`. */
  async diskDelay(member: JepsenClusterMember): Promise<string> {
    return (await request(`http://${member.failpointAddress}`, 'GET', `/${FAILPOINT}`)).text.trim();
  }

  /** Steps `member`'s wall clock by `offsetSeconds` from true time (0 sets it right); its monotonic clock is untouched. */
  async setClockOffset(member: JepsenClusterMember, offsetSeconds: number): Promise<void> {
    if (member.clockFile === undefined) throw new Error('wall-clock jumps need libfaketime: apt-get install faketime');
    await writeFile(member.clockFile, `${offsetSeconds >= 0 ? '+' : ''}${Math.round(offsetSeconds)}\n`);
  }

  /**
   * The members as the leader of the newest term lists them, waiting up to `timeoutMs` for a
   * leader to answer. Only the leader's list is the committed configuration: a member removed
   * earlier, one cut off, or one that joined and has not applied its own admission yet lists
   * another, and trusting such a list once took a removal for done and stopped a member that
   * was still a voter.
   */
  async memberList(timeoutMs = LEADER_TIMEOUT_MS): Promise<MemberView[]> {
    return waitFor('the leader to list the members', timeoutMs, async () => {
      const leader = await this.newestTermLeader();
      if (leader === undefined) return undefined;
      const answer = await request(leader.url, 'GET', '/api/v1/cluster/members');
      if (answer.status !== 200) throw new Error(`${leader.name} answered ${answer.status}: ${answer.text}`);
      return (answer.json as { members: MemberView[] }).members;
    });
  }

  /**
   * The member that leads in the newest term, waiting up to `timeoutMs`; unlike leader(), it
   * does not need every answering member to agree, so one member lagging or cut off does not
   * hide the leader the others follow.
   */
  async leaderOfNewestTerm(timeoutMs = LEADER_TIMEOUT_MS): Promise<JepsenClusterMember | undefined> {
    return waitFor('a member leading in the newest term', timeoutMs, () => this.newestTermLeader()).catch(() => undefined);
  }

  /** During a partition an old leader may not have stepped down yet: the newest term wins. */
  private async newestTermLeader(): Promise<JepsenClusterMember | undefined> {
    const asked = this.answering();
    const statuses = await Promise.all(asked.map((member) => member.status().catch(() => undefined)));
    let leader: { member: JepsenClusterMember; term: number } | undefined;
    for (const [index, status] of statuses.entries()) {
      if (status?.role === 'leader' && status.term > (leader?.term ?? -1)) leader = { member: asked[index] as JepsenClusterMember, term: status.term };
    }
    return leader?.member;
  }

  /** Starts a fresh member (new name, empty data directory) that joins through --join and waits until it votes. */
  async addMember(timeoutMs = JOIN_TIMEOUT_MS): Promise<JepsenClusterMember> {
    const via = await this.joinTarget();
    const member = await this.createMember({ http: await freePort(), raft: await freePort(), grpc: await freePort() }, ['--join', via.url]);
    member.server.start();
    await member.server.waitUntilReady(timeoutMs).catch(async (error: unknown) => {
      // A member whose join failed takes itself back out of the cluster and exits. Make sure it
      // is out and stop counting it (an unfinished removal is left to heal()), or healing would
      // wait for a member that is gone.
      if (!member.running) await this.removeMember(member).catch(() => undefined);
      throw error;
    });
    await waitFor(`${member.name} to be promoted to voter`, timeoutMs, async () =>
      (await this.memberList()).some((listed) => listed.name === member.name && !listed.isLearner) ? true : undefined,
    );
    return member;
  }

  /**
   * Removes `member` from the cluster, then stops it and closes its proxy listener. The member
   * list of the others decides, since a request that failed may still have removed it; until
   * it does, the removal is asked for again. A removal that does not finish by the deadline
   * throws, and heal() finishes it, so no member is left half removed.
   */
  async removeMember(member: JepsenClusterMember, timeoutMs = REMOVAL_TIMEOUT_MS): Promise<void> {
    this.removalsUnfinished.add(member);
    const deadline = Date.now() + timeoutMs;
    let lastAnswer: Parameters<typeof describeAnswer>[0] = 'no request sent yet';
    await waitFor(`${member.name} to leave the member list`, timeoutMs, async () => {
      // The member being removed may be the leader, whose list is then the one to trust; once
      // removed it is no longer the leader of the newest term.
      if (!(await this.memberList(remaining(deadline))).some((listed) => listed.name === member.name)) return true;
      const via = this.pick(this.answering().filter((candidate) => candidate !== member)) ?? member;
      lastAnswer = await request(via.url, 'DELETE', `/api/v1/cluster/members/${encodeURIComponent(member.name)}`).catch((error: unknown) => error as Error);
      return undefined;
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the last removal request answered ${describeAnswer(lastAnswer)}`);
    });
    this.removalsUnfinished.delete(member);
    await member.server.kill();
    member.paused = false;
    await this.proxy.removeMember(member.name);
    this.current.splice(this.current.indexOf(member), 1);
    this.removed.push(member);
  }

  /**
   * Ends every fault: resumes paused members, heals the network, sets clocks right, restarts
   * killed members, finishes removals that timed out and turns failpoints off; then waits
   * until every member is ready, one leader is agreed, and every member has applied what that
   * leader had committed. A timeout names each member's state.
   */
  async heal(timeoutMs = HEAL_TIMEOUT_MS): Promise<void> {
    const startedAt = Date.now();
    const deadline = startedAt + timeoutMs;
    let step = 'ending pauses, partitions and clock jumps';
    try {
      for (const member of this.current) this.resume(member);
      this.proxy.heal();
      for (const member of this.current) if (member.clockFile !== undefined) await this.setClockOffset(member, 0);
      for (const member of this.current) if (!member.running) member.server.start();
      for (const member of [...this.removalsUnfinished]) {
        step = `finishing the removal of ${member.name}`;
        await this.removeMember(member, remaining(deadline));
      }
      step = 'waiting for every member to be ready';
      await Promise.all(this.current.map((member) => member.server.waitUntilReady(remaining(deadline))));
      step = 'turning the slow disk off';
      await Promise.all(this.current.map((member) => this.setDiskDelay(member, undefined)));
      step = 'waiting for every member to catch up';
      await this.waitUntilCaughtUp(deadline);
    } catch (error) {
      throw new Error(`healing did not finish (${step}, ${Math.round((Date.now() - startedAt) / 1_000)} s in): ${(error as Error).message.split('\n')[0]}\nmembers: ${await this.describeMembers()}`);
    }
  }

  private async waitUntilCaughtUp(deadline: number): Promise<void> {
    const leader = await this.leader(remaining(deadline));
    if (leader === undefined) throw new Error('no leader agreed on by every member');
    const { commitIndex } = await leader.status();
    await waitFor(`every member to apply index ${commitIndex}`, remaining(deadline), async () => {
      const statuses = await Promise.all(this.current.map((member) => member.status()));
      return statuses.every((status) => status.appliedIndex >= commitIndex) ? true : undefined;
    });
  }

  /** Each member's role, term, leader and indexes, or why it did not answer. */
  async describeMembers(): Promise<string> {
    const lines = await Promise.all(this.current.map(async (member) => {
      if (!member.running) return `${member.name} not running`;
      if (member.paused) return `${member.name} paused`;
      const status = await member.status().catch((error: unknown) => `no status (${(error as Error).message})`);
      if (typeof status === 'string') return `${member.name} ${status}`;
      return `${member.name} ${status.role}${status.isLearner ? ' (learner)' : ''} term ${status.term} leader ${status.leaderId} last ${status.lastIndex} commit ${status.commitIndex} applied ${status.appliedIndex}`;
    }));
    return lines.join('; ');
  }

  /** Makes sure each member's whole output is in runDirectory/<name>.log. */
  async saveLogs(): Promise<void> {
    await Promise.all(this.everyMember().map((member) => member.server.flushOutputFile()));
  }

  async destroy(options: { keepFiles: boolean }): Promise<void> {
    const members = this.everyMember();
    await Promise.all(members.map((member) => member.server.kill().catch(() => undefined)));
    await this.proxy.close();
    await Promise.all(members.map((member) => member.server.flushOutputFile(true)));
    if (options.keepFiles) return;
    for (const member of members) {
      await rm(member.server.dataDir, { recursive: true, force: true });
      await rm(this.logFile(member.name), { force: true });
      if (member.clockFile !== undefined) await rm(member.clockFile, { force: true });
    }
  }

  /**
   * A member that leads, or failing that one that knows a leader: a join through a member
   * cut off from the leader (say, one side of a bridge) fails, and the new server exits.
   */
  private async joinTarget(): Promise<JepsenClusterMember> {
    const answering = this.answering();
    const statuses = await Promise.all(answering.map((member) => member.status().catch(() => undefined)));
    const leading = answering.filter((_member, index) => statuses[index]?.role === 'leader');
    const knowingLeader = answering.filter((_member, index) => (statuses[index]?.leaderId ?? 0) !== 0);
    const via = this.pick(leading) ?? this.pick(knowingLeader) ?? this.pick(answering);
    if (via === undefined) throw new Error('no member answers to join through');
    return via;
  }

  private everyMember(): JepsenClusterMember[] {
    return [...this.current, ...this.removed];
  }

  private async createMember(ports: ServerPorts, membershipArgs: readonly string[]): Promise<JepsenClusterMember> {
    const name = `n${++this.membersCreated}`;
    const { runDirectory, tickMs } = this.options;
    const proxyPort = await this.proxy.addMember(name, `127.0.0.1:${ports.raft}`);
    const failpointAddress = `127.0.0.1:${await freePort()}`;
    const clockFile = LIBFAKETIME_PATH === undefined ? undefined : join(runDirectory, `${name}.faketime`);
    const environment: Record<string, string | undefined> = { grpc_proxy: `http://127.0.0.1:${proxyPort}`, BVAULT_FAILPOINTS_HTTP: failpointAddress };
    for (const variable of PROXY_VARIABLES) environment[variable] = undefined;
    if (clockFile !== undefined) {
      await writeFile(clockFile, '+0\n');
      Object.assign(environment, { LD_PRELOAD: LIBFAKETIME_PATH, FAKETIME_TIMESTAMP_FILE: clockFile, DONT_FAKE_MONOTONIC: '1', FAKETIME_CACHE_DURATION: String(FAKETIME_CACHE_SECONDS) });
    }
    const args = [...membershipArgs, ...(tickMs === undefined ? [] : ['--tick-ms', String(tickMs)])];
    const server = new ServerProcess(name, ports, join(runDirectory, name), args, { environment, outputFile: this.logFile(name) });
    const member = new JepsenClusterMember(server, failpointAddress, clockFile);
    this.current.push(member);
    return member;
  }

  private logFile(name: string): string {
    return join(this.options.runDirectory, `${name}.log`);
  }

  private signal(member: JepsenClusterMember, signal: NodeJS.Signals): void {
    const pid = member.server.pid;
    if (pid === undefined || !member.running) throw new Error(`${member.name} is not running`);
    process.kill(pid, signal);
  }

  private pick<T>(candidates: readonly T[]): T | undefined {
    return candidates[Math.floor(this.options.random() * candidates.length)];
  }
}

function remaining(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

/** A removal request's answer: an HTTP answer, the error it failed with, or why none was sent. */
function describeAnswer(answer: { status: number; text: string } | Error | string): string {
  if (typeof answer === 'string') return answer;
  if (answer instanceof Error) return answer.message;
  return `${answer.status} ${answer.text.slice(0, 200)}`;
}
