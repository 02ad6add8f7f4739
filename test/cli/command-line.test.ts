// The parts of the command line that need no cluster: where the command is, how ids are
// written and read, and what `npm run build` and `npm run bvault` do around the code.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../src/cli/command-line.js';
import { formatId, parseId } from '../../src/cli/commands/ids.js';
import { REPOSITORY_ROOT, temporaryDirectory } from '../cluster/cluster-harness.js';

describe('the command line', () => {
  it('finds the command after the common flags and hands those flags to it', () => {
    expect(splitCommandLine(['--endpoints', 'h:1', '-w', 'json', 'get', 'k', '--rev', '3'])).toEqual({ command: 'get', args: ['--endpoints', 'h:1', '-w', 'json', 'k', '--rev', '3'] });
    expect(splitCommandLine(['--timeout-ms=50', 'put', 'k', 'v'])).toEqual({ command: 'put', args: ['--timeout-ms=50', 'k', 'v'] });
    expect(splitCommandLine(['--help'])).toEqual({ command: undefined, args: ['--help'] });
  });
});

describe('ids', () => {
  it('are written in hex with 0x and read back as the same id', () => {
    const id = 0x694d7a1b2c3d4e5fn;
    expect(formatId(id)).toBe('0x694d7a1b2c3d4e5f');
    expect(parseId(formatId(id), 'lease id')).toBe(id);
    expect(parseId(formatId(0x10n), 'lease id')).toBe(16n);
  });

  it('are read as decimal without the prefix, as the REST API gives them', () => {
    expect(parseId('10', 'lease id')).toBe(10n);
    expect(parseId('7587862', 'member id')).toBe(7587862n);
  });

  it('are refused as bare hex, with the spelling to use', () => {
    expect(() => parseId('694d7a', '--lease')).toThrow(/--lease must be an id .*a hex id needs the 0x prefix: 0x694d7a/);
    expect(() => parseId('0xzz', '--lease')).toThrow(/--lease must be an id/);
  });
});

describe('the scripts around the code', () => {
  it('the build leaves an executable bvault with a shebang where package.json points', async () => {
    const manifest = JSON.parse(await readFile(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { bin: { bvault: string }; scripts: Record<string, string> };
    expect(manifest.bin.bvault).toBe('dist/src/cli/main.js');
    expect(manifest.scripts.postbuild).toBe(`chmod +x ${manifest.bin.bvault}`);
    expect((await readFile(join(REPOSITORY_ROOT, 'src/cli/main.ts'), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('npm run bvault generates the protobuf code only when proto/ changed since it was generated', async () => {
    const root = await temporaryDirectory('generate-if-stale');
    await mkdir(join(root, 'proto/a'), { recursive: true });
    await mkdir(join(root, 'src/generated'), { recursive: true });
    await mkdir(join(root, 'scripts'), { recursive: true });
    await writeFile(join(root, 'buf.gen.yaml'), 'version: v2\n');
    await writeFile(join(root, 'scripts/generate-etcd-descriptors.mjs'), '// v1\n');
    await writeFile(join(root, 'proto/a/a.proto'), 'syntax = "proto3";\n');
    const script = join(REPOSITORY_ROOT, 'scripts/generate-if-stale.mjs');
    const check = (): Promise<string> => promisify(execFile)(process.execPath, [script, '--check', '--root', root]).then(({ stdout }) => stdout, (error: { stdout: string }) => error.stdout);
    expect(await check()).toBe('stale\n');
    await promisify(execFile)(process.execPath, [script, '--record', '--root', root]);
    expect(await check()).toBe('fresh\n');
    await writeFile(join(root, 'proto/a/a.proto'), 'syntax = "proto3";\nmessage A {}\n');
    expect(await check()).toBe('stale\n');
    await promisify(execFile)(process.execPath, [script, '--record', '--root', root]);
    await writeFile(join(root, 'scripts/generate-etcd-descriptors.mjs'), '// v2\n');
    expect(await check()).toBe('stale\n');
    const manifest = JSON.parse(await readFile(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.prebvault).toBe('node scripts/generate-if-stale.mjs');
    expect(manifest.scripts.generate).toContain('node scripts/generate-etcd-descriptors.mjs && node scripts/generate-if-stale.mjs --record');
  });
});
