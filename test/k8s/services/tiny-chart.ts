// A chart of one ConfigMap, written by the Helm tests into their directory: small enough to
// read at a glance, and it shows what Helm rendered with (a value, the release, the Kubernetes
// version Helm assumes) in what it renders.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TINY_CHART_CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: {{ .Values.greeting | quote }}
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
`;

/** Writes the chart into `<parent>/tiny` and returns its directory. */
export function writeTinyChart(parent: string, configMapTemplate = TINY_CHART_CONFIGMAP): string {
  const chart = join(parent, 'tiny');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  // kubeVersion: Helm refuses to render for an older Kubernetes, so its default must be the bed's.
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\ndescription: One ConfigMap, for the test bed.\nversion: 0.1.0\nkubeVersion: ">=1.34.0-0"\n');
  writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\n');
  writeFileSync(join(chart, 'templates', 'configmap.yaml'), configMapTemplate);
  return chart;
}
