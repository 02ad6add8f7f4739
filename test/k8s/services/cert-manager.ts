// cert-manager for a test bed: its CRDs applied to the bed's API server and its controller run
// as a tracked process on this machine, as the controller manager is (it needs no pod network:
// it only talks to the API server). Its webhook is not run, so nothing defaults or validates
// cert-manager's objects beyond their CRD schemas; write them complete.

import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../cluster/cluster-harness.js';
import type { Bed } from '../bed/bed.js';
import type { PidRegistry } from '../bed/processes.js';
import { startService } from './service-process.js';
import { CERT_MANAGER_MODULE, CERT_MANAGER_VERSION, installed, SERVICE_BINARIES } from './tool-paths.js';

const READY_TIMEOUT_MS = 60_000;

export interface CertManager {
  readonly pid: number;
  stop(): Promise<void>;
}

export interface CertManagerOptions {
  /** The log goes here. */
  readonly directory: string;
  readonly registry: PidRegistry;
}

/** Installs cert-manager's CRDs on the bed and starts its controller against the bed's API server. */
export async function startCertManager(bed: Bed, options: CertManagerOptions): Promise<CertManager> {
  for (const crd of await crdFiles()) await bed.kubectl(['apply', '--server-side', '-f', '-'], withoutChartTemplates(await readFile(crd, 'utf8')));
  await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io', 'crd/issuers.cert-manager.io', 'crd/clusterissuers.cert-manager.io', 'crd/certificaterequests.cert-manager.io']);
  const metrics = `127.0.0.1:${await freePort()}`;
  const args = [
    `--kubeconfig=${bed.kubeconfig}`,
    '--leader-elect=false',
    // The namespace of a ClusterIssuer's Secrets; the bed has no cert-manager namespace.
    '--cluster-resource-namespace=default',
    `--metrics-listen-address=${metrics}`,
    // A KVCluster's Secrets go with it when it is deleted.
    '--enable-certificate-owner-ref',
  ];
  const service = await startService('cert-manager', installed(SERVICE_BINARIES.certManagerController), args, {
    registry: options.registry,
    logFile: join(options.directory, 'cert-manager.log'),
    readyUrl: `http://${metrics}/metrics`,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return { pid: service.pid, stop: () => service.stop() };
}

/** The CRD files of the cert-manager release the controller was built from, in its module. */
async function crdFiles(): Promise<string[]> {
  const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', `${CERT_MANAGER_MODULE}@${CERT_MANAGER_VERSION}`], { timeout: 120_000 });
  const directory = join((JSON.parse(stdout) as { Dir: string }).Dir, 'deploy', 'crds');
  return (await readdir(directory)).filter((name) => name.endsWith('.yaml')).map((name) => join(directory, name));
}

/**
 * The release's CRD files are also its Helm chart's templates: their labels hold template
 * expressions, given here the values the chart gives them for a release named cert-manager.
 */
function withoutChartTemplates(crd: string): string {
  const plain = crd
    .split('\n')
    .filter((line) => !/^\s*#.*\{\{/.test(line))
    .join('\n')
    .replaceAll('\'{{ template "cert-manager.name" . }}\'', 'cert-manager')
    .replaceAll('\'{{ .Release.Name }}\'', 'cert-manager');
  if (plain.includes('{{')) throw new Error(`a cert-manager CRD holds a template expression this bed does not know: ${/.*\{\{.*/.exec(plain)?.[0] ?? ''}`);
  return plain;
}
