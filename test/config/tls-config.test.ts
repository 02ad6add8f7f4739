// The TLS settings as the configuration reads them: etcd's names from every source, paths
// resolved against the working directory, https:// advertised once the client port serves TLS,
// and the relations between the settings checked with every problem listed.
import { describe, expect, it } from 'vitest';
import { ConfigError, HELP_REQUESTED, loadServerConfig, type ServerConfig } from '../../src/config/index.js';

const WORKING_DIRECTORY = '/srv/bvault';

async function load(args: readonly string[], environment: NodeJS.ProcessEnv = {}): Promise<ServerConfig> {
  const config = await loadServerConfig({ args: ['--node-id', 'n1', ...args], environment, workingDirectory: WORKING_DIRECTORY });
  if (config === HELP_REQUESTED) throw new Error('help was not asked for');
  return config;
}

async function problemsOf(args: readonly string[]): Promise<readonly string[]> {
  try {
    await load(args);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('TLS settings', () => {
  it('are off by default, and the advertised URLs say http', async () => {
    const config = await load([]);
    expect(config.clientTls).toBeUndefined();
    expect(config.peerTls).toBeUndefined();
    expect(config.tlsPolicy).toEqual({ minVersion: 'TLS1.2' });
    expect(config.advertiseClientUrls).toEqual(['http://127.0.0.1:8000']);
  });

  it('read etcd\'s names from flags and BVAULT_* variables, resolve paths, and advertise https', async () => {
    const config = await load(
      ['--cert-file', 'tls/server.crt', '--key-file', '/etc/tls/server.key', '--client-cert-auth', '--tls-min-version', 'TLS1.3', '--cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
      { BVAULT_TRUSTED_CA_FILE: 'tls/ca.crt', BVAULT_PEER_CERT_FILE: 'peer.crt', BVAULT_PEER_KEY_FILE: 'peer.key', BVAULT_PEER_CLIENT_CERT_AUTH: 'true', BVAULT_PEER_TRUSTED_CA_FILE: 'ca.crt' },
    );
    expect(config.clientTls).toEqual({ settingPrefix: '', certFile: '/srv/bvault/tls/server.crt', keyFile: '/etc/tls/server.key', trustedCaFile: '/srv/bvault/tls/ca.crt', clientCertAuth: true });
    expect(config.peerTls).toEqual({ settingPrefix: 'peer-', certFile: '/srv/bvault/peer.crt', keyFile: '/srv/bvault/peer.key', trustedCaFile: '/srv/bvault/ca.crt', clientCertAuth: true });
    expect(config.tlsPolicy).toEqual({ minVersion: 'TLS1.3', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] });
    expect(config.advertiseClientUrls).toEqual(['https://127.0.0.1:8000']);
    expect(config.advertiseGrpcUrls).toEqual(['https://127.0.0.1:9090']);
  });

  it('list every problem of their relations at once', async () => {
    expect(await problemsOf(['--peer-key-file', 'peer.key', '--peer-client-cert-auth', '--cipher-suites', 'TLS_RSA_WITH_RC4_128_SHA', '--tls-min-version', 'TLS1.1'])).toEqual([
      'tls-min-version (from --tls-min-version) must be one of TLS1.2, TLS1.3, got "TLS1.1"',
      'peer-client-cert-auth needs peer-trusted-ca-file, the CA that signed the certificates to accept',
      'peer-cert-file and peer-key-file are both needed for TLS on the peer port; peer-cert-file is not set',
      'cipher-suites: unknown cipher suite "TLS_RSA_WITH_RC4_128_SHA" (did you mean TLS_RSA_WITH_AES_128_CBC_SHA?); use etcd\'s names, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    ]);
  });
});
