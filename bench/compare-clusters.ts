// The two three-member clusters bench:compare measures, behind one interface: Beaver-Vault
// (the build in dist/, started by the cluster test kit) and etcd (Debian's etcd-server), each
// on free loopback ports with temporary data directories and fsync on. Both use a 100 ms
// heartbeat and a 1,000 ms election timeout: etcd's defaults, and Beaver-Vault's defaults of
// tick-ms 100, heartbeat-ticks 1 and election-ticks 10.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { MaintenanceClient, type StatusResponse } from '../src/generated/etcd/etcdserverpb/rpc.js';
import { call } from '../test/etcd-compat/etcd-grpc-client.js';
import { freePort, request, temporaryDirectory, TestCluster, type ServerProcess, type ServerProcessOptions, waitFor } from '../test/cluster/cluster-harness.js';

export const ETCD_BINARY = process.env.ETCD_BINARY ?? 'etcd';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** One member of either system, as the comparison sees it. */
export interface ComparedMember {
  readonly name: string;
  readonly grpcAddress: string;
  readonly pid: number | undefined;
  kill(): Promise<void>;
  start(): void;
  waitUntilReady(timeoutMs: number): Promise<void>;
}

export interface ComparedCluster {
  /** 'Beaver-Vault' or 'etcd', as the table names it. */
  readonly system: string;
  /** What `bvault bench --target` calls it. */
  readonly target: 'beaver' | 'etcd';
  readonly members: readonly ComparedMember[];
  destroy(): Promise<void>;
}

/** The etcd version line, or undefined when no etcd binary can be run. */
export function etcdVersion(): string | undefined {
  const run = spawnSync(ETCD_BINARY, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? /etcd Version: (\S+)/.exec(run.stdout)?.[1] : undefined;
}

/**
 * `memberOptions` says how to start each member, given its name; `stop` ends every member with
 * SIGTERM, which lets a profiled member write its profile (bench:profile).
 */
export async function startBeaverVault(memberOptions?: (name: string) => ServerProcessOptions): Promise<ComparedCluster & { stop(): Promise<void> }> {
  const cluster = await TestCluster.start({ size: 3, prefix: 'compare', memberOptions });
  const members = cluster.members.map((member: ServerProcess) => ({
    name: member.name,
    get grpcAddress() {
      return member.grpcAddress;
    },
    get pid() {
      return member.pid;
    },
    kill: () => member.kill(),
    start: () => member.start(),
    waitUntilReady: (timeoutMs: number) => member.waitUntilReady(timeoutMs),
  }));
  const stop = async (): Promise<void> => {
    await Promise.all(cluster.members.map((member) => member.terminate()));
  };
  return { system: 'Beaver-Vault', target: 'beaver', members, stop, destroy: () => cluster.destroy() };
}

interface EtcdPorts {
  readonly client: number;
  readonly peer: number;
}

/** One etcd process; readiness is its /health answering true (a leader, no alarm). */
class EtcdMember implements ComparedMember {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly name: string,
    private readonly ports: EtcdPorts,
    private readonly args: readonly string[],
  ) {}

  get grpcAddress(): string {
    return `127.0.0.1:${this.ports.client}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.output = '';
    const child = spawn(ETCD_BINARY, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-10_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    livingEtcdProcesses.add(child);
    child.once('exit', () => livingEtcdProcesses.delete(child));
    this.child = child;
  }

  async waitUntilReady(timeoutMs: number): Promise<void> {
    await waitFor(`etcd ${this.name} to be healthy`, timeoutMs, async () => {
      if (!this.running) throw new Error(`etcd ${this.name} exited while starting; its log:\n${this.output}`);
      const answer = await request(`http://${this.grpcAddress}`, 'GET', '/health').catch(() => undefined);
      return (answer?.json as { health?: string } | undefined)?.health === 'true' ? true : undefined;
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
  }
}

const livingEtcdProcesses = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of livingEtcdProcesses) child.kill('SIGKILL');
});

/** Three etcd members with etcd's defaults (fsync on, 100 ms heartbeat, 1 s election timeout). */
export async function startEtcd(): Promise<ComparedCluster> {
  const root = await temporaryDirectory('compare-etcd');
  const names = ['e1', 'e2', 'e3'];
  const ports: EtcdPorts[] = [];
  for (const _name of names) ports.push({ client: await freePort(), peer: await freePort() });
  const initialCluster = names.map((name, index) => `${name}=http://127.0.0.1:${(ports[index] as EtcdPorts).peer}`).join(',');
  const members = names.map((name, index) => {
    const { client, peer } = ports[index] as EtcdPorts;
    return new EtcdMember(name, ports[index] as EtcdPorts, [
      '--name', name, '--data-dir', join(root, name),
      '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'bench-compare',
      '--heartbeat-interval', '100', '--election-timeout', '1000',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
    ]);
  });
  const destroy = async (): Promise<void> => {
    await Promise.all(members.map((member) => member.kill()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const member of members) member.start();
    await Promise.all(members.map((member) => member.waitUntilReady(READY_TIMEOUT_MS)));
  } catch (error) {
    await destroy();
    throw error;
  }
  return { system: 'etcd', target: 'etcd', members, destroy };
}

/** The member that is leader, asked through etcd's Maintenance.Status, which both systems serve. */
export async function leaderOf(cluster: ComparedCluster): Promise<ComparedMember> {
  return waitFor(`a leader of the ${cluster.system} cluster`, READY_TIMEOUT_MS, async () => {
    const statuses = await Promise.all(cluster.members.map((member) => memberStatus(member.grpcAddress)));
    const leaderId = statuses[0]?.leader;
    if (leaderId === undefined || leaderId === 0n || statuses.some((status) => status.leader !== leaderId)) return undefined;
    const index = statuses.findIndex((status) => status.header?.memberId === leaderId);
    return index < 0 ? undefined : cluster.members[index];
  });
}

async function memberStatus(address: string): Promise<StatusResponse> {
  const client = new MaintenanceClient(address, credentials.createInsecure());
  try {
    return await call(client.status.bind(client), {});
  } finally {
    client.close();
  }
}

/** Clock ticks per second of /proc's CPU times (100 on Linux, as getconf reports it). */
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time a process has used so far, all its threads, user and system, in ms (from /proc/<pid>/stat). */
export async function processCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  return cpuMsOfStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU time the process's main thread (the thread whose id is the pid) has used so far, in ms. */
export async function mainThreadCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  return cpuMsOfStat(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
}

function cpuMsOfStat(stat: string): number {
  // The command name in parentheses may hold spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process (VmRSS), in MiB. */
export async function residentMemoryMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}
