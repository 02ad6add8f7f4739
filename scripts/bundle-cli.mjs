// The `bvault` command as the build ships it: src/cli/main.ts and everything it loads, bundled
// by esbuild into dist/src/cli/main.js (replacing tsc's copy of that one file) and chunks
// beside it. A restarted member serves sooner: Node loads a few files instead of about 650
// modules one by one, which on a busy machine took seconds (docs/benchmarks.md). Each lazy
// import of main.ts (the server, the client commands, the benchmark) stays a chunk of its
// own, so `bvault version` or `bvault get` load no server code. tsc's other files in dist/ stay
// as they are: the client library is imported from there.
//   node scripts/bundle-cli.mjs [--root DIR] [--outdir DIR]    (run by `npm run build`, after tsc)
// --root names the repository (default: the working directory); --outdir puts the bundle
// elsewhere than dist/src/cli (a test's), somewhere below the repository's node_modules, where
// the external packages resolve.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({ options: { root: { type: 'string' }, outdir: { type: 'string' } } });
const root = values.root ?? process.cwd();
const outdir = values.outdir ?? join(root, 'dist/src/cli');
const chunks = 'chunks';

// Chunk names carry a content hash: without this, chunks of earlier builds would pile up.
await rm(join(outdir, chunks), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  chunkNames: `${chunks}/[name]-[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // classic-level loads its native addon relative to its own files; pino-pretty is loaded by
  // name through createRequire, and only when logs go to a terminal.
  external: ['classic-level', 'pino-pretty'],
  // The CommonJS packages bundled into ESM (grpc-js, fastify, ...) call require() for Node's
  // own modules; ESM has no require, so each output file makes one.
  banner: { js: "import { createRequire as bundledCreateRequire } from 'node:module'; const require = bundledCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  allowOverwrite: true,
});
