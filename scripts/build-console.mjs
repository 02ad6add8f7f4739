// Builds the web console (console/, docs/console.md) into dist/console, which every member
// serves at /ui/: console/src/main.ts bundled and minified by esbuild, its stylesheet beside
// it, both named by a hash of their contents, index.html naming them, and a gzipped copy of
// each file made once here rather than per request. Nothing is fetched from elsewhere: no
// CDN, no web font.
//   node scripts/build-console.mjs [--if-stale] [--root DIR]
// --if-stale builds only when the sources changed since the last build (what `npm start` and
// `npm test` run first); the build records a hash of its inputs in dist/console/.inputs-sha256.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { gzipSync, constants as zlib } from 'node:zlib';
import { build } from 'esbuild';

const { values } = parseArgs({ options: { 'if-stale': { type: 'boolean' }, root: { type: 'string' } } });
const root = values.root ?? process.cwd();
const sources = join(root, 'console');
const outdir = join(root, 'dist/console');
const stampFile = join(outdir, '.inputs-sha256');

/** Every file the build reads, hashed by path and contents, this script included. */
function inputsHash() {
  const files = readdirSync(sources, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  const hash = createHash('sha256');
  for (const file of [join(root, 'scripts/build-console.mjs'), ...files]) hash.update(`${relative(root, file)}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

const wanted = inputsHash();
if (values['if-stale'] && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) process.exit(0);

const bundle = await build({
  absWorkingDir: root,
  entryPoints: ['console/src/main.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
const script = bundle.outputFiles[0].contents;
const style = readFileSync(join(sources, 'style.css'));

const shortHash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);
const scriptName = `app-${shortHash(script)}.js`;
const styleName = `app-${shortHash(style)}.css`;
const page = readFileSync(join(sources, 'index.html'), 'utf8').replace('{{script}}', scriptName).replace('{{style}}', styleName);

// Written beside dist/console and then moved into place, so that two builds at once (two test
// files in parallel) never leave a half-written directory: the last one to finish wins whole.
const staging = `${outdir}.${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
let gzippedBytes = 0;
for (const [name, contents] of [['index.html', Buffer.from(page)], [scriptName, script], [styleName, style]]) {
  const gzipped = gzipSync(contents, { level: zlib.Z_BEST_COMPRESSION });
  gzippedBytes += gzipped.length;
  writeFileSync(join(staging, name), contents);
  writeFileSync(join(staging, `${name}.gz`), gzipped);
}
writeFileSync(join(staging, '.inputs-sha256'), wanted);
rmSync(outdir, { recursive: true, force: true });
try {
  renameSync(staging, outdir);
} catch (error) {
  // Another build moved its copy in between: it is of the same inputs unless they changed meanwhile.
  rmSync(staging, { recursive: true, force: true });
  if (!existsSync(stampFile)) throw error;
}
process.stdout.write(`web console built in dist/console: ${(gzippedBytes / 1024).toFixed(1)} KiB gzipped\n`);
