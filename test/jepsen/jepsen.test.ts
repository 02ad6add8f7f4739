// One short fault-injection run inside npm test: three real members, about 90 s of every kind
// of fault under ten clients, then every check. It passes only if every check passed and the
// run really exercised the cluster: enough operations of each kind, each fault injected.
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from './faults/nemesis.js';
import { formatReport } from './jepsen-report.js';
import { runJepsen } from './run-jepsen.js';

/**
 * Each of the seven kinds of fault comes once per round of cycles of 3-12 s, plus the time to
 * end it (a restart, an election, a membership change); at 75 s a loaded machine finished the
 * first round with no cycle to spare.
 */
const RUN_SECONDS = 90;
/** Starting, healing and checking come on top of the run itself, which goes on (up to twice RUN_SECONDS) until every kind of fault was injected. */
const TEST_TIMEOUT_MS = 480_000;
/** Far below what ten clients do in 90 s even on a loaded machine, far above a stuck workload. */
const OPERATIONS_MIN = 500;
const ACKNOWLEDGED_PER_KIND_MIN = 5;

describe('fault injection on a real cluster', () => {
  it(
    'keeps every guarantee through kill -9, pauses, partitions, membership changes, a slow disk, a crashed leader with a slow disk and clock jumps',
    async () => {
      const report = await runJepsen({ nodes: 3, timeSeconds: RUN_SECONDS, faults: FAULT_KINDS, seed: 6, clients: 10, keep: false });
      const printed = formatReport(report);
      console.log(printed);
      expect(report.checks.map((check) => [check.name, check.result === 'illegal' ? check.detail : 'no violation'])).toEqual(report.checks.map((check) => [check.name, 'no violation']));
      expect(report.passed, printed).toBe(true);
      expect(report.operations).toBeGreaterThan(OPERATIONS_MIN);
      for (const [kind, counts] of Object.entries(report.outcomes)) expect(counts.ok, `acknowledged ${kind} operations`).toBeGreaterThanOrEqual(ACKNOWLEDGED_PER_KIND_MIN);
      // A slow-leader-disk fault counts only once the disk of the member leading in the newest
      // term was slowed (its starter fails otherwise), so this also proves a leader's disk was slow.
      for (const kind of FAULT_KINDS) expect(report.faultCounts[kind], `${kind} faults injected`).toBeGreaterThan(0);
      expect(report.checks.find((check) => check.name.includes('registers'))?.result).toBe('ok');
    },
    TEST_TIMEOUT_MS,
  );
});
