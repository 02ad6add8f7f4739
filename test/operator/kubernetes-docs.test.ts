// The Kubernetes docs cannot drift: every shell block of README.md and docs/kubernetes.md marked
// `<!-- doc-test: run on the test bed -->` runs here, in the order a reader meets them, with
// kubectl and Helm pointed at a test bed of its own for each document (each starts from an empty
// Kubernetes cluster, as its reader does) and the working directory at the repository's root.
// The backup blocks' S3_* variables name a MinIO of the bed's, which the operator's pods reach. The bed's nodes have
// no attach, so `kubectl run --rm -i` is carried out as run, wait for the pod to end, logs, delete.

import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../cluster/cluster-harness.js';
import { runScript, shellBlocks, type ScriptOutcome, type ShellBlock } from '../docs/doc-blocks.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { BINARIES, REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { PidRegistry, stopByPid } from '../k8s/bed/processes.js';
import { startMinio, type Minio } from '../k8s/services/minio.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices, installed, SERVICE_BINARIES } from '../k8s/services/tool-paths.js';

const DOCUMENTS = ['README.md', 'docs/kubernetes.md'];
const BUCKET = 'docs-backups';
const BLOCK_TIMEOUT_MS = 16 * 60_000;

/** `kubectl run <name> --rm -i ...`, on nodes without attach: the pod runs to its end, its log is the output. */
const KUBECTL_RUN_WITHOUT_ATTACH = `kubectl() {
  if [ "\${1:-}" != run ] || ! printf '%s\\n' "$@" | grep -qx -- --rm || ! printf '%s\\n' "$@" | grep -qx -- -i; then command kubectl "$@"; return; fi
  local name="$2" phase="" args=()
  shift 2
  for arg in "$@"; do case "$arg" in --rm|-i) ;; *) args+=("$arg") ;; esac; done
  command kubectl run "$name" "\${args[@]}" >/dev/null
  for _ in $(seq 240); do
    phase=$(command kubectl get pod "$name" -o jsonpath='{.status.phase}')
    if [ "$phase" = Succeeded ] || [ "$phase" = Failed ]; then break; fi
    sleep 0.5
  done
  command kubectl logs "$name"
  command kubectl delete pod "$name" --wait=true >/dev/null
  [ "$phase" = Succeeded ]
}`;

beforeAll(async () => {
  await ensureServices();
}, ENSURE_SERVICES_TIMEOUT_MS);

for (const document of DOCUMENTS) {
  const blocks = shellBlocks(join(REPOSITORY_ROOT, document), document).filter((block) => block.marker === 'run on the test bed');

  describe(`the Kubernetes commands of ${document}, on a test bed of their own`, () => {
    let bed: Bed;
    let minio: Minio;
    let registry: PidRegistry;
    beforeAll(async () => {
      const directory = await temporaryDirectory('kubernetes-docs');
      registry = new PidRegistry(join(directory, 'pids'));
      bed = await startBed({ nodes: 2 });
      // On the bed's bridge, where the operator's pods reach it.
      minio = await startMinio({ directory, registry, host: bed.network.gatewayAddress });
      await minio.createBucket(BUCKET);
    }, 240_000);
    afterAll(async () => {
      if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
      await bed?.stop();
    }, 120_000);

    it('has blocks to run', () => {
      expect(blocks.length).toBeGreaterThan(0);
    });

    for (const block of blocks) {
      it(`${block.where} runs`, async () => {
        const outcome = await runBlock(block, bed, minio);
        expect(outcome.exitCode, `${block.where} failed:\n${block.text}\n--- output ---\n${outcome.output}`).toBe(0);
      }, BLOCK_TIMEOUT_MS + 10_000);
    }
  });
}

function runBlock(block: ShellBlock, bed: Bed, minio: Minio): Promise<ScriptOutcome> {
  const script = ['set -euo pipefail', KUBECTL_RUN_WITHOUT_ATTACH, block.text].join('\n');
  const helmHome = join(bed.directory, 'helm');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [dirname(BINARIES.kubectl), dirname(installed(SERVICE_BINARIES.helm)), process.env.PATH].join(':'),
    KUBECONFIG: bed.kubeconfig,
    // kubectl's discovery cache and Helm's files stay in the bed's directory.
    HOME: bed.directory,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
    S3_BUCKET: BUCKET,
    S3_ENDPOINT: minio.endpoint,
    S3_ACCESS_KEY_ID: minio.accessKeyId,
    S3_SECRET_ACCESS_KEY: minio.secretAccessKey,
  };
  return runScript(script, { cwd: REPOSITORY_ROOT, env, timeoutMs: BLOCK_TIMEOUT_MS });
}
