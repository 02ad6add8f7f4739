// A certificate authority kept as PEM (as the operator keeps its CA in a Secret) and read back
// signs certificates that verify against the certificate it had before.

import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authorityFromPem, authorityToPem, createAuthority, issueCertificate } from '../../src/tls/certificate-authority.js';

describe('a certificate authority kept as PEM', () => {
  it('signs again after being read back, for the hosts and the lifetime asked', async () => {
    const original = await createAuthority('orders CA', { notAfter: new Date(Date.now() + 3_600_000) });
    const kept = await authorityToPem(original);
    expect(kept.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const restored = await authorityFromPem(kept.certificatePem, kept.privateKeyPem);
    const notAfter = new Date(Date.now() + 600_000);
    const issued = await issueCertificate(restored, { commonName: 'orders', hosts: ['*.orders-peers.apps.svc', '10.0.0.7'], notAfter });

    const authority = new X509Certificate(kept.certificatePem);
    const leaf = new X509Certificate(issued.certificatePem);
    expect(leaf.verify(authority.publicKey)).toBe(true);
    expect(leaf.checkIssued(authority)).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:*.orders-peers.apps.svc');
    expect(leaf.subjectAltName).toContain('IP Address:10.0.0.7');
    expect(Math.abs(new Date(leaf.validTo).getTime() - notAfter.getTime())).toBeLessThan(1_000);
    // Another authority's certificate does not verify against this one.
    const stranger = await createAuthority('another CA');
    expect(leaf.verify(new X509Certificate(stranger.certificatePem).publicKey)).toBe(false);
  });
});
