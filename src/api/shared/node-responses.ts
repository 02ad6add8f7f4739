// Narrowing the node's responses to the type of the request that produced them. A mismatch
// is a bug in the node, not an operating condition, so it throws.
import type { MvccResponse, TxnResponse } from '../../mvcc/index.js';

export function responseOf<T extends MvccResponse['type']>(response: MvccResponse, type: T): Extract<MvccResponse, { type: T }> {
  if (response.type !== type) throw new Error(`the node answered a ${type} request with a ${response.type} response`);
  return response as Extract<MvccResponse, { type: T }>;
}

export function txnOf(response: MvccResponse): TxnResponse {
  return responseOf(response, 'txn').txn;
}
