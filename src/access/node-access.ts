// Who makes a call, and the node as that caller may use it. Every client API (etcd v3, native
// gRPC, REST) turns a call's credentials and origin into a view of the node with
// `access.nodeFor(origin, credentials)` and serves the call from that view alone. The view
// checks the caller's permissions on every call and records what the audit log keeps, so the
// checks live beneath all three APIs and none of them can forget one.

import type { KvNode } from '../node/kv-node.js';

export type ClientApi = 'etcd' | 'native' | 'rest';

/** What a call presented to prove who makes it; all absent for an anonymous call. */
export interface Credentials {
  /** gRPC: the `token` metadata (as etcd clients send it); REST: `Authorization: Bearer`. */
  readonly token?: string;
  /** REST basic authentication, accepted over TLS only. */
  readonly password?: { readonly user: string; readonly password: string };
  /** The common name of the client certificate TLS verified (client-cert-auth). */
  readonly certificateCommonName?: string;
}

/** Where a call came from, for permission errors and the audit log. */
export interface CallOrigin {
  readonly api: ClientApi;
  /** The API's own name for the call: `Put`, `KV.Range`, `PUT /api/v1/keys/{key}`. */
  readonly method: string;
  /** The client's address as host:port. */
  readonly source: string;
}

/** The node as one caller may use it. */
export interface CallerNode extends KvNode {
  /**
   * Who the credentials proved the caller to be, as the audit log names them; undefined for an
   * anonymous caller and whenever authentication is off.
   */
  readonly user?: string;
}

export interface NodeAccess {
  /**
   * Set when every caller gets this same node (no authentication, no audit log): the APIs then
   * serve from it without building an origin and credentials for each call, which keeps the
   * hot path as cheap as it was before this layer existed.
   */
  readonly sameForEveryCaller?: KvNode;
  /**
   * The node as this caller may use it. Rejects when the credentials do not hold (an invalid or
   * expired token, a wrong password).
   */
  nodeFor(origin: CallOrigin, credentials: Credentials): Promise<CallerNode>;
}

/** Every caller gets the node itself: what a server without authentication or an audit log serves. */
export class OpenAccess implements NodeAccess {
  constructor(readonly sameForEveryCaller: KvNode) {}

  nodeFor(): Promise<KvNode> {
    return Promise.resolve(this.sameForEveryCaller);
  }
}
