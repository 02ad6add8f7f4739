// bvault put | get | del | list | watch: keys and their changes.
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import type { KeyValue } from '../../client/index.js';
import { CLIENT_EXIT_CODES, type ClientExitCode, UsageError } from './client-exit-codes.js';
import { type CommandContext, positiveInteger, requiredPositional } from './command-context.js';
import { formatId, parseId } from './ids.js';
import { keyValueJson, keyValueRows, print, renderJson } from './output.js';

export const KV_OPTIONS = {
  lease: { type: 'string' },
  ttl: { type: 'string' },
  'if-version': { type: 'string' },
  prefix: { type: 'boolean' },
  rev: { type: 'string' },
  limit: { type: 'string' },
  'keys-only': { type: 'boolean' },
  'prev-kv': { type: 'boolean' },
  count: { type: 'string' },
  serializable: { type: 'boolean' },
  file: { type: 'string', short: 'f' },
} as const;

export const KV_USAGE = `  put <key> <value>|-|--file path [--lease id] [--ttl s] [--if-version n] [--prev-kv]   - reads the value from stdin
  get <key> [--rev n] [--serializable]         exit 5 when the key does not exist
  del <key> [--prefix] [--prev-kv]
  list [prefix] [--limit n] [--keys-only] [--rev n]   at most n keys
  watch <key> [--prefix] [--rev n] [--prev-kv] [--count n]   until Ctrl-C or n events`;

function optionalInteger(context: CommandContext, name: string): number | undefined {
  const text = context.values[name];
  return text === undefined ? undefined : positiveInteger(String(text), `--${name}`);
}

function readOptions(context: CommandContext): { revision?: number; consistency?: 'serializable' } {
  const revision = optionalInteger(context, 'rev');
  return { ...(revision === undefined ? {} : { revision }), ...(context.values.serializable === true ? { consistency: 'serializable' as const } : {}) };
}

export async function putCommand(context: CommandContext): Promise<ClientExitCode> {
  const key = requiredPositional(context, 0, 'key');
  const value = await valueArgument(context);
  const lease = context.values.lease === undefined ? undefined : parseId(String(context.values.lease), '--lease');
  const ttlSeconds = optionalInteger(context, 'ttl');
  const ifVersion = context.values['if-version'] === undefined ? undefined : Number(context.values['if-version']);
  if (ifVersion !== undefined && !Number.isSafeInteger(ifVersion)) throw new UsageError('--if-version must be an integer');
  const result = await context.client.put(key, value, {
    prevKv: context.values['prev-kv'] === true,
    ...(lease === undefined ? {} : { lease }),
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(ifVersion === undefined ? {} : { conditions: [{ ifVersionMatch: ifVersion }] }),
  });
  print(context, { revision: result.revision, lease: formatId(result.lease), ...(result.prevKv ? { prevKv: keyValueJson(result.prevKv) } : {}) }, () => `OK revision ${result.revision}\n`);
  return CLIENT_EXIT_CODES.ok;
}

/**
 * The value to put: the second argument, or stdin when it is `-`, or the contents of --file.
 * Stdin and files are read as bytes and stored unchanged; the command line cannot carry large
 * or binary values.
 */
async function valueArgument(context: CommandContext): Promise<Buffer | string> {
  const file = context.values.file;
  const argument = context.positionals[1];
  if (typeof file === 'string') {
    if (argument !== undefined) throw new UsageError(`give the value either as an argument or with --file, not both (got ${JSON.stringify(argument)} and --file ${file})`);
    return readFile(file).catch((error: Error) => {
      throw new UsageError(`cannot read --file ${file}: ${error.message}`);
    });
  }
  if (argument === '-') return buffer(process.stdin);
  return requiredPositional(context, 1, 'value');
}

export async function getCommand(context: CommandContext): Promise<ClientExitCode> {
  const key = requiredPositional(context, 0, 'key');
  if (context.values.prefix === true) return listCommand(context);
  const kv = await context.client.get(key, readOptions(context));
  if (kv === undefined) {
    context.stderr.write(`bvault get: key not found: ${key}\n`);
    return CLIENT_EXIT_CODES.notFound;
  }
  print(context, keyValueJson(kv), () => keyValueRows([kv]));
  return CLIENT_EXIT_CODES.ok;
}

export async function deleteCommand(context: CommandContext): Promise<ClientExitCode> {
  const key = requiredPositional(context, 0, 'key');
  const result = await context.client.delete(key, { prefix: context.values.prefix === true, prevKv: context.values['prev-kv'] === true });
  print(context, { deleted: result.deleted, revision: result.revision, prevKvs: result.prevKvs.map(keyValueJson) }, () => `${result.deleted}\n`);
  return CLIENT_EXIT_CODES.ok;
}

export async function listCommand(context: CommandContext): Promise<ClientExitCode> {
  const prefix = context.positionals[0] ?? '';
  const limit = optionalInteger(context, 'limit');
  const kvs: KeyValue[] = [];
  // The limit is also the page size, so a limited list reads one page.
  for await (const page of context.client.listPages(prefix, { ...readOptions(context), keysOnly: context.values['keys-only'] === true, ...(limit === undefined ? {} : { limit }) })) {
    kvs.push(...page.kvs);
    if (limit !== undefined && kvs.length >= limit) break;
  }
  kvs.splice(limit ?? kvs.length);
  print(context, { count: kvs.length, kvs: kvs.map(keyValueJson) }, () => keyValueRows(kvs));
  return CLIENT_EXIT_CODES.ok;
}

/** Prints each event as a line (a table row, or a JSON object) as it arrives. */
export async function watchCommand(context: CommandContext): Promise<ClientExitCode> {
  const key = requiredPositional(context, 0, 'key');
  const countMax = optionalInteger(context, 'count');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let count = 0;
  try {
    const fromRevision = optionalInteger(context, 'rev');
    const events = context.client.watch(key, { prefix: context.values.prefix === true, prevKv: context.values['prev-kv'] === true, signal: stop.signal, ...(fromRevision === undefined ? {} : { fromRevision }) });
    for await (const event of events) {
      const line = context.format === 'json'
        ? renderJson({ type: event.type, revision: event.revision, kv: keyValueJson(event.kv), ...(event.prevKv ? { prevKv: keyValueJson(event.prevKv) } : {}) })
        : `${event.type.toUpperCase()}\t${event.revision}\t${event.kv.key.toString('utf8')}\t${event.kv.value.toString('utf8')}`;
      context.stdout.write(`${line}\n`);
      count += 1;
      if (countMax !== undefined && count >= countMax) break;
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return CLIENT_EXIT_CODES.ok;
}
