// The txn file of `bvault txn --file` is read against a strict schema: a misplaced or
// misspelled field is a usage error that names it, where an op-level `if_version_match` used to
// be ignored so that a second run succeeded again.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/commands/client-exit-codes.js';
import { txnFileOf } from '../../src/cli/commands/txn-file.js';

const refusal = (content: string): string => {
  try {
    txnFileOf(content, 'txn.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
};

describe('bvault txn files', () => {
  it('refuses an if_version_match outside conditions, saying where it belongs', () => {
    const message = refusal('operations:\n  - type: PUT\n    key: a\n    value: "3"\n    if_version_match: 2\n');
    expect(message).toBe('txn.yaml: unknown field "if_version_match" in operations[0]; it belongs inside "conditions"');
  });

  it('names the closest valid field of a misspelled one', () => {
    expect(refusal('operations:\n  - { type: PUT, key: a, value: x, condition: [{ if_version_match: 2 }] }\n')).toContain('unknown field "condition" in operations[0]; did you mean "conditions"?');
    expect(refusal('operation:\n  - { type: PUT, key: a, value: x }\n')).toContain('unknown field "operation" in the file; did you mean "operations"?');
    expect(refusal('compare:\n  - { key: a, version: 1 }\nsucess:\n  - put: { key: a, value: b }\n')).toContain('did you mean "success"?');
    expect(refusal('success:\n  - put: { key: a, vlaue: b }\n')).toContain('unknown field "vlaue" in success[0].put; did you mean "value"?');
  });

  it('refuses a compare with two operands and a condition with two tests', () => {
    expect(refusal('compare:\n  - { key: a, version: 1, modRevision: 3 }\n')).toContain('compare[0]');
    expect(refusal('operations:\n  - { type: PUT, key: a, value: x, conditions: [{ if_version_match: 1, if_exists: true }] }\n')).toContain('operations[0].conditions[0]');
  });

  it('reads both forms', () => {
    expect(txnFileOf('operations:\n  - { type: PUT, key: a, value: x, conditions: [{ if_version_match: 2 }], ttl_seconds: 60 }\n', 'txn.yaml')).toEqual({
      form: 'seeds',
      operations: [{ type: 'put', key: 'a', value: 'x', conditions: [{ ifVersionMatch: 2 }], ttlSeconds: 60 }],
    });
    const etcd = txnFileOf('compare:\n  - { key: a, value: "1", result: "=" }\nsuccess:\n  - put: { key: a, value: "2" }\nfailure:\n  - get: { key: a }\n', 'txn.yaml');
    expect(etcd.form).toBe('etcd');
    expect(etcd.form === 'etcd' && [etcd.compare.length, etcd.success.length, etcd.failure.length]).toEqual([1, 1, 1]);
  });
});
