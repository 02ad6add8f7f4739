// The certificates of `bvault dev --tls`: a throwaway CA made afresh at each start, one
// certificate for the members' client ports, one for their peer ports, and one for a client
// (etcdctl, bvault, curl), all valid for 127.0.0.1 and localhost, written as PEM files under
// the dev data directory for the commands it prints to name.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEV_CLIENT_COMMON_NAME = 'bvault-dev-client';

export interface DevCertificateFiles {
  readonly directory: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly peerCert: string;
  readonly peerKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Makes the CA and certificates in `directory` (created if missing), replacing older ones. */
export async function writeDevCertificates(directory: string): Promise<DevCertificateFiles> {
  // Loaded only for --tls: certificate generation pulls in reflect-metadata and @peculiar/x509.
  const { createAuthority, issueCertificate } = await import('../tls/certificate-authority.js');
  const authority = await createAuthority('Beaver-Vault dev CA (throwaway)');
  const [server, peer, client] = await Promise.all([
    issueCertificate(authority, { commonName: 'bvault-dev-server' }),
    issueCertificate(authority, { commonName: 'bvault-dev-peer' }),
    // With client-cert-auth, etcd takes a verified certificate's common name as the user when a
    // call carries no token. This CN names no user, so the certificate alone is refused and the
    // printed lines must say who they are (--user, a token); it would be `root` in all but name.
    issueCertificate(authority, { commonName: DEV_CLIENT_COMMON_NAME }),
  ]);
  const files: DevCertificateFiles = {
    directory,
    ca: join(directory, 'ca.crt'),
    serverCert: join(directory, 'server.crt'),
    serverKey: join(directory, 'server.key'),
    peerCert: join(directory, 'peer.crt'),
    peerKey: join(directory, 'peer.key'),
    clientCert: join(directory, 'client.crt'),
    clientKey: join(directory, 'client.key'),
  };
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const privateFile = { mode: 0o600 };
  await Promise.all([
    writeFile(files.ca, authority.certificatePem),
    writeFile(files.serverCert, server.certificatePem),
    writeFile(files.serverKey, server.privateKeyPem, privateFile),
    writeFile(files.peerCert, peer.certificatePem),
    writeFile(files.peerKey, peer.privateKeyPem, privateFile),
    writeFile(files.clientCert, client.certificatePem),
    writeFile(files.clientKey, client.privateKeyPem, privateFile),
  ]);
  return files;
}

/** The `bvault server` flags that turn on client and peer TLS, each side checking the other's certificate. */
export function serverTlsArgs(files: DevCertificateFiles): string[] {
  return [
    '--cert-file', files.serverCert, '--key-file', files.serverKey, '--trusted-ca-file', files.ca, '--client-cert-auth',
    '--peer-cert-file', files.peerCert, '--peer-key-file', files.peerKey, '--peer-trusted-ca-file', files.ca, '--peer-client-cert-auth',
  ];
}
