// Each pod's network: its own netns with a veth pair whose host end is on the bed's bridge, an
// address from its node's /24, and a default route through the bridge's gateway. Pods on any
// node of the bed share the bridge, so they reach each other directly, and the host reaches
// them through it. Names are derived from the bed's prefix so that leftovers can be found from
// the prefix alone.

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BedNetwork } from '../bed/network-slot.js';
import { run, runQuietly } from './host-commands.js';

const NETNS_CONFIG_DIRECTORY = '/etc/netns';

export interface PodSandbox {
  readonly netns: string;
  readonly hostInterface: string;
  readonly address: string;
}

export class PodNetwork {
  private nextSandbox = 0;
  private readonly taken = new Set<string>();

  constructor(private readonly network: BedNetwork) {}

  async createBridge(): Promise<void> {
    const { bridge, gatewayAddress, prefixLength } = this.network;
    await runQuietly('ip', ['link', 'del', bridge]);
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${gatewayAddress}/${prefixLength}`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
  }

  /** A new sandbox on the node at `nodeIndex`. */
  async createSandbox(nodeIndex: number): Promise<PodSandbox> {
    const address = this.allocateAddress(nodeIndex);
    const number = this.nextSandbox++;
    const netns = `${this.network.namePrefix}-${number}`;
    const hostInterface = `${this.network.namePrefix}p${number}`;
    try {
      await run('ip', ['netns', 'add', netns]);
      await run('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await run('ip', ['link', 'set', hostInterface, 'master', this.network.bridge, 'up']);
      await run('ip', ['-n', netns, 'addr', 'add', `${address}/${this.network.prefixLength}`, 'dev', 'eth0']);
      await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', netns, 'route', 'add', 'default', 'via', this.network.gatewayAddress]);
      await mkdir(join(NETNS_CONFIG_DIRECTORY, netns), { recursive: true });
      return { netns, hostInterface, address };
    } catch (error) {
      await this.removeSandbox({ netns, hostInterface, address });
      throw error;
    }
  }

  async removeSandbox(sandbox: PodSandbox): Promise<void> {
    await runQuietly('ip', ['link', 'del', sandbox.hostInterface]);
    await runQuietly('ip', ['netns', 'del', sandbox.netns]);
    await rm(join(NETNS_CONFIG_DIRECTORY, sandbox.netns), { recursive: true, force: true });
    this.taken.delete(sandbox.address);
  }

  /**
   * The files `ip netns exec` bind-mounts over /etc for the pod's processes. Written in place
   * (same inode), never replaced by a rename: a running process keeps the inode it was given.
   */
  async writeEtcFile(sandbox: PodSandbox, name: 'hosts' | 'resolv.conf', content: string): Promise<void> {
    await writeFile(join(NETNS_CONFIG_DIRECTORY, sandbox.netns, name), content, { flag: 'w' });
  }

  private allocateAddress(nodeIndex: number): string {
    const base = this.network.podSubnet(nodeIndex).replace(/\.0\/24$/, '');
    for (let host = 2; host < 255; host += 1) {
      const address = `${base}.${host}`;
      if (this.taken.has(address)) continue;
      this.taken.add(address);
      return address;
    }
    throw new Error(`no pod address left in ${this.network.podSubnet(nodeIndex)}`);
  }
}

/** Removes every netns, veth, bridge and /etc/netns entry with the bed's prefix. */
export async function removeNetworkLeftovers(network: BedNetwork): Promise<void> {
  const namespaces = (await run('ip', ['netns', 'list']).catch(() => '')).split('\n').map((line) => line.split(' ')[0] ?? '');
  for (const netns of namespaces.filter((name) => name.startsWith(`${network.namePrefix}-`))) await runQuietly('ip', ['netns', 'del', netns]);
  const links = (await run('ip', ['-o', 'link', 'show']).catch(() => '')).split('\n').map((line) => line.split(': ')[1]?.split('@')[0] ?? '');
  for (const link of links.filter((name) => name.startsWith(`${network.namePrefix}p`))) await runQuietly('ip', ['link', 'del', link]);
  await runQuietly('ip', ['link', 'del', network.bridge]);
  const entries = await readdir(NETNS_CONFIG_DIRECTORY).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(`${network.namePrefix}-`))) await rm(join(NETNS_CONFIG_DIRECTORY, entry), { recursive: true, force: true });
}
