import { describe, expect, it } from 'vitest';
import { renderJson, renderTable } from '../../src/cli/commands/output.js';

describe('command output', () => {
  it('aligns table columns to the widest cell under capitalised headers', () => {
    expect(renderTable(['key', 'value'], [['a', 'one'], ['longer', 'x']])).toBe('KEY     VALUE\na       one\nlonger  x\n');
  });

  it('prints bigint ids as strings and bytes as text in JSON', () => {
    expect(renderJson({ id: 2n ** 63n, key: Buffer.from('k') })).toBe('{"id":"9223372036854775808","key":"k"}');
  });
});
