// The report printed at the end of a run: what ran, how each kind of operation ended, which
// faults were injected, and each check's verdict with its time and explanation.
import type { JepsenReport } from './run-jepsen.js';

const number = new Intl.NumberFormat('en-US');

function outcomeTable(report: JepsenReport): string[] {
  const rows = Object.entries(report.outcomes).filter(([, counts]) => counts.ok + counts.fail + counts.info > 0);
  const lines = [`  ${'operation'.padEnd(14)}${'ok'.padStart(8)}${'fail'.padStart(8)}${'unknown'.padStart(9)}`];
  for (const [kind, counts] of rows) lines.push(`  ${kind.padEnd(14)}${number.format(counts.ok).padStart(8)}${number.format(counts.fail).padStart(8)}${number.format(counts.info).padStart(9)}`);
  return lines;
}

export function formatReport(report: JepsenReport): string {
  const { options } = report;
  const totals = { ok: 0, fail: 0, info: 0 };
  for (const counts of Object.values(report.outcomes)) for (const outcome of ['ok', 'fail', 'info'] as const) totals[outcome] += counts[outcome];
  const faults = Object.entries(report.faultCounts).map(([kind, count]) => `${kind} ${count}`).join(', ');
  const lines = [
    `fault-injection run: ${options.nodes} nodes, ${options.timeSeconds} s, faults ${options.faults.join(',') || 'none'}, seed ${options.seed}, ${options.clients} clients (${(report.durationMs / 1000).toFixed(1)} s in all)`,
    `operations: ${number.format(report.operations)} (ok ${number.format(totals.ok)}, fail ${number.format(totals.fail)}, unknown ${number.format(totals.info)})`,
    ...outcomeTable(report),
    `faults injected: ${faults || 'none'}`,
    `final revision: ${number.format(report.finalRevision)}`,
    'checks:',
  ];
  for (const check of report.checks) {
    const [summary, ...explanation] = check.detail.split('\n');
    lines.push(`  ${check.result.padEnd(8)}${check.name.padEnd(36)}${`${(check.elapsedMs / 1000).toFixed(1)} s`.padStart(8)}   ${summary ?? ''}`);
    for (const line of explanation) lines.push(`      ${line}`);
  }
  lines.push(report.passed ? 'result: PASSED' : 'result: FAILED');
  if (report.kept) lines.push(`run directory kept: ${report.runDirectory}`);
  return lines.join('\n');
}
