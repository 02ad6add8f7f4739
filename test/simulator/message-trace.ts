// One-line descriptions of messages and memberships for the replay trace, so that a reviewer
// can follow a failing run message by message.

import { EntryType, MessageType } from '../../src/raft/types.js';
import type { ConfState, Entry, Message } from '../../src/raft/types.js';

/** Receives trace lines; absent when tracing is off, so a normal run builds no strings. */
export type TraceSink = (line: string) => void;

export function describeMessage(message: Message): string {
  const parts = [`${MessageType[message.type] ?? message.type} ${message.from}->${message.to} term=${message.term}`];
  if (message.logTerm !== 0 || message.index !== 0) parts.push(`log=${message.index}@${message.logTerm}`);
  if (message.entries.length > 0) parts.push(`entries=[${message.entries.map(describeEntry).join(' ')}]`);
  if (message.commit !== 0) parts.push(`commit=${message.commit}`);
  if (message.reject) parts.push(`reject hint=${message.rejectHint}`);
  if (message.snapshot !== null) {
    const metadata = message.snapshot.metadata;
    parts.push(`snapshot=${metadata.index}@${metadata.term} {${describeConfState(metadata.confState)}}`);
  }
  if (message.context.length > 0) parts.push(`context=${message.context.length}B`);
  return parts.join(' ');
}

export function describeEntry(entry: Entry): string {
  const kind = entry.type === EntryType.ConfChange ? 'conf' : entry.data.length === 0 ? 'noop' : `${entry.data.length}B`;
  return `${entry.index}@${entry.term}:${kind}`;
}

/** A canonical description: equal memberships describe alike whatever the order of ids. */
export function describeConfState(confState: ConfState): string {
  const ids = (nodes: readonly number[]): string => [...nodes].sort((a, b) => a - b).join(',');
  const parts = [`voters=${ids(confState.voters)}`];
  if (confState.learners.length > 0) parts.push(`learners=${ids(confState.learners)}`);
  if (confState.votersOutgoing.length > 0) parts.push(`outgoing=${ids(confState.votersOutgoing)}`);
  if (confState.learnersNext.length > 0) parts.push(`learnersNext=${ids(confState.learnersNext)}`);
  if (confState.votersOutgoing.length > 0) parts.push(confState.autoLeave ? 'auto-leave' : 'explicit-leave');
  return parts.join(' ');
}
