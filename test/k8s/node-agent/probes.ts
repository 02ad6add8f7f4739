// Startup, liveness and readiness probes of one running container, with the kubelet's rules:
// nothing but the startup probe runs until it has succeeded; a startup or liveness probe that
// fails failureThreshold times in a row restarts the container; readiness follows its probe
// (successThreshold passes to become ready, failureThreshold failures to stop being ready), and
// a container without a readiness probe is ready once started.

import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { execInContainer } from './container-process.js';

export interface ProbeTarget {
  readonly address: string;
  readonly pid: number;
  readonly env: Readonly<Record<string, string>>;
  readonly ports: readonly V1ContainerPort[];
}

export interface ProbeEvents {
  /** Started or ready changed. */
  changed(): void;
  /** A startup or liveness probe failed past its threshold. */
  failed(reason: string): void;
}

export class ContainerProbes {
  started: boolean;
  ready = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly probes: { readonly startup?: V1Probe; readonly liveness?: V1Probe; readonly readiness?: V1Probe },
    private readonly target: ProbeTarget,
    private readonly events: ProbeEvents,
  ) {
    this.started = probes.startup === undefined;
  }

  start(): void {
    if (this.probes.startup !== undefined) this.loop('startup', this.probes.startup);
    else this.afterStartup();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private afterStartup(): void {
    if (this.probes.liveness !== undefined) this.loop('liveness', this.probes.liveness);
    if (this.probes.readiness !== undefined) this.loop('readiness', this.probes.readiness);
    else this.ready = true;
    this.events.changed();
  }

  private loop(kind: 'startup' | 'liveness' | 'readiness', probe: V1Probe): void {
    let successes = 0;
    let failures = 0;
    const periodMs = (probe.periodSeconds ?? 10) * 1_000;
    const tick = async () => {
      if (this.stopped) return;
      const outcome = await runProbe(probe, this.target);
      if (this.stopped) return;
      if (outcome.passed) {
        successes += 1;
        failures = 0;
      } else {
        failures += 1;
        successes = 0;
      }
      const failureThreshold = probe.failureThreshold ?? 3;
      if (kind === 'startup') {
        if (outcome.passed) {
          this.started = true;
          this.afterStartup();
          return;
        }
        if (failures >= failureThreshold) return this.events.failed(`startup probe failed: ${outcome.message}`);
      } else if (kind === 'liveness') {
        if (failures >= failureThreshold) return this.events.failed(`liveness probe failed: ${outcome.message}`);
      } else if (!this.ready && successes >= (probe.successThreshold ?? 1)) {
        this.ready = true;
        this.events.changed();
      } else if (this.ready && failures >= failureThreshold) {
        this.ready = false;
        this.events.changed();
      }
      this.schedule(tick, periodMs);
    };
    this.schedule(tick, (probe.initialDelaySeconds ?? 0) * 1_000);
  }

  private schedule(action: () => Promise<void>, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void action();
    }, delayMs);
    this.timers.add(timer);
  }
}

interface ProbeOutcome {
  readonly passed: boolean;
  readonly message: string;
}

export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1_000;
  if (probe.exec !== undefined) {
    const result = await execInContainer(target.pid, probe.exec.command ?? [], target.env, timeoutMs);
    return { passed: result.exitCode === 0, message: `exit code ${result.exitCode}: ${result.output.trim().slice(0, 200)}` };
  }
  if (probe.tcpSocket !== undefined) {
    return tcpProbe(probe.tcpSocket.host ?? target.address, portOf(probe.tcpSocket.port, target.ports), timeoutMs);
  }
  if (probe.httpGet !== undefined) {
    const { host, path, scheme, httpHeaders } = probe.httpGet;
    return httpProbe(scheme === 'HTTPS', host ?? target.address, portOf(probe.httpGet.port, target.ports), path ?? '/', httpHeaders ?? [], timeoutMs);
  }
  return { passed: false, message: 'the test bed runs exec, tcpSocket and httpGet probes only' };
}

function portOf(port: number | string, ports: readonly V1ContainerPort[]): number {
  if (typeof port === 'number' || /^\d+$/.test(port)) return Number(port);
  const named = ports.find((entry) => entry.name === port);
  if (named === undefined) throw new Error(`no container port is named ${port}`);
  return named.containerPort;
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ passed: true, message: 'connected' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ passed: false, message: `no connection to ${host}:${port} within ${timeoutMs} ms` });
    });
    socket.once('error', (error) => resolve({ passed: false, message: error.message }));
  });
}

function httpProbe(secure: boolean, host: string, port: number, path: string, headers: readonly { name: string; value: string }[], timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const send = secure ? httpsRequest : httpRequest;
    const request = send({ host, port, path, method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, headers: Object.fromEntries(headers.map((header) => [header.name, header.value])) }, (answer) => {
      answer.resume();
      const status = answer.statusCode ?? 0;
      resolve({ passed: status >= 200 && status < 400, message: `HTTP probe failed with statuscode: ${status}` });
    });
    request.once('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.once('error', (error) => resolve({ passed: false, message: error.message }));
    request.end();
  });
}
