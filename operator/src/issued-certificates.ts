// The certificates of an endpoint whose spec names a cert-manager issuer (tls.client.issuerRef,
// tls.peer.issuerRef). The operator keeps one cert-manager Certificate per such endpoint,
// <cluster>-<endpoint>-tls, valid for every name a member is dialled by and for both server and
// client authentication (peers use mutual TLS); cert-manager signs it, writes it to the Secret of
// the same name and renews it. The members read the Secret's files again every second, so a
// renewal reaches them without a restart, as with the operator's own CA.
//
// The members trust the Secret's ca.crt: the issuing CA, as cert-manager's CA and Vault issuers
// write it. When the issuer's CA itself changes, that bundle changes at once rather than with the
// overlap the operator's CA rotation gives; a team that rotates its issuer's CA distributes the
// new one first (with trust-manager, say) or uses tls.*.operatorCA.

import { ApiException, PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { clusterLabels, FIELD_MANAGER, isIpAddress, memberHosts, ownerReferenceTo, type IssuerRef, type KVCluster } from './kvcluster.js';

export type TlsEndpoint = 'client' | 'peer';

const CERT_MANAGER_API = 'cert-manager.io/v1';

/** The name of both the Certificate and the Secret cert-manager writes it to. */
export function issuedSecretName(cluster: KVCluster, endpoint: TlsEndpoint): string {
  return `${cluster.metadata.name}-${endpoint}-tls`;
}

interface CertificateObject extends KubernetesObject {
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string; readonly message?: string }[] };
}

function certificateOf(cluster: KVCluster, endpoint: TlsEndpoint, issuerRef: IssuerRef): KubernetesObject {
  const hosts = memberHosts(cluster);
  const name = issuedSecretName(cluster, endpoint);
  return {
    apiVersion: CERT_MANAGER_API,
    kind: 'Certificate',
    metadata: { name, namespace: cluster.metadata.namespace, labels: clusterLabels(cluster), ownerReferences: [ownerReferenceTo(cluster)] },
    spec: {
      secretName: name,
      secretTemplate: { labels: clusterLabels(cluster) },
      commonName: cluster.metadata.name,
      dnsNames: hosts.filter((host) => !isIpAddress(host)),
      ipAddresses: hosts.filter(isIpAddress),
      usages: ['server auth', 'client auth', 'digital signature', 'key encipherment'],
      // A renewal gets a new key, so a key that leaked stops working at the next renewal.
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: issuerRef.name, kind: issuerRef.kind ?? 'Issuer', group: issuerRef.group ?? 'cert-manager.io' },
    },
  } as KubernetesObject;
}

/** The endpoints whose certificates come from a cert-manager issuer, with the issuer of each. */
function issuedEndpoints(cluster: KVCluster): [TlsEndpoint, IssuerRef][] {
  const endpoints: [TlsEndpoint, IssuerRef | undefined][] = [['client', cluster.spec.tls?.client?.issuerRef], ['peer', cluster.spec.tls?.peer?.issuerRef]];
  return endpoints.filter((entry): entry is [TlsEndpoint, IssuerRef] => entry[1] !== undefined);
}

/**
 * Applies the Certificate of every endpoint that names an issuer. Resolves with why the members
 * cannot start yet (a Certificate cert-manager has not issued), or undefined once every one is.
 */
export async function keepIssuedCertificates(objects: KubernetesObjectApi, cluster: KVCluster, isIssued: (secretName: string) => Promise<boolean>): Promise<string | undefined> {
  for (const [endpoint, issuerRef] of issuedEndpoints(cluster)) {
    const certificate = certificateOf(cluster, endpoint, issuerRef);
    let applied: CertificateObject;
    try {
      applied = await objects.patch(certificate, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply) as CertificateObject;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        throw new Error(`tls.${endpoint}.issuerRef: this Kubernetes cluster has no cert-manager Certificate API (${CERT_MANAGER_API}); install cert-manager or use operatorCA or secretName`);
      }
      throw error;
    }
    const name = issuedSecretName(cluster, endpoint);
    if (!await isIssued(name)) {
      const ready = applied.status?.conditions?.find((condition) => condition.type === 'Ready');
      return `waiting for cert-manager to issue Certificate ${name} (${issuerRef.kind ?? 'Issuer'} ${issuerRef.name})${ready?.message === undefined ? '' : `: ${ready.message}`}`;
    }
  }
  return undefined;
}
