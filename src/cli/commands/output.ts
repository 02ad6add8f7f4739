// How results are printed: aligned tables for people, JSON for scripts. Ids print as ids.ts
// formats them; bytes print as UTF-8 text.
import type { KeyValue } from '../../client/index.js';
import type { CommandContext } from './command-context.js';
import { formatId } from './ids.js';

export type Cell = string | number | bigint | boolean;

/** Columns padded to their widest cell, with a header row in capitals. */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const texts = [headers.map((header) => header.toUpperCase()), ...rows.map((row) => row.map(String))];
  const widths = headers.map((_header, column) => Math.max(...texts.map((row) => (row[column] ?? '').length)));
  return texts.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')).join('\n') + '\n';
}

/** JSON with bigint ids as strings and Buffers as UTF-8 text. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (item !== null && typeof item === 'object' && (item as { type?: unknown }).type === 'Buffer' && Array.isArray((item as { data?: unknown }).data)) {
      return Buffer.from((item as { data: number[] }).data).toString('utf8');
    }
    return item;
  });
}

export function keyValueJson(kv: KeyValue): Record<string, unknown> {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: formatId(kv.lease),
    ...(kv.contentType === '' ? {} : { contentType: kv.contentType }),
    ...(Object.keys(kv.tags).length === 0 ? {} : { tags: kv.tags }),
  };
}

/** Prints `json` as one line with -w json, or the table otherwise. */
export function print(context: CommandContext, json: unknown, table: () => string): void {
  context.stdout.write(context.format === 'json' ? `${renderJson(json)}\n` : table());
}

export function keyValueRows(kvs: readonly KeyValue[]): string {
  return renderTable(['key', 'value', 'mod revision', 'version', 'lease'], kvs.map((kv) => [kv.key.toString('utf8'), kv.value.toString('utf8'), kv.modRevision, kv.version, kv.lease === 0n ? '-' : formatId(kv.lease)]));
}
