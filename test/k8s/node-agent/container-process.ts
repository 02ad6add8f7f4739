// A container as a process: `ip netns exec` puts it in its pod's network namespace (and a
// private mount namespace, with the pod's /etc/hosts and resolv.conf), `unshare --uts` gives it
// the pod's hostname, and a small shell bind-mounts its volumes at their mount paths before it
// execs the container's command. Every step execs the next, so the pid the agent tracks — and
// signals — is the container's own process.

import { execFile } from 'node:child_process';
import type { PidRegistry, TrackedProcess } from '../bed/processes.js';
import { spawnTracked } from '../bed/processes.js';
import { shellWord } from './host-commands.js';

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface ContainerLaunch {
  /** How the pid registry names it: namespace/pod/container. */
  readonly name: string;
  readonly netns: string;
  readonly hostname: string;
  readonly mounts: readonly Mount[];
  readonly workingDir?: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

export function launchContainer(launch: ContainerLaunch, registry: PidRegistry): TrackedProcess {
  if (launch.argv.length === 0) throw new Error('the container has no command: neither the image map nor the pod gives one');
  const lines = ['set -e', 'hostname "$1"', 'shift'];
  for (const mount of launch.mounts) {
    lines.push(`mount --bind ${shellWord(mount.source)} ${shellWord(mount.target)}`);
    if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${shellWord(mount.target)}`);
  }
  if (launch.workingDir !== undefined) lines.push(`cd ${shellWord(launch.workingDir)}`);
  lines.push('exec "$@"');
  return spawnTracked(launch.name, 'ip', ['netns', 'exec', launch.netns, 'unshare', '--uts', '--', 'sh', '-c', lines.join('\n'), 'container', launch.hostname, ...launch.argv], {
    registry,
    logFile: launch.logFile,
    env: { ...launch.env },
  });
}

export interface ExecResult {
  readonly exitCode: number;
  readonly output: string;
}

/** Runs `argv` inside a running container's namespaces (its mounts, network and hostname), as an exec probe does. */
export function execInContainer(pid: number, argv: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile('nsenter', ['--target', String(pid), '--mount', '--net', '--uts', '--', ...argv], { env: { ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ exitCode: code, output: `${stdout}${stderr}` });
    });
  });
}
