// A volume is bind-mounted at its mountPath inside the pod's private mount namespace, and a bind
// mount needs its target to exist on the host. Targets the agent had to create are recorded in
// a file in its directory, so that they are removed (only while empty) when the agent stops —
// or, after a crash, by whoever clears its leftovers.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class MountPoints {
  private readonly record: string;

  constructor(agentDirectory: string) {
    this.record = join(agentDirectory, 'mount-points');
  }

  /** Makes `target` exist (a directory, or an empty file when the source is a file). */
  ensure(target: string, asFile: boolean): void {
    if (existsSync(target)) return;
    const parent = asFile ? dirname(target) : target;
    const firstCreated = existsSync(parent) ? undefined : mkdirSync(parent, { recursive: true });
    if (firstCreated !== undefined) appendFileSync(this.record, `${firstCreated}\n`);
    if (asFile) {
      writeFileSync(target, '');
      if (firstCreated === undefined) appendFileSync(this.record, `${target}\n`);
    }
  }
}

/** Removes the recorded mount points that are still empty, deepest first. */
export function removeMountPoints(agentDirectory: string): void {
  let recorded: string[];
  try {
    recorded = readFileSync(join(agentDirectory, 'mount-points'), 'utf8').split('\n').filter((line) => line !== '');
  } catch {
    return;
  }
  for (const path of recorded.reverse()) removeEmpty(path);
}

function removeEmpty(path: string): void {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  if (stat.isFile()) {
    if (stat.size === 0) unlinkSync(path);
    return;
  }
  // Only directories the agent created below this one, and nothing else, may be inside it.
  try {
    for (const entry of readdirSync(path)) removeEmpty(join(path, entry));
    rmdirSync(path);
  } catch {
    // not empty: something else wrote there; leave it
  }
}
