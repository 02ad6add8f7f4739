// manifests/beaver-vault.yaml is the chart rendered with its default values into the namespace
// manifests/namespace.yaml makes, so that `kubectl apply -k manifests/` installs what
// `helm install` does and the two cannot drift apart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helm } from '../test/k8s/services/helm.js';

export const CHART_DIRECTORY = fileURLToPath(new URL('../charts/beaver-vault', import.meta.url));
export const MANIFESTS_FILE = fileURLToPath(new URL('../manifests/beaver-vault.yaml', import.meta.url));
export const DASHBOARDS_FILE = fileURLToPath(new URL('../manifests/dashboards/grafana-dashboards.yaml', import.meta.url));
export const RELEASE = 'beaver-vault';
export const NAMESPACE = 'bvault-system';

const HEADER = `# The operator's ServiceAccount, RBAC, Deployment and metrics Service: charts/beaver-vault
# rendered with its default values by \`npm run manifests\`. Do not edit: change the chart.
`;

const DASHBOARDS_HEADER = `# The Grafana dashboards of observability/grafana as ConfigMaps labelled for Grafana's dashboard
# sidecar: charts/beaver-vault's templates/grafana-dashboards.yaml rendered with
# monitoring.dashboards.enabled by \`npm run manifests\`. Do not edit: change the dashboards.
`;

export async function renderManifests(): Promise<string> {
  return HEADER + (await helmTemplate([]));
}

/** manifests/dashboards/grafana-dashboards.yaml: the chart's dashboard ConfigMaps alone. */
export async function renderDashboardManifests(): Promise<string> {
  return DASHBOARDS_HEADER + (await helmTemplate(['--set', 'monitoring.dashboards.enabled=true', '--show-only', 'templates/grafana-dashboards.yaml']));
}

async function helmTemplate(args: readonly string[]): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'bvault-manifests-'));
  try {
    return await helm(['template', RELEASE, CHART_DIRECTORY, '--namespace', NAMESPACE, ...args], { directory });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
