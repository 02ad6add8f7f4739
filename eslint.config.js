// Lint rules, and the import boundary that keeps the Raft core pure: src/raft may import
// only from within src/raft, and may not reach the clock, timers, global randomness or I/O.
// A second boundary keeps the client APIs apart: what REST and gRPC share lives in
// src/api/shared, so neither imports the other.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const raftPurity = {
  'no-restricted-globals': [
    'error',
    ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process', 'Buffer', 'performance', 'fetch', 'require'].map(
      (name) => ({ name, message: 'src/raft is a pure state machine: time, I/O and the host come in through the caller.' }),
    ),
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Use the seeded Random from the raft config.' },
    { object: 'Date', property: 'now', message: 'src/raft has no clock; time arrives as tick().' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date']", message: 'src/raft has no clock; time arrives as tick().' },
  ],
};

export default tseslint.config(
  // src/generated is ts-proto's output of proto/ (npm run generate), never edited by hand.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.generated.ts', 'src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/raft/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      ...raftPurity,
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\./)', message: 'src/raft imports only from src/raft.' }] },
      ],
    },
  },
  {
    files: ['src/raft/*/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      ...raftPurity,
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\.\\.?/)|^\\.\\./\\.\\./', message: 'src/raft imports only from src/raft.' }] },
      ],
    },
  },
  {
    files: ['src/api/http/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '/grpc/', message: 'What REST and gRPC share belongs in src/api/shared.' }] }],
    },
  },
  {
    files: ['src/api/grpc/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '/http/', message: 'What REST and gRPC share belongs in src/api/shared.' }] }],
    },
  },
);
