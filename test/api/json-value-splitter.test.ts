// The etcd gateway's reading of a streamed body: JSON objects one after another, cut where each
// ends whatever the chunks' boundaries, with braces inside strings and escaped quotes left alone.
import { describe, expect, it } from 'vitest';
import { JsonValueSplitter } from '../../src/api/http/etcd-gateway/json-value-splitter.js';

describe('JsonValueSplitter', () => {
  it('cuts objects at their closing brace, across chunks and with or without whitespace between', () => {
    const splitter = new JsonValueSplitter(1024);
    const body = '{"a": {"b": [1, {"c": "}{"}]}}\n{"d":"say \\"}\\" é"}{"e":1}';
    const found: string[] = [];
    for (let index = 0; index < body.length; index += 3) found.push(...splitter.push(Buffer.from(body.slice(index, index + 3))));
    splitter.end();
    expect(found.map((text) => JSON.parse(text) as unknown)).toEqual([{ a: { b: [1, { c: '}{' }] } }, { d: 'say "}" é' }, { e: 1 }]);
  });

  it('refuses what is not an object, an object over the limit and a body that ends inside one', () => {
    expect(() => new JsonValueSplitter(1024).push(Buffer.from('[1]'))).toThrow(/sequence of JSON objects/);
    expect(() => new JsonValueSplitter(8).push(Buffer.from('{"key": "0123456789"}'))).toThrow(/larger than 8 bytes/);
    const open = new JsonValueSplitter(1024);
    expect(open.push(Buffer.from('{"a": 1} {"b"'))).toEqual(['{"a": 1}']);
    expect(() => open.end()).toThrow(/ended inside/);
  });
});
