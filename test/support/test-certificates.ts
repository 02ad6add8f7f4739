// The tests' certificates: one throwaway CA per set, and certificates it issues as PEM files in
// a directory, valid for 127.0.0.1 and localhost unless a test asks for another validity or
// host. Built on the generator `bvault dev --tls` uses, so both make the same kind of files.

import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAuthority, issueCertificate, type Authority, type CertificateRequest } from '../../src/tls/certificate-authority.js';
import type { ClientTlsMaterial } from '../../src/tls/index.js';

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly serialNumber: string;
}

export class TestCertificates {
  private constructor(
    readonly directory: string,
    readonly caFile: string,
    private readonly authority: Authority,
  ) {}

  /** A new CA, written to `<directory>/<caName>.crt`. */
  static async create(directory: string, caName = 'ca'): Promise<TestCertificates> {
    const authority = await createAuthority(`test ${caName}`);
    const caFile = join(directory, `${caName}.crt`);
    await writeFile(caFile, authority.certificatePem);
    return new TestCertificates(directory, caFile, authority);
  }

  /** `<name>.crt` and `<name>.key` in `directory` (default this set's), signed by this CA. */
  async issue(name: string, request: Partial<CertificateRequest> = {}, directory = this.directory): Promise<CertificateFiles> {
    const issued = await issueCertificate(this.authority, { commonName: name, ...request });
    const certFile = join(directory, `${name}.crt`);
    const keyFile = join(directory, `${name}.key`);
    await Promise.all([writeFile(certFile, issued.certificatePem), writeFile(keyFile, issued.privateKeyPem)]);
    return { certFile, keyFile, serialNumber: issued.serialNumber };
  }

  /** Writes this CA's certificate to `path` as well, e.g. into a Secret's new generation. */
  async copyCa(path: string): Promise<void> {
    await copyFile(this.caFile, path);
  }

  /** A client certificate's bytes with this CA, for node:https and the client library. */
  async clientMaterial(files: CertificateFiles): Promise<Required<ClientTlsMaterial>> {
    return { ca: await readFile(this.caFile), cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
  }
}

/** Server flags for TLS on the client port (with client-cert-auth) and mutual TLS on the peer port. */
export function tlsServerArgs(caFile: string, server: CertificateFiles, peer: CertificateFiles, peerCaFile = caFile): string[] {
  return [
    '--cert-file', server.certFile, '--key-file', server.keyFile, '--trusted-ca-file', caFile, '--client-cert-auth',
    '--peer-cert-file', peer.certFile, '--peer-key-file', peer.keyFile, '--peer-trusted-ca-file', peerCaFile, '--peer-client-cert-auth',
  ];
}
