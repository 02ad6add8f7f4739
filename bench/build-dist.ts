// The build the benchmarks measure, as `npm run build` makes it: `tsc` output in dist/ with the
// `bvault` command bundled (scripts/bundle-cli.mjs), run by plain node, so neither the servers
// nor the load generator carry a TypeScript loader.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../test/cluster/cluster-harness.js';

export const BUILT_SERVER_ENTRY = 'dist/src/cli/main.js';

export function buildDist(tool: string): void {
  process.stderr.write(`${tool}: building Beaver-Vault (tsc, then the bundle) so the measured servers and the load generator run without a loader...\n`);
  const run = spawnSync(process.execPath, [join(REPOSITORY_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
  // tsc still emits when it reports type errors; the build is measured as emitted. The bundle
  // is made from the sources, not from tsc's output, so it does not depend on tsc succeeding.
  if (run.status !== 0) process.stderr.write(`${tool}: tsc reported errors (above); measuring what it emitted\n`);
  const bundle = spawnSync(process.execPath, [join(REPOSITORY_ROOT, 'scripts/bundle-cli.mjs')], { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error(`bundling the bvault command failed (exit ${String(bundle.status)}); its errors are above`);
  if (!existsSync(join(REPOSITORY_ROOT, BUILT_SERVER_ENTRY))) throw new Error(`the build did not produce ${BUILT_SERVER_ENTRY}`);
}
