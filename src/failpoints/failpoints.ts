// Failpoints: named places in the server where a fault-injection test can make it misbehave
// on purpose, as etcd's gofail does. Only delays are offered, because a delay is the one fault
// a test cannot impose from outside the process: kill -9, SIGSTOP and partitions need no help.
//
// Every failpoint is off unless the operator sets BVAULT_FAILPOINTS at start or opens the
// control listener (see failpoint-control.ts); an unset failpoint costs one field read.

/** The failpoints the server has, each named where it sits. */
export const FAILPOINT_NAMES = [
  // Before each batch of WAL records is written and fsynced: a slow disk.
  'wal-write',
] as const;

export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/** What a failpoint does when reached: nothing, or wait this long first. */
export type FailpointAction = { readonly kind: 'off' } | { readonly kind: 'sleep'; readonly milliseconds: number };

/** The longest delay a failpoint accepts: longer than any request timeout, short of a hang. */
export const FAILPOINT_SLEEP_MS_MAX = 60_000;

const actions = new Map<FailpointName, FailpointAction>();

export function isFailpointName(name: string): name is FailpointName {
  return (FAILPOINT_NAMES as readonly string[]).includes(name);
}

export function setFailpoint(name: FailpointName, action: FailpointAction): void {
  if (action.kind === 'off') actions.delete(name);
  else actions.set(name, action);
}

export function failpointAction(name: FailpointName): FailpointAction {
  return actions.get(name) ?? { kind: 'off' };
}

/** Waits as the failpoint says; resolves at once when it is off. */
export async function reachFailpoint(name: FailpointName): Promise<void> {
  if (actions.size === 0) return;
  const action = actions.get(name);
  if (action?.kind === 'sleep') await new Promise((resolve) => setTimeout(resolve, action.milliseconds));
}

/** Parses `off` or `sleep(N)` (N in milliseconds); returns a sentence naming the problem otherwise. */
export function parseFailpointAction(text: string): FailpointAction | string {
  const trimmed = text.trim();
  if (trimmed === 'off') return { kind: 'off' };
  const sleep = /^sleep\((\d+)\)$/.exec(trimmed);
  if (sleep === null) return `${JSON.stringify(trimmed)} is not a failpoint action; use off or sleep(milliseconds)`;
  const milliseconds = Number(sleep[1]);
  if (milliseconds > FAILPOINT_SLEEP_MS_MAX) return `sleep(${milliseconds}) is longer than the ${FAILPOINT_SLEEP_MS_MAX} ms a failpoint may wait`;
  return { kind: 'sleep', milliseconds };
}

/**
 * Applies `name=action` items separated by ';' (the BVAULT_FAILPOINTS syntax), all or none:
 * returns the problems found, and changes nothing if there are any.
 */
export function applyFailpointSettings(settings: string): string[] {
  const parsed: [FailpointName, FailpointAction][] = [];
  const problems: string[] = [];
  for (const item of settings.split(';').map((part) => part.trim()).filter((part) => part.length > 0)) {
    const separator = item.indexOf('=');
    const name = separator < 0 ? item : item.slice(0, separator).trim();
    if (!isFailpointName(name)) {
      problems.push(`unknown failpoint ${JSON.stringify(name)}; the failpoints are ${FAILPOINT_NAMES.join(', ')}`);
      continue;
    }
    const action = separator < 0 ? `${JSON.stringify(item)} has no action; write ${name}=sleep(milliseconds)` : parseFailpointAction(item.slice(separator + 1));
    if (typeof action === 'string') problems.push(`failpoint ${name}: ${action}`);
    else parsed.push([name, action]);
  }
  if (problems.length === 0) for (const [name, action] of parsed) setFailpoint(name, action);
  return problems;
}
