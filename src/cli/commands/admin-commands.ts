// bvault status | endpoint health | move-leader | snapshot save|restore | admin rotate-encryption-key.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { ClusterStatus } from '../../client/index.js';
import { BeaverVaultError } from '../../client/index.js';
import { CLIENT_EXIT_CODES, type ClientExitCode, UsageError } from './client-exit-codes.js';
import { type CommandContext, requiredPositional } from './command-context.js';
import { formatId, parseId } from './ids.js';
import { print, renderTable } from './output.js';
import { ByteProgress } from './byte-progress.js';
import { confirmed } from './confirmation.js';

export const ADMIN_USAGE = `  status                                       each endpoint's member, role, leader, term, revision, raft index, db size
  endpoint health                              exit 3 when any endpoint is unhealthy
  move-leader <member-id>
  snapshot save <file>                         a consistent backup, with progress on stderr
  snapshot restore <file> [--yes]              replaces the whole cluster's state with the backup, after
                                               confirmation (--yes without a terminal); revisions move on
                                               and earlier ones are compacted, so watchers relist
  admin rotate-encryption-key                  each endpoint's member, one after another, re-reads its
                                               encryption-key-file and re-encrypts its data under the newest
                                               key; then the older keys can leave the file (docs/security.md)`;

type EndpointAnswer = { readonly endpoint: string; readonly tookMs: number } & ({ readonly status: ClusterStatus } | { readonly error: BeaverVaultError });

async function askEveryEndpoint(context: CommandContext): Promise<EndpointAnswer[]> {
  return Promise.all(context.client.endpoints.map(async (endpoint) => {
    const startedAtMs = Date.now();
    try {
      const status = await context.client.admin.statusOf(endpoint);
      return { endpoint, tookMs: Date.now() - startedAtMs, status };
    } catch (error) {
      if (!(error instanceof BeaverVaultError)) throw error;
      return { endpoint, tookMs: Date.now() - startedAtMs, error };
    }
  }));
}

export async function statusCommand(context: CommandContext): Promise<ClientExitCode> {
  const answers = await askEveryEndpoint(context);
  const rows = answers.flatMap((answer) => ('status' in answer ? [{ endpoint: answer.endpoint, ...answer.status }] : []));
  print(context, rows.map((row) => ({ ...row, header: { ...row.header, memberId: formatId(row.header.memberId), clusterId: formatId(row.header.clusterId), leaderId: formatId(row.header.leaderId) } })), () =>
    renderTable(
      ['endpoint', 'id', 'name', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'revision', 'leader'],
      rows.map((row) => [row.endpoint, formatId(row.header.memberId), row.name, row.version, row.dbSizeBytes, row.header.memberId === row.header.leaderId, row.isLearner, row.header.raftTerm, row.commitIndex, row.header.revision, formatId(row.header.leaderId)]),
    ));
  for (const answer of answers) if ('error' in answer) context.stderr.write(`bvault status: ${answer.endpoint}: ${answer.error.message}\n`);
  return rows.length === answers.length ? CLIENT_EXIT_CODES.ok : CLIENT_EXIT_CODES.unavailable;
}

export async function endpointCommand(context: CommandContext): Promise<ClientExitCode> {
  if (context.positionals[0] !== 'health') throw new UsageError('endpoint needs health');
  const answers = await askEveryEndpoint(context);
  const health = answers.map((answer) => {
    const reason = 'error' in answer ? answer.error.message : answer.status.ready ? '' : answer.status.notReadyReason;
    return { endpoint: answer.endpoint, health: reason === '', tookMs: answer.tookMs, ...(reason === '' ? {} : { error: reason }) };
  });
  print(context, health, () => health.map((item) => (item.health ? `${item.endpoint} is healthy: took ${item.tookMs} ms\n` : `${item.endpoint} is unhealthy: ${item.error ?? ''}\n`)).join(''));
  return health.every((item) => item.health) ? CLIENT_EXIT_CODES.ok : CLIENT_EXIT_CODES.unavailable;
}

