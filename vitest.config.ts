import { defineConfig } from 'vitest/config';

// CI asks for a JSON report beside the console one, so it can print a plain pass/fail count.
const jsonReport = process.env.BVAULT_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
