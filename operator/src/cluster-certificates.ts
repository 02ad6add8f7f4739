// The certificates of a cluster whose spec asks for the operator's CA (tls.client.operatorCA,
// tls.peer.operatorCA). Two Secrets per cluster:
//   <cluster>-ca   the CA: ca.crt and ca.key; during a rotation also next.crt/next.key (trusted,
//                  not yet signing) or previous.crt (retired, still trusted)
//   <cluster>-tls  what the members mount: tls.crt and tls.key (one certificate for every
//                  member, serverAuth and clientAuth, valid for every member's DNS name) and
//                  ca.crt, the bundle of every CA trusted at the moment
// Each pass moves them at most one step, and only ever writes the CA Secret before the one it
// derives, so an operator that dies between the two writes finds the second one out of date and
// writes it again:
// - the member certificate is renewed at two thirds of its lifetime, or when another CA signs now;
// - the CA is rotated at two thirds of its lifetime, with an overlap: first the new CA is added
//   to the trusted bundle; once every member has had time to load it, it starts signing (the
//   member certificate is renewed, the old CA kept in the bundle); once every member has loaded
//   the new certificate, the old CA leaves the bundle. Members re-read their files every second,
//   so no member restarts and no handshake fails on the way.

import { ApiException, type CoreV1Api, type KubernetesObjectApi, type V1Secret } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { authorityFromPem, authorityToPem, createAuthority, issueCertificate } from '../../src/tls/certificate-authority.js';
import { issuedSecretName, keepIssuedCertificates, type TlsEndpoint } from './issued-certificates.js';
import { ANNOTATIONS, clusterLabels, isIpAddress, memberHosts, ownerReferenceTo, type KVCluster } from './kvcluster.js';

export interface CertificateLifetimes {
  readonly caMs: number;
  readonly certificateMs: number;
  /** How long a change to the trusted bundle or the certificate is given to reach every member. */
  readonly overlapMs: number;
}

/** What the operator needs to call the members over TLS. */
export interface ClusterTrust {
  readonly caBundlePem: string;
}

/**
 * The client port's trust, when the certificates next need a pass (a renewal or the next step of
 * a rotation), and why the members cannot start yet (a certificate an issuer has not signed).
 */
export interface CertificateCheck {
  readonly trust?: ClusterTrust;
  readonly nextCheckAtMs?: number;
  readonly pending?: string;
}

/** The Secrets each endpoint's certificates come from; undefined for an endpoint without TLS. */
export interface TlsSecrets {
  readonly client?: string;
  readonly peer?: string;
}

export function tlsSecretsOf(cluster: KVCluster): TlsSecrets {
  const secretOf = (endpoint: TlsEndpoint): string | undefined => {
    const source = cluster.spec.tls?.[endpoint];
    if (source === undefined) return undefined;
    if (source.issuerRef !== undefined) return issuedSecretName(cluster, endpoint);
    return source.operatorCA === true ? tlsSecretName(cluster) : source.secretName;
  };
  const client = secretOf('client');
  const peer = secretOf('peer');
  return { ...(client === undefined ? {} : { client }), ...(peer === undefined ? {} : { peer }) };
}

/**
 * Keeps the operator's certificates and the cert-manager Certificates the spec asks for, and
 * returns the CA bundle the members' client port is to be trusted with (undefined without TLS there).
 */
export async function checkCertificates(core: CoreV1Api, objects: KubernetesObjectApi, cluster: KVCluster, lifetimes: CertificateLifetimes, nowMs: number): Promise<CertificateCheck> {
  const secrets = tlsSecretsOf(cluster);
  const isIssued = async (name: string) => {
    const secret = await readSecret(core, cluster.metadata.namespace, name);
    return ['tls.crt', 'tls.key', 'ca.crt'].every((key) => text(secret, key) !== undefined);
  };
  const pending = await keepIssuedCertificates(objects, cluster, isIssued);
  if (pending !== undefined) return { pending };
  const kept = usesOperatorCA(cluster) ? await keepCertificates(core, cluster, lifetimes, nowMs) : undefined;
  const nextCheck = kept === undefined ? {} : { nextCheckAtMs: kept.nextCheckAtMs };
  if (secrets.client === undefined) return nextCheck;
  if (secrets.client === tlsSecretName(cluster) && kept !== undefined) return { trust: kept.trust, ...nextCheck };
  const caBundlePem = text(await readSecret(core, cluster.metadata.namespace, secrets.client), 'ca.crt');
  if (caBundlePem === undefined) throw new Error(`tls.client.secretName: Secret ${secrets.client} has no ca.crt to trust the members by`);
  return { trust: { caBundlePem }, ...nextCheck };
}

