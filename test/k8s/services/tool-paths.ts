// Where the services' binaries are. The versions of the Go-built ones are pinned in one place,
// test/k8s/versions.env, which ensure-services.sh sources to build them into these paths.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIRECTORY, K8S_DIRECTORY } from '../bed/paths.js';

/** The KEY=VALUE lines of versions.env (a shell file, so no quoting or expansion is used in it). */
function readVersions(): ReadonlyMap<string, string> {
  const versions = new Map<string, string>();
  for (const line of readFileSync(join(K8S_DIRECTORY, 'versions.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (match !== null) versions.set(match[1] as string, match[2] as string);
  }
  return versions;
}

function pinned(versions: ReadonlyMap<string, string>, key: string): string {
  const version = versions.get(key);
  if (version === undefined) throw new Error(`test/k8s/versions.env does not set ${key}`);
  return version;
}

const versions = readVersions();
export const HELM_VERSION = pinned(versions, 'HELM_VERSION');
export const MINIO_VERSION = pinned(versions, 'MINIO_VERSION');
export const CERT_MANAGER_MODULE = pinned(versions, 'CERT_MANAGER_MODULE');
export const CERT_MANAGER_VERSION = pinned(versions, 'CERT_MANAGER_VERSION');

/** The path build-go-tool.sh installs a tool's binary at. */
function goTool(binary: string, version: string): string {
  return join(CACHE_DIRECTORY, 'tools', binary, version, binary);
}

export const SERVICE_BINARIES = {
  helm: goTool('helm', HELM_VERSION),
  minio: goTool('minio', MINIO_VERSION),
  certManagerController: goTool('cert-manager-controller', CERT_MANAGER_VERSION),
  /** Debian's prometheus package, which brings promtool; ensure-services.sh installs it. */
  prometheus: '/usr/bin/prometheus',
  promtool: '/usr/bin/promtool',
} as const;

/** The binary's path; throws with what to run when it has not been built or installed yet. */
export function installed(binary: string): string {
  if (!existsSync(binary)) throw new Error(`${binary} is missing; run test/k8s/ensure-services.sh, which builds and installs the services' tools`);
  return binary;
}

/**
 * How long ensure-services.sh may take: on a machine that has not built them, Helm and MinIO
 * took four minutes with an empty Go cache on two shared cores; the rest is room for a slow
 * network and a busier machine.
 */
export const ENSURE_SERVICES_TIMEOUT_MS = 20 * 60_000;

/**
 * Runs ensure-services.sh, which builds or installs whatever is missing and is a quick no-op
 * otherwise. Tests call it first so that they run rather than skip on a machine that has not
 * built the tools yet; `npm test` has normally built them before vitest starts. Its messages go
 * to this process's stderr, so a first build shows what it is doing.
 */
export function ensureServices(): Promise<void> {
  const script = join(K8S_DIRECTORY, 'ensure-services.sh');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'], timeout: ENSURE_SERVICES_TIMEOUT_MS, killSignal: 'SIGKILL' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${script} ${signal === null ? `exited with ${code}` : `was stopped by ${signal} (${ENSURE_SERVICES_TIMEOUT_MS} ms allowed)`}; its messages are above`));
    });
  });
}
