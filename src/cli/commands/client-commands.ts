// The client commands of `bvault`, each a function of a CommandContext, and the one place
// that turns their failures into a message on stderr and an exit code scripts can trust.
import { BeaverVaultError } from '../../client/index.js';
import { ADMIN_USAGE, adminCommand, endpointCommand, moveLeaderCommand, snapshotCommand, statusCommand } from './admin-commands.js';
import { CLIENT_EXIT_CODES, CLIENT_EXIT_CODES_HELP, type ClientExitCode, exitCodeOf, UsageError } from './client-exit-codes.js';
import { COMMON_FLAGS_HELP, type CommandContext, commandContext } from './command-context.js';
import { isHelpFlag } from './common-flags.js';
import { YES_OPTION } from './confirmation.js';
import { IDS_HELP } from './ids.js';
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
  admin: adminCommand,
};

const OPTIONS = { ...KV_OPTIONS, ...TXN_OPTIONS, ...LEASE_MEMBER_OPTIONS, ...YES_OPTION };

const COMMAND_LINES = [KV_USAGE, TXN_USAGE, LEASE_MEMBER_USAGE, ADMIN_USAGE].join('\n');

export const CLIENT_COMMANDS_USAGE = `Client commands (over gRPC to --endpoints; "bvault <command> --help" for one):
${COMMAND_LINES}

${COMMON_FLAGS_HELP}

${IDS_HELP}

${CLIENT_EXIT_CODES_HELP}`;

/**
 * The usage lines of one command (several for lease and member), as `Usage: bvault ...`. A line
 * indented deeper than the commands continues the description of the line before it.
 */
function usageOf(command: string): string {
  const lines: string[] = [];
  let wanted = false;
  for (const line of COMMAND_LINES.split('\n')) {
    const continues = line.startsWith('   ');
    if (!continues) wanted = line.trim().split(' ')[0] === command;
    // `Usage: bvault ` replaces the two spaces of indent: continuations move as far right.
    if (wanted) lines.push(continues ? `${' '.repeat(12)}${line}` : `${lines.length === 0 ? 'Usage:' : '      '} bvault ${line.trim()}`);
  }
  return lines.join('\n');
}

export function isClientCommand(command: string): boolean {
  return Object.hasOwn(COMMANDS, command);
}

export async function runClientCommand(command: string, args: readonly string[], environment: NodeJS.ProcessEnv): Promise<ClientExitCode> {
  const run = COMMANDS[command];
  if (run === undefined) throw new Error(`not a client command: ${command}`);
  // Flags after `--` are arguments (a value may be "-h"); before it, --help asks for help.
  const flags = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (flags.some(isHelpFlag)) {
    process.stdout.write(`${usageOf(command)}\n\n${COMMON_FLAGS_HELP}\n\n${IDS_HELP}\n\n${CLIENT_EXIT_CODES_HELP}\n`);
    return CLIENT_EXIT_CODES.ok;
  }
  let context: CommandContext | undefined;
  try {
    context = commandContext(args, OPTIONS, environment);
    return await run(context);
  } catch (error) {
    process.stderr.write(`bvault ${command}: ${messageOf(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`${usageOf(command)}\n"bvault ${command} --help" describes the flags\n`);
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