export async function adminCommand(context: CommandContext): Promise<ClientExitCode> {
  if (context.positionals[0] !== 'rotate-encryption-key') throw new UsageError('admin needs rotate-encryption-key');
  const results: Array<{ endpoint: string; keyId: string; valuesResealed: number; durationMs: number }> = [];
  let failed = false;
  // One member at a time, so the cluster never has every member busy re-encrypting.
  for (const endpoint of context.client.endpoints) {
    context.stderr.write(`bvault admin rotate-encryption-key: ${endpoint}: re-encrypting...\n`);
    try {
      results.push({ endpoint, ...(await context.client.admin.rotateEncryptionKeyOf(endpoint)) });
    } catch (error) {
      if (!(error instanceof BeaverVaultError)) throw error;
      failed = true;
      context.stderr.write(`bvault admin rotate-encryption-key: ${endpoint}: ${error.code}: ${error.message}\n`);
    }
  }
  print(context, results, () => results.map((result) => `${result.endpoint}: every record is under key ${result.keyId} (${result.valuesResealed} values re-encrypted in ${result.durationMs} ms)\n`).join(''));
  return failed ? CLIENT_EXIT_CODES.unavailable : CLIENT_EXIT_CODES.ok;
}

export async function moveLeaderCommand(context: CommandContext): Promise<ClientExitCode> {
  const target = parseId(requiredPositional(context, 0, 'member id'), 'member id');
  await context.client.members.moveLeader(target);
  print(context, { leader: formatId(target) }, () => `leadership moved to ${formatId(target)}\n`);
  return CLIENT_EXIT_CODES.ok;
}

export async function snapshotCommand(context: CommandContext): Promise<ClientExitCode> {
  const [subcommand] = context.positionals;
  const file = requiredPositional(context, 1, 'file');
  if (subcommand === 'save') return saveSnapshot(context, file);
  if (subcommand === 'restore') return restoreSnapshot(context, file);
  throw new UsageError(`snapshot needs save or restore, got ${JSON.stringify(subcommand ?? '')}`);
}

/** Written to `<file>.part` and renamed once verified, so a failed save never leaves a plausible file. */
async function saveSnapshot(context: CommandContext, file: string): Promise<ClientExitCode> {
  // The backup's size is known only once it is written; the database's size comes close.
  const estimatedBytes = await context.client.admin.status().then((status) => status.dbSizeBytes, () => undefined);
  const progress = new ByteProgress(context.stderr, 'snapshot save', estimatedBytes, true);
  const partial = `${file}.part`;
  try {
    await pipeline(progress.count(context.client.admin.backup({ timeoutMs: 10 * 60_000 })), createWriteStream(partial));
    await rename(partial, file);
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  } finally {
    progress.stop();
  }
  print(context, { file, bytes: progress.bytes }, () => `snapshot saved to ${file} (${progress.bytes} bytes)\n`);
  return CLIENT_EXIT_CODES.ok;
}

async function restoreSnapshot(context: CommandContext, file: string): Promise<ClientExitCode> {
  const size = await stat(file).then((stats) => stats.size, () => {
    throw new UsageError(`cannot read ${file}`);
  });
  if (!(await confirmed(context, `snapshot restore replaces every key, lease and revision of the cluster at ${context.client.endpoints.join(',')} with ${file}`))) {
    context.stderr.write('bvault snapshot: not confirmed; nothing was changed\n');
    return CLIENT_EXIT_CODES.usage;
  }
  const progress = new ByteProgress(context.stderr, 'snapshot restore', size);
  let restoredBytes: number;
  try {
    restoredBytes = await context.client.admin.restore(progress.count(createReadStream(file)), { timeoutMs: 10 * 60_000 });
  } finally {
    progress.stop();
  }
  print(context, { file, bytes: restoredBytes }, () => `snapshot ${file} restored (${restoredBytes} bytes)\n`);
  return CLIENT_EXIT_CODES.ok;
}
