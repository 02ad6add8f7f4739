// The kubelet's atomic writer layout for ConfigMap, Secret, projected and downward API volumes:
// the files live in a timestamped directory, `..data` is a symlink to it, and every top-level
// name is a symlink through `..data`. An update writes a new directory and swaps `..data` with
// one rename, so a reader sees the old files or the new ones, never a mix: this is how a
// rotated certificate reaches a running member.

import { chmod, lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface VolumeFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

/** Writes `files` into `directory` if they differ from what is there; returns whether it changed. */
export async function writeAtomically(directory: string, files: readonly VolumeFile[], previous: string | undefined): Promise<string> {
  const fingerprint = JSON.stringify(files.map((file) => [file.path, file.content.toString('base64'), file.mode]));
  if (fingerprint === previous) return fingerprint;
  await mkdir(directory, { recursive: true });
  const version = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint()}`;
  const versionDirectory = join(directory, version);
  for (const file of files) {
    const target = join(versionDirectory, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    await chmod(target, file.mode);
  }
  const oldVersion = await readlink(join(directory, '..data')).catch(() => undefined);
  await symlink(version, join(directory, '..data_tmp'));
  await rename(join(directory, '..data_tmp'), join(directory, '..data'));

  const topLevel = new Set(files.map((file) => file.path.split('/')[0] ?? file.path));
  for (const name of topLevel) {
    const link = join(directory, name);
    if (!(await lstat(link).then((stat) => stat.isSymbolicLink(), () => false))) await symlink(join('..data', name), link);
  }
  for (const entry of await readdir(directory)) {
    if (!entry.startsWith('..') && !topLevel.has(entry)) await rm(join(directory, entry), { force: true });
  }
  if (oldVersion !== undefined) await rm(join(directory, oldVersion), { recursive: true, force: true });
  return fingerprint;
}
