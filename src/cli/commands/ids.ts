// Lease and member ids on the command line. One format, written and read: hexadecimal with a
// `0x` prefix, as etcdctl's ids are but marked, so an id bvault printed is read back as the
// same id. Plain digits are decimal, which is how the REST API gives ids. Bare hex without the
// prefix (as etcdctl prints it) is refused with the spelling to use: read as either base it
// would sometimes name another lease or member.
import { UsageError } from './client-exit-codes.js';

export const IDS_HELP = `Ids: lease and member ids print in hex with 0x (0x694d7a...); give them so, or in decimal
as the REST API gives them (7587862...). Hex without 0x is refused, as it could be either.`;

export function formatId(id: bigint): string {
  return `0x${id.toString(16)}`;
}

/** `0x`-prefixed hex or plain decimal; a UsageError names the argument and what to write. */
export function parseId(text: string | undefined, name: string): bigint {
  if (text === undefined) throw new UsageError(`${name} is required`);
  if (/^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  const hint = /^[0-9a-f]+$/i.test(text) ? `; a hex id needs the 0x prefix: 0x${text}` : '';
  throw new UsageError(`${name} must be an id in hex with 0x (as bvault prints it) or in decimal (as the REST API gives it), got ${JSON.stringify(text)}${hint}`);
}
