// The reloader alone, in-process: a good change replaces the material and tells the listeners,
// a bad one is refused once in the log and the material in use stays, and the next good one
// applies. Every TLS cipher suite etcd names maps to one this Node's OpenSSL accepts.
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CIPHER_SUITES_BY_ETCD_NAME, opensslCipherList } from '../../src/tls/cipher-suites.js';
import { CertificateReloader } from '../../src/tls/certificate-reloader.js';
import type { CertificateMaterial } from '../../src/tls/certificate-material.js';
import { TestCertificates } from '../support/test-certificates.js';
import { temporaryDirectory } from '../cluster/cluster-harness.js';

const reloaders: CertificateReloader[] = [];
afterAll(() => reloaders.forEach((reloader) => reloader.close()));

describe('CertificateReloader', () => {
  it('applies a good change, refuses a bad one once and keeps the old material, then applies the next good one', async () => {
    const directory = await temporaryDirectory('reloader');
    const certificates = await TestCertificates.create(directory);
    const first = await certificates.issue('first');
    const files = { settingPrefix: '' as const, certFile: join(directory, 'tls.crt'), keyFile: join(directory, 'tls.key'), trustedCaFile: certificates.caFile, clientCertAuth: true };
    await copyFile(first.certFile, files.certFile);
    await copyFile(first.keyFile, files.keyFile);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    // A poll interval no test waits for: each step calls poll() itself.
    const reloader = await CertificateReloader.open(files, logger, 3_600_000);
    reloaders.push(reloader);
    const seen: CertificateMaterial[] = [];
    reloader.onChange((material) => seen.push(material));
    expect(reloader.material.serialNumber).toBe(first.serialNumber);
    await reloader.poll();
    expect(seen).toEqual([]);

    const second = await certificates.issue('second');
    await copyFile(second.certFile, files.certFile);
    await reloader.poll();
    await reloader.poll();
    expect(reloader.material.serialNumber).toBe(first.serialNumber);
    expect(lines.filter((line) => line.includes('not usable'))).toHaveLength(1);
    expect(lines.join('')).toContain(`key-file ${files.keyFile} does not match cert-file ${files.certFile}`);

    // Written aside and renamed in, as a tool that replaces a file safely does.
    await writeFile(`${files.keyFile}.new`, await readFile(second.keyFile));
    await rename(`${files.keyFile}.new`, files.keyFile);
    await reloader.poll();
    expect(reloader.material.serialNumber).toBe(second.serialNumber);
    expect(seen.map((material) => material.serialNumber)).toEqual([second.serialNumber]);
    expect(lines.join('')).toContain('reloaded the TLS certificate');
  });
});

describe('cipher suites', () => {
  it('map every etcd name to a suite OpenSSL accepts, with TLS 1.3 kept on', () => {
    for (const name of CIPHER_SUITES_BY_ETCD_NAME.keys()) {
      expect(() => createSecureContext({ ciphers: opensslCipherList([name]) }), name).not.toThrow();
    }
    expect(opensslCipherList(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'])).toBe('TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256');
  });
});
