// The pod fields a container may read through fieldRef and resourceFieldRef (env and the
// downward API), with the kubelet's formats.

import type { V1Container, V1Pod } from '@kubernetes/client-node';

export function fieldValueOf(pod: V1Pod, fieldPath: string): string {
  const metadata = pod.metadata ?? {};
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation !== null) {
    const map = labelOrAnnotation[1] === 'labels' ? metadata.labels : metadata.annotations;
    return map?.[labelOrAnnotation[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return metadata.name ?? '';
    case 'metadata.namespace': return metadata.namespace ?? '';
    case 'metadata.uid': return metadata.uid ?? '';
    case 'metadata.labels': return formatMap(metadata.labels);
    case 'metadata.annotations': return formatMap(metadata.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((entry) => entry.ip).join(',');
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((entry) => entry.ip).join(',');
    default: throw new Error(`fieldRef ${fieldPath} is not supported`);
  }
}

/** limits.cpu and friends, in units of the divisor (default 1), rounded up as the kubelet does. */
export function resourceValueOf(container: V1Container, resource: string, divisor: string | undefined): string {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const quantity = container.resources?.[kind]?.[name];
  // Without a limit the kubelet reports the node's allocatable amount; the bed's node has 8 CPUs and 16 GiB.
  const value = quantity === undefined ? (name === 'cpu' ? 8 : 16 * 2 ** 30) : quantityValue(quantity);
  return String(Math.ceil(value / quantityValue(divisor ?? '1')));
}

function quantityValue(quantity: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(quantity);
  if (match === null) throw new Error(`bad quantity ${quantity}`);
  const units: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  const unit = units[match[2] ?? ''];
  if (unit === undefined) throw new Error(`bad quantity unit in ${quantity}`);
  return Number(match[1]) * unit;
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}="${value}"`).join('\n');
}
