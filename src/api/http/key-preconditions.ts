// Optimistic concurrency over HTTP: If-Match, If-None-Match and ?if_version_match become
// compares of one transaction with the write, so the check and the write are atomic.
import type { IncomingHttpHeaders } from 'node:http';
import { type Compare, CompareResult } from '../../mvcc/index.js';
import { ApiError } from '../errors.js';
import { entityTagOf } from '../shared/entity-tags.js';

const ENTITY_TAG = /^"(\d+)"$/;

/** The compares a conditional write of `key` must pass; empty for an unconditional write. */
export function writePreconditions(key: Uint8Array, headers: IncomingHttpHeaders, ifVersionMatch: number | undefined): Compare[] {
  const compares: Compare[] = [];
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) compares.push(ifMatchCompare(key, ifMatch.trim()));
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new ApiError('API_INVALID_PARAMETER', { name: 'If-None-Match', reason: 'a write accepts only *' });
    compares.push({ key, target: 'version', result: CompareResult.Equal, version: 0 });
  }
  if (ifVersionMatch !== undefined) compares.push({ key, target: 'version', result: CompareResult.Equal, version: ifVersionMatch });
  return compares;
}

function ifMatchCompare(key: Uint8Array, header: string): Compare {
  if (header === '*') return { key, target: 'version', result: CompareResult.Greater, version: 0 };
  const match = ENTITY_TAG.exec(header);
  if (match === null) throw new ApiError('API_INVALID_PARAMETER', { name: 'If-Match', reason: `expected * or one entity tag like "12", got ${header}` });
  return { key, target: 'mod', result: CompareResult.Equal, modRevision: Number(match[1]) };
}

/** Whether a GET's If-None-Match names the current entity tag (or is *), so 304 answers it. */
export function notModified(header: string | undefined, modRevision: number): boolean {
  if (header === undefined) return false;
  const current = entityTagOf(modRevision);
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === current || trimmed === `W/${current}`;
  });
}
