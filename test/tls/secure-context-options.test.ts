// The options every TLS port is built from (HTTPS, gRPC and the peer port take the same ones):
// tls-min-version refuses older clients, cipher-suites limits TLS 1.2 to the suites named, and
// client-cert-auth refuses a client without a certificate at the handshake.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialOf, readTlsFiles, type CertificateMaterial } from '../../src/tls/certificate-material.js';
import { clientCheckOptionsOf, secureContextOptionsOf } from '../../src/tls/secure-context-options.js';
import type { TlsListenerFiles, TlsPolicy } from '../../src/tls/tls-settings.js';
import { temporaryDirectory } from '../cluster/cluster-harness.js';
import { TestCertificates } from '../support/test-certificates.js';

let files: TlsListenerFiles;
let material: CertificateMaterial;
let client: { ca: Buffer; cert: Buffer; key: Buffer };
/** A client certificate from another CA. */
let stranger: { cert: Buffer; key: Buffer };
const servers: Server[] = [];

beforeAll(async () => {
  const directory = await temporaryDirectory('secure-context');
  const certificates = await TestCertificates.create(directory);
  const server = await certificates.issue('server');
  files = { settingPrefix: '', certFile: server.certFile, keyFile: server.keyFile, trustedCaFile: certificates.caFile, clientCertAuth: true };
  material = materialOf(files, await readTlsFiles(files), Date.now());
  client = await certificates.clientMaterial(await certificates.issue('client'));
  const other = await TestCertificates.create(directory, 'other-ca');
  const { cert, key } = await other.clientMaterial(await other.issue('stranger'));
  stranger = { cert, key };
});

afterAll(() => servers.forEach((server) => server.close()));

async function listening(policy: TlsPolicy): Promise<number> {
  const server = createServer({ ...clientCheckOptionsOf(files), ...secureContextOptionsOf(material, policy) }, (_request, response) => response.end('ok'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The negotiated protocol and cipher, or the handshake's error. */
function handshake(port: number, options: ConnectionOptions): Promise<{ protocol: string | null; cipher: string } | Error> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...options }, () => {
      // With TLS 1.3 a refused client certificate surfaces after the handshake, on the first read.
      socket.once('data', () => undefined);
      setTimeout(() => {
        resolve(socket.destroyed ? new Error('closed by the server') : { protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.destroy();
      }, 200);
    });
    socket.once('error', (error) => resolve(error));
  });
}

describe('the secure context of a TLS port', () => {
  it('refuses a client below tls-min-version', async () => {
    const port = await listening({ minVersion: 'TLS1.3' });
    expect(await handshake(port, { ...client, maxVersion: 'TLSv1.2' })).toBeInstanceOf(Error);
    expect(await handshake(port, client)).toMatchObject({ protocol: 'TLSv1.3' });
  });

  it('offers only the named TLS 1.2 suites', async () => {
    const port = await listening({ minVersion: 'TLS1.2', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'] });
    expect(await handshake(port, { ...client, maxVersion: 'TLSv1.2' })).toEqual({ protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    expect(await handshake(port, { ...client, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toBeInstanceOf(Error);
  });

  it('refuses a client without a certificate, or with one from another CA, when client-cert-auth is on', async () => {
    const port = await listening({ minVersion: 'TLS1.2' });
    expect(await handshake(port, { ca: client.ca })).toBeInstanceOf(Error);
    expect(await handshake(port, { ca: client.ca, maxVersion: 'TLSv1.2' })).toBeInstanceOf(Error);
    expect(await handshake(port, { ...stranger, ca: client.ca })).toBeInstanceOf(Error);
    expect(await handshake(port, client)).toMatchObject({ protocol: 'TLSv1.3' });
  });
});
