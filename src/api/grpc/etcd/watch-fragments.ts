// etcd's watch fragmentation: a response whose events exceed the size limit is split into
// several responses of whole events, each at most the limit (a single larger event travels
// alone). Every part but the last is marked `fragment` so the client joins them again.
import { Event } from '../../../generated/etcd/mvccpb/kv.js';

export function fragmentEvents(events: Event[], fragmentBytesMax: number): Event[][] {
  const parts: Event[][] = [];
  let current: Event[] = [];
  let currentBytes = 0;
  for (const event of events) {
    const eventBytes = Event.encode(event).finish().byteLength;
    if (current.length > 0 && currentBytes + eventBytes > fragmentBytesMax) {
      parts.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(event);
    currentBytes += eventBytes;
  }
  parts.push(current);
  return parts;
}
