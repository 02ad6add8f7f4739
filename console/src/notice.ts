// One line under the header that says what the last action did, or why it failed.
import { describeError } from './api.js';
import { byId } from './dom.js';

export function notify(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const notice = byId('notice');
  notice.textContent = message;
  notice.className = kind;
}

export function notifyError(error: unknown): void {
  notify(describeError(error), 'error');
}

/** Runs an action started by the user, saying how it went. */
export async function act(done: string, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    notify(done);
    return true;
  } catch (error) {
    notifyError(error);
    return false;
  }
}
