// One pod on a node of the bed, from its sandbox to its deletion: the network namespace and
// address, the volumes, the init containers in order, then the containers, each restarted by
// the pod's restartPolicy with back-off, probed, and reported in the pod's status; and on
// deletion, SIGTERM to every container, the grace period, SIGKILL, and the pod object removed.

import type { CoreV1Api, V1Container, V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { PidRegistry, TrackedProcess } from '../bed/processes.js';
import { environmentOf, expand, MissingSourceError } from './container-env.js';
import { launchContainer, type Mount } from './container-process.js';
import { argvOf, type ImageMap } from './image-map.js';
import type { MountPoints } from './mount-points.js';
import type { PodNetwork, PodSandbox } from './pod-network.js';
import { PodVolumes, VolumeNotReadyError } from './pod-volumes.js';
import { ContainerProbes } from './probes.js';

/** Shorter than the kubelet's 10 s doubling to 5 minutes, to keep tests short. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** A container that ran this long starts its back-off afresh when it next fails. */
const BACKOFF_RESET_MS = 60_000;
const RETRY_MS = 1_000;
const VOLUME_REFRESH_MS = 2_000;
const DEFAULT_GRACE_SECONDS = 30;

export interface PodContext {
  readonly core: CoreV1Api;
  readonly network: PodNetwork;
  readonly images: ImageMap;
  readonly registry: PidRegistry;
  readonly mountPoints: MountPoints;
  readonly apiServerForPods: { readonly host: string; readonly port: number };
  readonly directory: string;
  readonly hostAddress: string;
  nodeIndexOf(nodeName: string): number;
  /** The pod's /etc/hosts, from its own names and the headless Services' records. */
  hostsFileOf(pod: V1Pod, address: string): string;
  resolvConfOf(pod: V1Pod): string;
  log(message: string): void;
}

class ContainerRun {
  restartCount = 0;
  process?: TrackedProcess;
  probes?: ContainerProbes;
  state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: V1ContainerState = {};
  backoffMs = FIRST_BACKOFF_MS;
  startedAtMs = 0;

  constructor(readonly container: V1Container, readonly isInit: boolean) {}

  get ready(): boolean {
    return this.process?.running() === true && this.probes?.ready === true;
  }
}

export class PodWorker {
  private pod: V1Pod;
  private sandbox?: PodSandbox;
  private readonly volumes: PodVolumes;
  private readonly runs: ContainerRun[];
  private phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  private initialized = false;
  private readonly startTime = new Date();
  private stopping = false;
  private terminated?: Promise<void>;
  private publishTimer?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private readonly podDirectory: string;

  constructor(pod: V1Pod, private readonly context: PodContext) {
    this.pod = pod;
    this.podDirectory = join(context.directory, 'pods', pod.metadata?.uid ?? 'unknown');
    this.volumes = new PodVolumes(context.core, this.podDirectory);
    this.runs = [
      ...(pod.spec?.initContainers ?? []).map((container) => new ContainerRun(container, true)),
      ...(pod.spec?.containers ?? []).map((container) => new ContainerRun(container, false)),
    ];
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  get address(): string | undefined {
    return this.sandbox?.address;
  }

  /** The log file of a container's current run, or of the one before it. */
  logFileOf(container: string, previous: boolean): string | undefined {
    const run = this.runs.find((entry) => entry.container.name === container);
    if (run === undefined) return undefined;
    const number = previous ? run.restartCount - 1 : run.restartCount;
    return number < 0 ? undefined : join(this.podDirectory, 'logs', container, `${number}.log`);
  }

  start(): void {
    void this.run().catch((error: unknown) => this.context.log(`pod ${this.namespace}/${this.name}: ${String(error)}`));
  }

  /** A newer version of the pod object: a deletion timestamp starts the graceful stop. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp !== undefined && this.terminated === undefined) {
      void this.terminate(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS, true);
    }
  }

  /** Stops every container (SIGTERM, `graceSeconds`, SIGKILL) and removes the sandbox; with `removeObject`, then the pod object. */
  terminate(graceSeconds: number, removeObject: boolean): Promise<void> {
    this.terminated ??= (async () => {
      this.stopping = true;
      clearTimeout(this.refreshTimer);
      for (const run of this.runs) run.probes?.stop();
      await Promise.all(this.runs.map((run) => run.process?.stop(graceSeconds * 1_000)));
      clearTimeout(this.publishTimer);
      if (this.sandbox !== undefined) await this.context.network.removeSandbox(this.sandbox);
      await rm(join(this.podDirectory, 'volumes'), { recursive: true, force: true });
      if (removeObject) await this.removePodObject();
    })();
    return this.terminated;
  }

  /** Rewrites the pod's hosts file (in place) after the headless Services' records changed. */
  async refreshHosts(): Promise<void> {
    if (this.sandbox === undefined || this.stopping) return;
    await this.context.network.writeEtcFile(this.sandbox, 'hosts', this.context.hostsFileOf(this.pod, this.sandbox.address));
  }

  private async run(): Promise<void> {
    const spec = this.pod.spec;
    if (spec?.hostNetwork === true) return this.fail('HostNetworkNotSupported', 'the test bed runs every pod in its own network namespace');
    this.sandbox = await this.context.network.createSandbox(this.context.nodeIndexOf(spec?.nodeName ?? ''));
    await this.refreshHosts();
    await this.context.network.writeEtcFile(this.sandbox, 'resolv.conf', this.context.resolvConfOf(this.pod));
    this.publish();
    while (!this.stopping) {
      try {
        await this.volumes.prepare(this.pod);
        break;
      } catch (error) {
        const reason = error instanceof VolumeNotReadyError ? 'ContainerCreating' : error instanceof MissingSourceError ? 'CreateContainerConfigError' : 'ContainerCreating';
        this.setWaiting(this.runs, reason, String(error instanceof Error ? error.message : error));
        await sleep(RETRY_MS);
      }
    }
    this.refreshTimer = setInterval(() => void this.volumes.refresh(this.pod), VOLUME_REFRESH_MS);
    for (const run of this.runs.filter((entry) => entry.isInit)) {
      if (!(await this.runToCompletion(run))) return;
    }
    this.initialized = true;
    for (const run of this.runs.filter((entry) => !entry.isInit)) void this.startContainer(run);
    this.publish();
  }

  /** An init container, restarted on failure unless restartPolicy is Never; false if the pod failed or is stopping. */
  private async runToCompletion(run: ContainerRun): Promise<boolean> {
    for (;;) {
      const process = await this.startContainer(run);
      if (process === undefined) return false;
      const code = await process.exited;
      if (code === 0) return true;
      if (this.stopping) return false;
      if (this.pod.spec?.restartPolicy === 'Never') {
        this.fail('InitContainerFailed', `init container ${run.container.name} exited with ${code}`);
        return false;
      }
    }
  }

  /** Starts a container once it can be (image known, sources present); undefined if the pod stopped first. */
  private async startContainer(run: ContainerRun): Promise<TrackedProcess | undefined> {
    const { container } = run;
    while (!this.stopping) {
      const image = this.context.images.resolve(container.image ?? '');
      if (image === undefined) {
        this.setWaiting([run], 'ImagePullBackOff', `image ${container.image} is not in the test bed's image map ${this.context.images.file}`);
        await sleep(RETRY_MS * 5);
        continue;
      }
      try {
        const env = await environmentOf(container, { core: this.context.core, pod: this.podWithAddress(), image, apiServer: this.context.apiServerForPods });
        const logDirectory = join(this.podDirectory, 'logs', container.name);
        await mkdir(logDirectory, { recursive: true });
        const process = launchContainer({
          name: `${this.namespace}/${this.name}/${container.name}`,
          netns: this.sandbox?.netns ?? '',
          hostname: this.pod.spec?.hostname ?? this.name,
          mounts: this.mountsOf(container),
          workingDir: container.workingDir,
          argv: argvOf(image, container.command, container.args).map((word) => expand(word, env)),
          env,
          logFile: join(logDirectory, `${run.restartCount}.log`),
        }, this.context.registry);
        run.process = process;
        run.startedAtMs = Date.now();
        run.state = { running: { startedAt: new Date() } };
        this.phase = 'Running';
        run.probes = new ContainerProbes(
          { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe },
          { address: this.sandbox?.address ?? '', pid: process.pid, env, ports: container.ports ?? [] },
          { changed: () => this.publish(), failed: (reason) => this.restartUnhealthy(run, process, reason) },
        );
        if (!run.isInit) run.probes.start();
        this.publish();
        void process.exited.then((code) => this.exited(run, process, code));
        return process;
      } catch (error) {
        const reason = error instanceof MissingSourceError ? 'CreateContainerConfigError' : 'RunContainerError';
        this.setWaiting([run], reason, error instanceof Error ? error.message : String(error));
        await sleep(RETRY_MS);
      }
    }
    return undefined;
  }

  private restartUnhealthy(run: ContainerRun, process: TrackedProcess, reason: string): void {
    this.context.log(`pod ${this.namespace}/${this.name} container ${run.container.name}: ${reason}; restarting it`);
    void process.stop((this.pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1_000);
  }

  private exited(run: ContainerRun, process: TrackedProcess, code: number | string): void {
    if (run.process !== process) return;
    run.probes?.stop();
    const exitCode = typeof code === 'number' ? code : 128 + 9;
    run.lastState = {};
    run.state = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: new Date(run.startedAtMs), finishedAt: new Date(), containerID: `bvault://${process.pid}` } };
    if (this.stopping || run.isInit) return this.publish();
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      if (Date.now() - run.startedAtMs > BACKOFF_RESET_MS) run.backoffMs = FIRST_BACKOFF_MS;
      const delay = run.backoffMs;
      run.backoffMs = Math.min(run.backoffMs * 2, MAX_BACKOFF_MS);
      run.lastState = run.state;
      run.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay / 1000} s restarting failed container ${run.container.name}` } };
      this.publish();
      setTimeout(() => {
        if (this.stopping) return;
        run.restartCount += 1;
        void this.startContainer(run);
      }, delay);
      return;
    }
    const apps = this.runs.filter((entry) => !entry.isInit);
    if (apps.every((entry) => entry.state.terminated !== undefined)) {
      this.phase = apps.every((entry) => entry.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    this.publish();
  }

  private mountsOf(container: V1Container): Mount[] {
    return (container.volumeMounts ?? []).map((mount) => {
      const volumePath = this.volumes.paths.get(mount.name);
      if (volumePath === undefined) throw new Error(`volume mount ${mount.name} names no volume of the pod`);
      if (!isAbsolute(mount.mountPath)) throw new Error(`mountPath ${mount.mountPath} is not absolute`);
      const source = mount.subPath ? join(volumePath, mount.subPath) : volumePath;
      this.context.mountPoints.ensure(mount.mountPath, isFile(source));
      return { source, target: mount.mountPath, readOnly: mount.readOnly === true };
    });
  }

  private podWithAddress(): V1Pod {
    const address = this.sandbox?.address;
    return { ...this.pod, status: { ...this.pod.status, podIP: address, podIPs: address === undefined ? [] : [{ ip: address }], hostIP: this.context.hostAddress, hostIPs: [{ ip: this.context.hostAddress }] } };
  }

  private setWaiting(runs: readonly ContainerRun[], reason: string, message: string): void {
    for (const run of runs) run.state = { waiting: { reason, message } };
    this.publish();
  }

  private fail(reason: string, message: string): void {
    this.phase = 'Failed';
    this.context.log(`pod ${this.namespace}/${this.name} failed: ${reason}: ${message}`);
    this.publish();
  }

  /** Coalesces status changes into one write a moment later. */
  private publish(): void {
    if (this.publishTimer !== undefined || this.stopping) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      void this.writeStatus().catch((error: unknown) => {
        this.context.log(`pod ${this.namespace}/${this.name}: status update failed: ${String(error)}`);
        this.publish();
      });
    }, 100);
  }

  private async writeStatus(): Promise<void> {
    for (let attempt = 0; attempt < 5 && !this.stopping; attempt += 1) {
      const current = await this.context.core.readNamespacedPodStatus({ name: this.name, namespace: this.namespace });
      if (current.metadata?.uid !== this.pod.metadata?.uid) return;
      current.status = { ...current.status, ...this.status(current.status?.conditions ?? []) };
      try {
        await this.context.core.replaceNamespacedPodStatus({ name: this.name, namespace: this.namespace, body: current });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
  }

  private status(previous: readonly V1PodCondition[]): V1Pod['status'] {
    const apps = this.runs.filter((run) => !run.isInit);
    const containersReady = this.initialized && apps.every((run) => run.ready);
    const now = new Date();
    const condition = (type: string, value: boolean): V1PodCondition => {
      const status = value ? 'True' : 'False';
      const before = previous.find((entry) => entry.type === type);
      return { type, status, lastTransitionTime: before?.status === status ? before.lastTransitionTime : now };
    };
    const address = this.sandbox?.address;
    return {
      phase: this.phase,
      conditions: [
        ...previous.filter((entry) => entry.type === 'PodScheduled'),
        condition('PodReadyToStartContainers', this.sandbox !== undefined),
        condition('Initialized', this.initialized),
        condition('ContainersReady', containersReady),
        condition('Ready', containersReady),
      ],
      hostIP: this.context.hostAddress,
      hostIPs: [{ ip: this.context.hostAddress }],
      podIP: address,
      podIPs: address === undefined ? undefined : [{ ip: address }],
      startTime: this.startTime,
      initContainerStatuses: this.runs.filter((run) => run.isInit).map((run) => this.containerStatus(run)),
      containerStatuses: apps.map((run) => this.containerStatus(run)),
    };
  }

  private containerStatus(run: ContainerRun): V1ContainerStatus {
    return {
      name: run.container.name,
      image: run.container.image ?? '',
      imageID: `bvault-image://${run.container.image ?? ''}`,
      containerID: run.process === undefined ? undefined : `bvault://${run.process.pid}`,
      ready: run.ready,
      started: run.process?.running() === true && run.probes?.started === true,
      restartCount: run.restartCount,
      state: run.state,
      lastState: run.lastState,
    };
  }

  /** The kubelet's last word on a deleted pod: gone for good, and only this incarnation of it. */
  private async removePodObject(): Promise<void> {
    await this.context.core.deleteNamespacedPod({
      name: this.name,
      namespace: this.namespace,
      gracePeriodSeconds: 0,
      body: { gracePeriodSeconds: 0, preconditions: { uid: this.pod.metadata?.uid } },
    }).catch((error: unknown) => {
      const code = (error as { code?: number }).code;
      if (code !== 404 && code !== 409) this.context.log(`pod ${this.namespace}/${this.name}: delete failed: ${String(error)}`);
    });
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
