// grpc-js credentials that follow a CertificateReloader. grpc-js fixes
// ServerCredentials.createSsl at bind time; a ServerCredentials subclass may instead push new
// secure-context options, which grpc-js hands to the bound HTTP/2 server's setSecureContext():
// new handshakes use the new certificate and open connections are left alone. The channel
// side (a member dialing its peers) uses grpc-js's certificate-provider credentials, which read
// the provider's latest certificate at every new connection.

import { experimental, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { rootCertificates } from 'node:tls';
import type { CertificateMaterial } from './certificate-material.js';
import type { CertificateReloader } from './certificate-reloader.js';
import { clientCheckOptionsOf, secureContextOptionsOf } from './secure-context-options.js';
import type { TlsPolicy } from './tls-settings.js';

class ReloadingServerCredentials extends ServerCredentials {
  constructor(reloader: CertificateReloader, policy: TlsPolicy) {
    super(clientCheckOptionsOf(reloader.files), secureContextOptionsOf(reloader.material, policy));
    reloader.onChange((material) => this.updateSecureContextOptions(secureContextOptionsOf(material, policy)));
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

export function reloadingServerCredentials(reloader: CertificateReloader, policy: TlsPolicy): ServerCredentials {
  return new ReloadingServerCredentials(reloader, policy);
}

/** A CertificateProvider fed by the reloader: its CA (or the system's roots) and its certificate. */
class ReloaderCertificateProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();

  constructor(private readonly reloader: CertificateReloader) {
    reloader.onChange((material) => {
      for (const listener of this.caListeners) listener(caUpdateOf(material));
      for (const listener of this.identityListeners) listener(identityUpdateOf(material));
    });
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    listener(caUpdateOf(this.reloader.material));
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    listener(identityUpdateOf(this.reloader.material));
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}

const SYSTEM_ROOTS = Buffer.from(rootCertificates.join('\n'));

const caUpdateOf = (material: CertificateMaterial): experimental.CaCertificateUpdate => ({ caCertificate: material.ca ?? SYSTEM_ROOTS });
const identityUpdateOf = (material: CertificateMaterial): experimental.IdentityCertificateUpdate => ({ certificate: material.cert, privateKey: material.key });

/** Credentials that present the reloader's certificate and verify the other side against its CA. */
export function reloadingChannelCredentials(reloader: CertificateReloader): ChannelCredentials {
  const provider = new ReloaderCertificateProvider(reloader);
  return experimental.createCertificateProviderChannelCredentials(provider, provider);
}
