// The `bvault server --help` text, generated from the field table so it lists exactly the
// settings the validator accepts, with their defaults and their environment names.

import { CONFIG_FIELDS, environmentNameOf } from './config-fields.js';

const FLAG_COLUMN_WIDTH = 30;

export function serverHelpText(): string {
  const lines = [
    'Usage: bvault server [--config file.yaml] [--name value ...]',
    '',
    'Starts one Beaver-Vault node. Settings come from the YAML file, then BVAULT_* environment',
    'variables, then flags (each overrides the one before); every problem is listed at once.',
    '',
    '  --config <file>'.padEnd(FLAG_COLUMN_WIDTH) + 'YAML file of settings, keyed by the flag names (http-port: 8000)',
  ];
  for (const field of CONFIG_FIELDS) {
    const flag = field.kind === 'boolean' ? `  --${field.name}` : `  --${field.name} <${field.kind === 'list' ? 'a,b' : field.kind}>`;
    const defaultText = field.defaultValue === undefined ? '' : ` [default ${field.defaultValue}]`;
    // A flag wider than the column still gets a space before its description.
    lines.push(`${flag.padEnd(FLAG_COLUMN_WIDTH - 1)} ${field.description}${defaultText} (${environmentNameOf(field.name)})`);
  }
  lines.push(
    '',
    'Examples:',
    '  bvault server --node-id n1 --http-port 8000 --raft-port 7000 --data-dir ./data/n1 \\',
    '      --initial-cluster n1=127.0.0.1:7000,n2=127.0.0.1:7001,n3=127.0.0.1:7002',
    '  bvault server --node-id n4 --http-port 8003 --grpc-port 9093 --raft-port 7003 --join http://127.0.0.1:8000',
    '',
    'Flags take one dash or two, as Go tools do. Without initial-cluster, join or wait-for-join a',
    'node starts a one-member cluster of itself; with wait-for-join it waits until a member adds',
    'it (POST /api/v1/raft/join {"NodeID": ..., "RaftAddress": ...}), as the seeds do:',
    '  bvault server -node-id node1 -http-port 8000 -raft-port 7000',
    '  bvault server -node-id node2 -http-port 8001 -grpc-port 9091 -raft-port 7001 -wait-for-join',
  );
  return lines.join('\n');
}
