// The README and package.json promise Node 20. Every package the lock file installs must say
// it runs there too; otherwise `npm ci` warns (EBADENGINE) and the promise is only luck.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  readonly engines?: { readonly node?: string };
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')) as T;
}

/**
 * Whether a semver range admits some release of Node `major`, judged by each `||` alternative's
 * leading comparator: `>=N`/`>N` with N at most `major`, or `N`, `^N`, `~N`, `N.*` with N equal.
 */
function admitsNodeMajor(range: string, major: number): boolean {
  return range.split('||').some((alternative) => {
    const match = /^\s*(>=|>|\^|~|=)?\s*v?(\d+|\*|x)/.exec(alternative);
    if (match === null) return false;
    const [, operator, version = ''] = match;
    if (version === '*' || version === 'x') return true;
    return operator === '>=' || operator === '>' ? Number(version) <= major : Number(version) === major;
  });
}

const statedMajor = Number(/^>=\s*(\d+)/.exec(readJson<{ engines: { node: string } }>('package.json').engines.node)?.[1]);

describe('the Node version the project states', () => {
  it('reads ranges the way npm does for a major version', () => {
    expect(['>=20', '>= 10.*', '^20.19.0 || >=22.12.0', '18 || 20 || >=22', '*'].every((range) => admitsNodeMajor(range, 20))).toBe(true);
    expect(['>=22', '^18.0.0', '22 || >=24'].some((range) => admitsNodeMajor(range, 20))).toBe(false);
  });

  it('is Node 20, as the README says', () => {
    expect(statedMajor).toBe(20);
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(`Node.js ${statedMajor} or later`);
  });

  it('is accepted by every package the lock file installs', () => {
    const lock = readJson<{ packages: Record<string, LockedPackage> }>('package-lock.json');
    const refusing = Object.entries(lock.packages)
      .filter(([, locked]) => locked.engines?.node !== undefined && !admitsNodeMajor(locked.engines.node, statedMajor))
      .map(([path, locked]) => `${path} wants node ${locked.engines?.node}`);
    expect(refusing).toEqual([]);
  });
});
