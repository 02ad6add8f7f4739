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
export const RELEASE = 'beaver-vault';
export const NAMESPACE = 'bvault-system';

const HEADER = `# The operator's ServiceAccount, RBAC, Deployment and metrics Service: charts/beaver-vault
# rendered with its default values by \`npm run manifests\`. Do not edit: change the chart.
`;

export async function renderManifests(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'bvault-manifests-'));
  try {
    const rendered = await helm(['template', RELEASE, CHART_DIRECTORY, '--namespace', NAMESPACE], { directory });
    return HEADER + rendered;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