const RENEW_AT_FRACTION = 2 / 3;

export function caSecretName(cluster: KVCluster): string {
  return `${cluster.metadata.name}-ca`;
}

export function tlsSecretName(cluster: KVCluster): string {
  return `${cluster.metadata.name}-tls`;
}

function usesOperatorCA(cluster: KVCluster): boolean {
  return cluster.spec.tls?.client?.operatorCA === true || cluster.spec.tls?.peer?.operatorCA === true;
}

interface KeptCA {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

interface CAState {
  readonly current: KeptCA;
  readonly next?: KeptCA;
  readonly previousPem?: string;
  /** When the trusted bundle or the signing CA last changed. */
  readonly changedAtMs: number;
}

/** Moves the cluster's certificates one step if they need it; returns the CA bundle to trust now and when to look again. */
async function keepCertificates(core: CoreV1Api, cluster: KVCluster, lifetimes: CertificateLifetimes, nowMs: number): Promise<{ trust: ClusterTrust; nextCheckAtMs: number }> {
  const namespace = cluster.metadata.namespace;
  const caSecret = await readSecret(core, namespace, caSecretName(cluster));
  const before = caSecret === undefined ? undefined : caStateOf(caSecret);
  const state = await nextCAState(cluster, before, lifetimes, nowMs);
  if (state !== before) await writeSecret(core, caSecret, caSecretOf(cluster, state));

  const bundle = [state.previousPem, state.current.certificatePem, state.next?.certificatePem].filter((pem): pem is string => pem !== undefined).map((pem) => `${pem.trim()}\n`).join('');
  const tlsSecret = await readSecret(core, namespace, tlsSecretName(cluster));
  const hosts = memberHosts(cluster);
  const certificatePem = text(tlsSecret, 'tls.crt');
  // A certificate the current CA signed, not yet due and valid for every name is kept; only the bundle beside it may change.
  const stillGood = certificatePem !== undefined && signedBy(certificatePem, state.current.certificatePem) && !dueForRenewal(certificatePem, nowMs) && coversHosts(certificatePem, hosts);
  let servedPem = certificatePem;
  if (!stillGood || text(tlsSecret, 'ca.crt') !== bundle) {
    const authority = await authorityFromPem(state.current.certificatePem, state.current.privateKeyPem);
    const caNotAfter = new Date(new X509Certificate(state.current.certificatePem).validTo).getTime();
    const issued = stillGood
      ? { certificatePem, privateKeyPem: text(tlsSecret, 'tls.key') ?? '' }
      : await issueCertificate(authority, { commonName: cluster.metadata.name, hosts, notBefore: new Date(nowMs - backdateMs(lifetimes.certificateMs)), notAfter: new Date(Math.min(nowMs + lifetimes.certificateMs, caNotAfter)) });
    await writeSecret(core, tlsSecret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: tlsSecretName(cluster), namespace, labels: clusterLabels(cluster), ownerReferences: [ownerReferenceTo(cluster)] },
      data: { 'tls.crt': base64(issued.certificatePem), 'tls.key': base64(issued.privateKeyPem), 'ca.crt': base64(bundle) },
    });
    servedPem = issued.certificatePem;
  }
  const rotating = state.next !== undefined || state.previousPem !== undefined;
  const nextCheckAtMs = Math.min(renewalAtMs(servedPem ?? state.current.certificatePem), rotating ? state.changedAtMs + lifetimes.overlapMs : renewalAtMs(state.current.certificatePem));
  return { trust: { caBundlePem: bundle }, nextCheckAtMs };
}

