// A three-member Beaver-Vault cluster as the store of a test bed's API server: its members'
// gRPC addresses go into kube-apiserver's --etcd-servers, plaintext or, as real clusters run
// it, over TLS with a client certificate that the members require.

import { TestCluster, temporaryDirectory } from '../../cluster/cluster-harness.js';
import type { ExternalStorage } from './control-plane.js';
import { TestCertificates, tlsServerArgs } from '../../support/test-certificates.js';

export interface StoreCluster {
  readonly cluster: TestCluster;
  readonly storage: ExternalStorage;
}

export async function startStoreCluster(options: { readonly tls: boolean }): Promise<StoreCluster> {
  if (!options.tls) {
    const cluster = await TestCluster.start({ size: 3, prefix: 'k8s-store' });
    return { cluster, storage: { servers: cluster.members.map((member) => `http://${member.grpcAddress}`) } };
  }
  const certificates = await TestCertificates.create(await temporaryDirectory('k8s-store-pki'));
  const server = await certificates.issue('member');
  const peer = await certificates.issue('peer');
  const apiServer = await certificates.issue('kube-apiserver-etcd-client');
  const clientTls = await certificates.clientMaterial(apiServer);
  const cluster = await TestCluster.start({
    size: 3,
    prefix: 'k8s-store-tls',
    extraArgs: tlsServerArgs(certificates.caFile, server, peer),
    memberOptions: () => ({ clientTls }),
  });
  return {
    cluster,
    storage: {
      servers: cluster.members.map((member) => `https://${member.grpcAddress}`),
      tls: { caFile: certificates.caFile, certFile: apiServer.certFile, keyFile: apiServer.keyFile },
    },
  };
}
