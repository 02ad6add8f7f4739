// What a run did, counted so that a summary can show the runs exercised every fault and
// feature, and a suite can assert that it did not pass vacuously.

export interface SimulationStats {
  ticks: number;
  /** Messages delivered to a running node. */
  messages: number;
  /** Distinct (term, leader) pairs. */
  elections: number;
  /** Snapshots installed by a node through a Ready. */
  snapshots: number;
  crashes: number;
  /** Crashes part way through processing a Ready. */
  crashesInReady: number;
  partitions: number;
  oneWayCuts: number;
  /** Membership changes applied (counted once per configuration entry). */
  confChanges: number;
  /** Leadership transfers that ended with the target elected. */
  transfers: number;
  /** ReadIndex requests answered with a ReadState. */
  reads: number;
  /** Distinct client writes applied. */
  writes: number;
  compactions: number;
}

export function emptyStats(): SimulationStats {
  return {
    ticks: 0,
    messages: 0,
    elections: 0,
    snapshots: 0,
    crashes: 0,
    crashesInReady: 0,
    partitions: 0,
    oneWayCuts: 0,
    confChanges: 0,
    transfers: 0,
    reads: 0,
    writes: 0,
    compactions: 0,
  };
}

export function addStats(total: SimulationStats, run: SimulationStats): void {
  for (const key of Object.keys(total) as (keyof SimulationStats)[]) total[key] += run[key];
}