/** The CA state after this pass: the same object when nothing changes. */
async function nextCAState(cluster: KVCluster, state: CAState | undefined, lifetimes: CertificateLifetimes, nowMs: number): Promise<CAState> {
  // Named with its birth, so that the CAs of a rotation tell apart in any tool that shows a certificate's issuer.
  const newCA = async (): Promise<KeptCA> => authorityToPem(await createAuthority(`${cluster.metadata.namespace}/${cluster.metadata.name} CA ${new Date(nowMs).toISOString()}`, { notBefore: new Date(nowMs - backdateMs(lifetimes.caMs)), notAfter: new Date(nowMs + lifetimes.caMs) }));
  if (state === undefined) return { current: await newCA(), changedAtMs: nowMs };
  const settled = nowMs - state.changedAtMs >= lifetimes.overlapMs;
  if (state.next !== undefined) return settled ? { current: state.next, previousPem: state.current.certificatePem, changedAtMs: nowMs } : state;
  if (state.previousPem !== undefined) return settled ? { current: state.current, changedAtMs: nowMs } : state;
  if (dueForRenewal(state.current.certificatePem, nowMs)) return { current: state.current, next: await newCA(), changedAtMs: nowMs };
  return state;
}

function caStateOf(secret: V1Secret): CAState | undefined {
  const certificatePem = text(secret, 'ca.crt');
  const privateKeyPem = text(secret, 'ca.key');
  if (certificatePem === undefined || privateKeyPem === undefined) return undefined;
  const nextCertificate = text(secret, 'next.crt');
  const nextKey = text(secret, 'next.key');
  const previousPem = text(secret, 'previous.crt');
  return {
    current: { certificatePem, privateKeyPem },
    ...(nextCertificate === undefined || nextKey === undefined ? {} : { next: { certificatePem: nextCertificate, privateKeyPem: nextKey } }),
    ...(previousPem === undefined ? {} : { previousPem }),
    changedAtMs: Date.parse(secret.metadata?.annotations?.[ANNOTATIONS.trustChangedAt] ?? '') || 0,
  };
}

function caSecretOf(cluster: KVCluster, state: CAState): V1Secret {
  const data: Record<string, string> = { 'ca.crt': base64(state.current.certificatePem), 'ca.key': base64(state.current.privateKeyPem) };
  if (state.next !== undefined) Object.assign(data, { 'next.crt': base64(state.next.certificatePem), 'next.key': base64(state.next.privateKeyPem) });
  if (state.previousPem !== undefined) data['previous.crt'] = base64(state.previousPem);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: caSecretName(cluster),
      namespace: cluster.metadata.namespace,
      labels: clusterLabels(cluster),
      annotations: { [ANNOTATIONS.trustChangedAt]: new Date(state.changedAtMs).toISOString() },
      ownerReferences: [ownerReferenceTo(cluster)],
    },
    data,
  };
}

/** Valid from a little before now, for members whose clocks are behind; a tenth of a short lifetime at most. */
function backdateMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

function dueForRenewal(certificatePem: string, nowMs: number): boolean {
  return nowMs >= renewalAtMs(certificatePem);
}

function renewalAtMs(certificatePem: string): number {
  const certificate = new X509Certificate(certificatePem);
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  return from + (to - from) * RENEW_AT_FRACTION;
}

function signedBy(certificatePem: string, caPem: string): boolean {
  const authority = new X509Certificate(caPem);
  const certificate = new X509Certificate(certificatePem);
  return certificate.checkIssued(authority) && certificate.verify(authority.publicKey);
}

function coversHosts(certificatePem: string, hosts: readonly string[]): boolean {
  const names = new X509Certificate(certificatePem).subjectAltName ?? '';
  return hosts.every((host) => names.includes(isIpAddress(host) ? `IP Address:${host}` : `DNS:${host}`));
}

async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

/** Creates the Secret, or replaces the one read (its resourceVersion makes a concurrent change fail). */
async function writeSecret(core: CoreV1Api, existing: V1Secret | undefined, desired: V1Secret): Promise<void> {
  const namespace = desired.metadata?.namespace ?? '';
  if (existing === undefined) {
    await core.createNamespacedSecret({ namespace, body: desired });
    return;
  }
  await core.replaceNamespacedSecret({ namespace, name: desired.metadata?.name ?? '', body: { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
}

function text(secret: V1Secret | undefined, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function base64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}
