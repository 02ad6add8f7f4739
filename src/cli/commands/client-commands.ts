// The client commands of `bvault`, each a function of a CommandContext, and the one place
// that turns their failures into a message on stderr and an exit code scripts can trust.
import { BeaverVaultError } from '../../client/index.js';
import { ADMIN_USAGE, endpointCommand, moveLeaderCommand, snapshotCommand, statusCommand } from './admin-commands.js';
import { CLIENT_EXIT_CODES_HELP, type ClientExitCode, exitCodeOf, UsageError } from './client-exit-codes.js';
import { COMMON_FLAGS_HELP, type CommandContext, commandContext } from './command-context.js';
import { deleteCommand, getCommand, KV_OPTIONS, KV_USAGE, listCommand, putCommand, watchCommand } from './kv-commands.js';
import { LEASE_MEMBER_OPTIONS, LEASE_MEMBER_USAGE, leaseCommand, memberCommand } from './lease-member-commands.js';
import { TXN_OPTIONS, TXN_USAGE, txnCommand } from './txn-command.js';

const COMMANDS: Readonly<Record<string, (context: CommandContext) => Promise<ClientExitCode>>> = {
  put: putCommand,
  get: getCommand,
  del: deleteCommand,
  list: listCommand,
  watch: watchCommand,
  txn: txnCommand,
  lease: leaseCommand,
  member: memberCommand,
  status: statusCommand,
  endpoint: endpointCommand,
  'move-leader': moveLeaderCommand,
  snapshot: snapshotCommand,
};

const OPTIONS = { ...KV_OPTIONS, ...TXN_OPTIONS, ...LEASE_MEMBER_OPTIONS };

export const CLIENT_COMMANDS_USAGE = `Client commands (over gRPC to --endpoints):
${KV_USAGE}
${TXN_USAGE}
${LEASE_MEMBER_USAGE}
${ADMIN_USAGE}

${COMMON_FLAGS_HELP}

${CLIENT_EXIT_CODES_HELP}`;

export function isClientCommand(command: string): boolean {
  return Object.hasOwn(COMMANDS, command);
}

export async function runClientCommand(command: string, args: readonly string[], environment: NodeJS.ProcessEnv): Promise<ClientExitCode> {
  const run = COMMANDS[command];
  if (run === undefined) throw new Error(`not a client command: ${command}`);
  let context: CommandContext | undefined;
  try {
    context = commandContext(args, OPTIONS, environment);
    return await run(context);
  } catch (error) {
    process.stderr.write(`bvault ${command}: ${messageOf(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${CLIENT_COMMANDS_USAGE}\n`);
    return exitCodeOf(error);
  } finally {
    context?.client.close();
  }
}

function messageOf(error: unknown): string {
  if (!(error instanceof BeaverVaultError)) return error instanceof Error ? error.message : String(error);
  const hint = error.mayHaveCommitted ? ' (the write may have committed; read before retrying)' : '';
  return `${error.code}: ${error.message}${hint}`;
}
