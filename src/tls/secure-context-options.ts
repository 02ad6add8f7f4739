// What Node's TLS is given for a listener, shared by HTTPS, the gRPC port and the peer port so
// the three can never disagree on the protocol floor, the cipher list or client checks.

import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { CertificateMaterial } from './certificate-material.js';
import { opensslCipherList } from './cipher-suites.js';
import type { TlsListenerFiles, TlsPolicy } from './tls-settings.js';

/** The part a reload replaces: certificate, key, CA, and the policy that goes with them. */
export function secureContextOptionsOf(material: CertificateMaterial, policy: TlsPolicy): SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    minVersion: policy.minVersion === 'TLS1.3' ? 'TLSv1.3' : 'TLSv1.2',
    ...(policy.cipherSuites === undefined ? {} : { ciphers: opensslCipherList(policy.cipherSuites) }),
  };
}

/** The part fixed for the listener's life: whether a client must show a certificate. */
export function clientCheckOptionsOf(files: TlsListenerFiles): Pick<TlsOptions, 'requestCert' | 'rejectUnauthorized'> {
  return { requestCert: files.clientCertAuth, rejectUnauthorized: files.clientCertAuth };
}
