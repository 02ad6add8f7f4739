// A certificate authority and the certificates it signs (ECDSA P-256, serverAuth and
// clientAuth, SANs for the hosts given): the operator's CA for the clusters it runs, the
// throwaway CA of `bvault dev --tls`, and the tests'. An authority is kept as PEM (a Kubernetes
// Secret holds the operator's) and read back to sign again. Never loaded by a server:
// @peculiar/x509 needs reflect-metadata, a global side effect a server has no use for.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** The default: long enough for any dev session, short enough that a copied dev CA does not live for years. */
const VALIDITY_DAYS = 30;
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'] as const;

export interface Authority {
  readonly certificatePem: string;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly subject: string;
}

export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Upper-case hex, as Node's X509Certificate and `openssl x509 -serial` print it. */
  readonly serialNumber: string;
}

export interface Validity {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export async function createAuthority(commonName: string, validity: Validity = {}): Promise<Authority> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const subject = `CN=${commonName}`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject,
    ...validityOf(validity),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), keys, subject };
}

/** The authority as PEM, to keep: its certificate, and its private key (PKCS #8). */
export async function authorityToPem(authority: Authority): Promise<{ certificatePem: string; privateKeyPem: string }> {
  return { certificatePem: authority.certificatePem, privateKeyPem: await privateKeyPemOf(authority.keys.privateKey) };
}

/** An authority kept with authorityToPem, ready to sign again. */
export async function authorityFromPem(certificatePem: string, privateKeyPem: string): Promise<Authority> {
  const certificate = new x509.X509Certificate(certificatePem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(privateKeyPem), KEY_ALGORITHM, true, ['sign']);
  const publicKey = await certificate.publicKey.export(KEY_ALGORITHM, ['verify']);
  return { certificatePem, keys: { privateKey, publicKey }, subject: certificate.subject };
}

export interface CertificateRequest extends Validity {
  readonly commonName: string;
  /** The subject's O: Kubernetes reads it as the user's group (e.g. system:masters). */
  readonly organization?: string;
  /** IP addresses and DNS names the certificate is valid for; default the loopback ones. */
  readonly hosts?: readonly string[];
}

/** A certificate for both sides of a handshake (serverAuth and clientAuth), as etcd's docs make them. */
export async function issueCertificate(authority: Authority, request: CertificateRequest): Promise<IssuedCertificate> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const hosts = request.hosts ?? LOOPBACK_HOSTS;
  const serial = serialNumber();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: request.organization === undefined ? `CN=${request.commonName}` : `CN=${request.commonName}, O=${request.organization}`,
    issuer: authority.subject,
    ...validityOf(request),
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: 'ip', value: host } : { type: 'dns', value: host }))),
      await x509.AuthorityKeyIdentifierExtension.create(authority.keys.publicKey),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await privateKeyPemOf(keys.privateKey),
    serialNumber: serial.toUpperCase(),
  };
}

async function privateKeyPemOf(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** 16 random bytes, the top bit clear so the DER integer stays positive and keeps its length. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f | 0x10;
  return bytes.toString('hex');
}

function validityOf(validity: Validity): { notBefore: Date; notAfter: Date } {
  // A minute back, so a certificate made now is valid on a member whose clock is a little behind.
  const notBefore = validity.notBefore ?? new Date(Date.now() - 60_000);
  return { notBefore, notAfter: validity.notAfter ?? new Date(notBefore.getTime() + VALIDITY_DAYS * DAY_MS) };
}
