// The verdict of one check of a run, as the report shows it.

export interface CheckOutcome {
  readonly name: string;
  /**
   * ok: the property holds. illegal: it does not, and `detail` shows where. unknown: the
   * checker gave up at its deadline; neither proven nor refuted.
   */
  readonly result: 'ok' | 'illegal' | 'unknown';
  readonly detail: string;
  readonly elapsedMs: number;
  /** Whether 'unknown' fails the run: true for checks expected to finish in time on any run. */
  readonly mustDecide: boolean;
}

/** Whether a run passes: no check found a violation, and every check that must decide did. */
export function passed(checks: readonly CheckOutcome[]): boolean {
  return checks.every((check) => check.result === 'ok' || (check.result === 'unknown' && !check.mustDecide));
}
