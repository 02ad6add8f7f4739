// A member's TLS, opened once at start from its configuration: the credentials of the client
// port (HTTPS and gRPC) and of the peer port (served and dialed), each following its files as
// they change. Opening checks every file first, so a bad one stops the start with one line.

import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import { CertificateReloader } from './certificate-reloader.js';
import { reloadingChannelCredentials, reloadingServerCredentials } from './grpc-credentials.js';
import type { ClientTlsMaterial } from './https-request.js';
import { clientCheckOptionsOf, secureContextOptionsOf } from './secure-context-options.js';
import type { TlsListenerFiles, TlsPolicy } from './tls-settings.js';

/** What an HTTPS server needs: its options at creation, and each reload's for setSecureContext(). */
export interface ReloadingHttpsOptions {
  readonly serverOptions: TlsOptions;
  onReload(listener: (options: SecureContextOptions) => void): void;
}

export interface ClientPortTls {
  readonly https: ReloadingHttpsOptions;
  readonly grpc: ServerCredentials;
  /** This member's own certificate and CA, for its REST calls to another member (--join). */
  material(): ClientTlsMaterial;
}

export interface PeerPortTls {
  readonly server: ServerCredentials;
  readonly channel: ChannelCredentials;
}

/** Which port a certificate serves. */
export type TlsEndpoint = 'client' | 'peer';

export interface ServerTls {
  readonly clientPort?: ClientPortTls;
  readonly peerPort?: PeerPortTls;
  /** When the certificate each TLS port serves now stops being valid (it follows reloads). */
  expiries(): ReadonlyArray<{ readonly endpoint: TlsEndpoint; readonly validTo: Date }>;
  /** Stops watching the files. */
  close(): void;
}

export interface ServerTlsSettings {
  readonly clientTls?: TlsListenerFiles;
  readonly peerTls?: TlsListenerFiles;
  readonly tlsPolicy: TlsPolicy;
}

/** Throws TlsFileError naming the setting and file of the first problem. */
export async function openServerTls(settings: ServerTlsSettings, logger: Logger): Promise<ServerTls> {
  const clientReloader = settings.clientTls === undefined ? undefined : await CertificateReloader.open(settings.clientTls, logger.child({ component: 'tls', port: 'client' }));
  let peerReloader: CertificateReloader | undefined;
  try {
    peerReloader = settings.peerTls === undefined ? undefined : await CertificateReloader.open(settings.peerTls, logger.child({ component: 'tls', port: 'peer' }));
  } catch (error) {
    clientReloader?.close();
    throw error;
  }
  const policy = settings.tlsPolicy;
  return {
    ...(clientReloader === undefined ? {} : { clientPort: clientPortTlsOf(clientReloader, policy) }),
    ...(peerReloader === undefined ? {} : { peerPort: { server: reloadingServerCredentials(peerReloader, policy), channel: reloadingChannelCredentials(peerReloader) } }),
    expiries: () => [
      ...(clientReloader === undefined ? [] : [{ endpoint: 'client' as const, validTo: new Date(clientReloader.material.validTo) }]),
      ...(peerReloader === undefined ? [] : [{ endpoint: 'peer' as const, validTo: new Date(peerReloader.material.validTo) }]),
    ],
    close: () => {
      clientReloader?.close();
      peerReloader?.close();
    },
  };
}

function clientPortTlsOf(reloader: CertificateReloader, policy: TlsPolicy): ClientPortTls {
  return {
    https: {
      serverOptions: { ...clientCheckOptionsOf(reloader.files), ...secureContextOptionsOf(reloader.material, policy) },
      onReload: (listener) => reloader.onChange((material) => listener(secureContextOptionsOf(material, policy))),
    },
    grpc: reloadingServerCredentials(reloader, policy),
    material: () => {
      const { ca, cert, key } = reloader.material;
      return ca === undefined ? { cert, key } : { ca, cert, key };
    },
  };
}
