// The TLS settings of one listener (the client port or the peer port) as the configuration
// hands them over, with etcd's names: cert-file, key-file, trusted-ca-file, client-cert-auth,
// and the same with a `peer-` prefix; plus cipher-suites and tls-min-version for both.

export const TLS_MIN_VERSIONS = ['TLS1.2', 'TLS1.3'] as const;
export type TlsMinVersion = (typeof TLS_MIN_VERSIONS)[number];

export interface TlsListenerFiles {
  /** '' for the client port, 'peer-' for the peer port: how its settings are named in messages. */
  readonly settingPrefix: '' | 'peer-';
  /** Absolute paths. A certificate file may carry intermediates after the leaf. */
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA bundle that signs the other side's certificates, and this side's own. */
  readonly trustedCaFile?: string;
  /** Refuse, at the handshake, a client without a certificate signed by the trusted CA. */
  readonly clientCertAuth: boolean;
}

export interface TlsPolicy {
  /** etcd's (Go's) names; undefined leaves Node's default list. */
  readonly cipherSuites?: readonly string[];
  readonly minVersion: TlsMinVersion;
}

/** `key-file` or `peer-key-file`: the setting a message about a file names. */
export function settingName(files: Pick<TlsListenerFiles, 'settingPrefix'>, name: 'cert-file' | 'key-file' | 'trusted-ca-file'): string {
  return `${files.settingPrefix}${name}`;
}
