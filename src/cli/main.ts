#!/usr/bin/env node
// The `bvault` command. `server` runs one node, `dev` runs a local cluster of child
// processes, `operator` runs the Kubernetes operator; the client commands (put, get, watch, ...) talk to a cluster over gRPC through
// the public client library.

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitCommandLine } from './command-line.js';
import type * as ClientCommands from './commands/client-commands.js';
import { isHelpFlag } from './commands/common-flags.js';
import { runDevCluster } from './dev-cluster.js';
import { EXIT_CODES } from './exit-codes.js';
import { dropIpServernameWarning } from './ip-servername-warning.js';

/** The client commands are loaded only when asked for: a restarted member starts sooner without them. */
const loadClientCommands = (): Promise<typeof ClientCommands> => import('./commands/client-commands.js');

const usage = (clientCommandsUsage: string): string => `Usage: bvault <command> [options]

Commands:
  server [flags]   run one Beaver-Vault node (bvault server --help lists every setting)
  dev [options]    run a local cluster on loopback until Ctrl-C (bvault dev --help)
  bench <workload> load a cluster over the etcd v3 API and report throughput and latency (bvault bench --help)
  operator [flags] run the Kubernetes operator that runs KVClusters (operator/README.md lists its flags)
  version          print the version
  help             print this text

${clientCommandsUsage}

npm start runs "bvault dev".`;

async function main(argv: readonly string[]): Promise<number> {
  dropIpServernameWarning();
  const { command, args: rest } = splitCommandLine(argv);
  // `bvault --help` and `bvault --version` name no command; their flag says what to do.
  const wanted = command ?? (rest.some(isHelpFlag) ? 'help' : rest.includes('--version') ? 'version' : undefined);
  switch (wanted) {
    case 'server': {
      // Loaded on demand: `bvault version` and `bvault dev` need none of the server's modules.
      const { runServer } = await import('../server.js');
      return runServer(rest, process.env);
    }
    case 'dev':
      return runDevCluster(rest);
    case 'bench': {
      // Loaded on demand, like the server: only the benchmark needs the histogram and load code.
      const { runBenchCommand } = await import('./commands/bench-command.js');
      return runBenchCommand(rest);
    }
    case 'operator': {
      // Loaded on demand: only the operator needs the Kubernetes client.
      const { runOperator } = await import('../../operator/src/run-operator.js');
      return runOperator(rest);
    }
    case 'version':
      process.stdout.write(`bvault ${await packageVersion()}\n`);
      return EXIT_CODES.ok;
    case undefined:
    case 'help':
      process.stdout.write(`${usage((await loadClientCommands()).CLIENT_COMMANDS_USAGE)}\n`);
      return wanted === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
    default: {
      const { isClientCommand, runClientCommand } = await loadClientCommands();
      if (isClientCommand(wanted)) return runClientCommand(wanted, rest, process.env);
      process.stderr.write(`bvault: unknown command ${JSON.stringify(wanted)}; "bvault help" lists the commands\n`);
      return EXIT_CODES.usage;
    }
  }
}

/** The version in package.json, found upward from this file (src/cli or dist/src/cli). */
async function packageVersion(): Promise<string> {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const text = await readFile(join(directory, 'package.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) return (JSON.parse(text) as { version: string }).version;
    const parent = dirname(directory);
    if (parent === directory) return 'unknown';
    directory = parent;
  }
}

// `server` and `dev` resolve once they have stopped; exiting then ends any handle a library
// left open, so a stopped node never lingers as a process.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bvault: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT_CODES.failure);
  },
);
