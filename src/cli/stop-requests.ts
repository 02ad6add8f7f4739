// What asks a `bvault` process to stop, as one promise: SIGINT (Ctrl-C), SIGTERM (a supervisor,
// `kill`), SIGHUP (the terminal closed), and the parent going away. A node that `bvault dev`
// started has an IPC channel to it, which closes however dev ends, even by SIGKILL; dev itself
// may be asked to notice when its parent (npm, a shell) exits without telling it. Repeated
// signals (a terminal's Ctrl-C reaches npm and dev, and npm forwards it again) change nothing.

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const PARENT_POLL_MS = 1_000;

export interface StopRequestOptions {
  /** Stop when this process is orphaned (its parent process id changes): for `bvault dev`. */
  readonly stopWhenOrphaned: boolean;
}

/** Resolves with what asked for the stop, e.g. "SIGTERM" or "the parent process exited". */
export function whenStopRequested(options: StopRequestOptions): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of STOP_SIGNALS) process.on(signal, () => resolve(signal));
    if (process.connected) process.once('disconnect', () => resolve('the parent process exited'));
    if (!options.stopWhenOrphaned) return;
    const parent = process.ppid;
    const watcher = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watcher);
      resolve('the parent process exited');
    }, PARENT_POLL_MS);
    watcher.unref();
  });
}
