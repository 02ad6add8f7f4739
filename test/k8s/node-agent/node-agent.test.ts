// The node agent against the real control plane: what a pod is given (environment, volumes, a
// ServiceAccount token the API server accepts), probes driving readiness and restarts, graceful
// deletion, restart policies, `kubectl logs`, and nothing left on the host after the bed stops.

import type { V1Pod } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../cluster/cluster-harness.js';
import { startBed, type Bed } from '../bed/bed.js';
import { isAlive } from '../bed/processes.js';

const NAMESPACE = 'agent-test';
let bed: Bed | undefined;
let hostDirectory: string;

beforeAll(async () => {
  bed = await startBed({ nodes: 1 });
  hostDirectory = await mkdtemp(join(tmpdir(), 'bvault-agent-test-'));
  await bed.kubectl(['create', 'namespace', NAMESPACE]);
}, 240_000);

afterAll(async () => {
  await bed?.stop();
  await rm(hostDirectory, { recursive: true, force: true });
}, 120_000);

function theBed(): Bed {
  if (bed === undefined) throw new Error('the bed is not running');
  return bed;
}

async function apply(manifest: string): Promise<void> {
  await theBed().kubectl(['apply', '--namespace', NAMESPACE, '-f', '-'], manifest);
}

async function pod(name: string): Promise<V1Pod> {
  return theBed().core().readNamespacedPod({ name, namespace: NAMESPACE });
}

async function logsOf(name: string, ...flags: string[]): Promise<string> {
  return theBed().kubectl(['logs', '--namespace', NAMESPACE, name, ...flags]);
}

function shellPod(name: string, script: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  terminationGracePeriodSeconds: 5
${extra}
  containers:
    - name: main
      image: host-shell
      command: [sh, -c, ${JSON.stringify(script)}]
`;
}

describe('the node agent', () => {
  it('gives a container its environment, volumes and a ServiceAccount token the API server accepts', async () => {
    await apply(`apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { greeting: hello, colour: blue }
---
apiVersion: v1
kind: Secret
metadata: { name: credentials }
stringData: { password: s3cret }
---
apiVersion: v1
kind: Pod
metadata: { name: env-and-volumes, labels: { tier: test } }
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: host-shell
      command: [sh, -c]
      args:
        - |
          echo "GREETING=$GREETING PASSWORD=$PASSWORD CFG_colour=$CFG_colour POD=$POD_NAME IP=$POD_IP TIER=$TIER DERIVED=$DERIVED HOST=$(hostname)"
          curl -s --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt -H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)/secrets
          echo
          while true; do echo "file=$(cat /etc/bed-test/greeting)"; sleep 1; done
      env:
        - { name: GREETING, valueFrom: { configMapKeyRef: { name: settings, key: greeting } } }
        - { name: PASSWORD, valueFrom: { secretKeyRef: { name: credentials, key: password } } }
        - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
        - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
        - { name: TIER, valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }
        - { name: DERIVED, value: "$(POD_NAME)-x-$$(NOT_EXPANDED)" }
      envFrom:
        - { prefix: CFG_, configMapRef: { name: settings } }
      volumeMounts:
        - { name: config, mountPath: /etc/bed-test }
  volumes:
    - { name: config, configMap: { name: settings } }
