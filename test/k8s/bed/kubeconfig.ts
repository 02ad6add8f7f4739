// kubeconfig files for the bed's identities: the same cluster entry, a client certificate each.

import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { CertificateFiles } from './pki.js';

export function writeKubeconfig(file: string, server: string, caFile: string, user: string, credentials: CertificateFiles): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'beaver-vault-test-bed', cluster: { server, 'certificate-authority-data': base64Of(caFile) } }],
    users: [{ name: user, user: { 'client-certificate-data': base64Of(credentials.certFile), 'client-key-data': base64Of(credentials.keyFile) } }],
    contexts: [{ name: 'beaver-vault-test-bed', context: { cluster: 'beaver-vault-test-bed', user, namespace: 'default' } }],
    'current-context': 'beaver-vault-test-bed',
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

function base64Of(file: string): string {
  return readFileSync(file).toString('base64');
}
