// Schemas that refuse what they do not know. Every JSON object a client or a file can send is
// a strict object, so a misspelled field ("operation" for "operations") is an error naming the
// field and the closest valid name instead of being dropped with whatever it meant. What the
// REST API and the CLI read both go through here; each turns a SchemaProblem into its own error.
import { z } from 'zod';
import { closestName } from './closest-name.js';

/**
 * z.strictObject whose unknown-field issue carries, as its message, the hint for the first
 * unknown field: the closest valid name; else the field it belongs inside, when it is a field
 * of a nested object (an operation's `if_version_match` belongs inside `conditions`); else the
 * list of valid names.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape, z.core.$strict> {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownFieldHint(String(issue.keys[0]), shape) : undefined),
  });
}

function unknownFieldHint(field: string, shape: z.ZodRawShape): string {
  const fields = Object.keys(shape);
  const suggestion = closestName(field, fields);
  if (suggestion !== undefined) return `did you mean "${suggestion}"?`;
  const parent = fields.find((name) => nestedFields(shape[name]).includes(field));
  if (parent !== undefined) return `it belongs inside "${parent}"`;
  return fields.length === 0 ? 'none are allowed here' : `the valid fields are ${fields.map((name) => `"${name}"`).join(', ')}`;
}

/** The fields of the object a field holds, through optional and array wrappers. */
function nestedFields(schema: z.core.SomeType | undefined): string[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return nestedFields(schema.unwrap());
  if (schema instanceof z.ZodArray) return nestedFields(schema.element);
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  return [];
}

/** The first thing wrong with an input: an unknown field (with its hint), or an invalid value. */
export type SchemaProblem =
  | { readonly kind: 'unknown-field'; readonly path: string; readonly field: string; readonly hint: string }
  | { readonly kind: 'invalid-value'; readonly path: string; readonly reason: string };

export type Parsed<Value> = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly problem: SchemaProblem };

/** The input checked against the schema: its parsed value, or the first problem with it. */
export function parseWith<Schema extends z.ZodType>(schema: Schema, input: unknown): Parsed<z.output<Schema>> {
  // reportInput puts the offending value in each issue, so a missing field reads "is required".
  const parsed = schema.safeParse(input, { reportInput: true });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problem: problemOf(parsed.error) };
}

/**
 * An unknown field comes first: it is usually why a required field is missing (`item` for
 * `items`), and naming it says what to fix.
 */
function problemOf(error: z.ZodError): SchemaProblem {
  const issue = error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? error.issues[0];
  if (issue === undefined) return { kind: 'invalid-value', path: '', reason: 'is invalid' };
  const path = pathText(issue.path);
  if (issue.code === 'unrecognized_keys') return { kind: 'unknown-field', path, field: String(issue.keys[0]), hint: issue.message };
  const missing = issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined;
  return { kind: 'invalid-value', path, reason: missing ? 'is required' : issue.message };
}

/** `operations[0].conditions[1]`; empty for the whole input. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

/** A SchemaProblem as one sentence, for callers without a structured error (the CLI). */
export function describeSchemaProblem(problem: SchemaProblem, whole: string): string {
  const where = problem.path === '' ? whole : problem.path;
  if (problem.kind === 'unknown-field') return `unknown field "${problem.field}" in ${where}; ${problem.hint}`;
  return `invalid ${where}: ${problem.reason}`;
}
