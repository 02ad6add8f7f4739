// Images on the test bed: there is no registry and no container runtime, so an image name maps
// to what its image would give a process — entrypoint, cmd, environment and PATH — through the
// map file (test/k8s/images.json). A container's command and args then apply as in Kubernetes:
// command replaces the entrypoint, args replace cmd.

import { readFileSync } from 'node:fs';
import { REPOSITORY_ROOT } from '../bed/paths.js';

export interface LocalImage {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly path: readonly string[];
}

export class ImageMap {
  private readonly images: Record<string, LocalImage>;

  constructor(readonly file: string) {
    const parsed = JSON.parse(readFileSync(file, 'utf8').replaceAll('${repository}', REPOSITORY_ROOT)) as { images: Record<string, LocalImage> };
    this.images = parsed.images;
  }

  /** The image `reference` (name, name:tag or name@digest), or undefined when the map has no entry. */
  resolve(reference: string): LocalImage | undefined {
    const withoutDigest = reference.split('@')[0] ?? reference;
    const name = withoutDigest.replace(/:[^/:]+$/, '');
    return this.images[withoutDigest] ?? this.images[name];
  }
}

/** The argv of a container: Kubernetes's rules for command and args over the image's. */
export function argvOf(image: LocalImage, command: readonly string[] | undefined, args: readonly string[] | undefined): string[] {
  if (command !== undefined && command.length > 0) return [...command, ...(args ?? [])];
  return [...image.entrypoint, ...(args !== undefined && args.length > 0 ? args : image.cmd)];
}
