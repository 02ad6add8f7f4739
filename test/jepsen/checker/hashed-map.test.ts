// The cache finds a state again only if equal states hash equal, however they were reached.

import { describe, expect, it } from 'vitest';
import { HashedMap } from './models/hashed-map.js';

const strings = HashedMap.empty<string>({ canonical: (value) => value, equal: (a, b) => a === b });

describe('hashed map', () => {
  it('equal contents reached by different updates are equal and hash equal', () => {
    const one = strings.with('a', '1').with('b', '2');
    const other = strings.with('b', 'x').with('a', '1').with('b', '2');
    expect(one.equals(other)).toBe(true);
    expect(one.hash).toBe(other.hash);
    expect(strings.with('a', '1').without('a').hash).toBe(strings.hash);
  });

  it('different contents are not equal', () => {
    expect(strings.with('a', '1').equals(strings.with('a', '2'))).toBe(false);
    expect(strings.with('a', '1').equals(strings.with('b', '1'))).toBe(false);
    expect(strings.with('ab', 'c').hash).not.toBe(strings.with('a', 'bc').hash);
  });

  it('updates leave the original untouched', () => {
    const original = strings.with('a', '1');
    original.with('a', '2');
    original.without('a');
    expect(original.get('a')).toBe('1');
  });
});
