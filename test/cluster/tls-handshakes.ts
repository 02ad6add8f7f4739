// What a TLS port presents to a new handshake, for the TLS tests.
import { connect as tlsConnect } from 'node:tls';
import type { ClientTlsMaterial } from '../../src/tls/index.js';

/** The serial number of the certificate a TLS port presents to a new handshake. */
export function servedSerialNumber(port: number, tls: ClientTlsMaterial, alpn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...tls, ALPNProtocols: [alpn, 'http/1.1'], rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial.toUpperCase());
    });
    socket.once('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no TLS handshake with port ${port} within 5 s`)));
  });
}
