// Reads a listener's certificate, key and CA files and checks them the way a handshake would
// fail later, so the failure comes at start (or at a reload) as one sentence naming the
// setting and the file: unreadable, not PEM, a key that does not match the certificate, a
// certificate outside its validity period, or one the trusted CA did not sign.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { settingName, type TlsListenerFiles } from './tls-settings.js';

export interface CertificateMaterial {
  /** The files' bytes as read, handed to Node's TLS as they are. */
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  /** Of the leaf certificate, upper-case hex, as `openssl x509 -serial` prints it. */
  readonly serialNumber: string;
  readonly validTo: string;
}

/** The three files' bytes, read together so a reload compares them cheaply. */
export interface TlsFileBytes {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Throws TlsFileError naming the first file that cannot be read. */
export async function readTlsFiles(files: TlsListenerFiles): Promise<TlsFileBytes> {
  const read = async (name: 'cert-file' | 'key-file' | 'trusted-ca-file', path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new TlsFileError(`${settingName(files, name)} ${path} cannot be read: ${(error as Error).message}`);
    }
  };
  const [cert, key, ca] = await Promise.all([
    read('cert-file', files.certFile),
    read('key-file', files.keyFile),
    files.trustedCaFile === undefined ? undefined : read('trusted-ca-file', files.trustedCaFile),
  ]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

/** Checks the bytes read from `files` at `nowMs`; throws TlsFileError with the first problem. */
export function materialOf(files: TlsListenerFiles, bytes: TlsFileBytes, nowMs: number): CertificateMaterial {
  const certName = `${settingName(files, 'cert-file')} ${files.certFile}`;
  const chain = certificatesIn(bytes.cert, certName);
  const leaf = chain[0] as X509Certificate;
  const key = privateKeyOf(bytes.key, `${settingName(files, 'key-file')} ${files.keyFile}`);
  if (!holds(() => leaf.checkPrivateKey(key))) throw new TlsFileError(`${settingName(files, 'key-file')} ${files.keyFile} does not match ${certName}`);
  if (Date.parse(leaf.validFrom) > nowMs) throw new TlsFileError(`${certName} is not valid until ${leaf.validFrom}`);
  if (Date.parse(leaf.validTo) < nowMs) throw new TlsFileError(`${certName} expired on ${leaf.validTo}`);
  if (bytes.ca !== undefined) {
    const caName = `${settingName(files, 'trusted-ca-file')} ${files.trustedCaFile ?? ''}`;
    const authorities = certificatesIn(bytes.ca, caName);
    if (!signedBy(leaf, chain.slice(1), authorities)) throw new TlsFileError(`${certName} is not signed by ${caName}`);
  }
  try {
    // What a handshake will build from them: anything Node's TLS still refuses fails here, not there.
    createSecureContext(bytes.ca === undefined ? { cert: bytes.cert, key: bytes.key } : { cert: bytes.cert, key: bytes.key, ca: bytes.ca });
  } catch (error) {
    throw new TlsFileError(`${certName} and its key are refused by TLS: ${(error as Error).message}`);
  }
  const material = { cert: bytes.cert, key: bytes.key, serialNumber: leaf.serialNumber.toUpperCase(), validTo: leaf.validTo };
  return bytes.ca === undefined ? material : { ...material, ca: bytes.ca };
}

function certificatesIn(bytes: Buffer, name: string): X509Certificate[] {
  const blocks = bytes.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new TlsFileError(`${name} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch (error) {
    throw new TlsFileError(`${name} holds a certificate that cannot be parsed: ${(error as Error).message}`);
  }
}

function privateKeyOf(bytes: Buffer, name: string): KeyObject {
  try {
    return createPrivateKey(bytes);
  } catch (error) {
    throw new TlsFileError(`${name} is not a PEM private key: ${(error as Error).message}`);
  }
}

/**
 * Whether a path leads from `leaf` through the intermediates that came with it to one of the
 * authorities. Bounded by the number of intermediates: each is used at most once.
 */
function signedBy(leaf: X509Certificate, intermediates: readonly X509Certificate[], authorities: readonly X509Certificate[]): boolean {
  const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean => holds(() => child.checkIssued(parent) && child.verify(parent.publicKey));
  let current = leaf;
  const unused = [...intermediates];
  for (;;) {
    if (authorities.some((authority) => issuedBy(current, authority))) return true;
    const next = unused.findIndex((candidate) => issuedBy(current, candidate));
    if (next < 0) return false;
    current = unused.splice(next, 1)[0] as X509Certificate;
  }
}

/** A check that throws on input of the wrong kind (an RSA key against an EC certificate) fails. */
function holds(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
