// The three places settings come from, each turned into raw values keyed by field name with
// the origin of each value, so a problem can say which source to fix: the YAML file
// (`--config`), `BVAULT_*` environment variables, and command-line flags.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CONFIG_FIELDS, FIELDS_BY_NAME, environmentNameOf } from './config-fields.js';
import { FAILPOINT_ENVIRONMENT } from '../failpoints/failpoints-from-environment.js';
import { closestName } from '../validation/closest-name.js';

export interface RawSetting {
  readonly raw: unknown;
  /** Where it came from, e.g. `--http-port`, `BVAULT_HTTP_PORT` or `bvault.yaml`. */
  readonly origin: string;
}

export interface SourceReading {
  readonly settings: ReadonlyMap<string, RawSetting>;
  readonly problems: readonly string[];
  /** Things worth logging that do not stop the start, e.g. an unknown BVAULT_* variable. */
  readonly warnings: readonly string[];
}

export interface FlagReading extends SourceReading {
  readonly configPath?: string;
  readonly help: boolean;
}

/** Variables that share the prefix but are not settings (read by tooling, not by the server). */
const NON_SETTING_ENVIRONMENT = new Set(['BVAULT_VITEST_JSON', ...FAILPOINT_ENVIRONMENT]);

export async function readConfigFile(path: string): Promise<SourceReading> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { settings: new Map(), problems: [`config file ${path} cannot be read: ${(error as Error).message}`], warnings: [] };
  }
  // Loaded only for a config file: the parser is a tenth of a second a restarted member need not spend.
  const { parse: parseYaml, YAMLParseError } = await import('yaml');
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const position = error instanceof YAMLParseError && error.linePos !== undefined ? ` at line ${error.linePos[0].line}` : '';
    return { settings: new Map(), problems: [`config file ${path} is not valid YAML${position}: ${(error as Error).message.split('\n')[0]}`], warnings: [] };
  }
  if (document === null || document === undefined) return { settings: new Map(), problems: [], warnings: [] };
  if (typeof document !== 'object' || Array.isArray(document)) {
    return { settings: new Map(), problems: [`config file ${path} must hold a mapping of settings such as "http-port: 8000"`], warnings: [] };
  }
  const settings = new Map<string, RawSetting>();
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(document)) {
    if (FIELDS_BY_NAME.has(key)) settings.set(key, { raw, origin: path });
    else problems.push(`config file ${path} has an unknown setting ${JSON.stringify(key)}${suggestionFor(key)}`);
  }
  return { settings, problems, warnings: [] };
}

export function readEnvironment(environment: NodeJS.ProcessEnv): SourceReading {
  const settings = new Map<string, RawSetting>();
  const known = new Set<string>();
  for (const field of CONFIG_FIELDS) {
    const name = environmentNameOf(field.name);
    known.add(name);
    const raw = environment[name];
    if (raw !== undefined) settings.set(field.name, { raw, origin: name });
  }
  const warnings = Object.keys(environment)
    .filter((name) => name.startsWith('BVAULT_') && !known.has(name) && !NON_SETTING_ENVIRONMENT.has(name))
    .map((name) => `environment variable ${name} is not a setting and is ignored`);
  return { settings, problems: [], warnings };
}

/**
 * Reads `bvault server` flags; every unknown flag and missing value is a problem, not a throw.
 * A known flag may also be written with one dash (`-http-port 8000`), as Go's tools accept.
 */
export function readFlags(args: readonly string[]): FlagReading {
  const options = Object.fromEntries([
    ...CONFIG_FIELDS.map((field) => [field.name, { type: field.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
    ['config', { type: 'string' as const }],
    ['help', { type: 'boolean' as const, short: 'h' }],
  ]);
  const { tokens } = parseArgs({ args: args.map(withDoubleDash), options, strict: false, allowPositionals: true, tokens: true });
  const settings = new Map<string, RawSetting>();
  const problems: string[] = [];
  let configPath: string | undefined;
  let help = false;
  // The value after an unknown flag is read as a positional; it belongs to that flag's problem.
  let afterUnknownFlag = false;
  for (const token of tokens) {
    const followsUnknownFlag = afterUnknownFlag;
    afterUnknownFlag = false;
    if (token.kind === 'positional' && !followsUnknownFlag) {
      problems.push(`unexpected argument ${JSON.stringify(token.value)}; settings are given as --name value`);
    }
    if (token.kind !== 'option') continue;
    if (token.name === 'help') help = true;
    else if (!FIELDS_BY_NAME.has(token.name) && token.name !== 'config') {
      problems.push(`unknown flag ${token.rawName}${suggestionFor(token.name)}`);
      afterUnknownFlag = token.value === undefined;
    }
    else if (token.value === undefined && FIELDS_BY_NAME.get(token.name)?.kind === 'boolean') settings.set(token.name, { raw: 'true', origin: token.rawName });
    else if (token.value === undefined) problems.push(`flag ${token.rawName} needs a value`);
    else if (token.name === 'config') configPath = token.value;
    else settings.set(token.name, { raw: token.value, origin: token.rawName });
  }
  return { settings, problems, warnings: [], configPath, help };
}

const SINGLE_DASH_FLAG = /^-([a-z][a-z-]+)(=.*)?$/;

/**
 * `-http-port` → `--http-port`. Like Go's flag package, a word after one dash is one flag, never
 * a group of one-letter flags, so a misspelled one is reported by its name.
 */
function withDoubleDash(arg: string): string {
  return SINGLE_DASH_FLAG.test(arg) ? `-${arg}` : arg;
}

/** ` (did you mean "http-port"?)` when a known name differs only by case, '_' or a typo. */
function suggestionFor(name: string): string {
  const close = closestName(name.replaceAll('_', '-'), CONFIG_FIELDS.map((field) => field.name));
  return close === undefined ? '' : ` (did you mean "${close}"?)`;
}
