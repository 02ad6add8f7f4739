// The TLS settings' relations: a certificate needs its key, client-cert-auth needs the CA that
// signs client certificates, and every cipher suite must be one etcd knows. Whether the files
// exist and fit together is checked when the server opens them (src/tls), with the file named.

import { resolve as resolvePath } from 'node:path';
import { CIPHER_SUITES_BY_ETCD_NAME, unknownCipherSuites } from '../tls/cipher-suites.js';
import type { TlsListenerFiles, TlsMinVersion, TlsPolicy } from '../tls/tls-settings.js';
import { closestName } from '../validation/closest-name.js';

export interface TlsSettings {
  /** The REST and gRPC ports; undefined: plaintext. */
  readonly clientTls?: TlsListenerFiles;
  /** The peer (Raft) port; undefined: plaintext. */
  readonly peerTls?: TlsListenerFiles;
  readonly tlsPolicy: TlsPolicy;
}

interface SettingValues {
  string(name: string): string | undefined;
  list(name: string): readonly string[] | undefined;
}

export function tlsSettingsOf(values: SettingValues, workingDirectory: string, problems: string[]): TlsSettings {
  const clientTls = listenerFilesOf(values, '', workingDirectory, problems);
  const peerTls = listenerFilesOf(values, 'peer-', workingDirectory, problems);
  const cipherSuites = values.list('cipher-suites');
  for (const name of unknownCipherSuites(cipherSuites ?? [])) {
    const close = closestName(name, [...CIPHER_SUITES_BY_ETCD_NAME.keys()]);
    problems.push(`cipher-suites: unknown cipher suite ${JSON.stringify(name)}${close === undefined ? '' : ` (did you mean ${close}?)`}; use etcd's names, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`);
  }
  const tlsPolicy = { minVersion: (values.string('tls-min-version') ?? 'TLS1.2') as TlsMinVersion, ...(cipherSuites === undefined ? {} : { cipherSuites }) };
  return { ...(clientTls === undefined ? {} : { clientTls }), ...(peerTls === undefined ? {} : { peerTls }), tlsPolicy };
}

function listenerFilesOf(values: SettingValues, prefix: '' | 'peer-', workingDirectory: string, problems: string[]): TlsListenerFiles | undefined {
  const path = (name: string): string | undefined => {
    const value = values.string(`${prefix}${name}`);
    return value === undefined ? undefined : resolvePath(workingDirectory, value);
  };
  const certFile = path('cert-file');
  const keyFile = path('key-file');
  const trustedCaFile = path('trusted-ca-file');
  const clientCertAuth = values.string(`${prefix}client-cert-auth`) === 'true';
  if (clientCertAuth && trustedCaFile === undefined) {
    problems.push(`${prefix}client-cert-auth needs ${prefix}trusted-ca-file, the CA that signed the certificates to accept`);
  }
  if (certFile === undefined || keyFile === undefined) {
    if (certFile !== undefined || keyFile !== undefined || trustedCaFile !== undefined || clientCertAuth) {
      const unset = [certFile === undefined && `${prefix}cert-file`, keyFile === undefined && `${prefix}key-file`].filter(Boolean).join(' and ');
      problems.push(`${prefix}cert-file and ${prefix}key-file are both needed for TLS on the ${prefix === '' ? 'client (REST and gRPC)' : 'peer'} port; ${unset} ${unset.includes(' and ') ? 'are' : 'is'} not set`);
    }
    return undefined;
  }
  return { settingPrefix: prefix, certFile, keyFile, clientCertAuth, ...(trustedCaFile === undefined ? {} : { trustedCaFile }) };
}
