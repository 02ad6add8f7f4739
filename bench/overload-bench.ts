// The overload scenario of test/cluster/overload.test.ts at a larger scale, with its figures
// printed for docs/benchmarks.md: a three-process cluster with one slow follower (each of its
// WAL writes held by the wal-write failpoint), thousands of concurrent requests over a few gRPC
// channels, most of them 64 KiB puts (every 200th 1 MiB) to the leader, the rest linearizable
// reads. Every flag has the test's figure scaled up as its default:
//
//   npm run bench:overload -- --requests 20000 --concurrency 5000 --value-bytes 65536
//   npm run bench:overload -- --requests 5000 --concurrency 2000 -- --pending-proposal-bytes-max 4MiB   (settings for every server after --)
import { parseArgs } from 'node:util';
import { describeFigures, runOverloadScenario } from '../test/cluster/overload-scenario.js';

const { values, positionals } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '5000' },
    'channels-per-member': { type: 'string', default: '4' },
    'value-bytes': { type: 'string', default: String(64 * 1024) },
    'large-value-every': { type: 'string', default: '200' },
    'large-value-bytes': { type: 'string', default: String(1024 * 1024) },
    'reads-in-ten': { type: 'string', default: '6' },
    'slow-disk-ms': { type: 'string', default: '50' },
    'deadline-ms': { type: 'string', default: '30000' },
    'log-directory': { type: 'string' },
  },
  // Anything after `--` that is not a flag above goes to every server, e.g. -- --pending-proposals-max 500.
  allowPositionals: true,
  strict: true,
});

function positiveInteger(name: keyof typeof values): number {
  const text = values[name] as string;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

const requests = positiveInteger('requests');
let lastReport = 0;
const figures = await runOverloadScenario({
  requests,
  concurrency: positiveInteger('concurrency'),
  channelsPerMember: positiveInteger('channels-per-member'),
  valueBytes: positiveInteger('value-bytes'),
  largeValueEvery: positiveInteger('large-value-every'),
  largeValueBytes: positiveInteger('large-value-bytes'),
  readsInTen: Number(values['reads-in-ten']),
  slowDiskMs: positiveInteger('slow-disk-ms'),
  deadlineMs: positiveInteger('deadline-ms'),
  serverArgs: positionals,
  ...(values['log-directory'] === undefined ? {} : { logDirectory: values['log-directory'] }),
  onProgress: (done) => {
    if (done - lastReport < requests / 20 && done !== requests) return;
    lastReport = done;
    process.stderr.write(`\r${done} of ${requests} requests answered`);
  },
});
process.stderr.write('\n');
console.log(describeFigures(figures));
