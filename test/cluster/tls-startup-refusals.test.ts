// A member refuses to start, with one line naming the setting and the file, when its TLS files
// would only fail later at a handshake: a missing file, a key that does not match its
// certificate, a certificate expired or not yet valid, one the given CA did not sign; and when
// a TLS setting itself is wrong: an unknown cipher suite, TLS 1.0 or 1.1, a certificate without
// its key. Exit code 2: restarting will not help until the configuration is fixed.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { TestCertificates, type CertificateFiles } from '../support/test-certificates.js';
import { freePort, ServerProcess, temporaryDirectory } from './cluster-harness.js';

const DAY_MS = 86_400_000;
const started: ServerProcess[] = [];
let root: string;
let certificates: TestCertificates;
let server: CertificateFiles;
let other: TestCertificates;

beforeAll(async () => {
  root = await temporaryDirectory('tls-refusals');
  certificates = await TestCertificates.create(root);
  other = await TestCertificates.create(root, 'other-ca');
  server = await certificates.issue('server');
});

afterAll(async () => {
  await Promise.all(started.map((member) => member.kill()));
});

/** Starts a one-member server with `args` and resolves with its exit code and what it said. */
async function refusal(args: readonly string[]): Promise<{ code: number | null; log: string }> {
  const member = new ServerProcess('n1', { http: await freePort(), raft: await freePort(), grpc: await freePort() }, join(root, `data-${started.length}`), args);
  started.push(member);
  member.start();
  const { code } = await member.exited(30_000);
  return { code, log: member.log };
}

const clientTlsArgs = (cert: string, key: string, ca = certificates.caFile): string[] => ['--cert-file', cert, '--key-file', key, '--trusted-ca-file', ca, '--client-cert-auth'];

describe('a member with unusable TLS files', () => {
  it('names each file and setting at fault, on one line, and exits with 2', async () => {
    const expired = await certificates.issue('expired', { notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
    const future = await certificates.issue('future', { notBefore: new Date(Date.now() + DAY_MS), notAfter: new Date(Date.now() + 10 * DAY_MS) });
    const stranger = await other.issue('stranger');
    const missing = join(root, 'missing.crt');
    const cases: Array<[readonly string[], RegExp]> = [
      [clientTlsArgs(missing, server.keyFile), new RegExp(`cert-file ${missing} cannot be read: ENOENT`)],
      [clientTlsArgs(server.certFile, stranger.keyFile), new RegExp(`key-file ${stranger.keyFile} does not match cert-file ${server.certFile}`)],
      [clientTlsArgs(expired.certFile, expired.keyFile), new RegExp(`cert-file ${expired.certFile} expired on `)],
      [clientTlsArgs(future.certFile, future.keyFile), new RegExp(`cert-file ${future.certFile} is not valid until `)],
      [clientTlsArgs(stranger.certFile, stranger.keyFile), new RegExp(`cert-file ${stranger.certFile} is not signed by trusted-ca-file ${certificates.caFile}`)],
      [['--peer-cert-file', server.certFile, '--peer-key-file', server.certFile], new RegExp(`peer-key-file ${server.certFile} is not a PEM private key`)],
      [['--peer-cert-file', stranger.certFile, '--peer-key-file', stranger.keyFile, '--peer-trusted-ca-file', certificates.caFile], /peer-cert-file .* is not signed by peer-trusted-ca-file/],
    ];
    const results = await Promise.all(cases.map(([args]) => refusal(args)));
    results.forEach((result, index) => {
      const [, expected] = cases[index] as [readonly string[], RegExp];
      expect(result.code, result.log).toBe(EXIT_CODES.usage);
      const lines = result.log.split('\n').filter((line) => line.startsWith('bvault server:'));
      expect(lines, result.log).toHaveLength(1);
      expect(lines[0]).toMatch(/^bvault server: n1 cannot start: /);
      expect(lines[0]).toMatch(expected);
    });
  });

  it('refuses an unknown cipher suite, TLS 1.0 and 1.1, and a certificate without its key', async () => {
    const results = await Promise.all([
      refusal([...clientTlsArgs(server.certFile, server.keyFile), '--cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA257']),
      refusal([...clientTlsArgs(server.certFile, server.keyFile), '--tls-min-version', 'TLS1.0']),
      refusal([...clientTlsArgs(server.certFile, server.keyFile), '--tls-min-version', 'TLS1.1']),
      refusal(['--cert-file', server.certFile, '--client-cert-auth']),
    ]);
    for (const result of results) expect(result.code, result.log).toBe(EXIT_CODES.usage);
    expect(results[0]!.log).toMatch(/cipher-suites: unknown cipher suite "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA257" \(did you mean TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\?\)/);
    expect(results[1]!.log).toMatch(/tls-min-version \(from --tls-min-version\) must be one of TLS1\.2, TLS1\.3, got "TLS1\.0"/);
    expect(results[2]!.log).toMatch(/tls-min-version \(from --tls-min-version\) must be one of TLS1\.2, TLS1\.3, got "TLS1\.1"/);
    expect(results[3]!.log).toMatch(/cert-file and key-file are both needed for TLS on the client \(REST and gRPC\) port; key-file is not set/);
    expect(results[3]!.log).toMatch(/client-cert-auth needs trusted-ca-file/);
  });
});
