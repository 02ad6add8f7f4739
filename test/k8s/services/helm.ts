// The cached Helm, run with its cache, configuration and data (repositories, plugins) under a
// directory the bed owns and removes, never the user's ~/.config/helm or ~/.kube/config; every
// call is bounded in time.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import { installed, SERVICE_BINARIES } from './tool-paths.js';

const DEFAULT_TIMEOUT_MS = 120_000;

export interface HelmOptions {
  /** Helm's own files go under here (the bed's directory). */
  readonly directory: string;
  /** The cluster to talk to; without it Helm has none, which suits lint and template. */
  readonly kubeconfig?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** helm's stdout; rejects with helm's stderr when it fails or runs past the deadline. */
export function helm(args: readonly string[], options: HelmOptions): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    // HOME too: client-go falls back to $HOME/.kube/config when there is no kubeconfig.
    HOME: options.directory,
    HELM_CACHE_HOME: join(options.directory, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(options.directory, 'helm', 'config'),
    HELM_DATA_HOME: join(options.directory, 'helm', 'data'),
  };
  delete env.KUBECONFIG;
  const kubeconfig = options.kubeconfig === undefined ? [] : ['--kubeconfig', options.kubeconfig];
  return runTool(installed(SERVICE_BINARIES.helm), [...kubeconfig, ...args], { cwd: options.cwd, env, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
}

export interface HelmInstall extends HelmOptions {
  readonly kubeconfig: string;
  readonly release: string;
  /** A chart directory or archive. */
  readonly chart: string;
  readonly namespace: string;
  /** Values for the chart, written to a file in `directory` (JSON is YAML). */
  readonly values?: object;
  /** Waits until the release's resources are ready, within the call's time. */
  readonly wait?: boolean;
}

/** Installs a release, or upgrades it when it exists, so a repeated call is safe; returns helm's output. */
export function helmInstall(install: HelmInstall): Promise<string> {
  const timeoutMs = install.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const args = ['upgrade', '--install', install.release, install.chart, '--namespace', install.namespace, '--create-namespace'];
  if (install.values !== undefined) {
    const valuesFile = join(install.directory, `${install.release}-values.json`);
    writeFileSync(valuesFile, JSON.stringify(install.values));
    args.push('--values', valuesFile);
  }
  // Helm's own timeout ends a --wait before ours kills it, so the error is Helm's explanation.
  if (install.wait === true) args.push('--wait', '--timeout', `${Math.floor((timeoutMs * 0.9) / 1000)}s`);
  return helm(args, { ...install, timeoutMs });
}
