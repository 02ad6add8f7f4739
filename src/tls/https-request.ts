// One HTTP(S) request with a deadline, for the REST calls members and `bvault dev` make to each
// other (status, join). Node's fetch cannot be given a CA or a client certificate without the
// undici package, so an https:// URL goes through node:https with the given material.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** PEM bytes: the CA that signed the server, and a client certificate for client-cert-auth. */
export interface ClientTlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface RequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly timeoutMs: number;
  /** Used for https:// URLs only. */
  readonly tls?: ClientTlsMaterial;
  /** For https:// URLs that name an address: the DNS name the server's certificate must carry. */
  readonly servername?: string;
}

export interface RequestAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Rejects on a refused connection, a failed handshake, or no complete answer within the deadline. */
export function requestText(url: string | URL, init: RequestInit): Promise<RequestAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const options = { method: init.method ?? 'GET', headers: init.headers, ...(secure ? { ...init.tls, ...(init.servername === undefined ? {} : { servername: init.servername }) } : {}) };
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(target, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    const timer = setTimeout(() => outgoing.destroy(new Error(`no answer from ${target.origin} within ${init.timeoutMs} ms`)), init.timeoutMs);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}
