// What the exit status of `bvault` means, so scripts and supervisors can tell a bad
// configuration (fix it, do not restart) from a failure worth a restart.
export const EXIT_CODES = {
  ok: 0,
  /** Unexpected failure; a restart may help. */
  failure: 1,
  /** The configuration is invalid; every problem was printed. Restarting will not help. */
  usage: 2,
  /** The data directory was refused: in use, another cluster's, or corrupt. Needs an operator. */
  dataDirRefused: 3,
  /** A listener could not bind its port (in use or not permitted). */
  portUnavailable: 4,
  /** The running cluster named by --join refused or could not be reached. */
  joinFailed: 5,
  /** Shutdown did not finish in time and was cut short. */
  shutdownTimeout: 6,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