`);
    const first = await waitFor('the pod\'s first output', 60_000, async () => {
      const output = await logsOf('env-and-volumes').catch(() => '');
      return output.includes('file=hello') ? output : undefined;
    });
    const address = (await pod('env-and-volumes')).status?.podIP ?? '';
    expect(address).toMatch(/^10\.\d+\.1\.\d+$/);
    expect(first).toContain(`GREETING=hello PASSWORD=s3cret CFG_colour=blue POD=env-and-volumes IP=${address} TIER=test DERIVED=env-and-volumes-x-$(NOT_EXPANDED) HOST=env-and-volumes`);
    // Authenticated as the pod's ServiceAccount over the cluster CA, and refused only for want of a role.
    expect(first).toContain('system:serviceaccount:agent-test:default');
    expect(first).toContain('"code": 403');

    await theBed().kubectl(['patch', 'configmap', 'settings', '--namespace', NAMESPACE, '--type=merge', '-p', '{"data":{"greeting":"updated"}}']);
    await waitFor('the updated ConfigMap in the running pod', 30_000, async () => ((await logsOf('env-and-volumes', '--tail=1')).includes('file=updated') ? true : undefined));
  }, 120_000);

  it('reports a missing Secret as the container\'s waiting reason, and starts once it exists', async () => {
    await apply(shellPod('needs-secret', 'echo "token=$TOKEN"; sleep 3600').replace('      command:', '      env: [{ name: TOKEN, valueFrom: { secretKeyRef: { name: later, key: token } } }]\n      command:'));
    await waitFor('CreateContainerConfigError', 30_000, async () => ((await pod('needs-secret')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' ? true : undefined));
    await theBed().kubectl(['create', 'secret', 'generic', 'later', '--namespace', NAMESPACE, '--from-literal=token=abc']);
    await waitFor('the container to start with the Secret', 30_000, async () => ((await logsOf('needs-secret').catch(() => '')).includes('token=abc') ? true : undefined));
  }, 90_000);

  it('drives readiness from its probe and restarts a container whose liveness probe fails', async () => {
    await apply(shellPod('probed', 'sleep 3; touch /probe/ready; sleep 3600', `  volumes: [{ name: probe, emptyDir: {} }]`)
      .replace('      command:', `      volumeMounts: [{ name: probe, mountPath: /probe }]
      readinessProbe: { exec: { command: [test, -f, /probe/ready] }, periodSeconds: 1 }
      command:`));
    await apply(shellPod('unhealthy', 'echo started; sleep 3600').replace('      command:', `      livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 2 }
      command:`));
    expect((await pod('probed')).status?.conditions?.find((condition) => condition.type === 'Ready')?.status).not.toBe('True');
    await waitFor('the probed pod to be Ready', 60_000, async () => ((await pod('probed')).status?.conditions?.find((condition) => condition.type === 'Ready')?.status === 'True' ? true : undefined));
    await waitFor('a liveness restart', 60_000, async () => (((await pod('unhealthy')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined));
    expect(await logsOf('unhealthy', '--previous')).toContain('started');
  }, 120_000);

  it('ends pods that run to completion as Succeeded or Failed under restartPolicy Never', async () => {
    await apply(shellPod('succeeds', 'exit 0', '  restartPolicy: Never'));
    await apply(shellPod('fails', 'echo failing; exit 3', '  restartPolicy: Never'));
    await waitFor('both phases', 60_000, async () => ((await pod('succeeds')).status?.phase === 'Succeeded' && (await pod('fails')).status?.phase === 'Failed' ? true : undefined));
    expect((await pod('fails')).status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    expect(await logsOf('fails')).toContain('failing');
  }, 90_000);

  it('stops a deleted pod with SIGTERM, waits the grace period, then SIGKILLs what ignores it', async () => {
    const volume = `  volumes: [{ name: out, hostPath: { path: ${hostDirectory}, type: Directory } }]`;
    await apply(shellPod('graceful', 'trap "echo got-term >> /out/graceful; sleep 1; echo bye >> /out/graceful; exit 0" TERM; echo running >> /out/graceful; while true; do sleep 0.2; done', volume)
      .replace('      command:', '      volumeMounts: [{ name: out, mountPath: /out }]\n      command:'));
    await apply(shellPod('stubborn', 'trap "echo ignored >> /out/stubborn" TERM; echo running >> /out/stubborn; while true; do sleep 0.2; done', volume)
      .replace('terminationGracePeriodSeconds: 5', 'terminationGracePeriodSeconds: 2')
      .replace('      command:', '      volumeMounts: [{ name: out, mountPath: /out }]\n      command:'));
    await waitFor('both pods running', 60_000, async () => {
      const contents = await Promise.all(['graceful', 'stubborn'].map((name) => readFile(join(hostDirectory, name), 'utf8').catch(() => '')));
      return contents.every((text) => text.includes('running')) ? true : undefined;
    });
    const pids = await Promise.all(['graceful', 'stubborn'].map(async (name) => Number((await pod(name)).status?.containerStatuses?.[0]?.containerID?.replace('bvault://', ''))));
    const started = Date.now();
    await theBed().kubectl(['delete', 'pod', '--namespace', NAMESPACE, 'graceful', 'stubborn', '--wait=true']);
    const took = Date.now() - started;
    expect(await readFile(join(hostDirectory, 'graceful'), 'utf8')).toBe('running\ngot-term\nbye\n');
    expect(await readFile(join(hostDirectory, 'stubborn'), 'utf8')).toContain('ignored');
    expect(took).toBeGreaterThanOrEqual(2_000);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 120_000);

  it('leaves no process, namespace, interface or bridge behind once the bed stops', async () => {
    const running = theBed();
    const { network } = running;
    const registry = join(running.directory, 'pids');
    const pids = execFileSync('ls', [registry]).toString().split('\n').filter((entry) => /^\d+$/.test(entry)).map(Number);
    expect(pids.length).toBeGreaterThan(0);
    bed = undefined;
    await running.stop();
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(`${network.namePrefix}-`);
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toMatch(new RegExp(`\\b${network.namePrefix}p?\\d*[:@]`));
  }, 120_000);
});
