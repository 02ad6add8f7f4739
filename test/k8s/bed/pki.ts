// The bed's certificates, made fresh for every bed as envtest makes them: one throwaway CA that
// signs the API server's serving certificate and a client certificate for each identity that
// talks to it, plus the key pair that signs service-account tokens.

import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuthority, issueCertificate } from '../../../src/tls/certificate-authority.js';

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface BedPki {
  readonly caFile: string;
  readonly apiServer: CertificateFiles;
  /** The API server's client certificate toward the node agent's log endpoint. */
  readonly apiServerKubeletClient: CertificateFiles;
  /** The node agent's serving certificate for that endpoint. */
  readonly kubeletServing: CertificateFiles;
  readonly admin: CertificateFiles;
  readonly controllerManager: CertificateFiles;
  readonly scheduler: CertificateFiles;
  readonly serviceAccountPublicKeyFile: string;
  readonly serviceAccountPrivateKeyFile: string;
}

/** Names by which pods and the host reach the API server, as kubeadm puts them in its certificate. */
const API_SERVER_NAMES = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];

export async function createBedPki(directory: string, gatewayAddress: string): Promise<BedPki> {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const authority = await createAuthority('beaver-vault-k8s-test-bed-ca');
  const caFile = join(directory, 'ca.crt');
  writeFileSync(caFile, authority.certificatePem);

  const issue = async (name: string, commonName: string, organization?: string, hosts?: string[]): Promise<CertificateFiles> => {
    const issued = await issueCertificate(authority, { commonName, organization, hosts });
    const files = { certFile: join(directory, `${name}.crt`), keyFile: join(directory, `${name}.key`) };
    writeFileSync(files.certFile, issued.certificatePem);
    writeFileSync(files.keyFile, issued.privateKeyPem, { mode: 0o600 });
    return files;
  };

  const serviceAccount = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const serviceAccountPublicKeyFile = join(directory, 'service-account.pub');
  const serviceAccountPrivateKeyFile = join(directory, 'service-account.key');
  writeFileSync(serviceAccountPublicKeyFile, serviceAccount.publicKey);
  writeFileSync(serviceAccountPrivateKeyFile, serviceAccount.privateKey, { mode: 0o600 });

  return {
    caFile,
    apiServer: await issue('kube-apiserver', 'kube-apiserver', undefined, ['127.0.0.1', gatewayAddress, ...API_SERVER_NAMES]),
    apiServerKubeletClient: await issue('kube-apiserver-kubelet-client', 'kube-apiserver-kubelet-client', 'system:masters'),
    kubeletServing: await issue('node-agent', 'node-agent', undefined, ['127.0.0.1', 'localhost']),
    admin: await issue('admin', 'beaver-vault-test-admin', 'system:masters'),
    controllerManager: await issue('kube-controller-manager', 'system:kube-controller-manager'),
    scheduler: await issue('kube-scheduler', 'system:kube-scheduler'),
    serviceAccountPublicKeyFile,
    serviceAccountPrivateKeyFile,
  };
}
