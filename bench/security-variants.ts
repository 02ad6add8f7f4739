// The security features `bench:cluster --compare-with` measures against the plain server. Each
// variant is set up in one place, both sides of it: the flags every member gets, what the
// harness needs to reach members that serve HTTPS, the `bvault bench` flags a client needs to
// be let in, and any step once the cluster is up (auth is switched on through etcd's Auth
// service, as an operator would with etcdctl). `tracing` is measured the same way, though it is
// no security feature: every put traced and exported over OTLP to a receiver in this process.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { AuthCalls } from '../src/client/auth-calls.js';
import { serverTlsArgs, writeDevCertificates } from '../src/cli/dev-certificates.js';
import { Permission_Type } from '../src/generated/etcd/authpb/auth.js';
import type { ServerProcess, ServerProcessOptions } from '../test/cluster/cluster-harness.js';

export const SECURITY_VARIANT_NAMES = ['tls', 'auth', 'encryption', 'tracing'] as const;
export type SecurityVariantName = (typeof SECURITY_VARIANT_NAMES)[number];

export interface SecurityVariant {
  readonly name: SecurityVariantName;
  readonly serverArgs: readonly string[];
  readonly memberOptions?: ServerProcessOptions;
  /** `bvault bench` flags that let the load in. */
  readonly benchArgs: readonly string[];
  /** Runs once, when the cluster has a leader and before any load. */
  readonly afterStart?: (leader: ServerProcess) => Promise<void>;
  /** Stops what the variant runs in this process, after its cluster. */
  readonly stop?: () => Promise<void>;
}

const BENCH_USER = { name: 'bench', password: randomBytes(12).toString('hex') };
/** `bvault bench` keys are zero-padded decimal numbers, so ['0', ':') holds every one of them. */
const BENCH_KEYS = { key: Buffer.from('0'), rangeEnd: Buffer.from(':') };

/** Writes what `name` needs (certificates, a key file) into `directory` and says how to run it. */
export async function setUpVariant(name: SecurityVariantName, directory: string): Promise<SecurityVariant> {
  await mkdir(directory, { recursive: true });
  switch (name) {
    case 'tls': {
      // As `bvault dev --tls`: TLS on the client and peer ports, client-cert-auth, peer mutual TLS.
      const files = await writeDevCertificates(join(directory, 'tls'));
      const clientTls = { ca: await readFile(files.ca), cert: await readFile(files.clientCert), key: await readFile(files.clientKey) };
      return { name, serverArgs: serverTlsArgs(files), memberOptions: { clientTls }, benchArgs: ['--cacert', files.ca, '--cert', files.clientCert, '--key', files.clientKey] };
    }
    case 'auth':
      // A user with a readwrite grant on the keys the load writes, so every put is checked at
      // the API and again at apply, with a simple token the load generator gets once.
      return { name, serverArgs: [], benchArgs: ['--user', `${BENCH_USER.name}:${BENCH_USER.password}`], afterStart: enableAuth };
    case 'encryption': {
      // One 256-bit key: values, WAL payloads and snapshots sealed with AES-256-GCM.
      const keyFile = join(directory, 'encryption-keys');
      await writeFile(keyFile, `bench: ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      return { name, serverArgs: ['--encryption-key-file', keyFile], benchArgs: [] };
    }
    case 'tracing': {
      // Every put sampled (the default sampler, and bvault bench sends no traceparent), its spans
      // batched and exported over OTLP/HTTP with protobuf to a receiver that takes and drops them.
      const receiver = createServer((request, response) => {
        request.resume();
        request.on('end', () => response.writeHead(200).end());
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const environment = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SDK_DISABLED: undefined };
      const stop = (): Promise<void> => new Promise((resolve) => receiver.close(() => resolve()));
      return { name, serverArgs: [], memberOptions: { environment }, benchArgs: [], stop };
    }
  }
}

/** The root user (etcd refuses AuthEnable without it), the bench user and role, then AuthEnable. */
async function enableAuth(leader: ServerProcess): Promise<void> {
  const auth = new AuthCalls(leader.grpcAddress, credentials.createInsecure());
  try {
    await auth.call('userAdd', { name: 'root', password: randomBytes(12).toString('hex'), hashedPassword: '' });
    await auth.call('userGrantRole', { user: 'root', role: 'root' });
    await auth.call('userAdd', { ...BENCH_USER, hashedPassword: '' });
    await auth.call('roleAdd', { name: 'bench' });
    await auth.call('roleGrantPermission', { name: 'bench', perm: { permType: Permission_Type.READWRITE, ...BENCH_KEYS } });
    await auth.call('userGrantRole', { user: BENCH_USER.name, role: 'bench' });
    await auth.call('authEnable', {});
  } finally {
    auth.close();
  }
}
