// The docs cannot drift: every shell block in README.md and docs/*.md says whether it runs
// (see doc-blocks.ts), and the blocks marked to run do run, in the order a reader meets them,
// against a real three-member cluster. The docs show the ports of `npm start` (HTTP 8000-8002,
// gRPC 9090-9092, peers 7000-7002); the test maps them to the free ports its cluster listens on.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, TestCluster, temporaryDirectory } from '../cluster/cluster-harness.js';
import { runScript, shellBlocks, type ScriptOutcome, type ShellBlock } from './doc-blocks.js';

const DOCUMENTS = ['README.md', ...readdirSync(join(REPOSITORY_ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const BLOCKS = DOCUMENTS.flatMap((document) => shellBlocks(join(REPOSITORY_ROOT, document), document));
const DEV_HTTP_PORT = 8000;
const DEV_PEER_PORT = 7000;
const DEV_GRPC_PORT = 9090;
const BLOCK_TIMEOUT_MS = 60_000;

describe('the shell blocks of the docs', () => {
  it('each says whether the doc test runs it', () => {
    expect(BLOCKS.length).toBeGreaterThan(0);
    const unmarked = BLOCKS.filter((block) => block.marker === undefined).map((block) => block.where);
    expect(unmarked, 'put <!-- doc-test: run -->, <!-- doc-test: run on the test bed --> or <!-- doc-test: not run: <why> --> on the line before each').toEqual([]);
  });

  describe('marked to run, against a real cluster', () => {
    let cluster: TestCluster;
    let workingDirectory: string;
    beforeAll(async () => {
      cluster = await TestCluster.start({ size: 3, prefix: 'docs' });
      workingDirectory = await temporaryDirectory('docs-cwd');
    }, 90_000);
    afterAll(async () => {
      await cluster?.destroy();
    });

    for (const block of BLOCKS.filter((each) => each.marker === 'run')) {
      it(`${block.where} runs`, async () => {
        const outcome = await runBlock(block, cluster, workingDirectory);
        expect(outcome.exitCode, `${block.where} failed:\n${block.text}\n--- output ---\n${outcome.output}`).toBe(0);
      }, BLOCK_TIMEOUT_MS + 5_000);
    }
  });
});

/** `127.0.0.1:8001` in the docs becomes the second member's HTTP port here, and so on. */
function withClusterPorts(text: string, cluster: TestCluster): string {
  const ports = new Map<number, number>();
  cluster.members.forEach((member, index) => {
    ports.set(DEV_HTTP_PORT + index, member.ports.http);
    ports.set(DEV_PEER_PORT + index, member.ports.raft);
    ports.set(DEV_GRPC_PORT + index, member.ports.grpc);
  });
  return text.replace(/\b(127\.0\.0\.1|localhost):(\d{4})\b/g, (whole, host: string, port: string) => {
    const mapped = ports.get(Number(port));
    return mapped === undefined ? whole : `${host}:${mapped}`;
  });
}

/**
 * curl exits 0 whatever the status; the docs show 4xx answers on purpose (a 412 of a failed
 * precondition), but a 5xx answer or no answer fails the block.
 */
const CURL_FAILING_ON_SERVER_ERRORS = `curl() {
  local status
  if printf '%s\\n' "$@" | grep -qx -- -o; then status=$(command curl -sS -w '%{http_code}' "$@") || return $?
  else status=$(command curl -sS -o "$CURL_BODY" -w '%{http_code}' "$@") || return $?; cat "$CURL_BODY"; echo; fi
  if [ "$status" = 000 ] || [ "$status" -ge 500 ]; then echo "curl $*: HTTP $status" >&2; return 22; fi
}`;

function runBlock(block: ShellBlock, cluster: TestCluster, workingDirectory: string): Promise<ScriptOutcome> {
  const script = [
    'set -euo pipefail',
    'CURL_BODY=$(mktemp); trap \'rm -f "$CURL_BODY"\' EXIT',
    // The blocks run in a directory of their own, where `--import tsx` would not resolve.
    `bvault() { node --import ${import.meta.resolve('tsx')} ${JSON.stringify(join(REPOSITORY_ROOT, 'src/cli/main.ts'))} "$@"; }`,
    CURL_FAILING_ON_SERVER_ERRORS,
    withClusterPorts(block.text, cluster),
  ].join('\n');
  const endpoints = cluster.members.map((member) => `127.0.0.1:${member.ports.grpc}`).join(',');
  return runScript(script, { cwd: workingDirectory, env: { ...process.env, BVAULT_ENDPOINTS: endpoints, ETCDCTL_API: '3' }, timeoutMs: BLOCK_TIMEOUT_MS });
}
