// The alert rules (observability/prometheus/alerts.yaml) with the real promtool: they pass
// `promtool check rules`, and their unit tests (alerts-test.yaml) show each alert firing when
// its condition has held long enough and not firing on a healthy cluster. Every metric a rule
// reads is one docs/observability.md documents, and every alert has its runbook there.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPOSITORY_ROOT } from '../cluster/cluster-harness.js';
import { promtool } from '../k8s/services/prometheus.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from '../k8s/services/tool-paths.js';

const RULES_DIRECTORY = join(REPOSITORY_ROOT, 'observability', 'prometheus');

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly annotations: { readonly runbook?: string };
}

async function alertRules(): Promise<AlertRule[]> {
  const rules = parse(await readFile(join(RULES_DIRECTORY, 'alerts.yaml'), 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return rules.groups.flatMap((group) => group.rules);
}

beforeAll(async () => {
  await ensureServices();
}, ENSURE_SERVICES_TIMEOUT_MS);

describe('the alert rules', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool(['check', 'rules', 'alerts.yaml'], RULES_DIRECTORY)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests, firing and not firing', async () => {
    expect(await promtool(['test', 'rules', 'alerts-test.yaml'], RULES_DIRECTORY)).toContain('SUCCESS');
  }, 150_000);

  it('read only documented metrics, and each alert has a runbook', async () => {
    const observability = await readFile(join(REPOSITORY_ROOT, 'docs', 'observability.md'), 'utf8');
    const documented = new Set([...observability.matchAll(/`([a-z_]+)(?:\{[^}]*\})?`/g)].map((match) => match[1]!));
    const rules = await alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(12);
    for (const rule of rules) {
      const metrics = [...rule.expr.matchAll(/\b((?:bvault|grpc_server)_[a-z_]+)/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, ''));
      expect(metrics.filter((metric) => !documented.has(metric)), `${rule.alert} reads undocumented metrics`).toEqual([]);
      expect(rule.annotations.runbook, rule.alert).toBe(`docs/observability.md#${rule.alert.toLowerCase()}`);
      expect(observability, `the runbook of ${rule.alert}`).toMatch(new RegExp(`^### ${rule.alert}$`, 'm'));
    }
  });
});
