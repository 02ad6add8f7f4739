// `npm run generate`, but only when src/generated was not made from the current proto/,
// buf.gen.yaml and scripts/generate-etcd-descriptors.mjs. Generating takes seconds and
// `npm run bvault` is run once per command, so it compares a hash of the inputs with the one
// `npm run generate` recorded beside its output.
//   node scripts/generate-if-stale.mjs [--check | --record] [--root DIR]
// --check only prints `fresh` or `stale` (exit 0 or 1); --record records the current inputs as
// generated (what `npm run generate` does after buf); --root names the repository (default:
// the working directory).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { check: { type: 'boolean' }, record: { type: 'boolean' }, root: { type: 'string' } } });
const root = values.root ?? process.cwd();
const stampFile = join(root, 'src/generated/.inputs-sha256');

/** Every file generation reads, in a fixed order, hashed by path and contents. */
function inputsHash() {
  const protoFiles = readdirSync(join(root, 'proto'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.proto'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  const hash = createHash('sha256');
  for (const file of [join(root, 'buf.gen.yaml'), join(root, 'scripts/generate-etcd-descriptors.mjs'), ...protoFiles]) hash.update(`${relative(root, file)}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

const wanted = inputsHash();
if (values.record) {
  writeFileSync(stampFile, wanted);
  process.exit(0);
}
const fresh = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted;
if (values.check) {
  process.stdout.write(fresh ? 'fresh\n' : 'stale\n');
  process.exit(fresh ? 0 : 1);
}
if (!fresh) execFileSync('npm', ['run', 'generate'], { cwd: root, stdio: 'inherit' });
