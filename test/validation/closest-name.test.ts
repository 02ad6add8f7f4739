import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../src/validation/closest-name.js';

describe('closestName', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('if_version_macth', 'if_version_match')).toBe(1);
    expect(editDistance('operation', 'operations')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests a typo of a valid name, ignoring case, and nothing for another word', () => {
    const fields = ['compare', 'success', 'failure', 'operations'];
    expect(closestName('operation', fields)).toBe('operations');
    expect(closestName('sucess', fields)).toBe('success');
    expect(closestName('Compare', fields)).toBe('compare');
    expect(closestName('x', ['to'])).toBeUndefined();
    expect(closestName('rev', ['revision'])).toBeUndefined();
    expect(closestName('anything', [])).toBeUndefined();
  });
});
