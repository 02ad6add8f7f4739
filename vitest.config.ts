import { defineConfig } from 'vitest/config';

// CI asks for a JSON report beside the console one, so it can print a plain pass/fail count.
const jsonReport = process.env.BVAULT_VITEST_JSON;

// The operator's tests run real clusters as pods on the Kubernetes test bed and time how fast
// the operator converges: they run after the rest, once the machine is no longer shared with
// every other suite, one file at a time: two beds at once on a busy two-core machine made the
// operator miss convergence deadlines.
const OPERATOR_TESTS = 'test/operator/**/*.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
    projects: [
      { extends: true, test: { name: 'core', include: ['test/**/*.test.ts', 'src/**/*.test.ts'], exclude: [OPERATOR_TESTS], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'operator', include: [OPERATOR_TESTS], sequence: { groupOrder: 1 } } },
    ],
  },
});
