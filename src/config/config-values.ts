// Reads one raw setting (a YAML scalar or list, or the string of a flag or an environment
// variable) as its field's kind. A bad value becomes a problem sentence naming where it came
// from, never an exception, so the caller can list every problem at once.

import { PORT_BOUNDS, type ConfigField } from './config-fields.js';

/** A boolean setting is kept as the text "true" or "false". */
export type FieldValue = string | number | readonly string[];

export type ReadResult = { readonly value: FieldValue } | { readonly problem: string };

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads `raw` as `field.kind`; `origin` says where it came from, e.g. `--http-port` or `config.yaml`. */
export function readFieldValue(field: ConfigField, raw: unknown, origin: string): ReadResult {
  const where = `${field.name} (from ${origin})`;
  switch (field.kind) {
    case 'string':
      return readString(raw, where);
    case 'enum':
      return readEnum(field, raw, where);
    case 'list':
      return readList(raw, where);
    case 'retention':
      return typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '')
        ? { value: String(raw).trim() }
        : { problem: `${where} must be a number of revisions or a duration such as 30m, got ${describe(raw)}` };
    case 'port':
      return readInteger(raw, where, field.minimum ?? PORT_BOUNDS.minimum, field.maximum ?? PORT_BOUNDS.maximum, 1);
    case 'integer':
      return readInteger(raw, where, field.minimum ?? Number.MIN_SAFE_INTEGER, field.maximum ?? Number.MAX_SAFE_INTEGER, 1);
    case 'size':
      return readSize(raw, where, field.minimum ?? 0, field.maximum ?? Number.MAX_SAFE_INTEGER);
    case 'boolean':
      return readBoolean(raw, where);
  }
}

/** `500ms`, `30s`, `15m`, `1h`, `7d` → milliseconds; undefined when it is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  const milliseconds = Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number);
  return Number.isSafeInteger(milliseconds) && milliseconds > 0 ? milliseconds : undefined;
}

function readString(raw: unknown, where: string): ReadResult {
  if (typeof raw === 'string' && raw.trim() !== '') return { value: raw.trim() };
  if (typeof raw === 'number') return { value: String(raw) };
  return { problem: `${where} must be a non-empty string, got ${describe(raw)}` };
}

/** Kept as the text "true" or "false", so every source's spelling reads the same. */
function readBoolean(raw: unknown, where: string): ReadResult {
  const text = typeof raw === 'boolean' ? String(raw) : typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  if (text === 'true' || text === 'false') return { value: text };
  return { problem: `${where} must be true or false, got ${describe(raw)}` };
}

function readEnum(field: ConfigField, raw: unknown, where: string): ReadResult {
  const choices = field.choices ?? [];
  if (typeof raw === 'string' && choices.includes(raw.trim())) return { value: raw.trim() };
  return { problem: `${where} must be one of ${choices.join(', ')}, got ${describe(raw)}` };
}

/** A YAML list, or a comma-separated string; empty items are dropped. */
function readList(raw: unknown, where: string): ReadResult {
  const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : undefined;
  if (items === undefined || !items.every((item) => typeof item === 'string')) {
    return { problem: `${where} must be a comma-separated string or a list of strings, got ${describe(raw)}` };
  }
  return { value: items.map((item: string) => item.trim()).filter((item) => item !== '') };
}

/** `given` is what the user wrote, for the problem's text: a size's "1KiB" rather than the 1 read from it. */
function readInteger(raw: unknown, where: string, minimum: number, maximum: number, multiplier: number, given: unknown = raw): ReadResult {
  const number = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(number)) return { problem: `${where} must be an integer, got ${describe(raw)}` };
  const value = number * multiplier;
  if (value < minimum || value > maximum) return { problem: `${where} must be between ${minimum} and ${maximum}, got ${describe(given)}` };
  return { value };
}

function readSize(raw: unknown, where: string, minimum: number, maximum: number): ReadResult {
  if (typeof raw === 'number') return readInteger(raw, where, minimum, maximum, 1);
  const match = typeof raw === 'string' ? /^(\d+)\s*([a-zA-Z]*)$/.exec(raw.trim()) : null;
  const multiplier = match === null ? undefined : SIZE_UNITS[(match[2] as string).toUpperCase()];
  if (match === null || multiplier === undefined) {
    return { problem: `${where} must be a byte count such as 1048576 or 64MiB, got ${describe(raw)}` };
  }
  return readInteger(match[1] as string, where, minimum, maximum, multiplier, raw);
}

function describe(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (typeof raw === 'string') return JSON.stringify(raw);
  return `${JSON.stringify(raw) ?? String(raw)} (${Array.isArray(raw) ? 'a list' : typeof raw})`;
}
