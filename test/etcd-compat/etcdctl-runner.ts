// Runs the real etcdctl (API v3) against Beaver-Vault gRPC endpoints, with a deadline on every
// run so a hung command fails its test instead of the suite.
import { spawn } from 'node:child_process';
import type { ServerProcess } from '../cluster/cluster-harness.js';

const COMMAND_DEADLINE_MS = 20_000;

export interface EtcdctlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function grpcEndpoint(member: ServerProcess): string {
  return `127.0.0.1:${member.ports.grpc}`;
}

/** etcdctl with `args`, `stdin` fed in and closed; resolves whatever the exit code. */
export function etcdctl(endpoints: readonly ServerProcess[], args: readonly string[], stdin = ''): Promise<EtcdctlResult> {
  return etcdctlAt(endpoints.map(grpcEndpoint), args, stdin);
}

/** etcdctl against endpoints given as host:port (members that are not this process's children, e.g. pods). */
export function etcdctlAt(endpoints: readonly string[], args: readonly string[], stdin = ''): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', [`--endpoints=${endpoints.join(',')}`, '--command-timeout=10s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')} did not finish within ${COMMAND_DEADLINE_MS} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, COMMAND_DEADLINE_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

/** etcdctl that must succeed; returns its stdout. */
export async function etcdctlOk(endpoints: readonly ServerProcess[], args: readonly string[], stdin = ''): Promise<string> {
  const result = await etcdctl(endpoints, args, stdin);
  if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * A long-running etcdctl (watch, lease keep-alive) whose output is collected until `stop`;
 * `waitForOutput` resolves once the output satisfies the predicate.
 */
export function etcdctlBackground(endpoints: readonly ServerProcess[], args: readonly string[]) {
  const child = spawn('etcdctl', [`--endpoints=${endpoints.map(grpcEndpoint).join(',')}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return {
    async waitForOutput(done: (output: string) => boolean, timeoutMs = 15_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!done(stdout)) {
        if (Date.now() > deadline) throw new Error(`etcdctl ${args.join(' ')} printed only: ${stdout}; stderr: ${stderr}`);
        if (child.exitCode !== null) throw new Error(`etcdctl ${args.join(' ')} exited ${child.exitCode}: ${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return stdout;
    },
    stop(): void {
      child.kill('SIGKILL');
    },
  };
}

/** etcdctl prints member ids in hex (%x), lease ids padded to 16 digits (%016x). */
export function hexId(id: number | bigint): string {
  return BigInt(id).toString(16);
}
