// The names a pod resolves, in place of cluster DNS: each pod's /etc/hosts lists its own name
// and, from the EndpointSlices of headless Services, every endpoint with a hostname as
// <hostname>.<service>.<namespace>.svc[.<domain>] (and <hostname>.<service> within its own
// namespace), and each Service name with its endpoints' addresses. Endpoints that are not
// ready are left out, as CoreDNS leaves them out; a Service with publishNotReadyAddresses has
// them marked ready by the EndpointSlice controller.

import type { V1EndpointSlice, V1Pod } from '@kubernetes/client-node';

interface Record {
  readonly address: string;
  readonly namespace: string;
  readonly service: string;
  readonly hostname?: string;
}

export class DnsRecords {
  private readonly slices = new Map<string, Record[]>();

  constructor(private readonly clusterDomain: string) {}

  /** Takes a slice's endpoints (or drops them, when deleted); returns whether the records changed. */
  update(slice: V1EndpointSlice, deleted: boolean): boolean {
    const key = `${slice.metadata?.namespace}/${slice.metadata?.name}`;
    const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
    const records: Record[] = deleted || service === undefined ? [] : (slice.endpoints ?? []).flatMap((endpoint) => {
      if (endpoint.conditions?.ready === false) return [];
      return endpoint.addresses.map((address) => ({ address, namespace: slice.metadata?.namespace ?? 'default', service, hostname: endpoint.hostname }));
    });
    const before = JSON.stringify(this.slices.get(key) ?? []);
    if (records.length === 0) this.slices.delete(key);
    else this.slices.set(key, records);
    return before !== JSON.stringify(records);
  }

  hostsFileOf(pod: V1Pod, address: string): string {
    const namespace = pod.metadata?.namespace ?? 'default';
    const hostname = pod.spec?.hostname ?? pod.metadata?.name ?? '';
    const subdomain = pod.spec?.subdomain;
    const own = subdomain === undefined ? [hostname] : [...this.namesOf(hostname, subdomain, namespace, namespace), hostname];
    const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${address}\t${own.join(' ')}`];
    for (const records of this.slices.values()) {
      for (const record of records) {
        if (record.hostname !== undefined) lines.push(`${record.address}\t${this.namesOf(record.hostname, record.service, record.namespace, namespace).join(' ')}`);
        const service = [`${record.service}.${record.namespace}.svc.${this.clusterDomain}`, `${record.service}.${record.namespace}.svc`];
        if (record.namespace === namespace) service.push(record.service);
        lines.push(`${record.address}\t${service.join(' ')}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private namesOf(hostname: string, service: string, namespace: string, viewerNamespace: string): string[] {
    const names = [`${hostname}.${service}.${namespace}.svc.${this.clusterDomain}`, `${hostname}.${service}.${namespace}.svc`, `${hostname}.${service}.${namespace}`];
    if (namespace === viewerNamespace) names.push(`${hostname}.${service}`);
    return names;
  }
}

/** No DNS server: lookups that the hosts file cannot answer fail at once on the pod's own loopback. */
export function resolvConfOf(pod: V1Pod, clusterDomain: string): string {
  const namespace = pod.metadata?.namespace ?? 'default';
  return `search ${namespace}.svc.${clusterDomain} svc.${clusterDomain} ${clusterDomain}\nnameserver 127.0.0.1\noptions ndots:5 attempts:1 timeout:1\n`;
}
