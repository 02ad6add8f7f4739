// Streams need a listening server: inject cannot read a watch response that never ends, and
// backup and restore should cross a real socket.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { type HttpApi, startHttpApi } from '../../src/api/http/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SingleStoreKvNode } from './single-store-kv-node.js';

let node: SingleStoreKvNode;
let api: HttpApi;
beforeEach(async () => {
  node = await SingleStoreKvNode.open();
  api = await startHttpApi({ node, host: '127.0.0.1', port: 0, metrics: new Registry(), logger: silentLogger(), limits: { watchKeepAliveMs: 200 } });
});
afterEach(async () => {
  await api.close();
  await node.close();
});

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads SSE events (and counts comments) from a watch until `enough` says stop, then disconnects. */
async function readEvents(path: string, headers: Record<string, string>, enough: (events: SseEvent[], comments: number) => boolean, onOpen?: () => Promise<void>) {
  const controller = new AbortController();
  const response = await fetch(`${api.url}${path}`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let comments = 0;
  if (response.body === null) throw new Error('no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  await onOpen?.();
  const deadline = setTimeout(() => controller.abort(), 5_000);
  try {
    while (!enough(events, comments)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) comments++;
        else events.push(parseEvent(block));
      }
    }
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
  return { status: response.status, contentType: response.headers.get('content-type'), events, comments };
}

function parseEvent(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(': ');
    const field = line.slice(0, colon) as keyof SseEvent;
    event[field] = line.slice(colon + 2);
  }
  return event;
}

const put = (key: string, value: string) => fetch(`${api.url}/api/v1/keys/${key}`, { method: 'PUT', body: value });
const keyOf = (event: SseEvent) => (JSON.parse(event.data ?? '{}') as { kv: { key: string; value: string } }).kv;

describe('watch over Server-Sent Events', () => {
  it('streams puts and deletes under the prefix with revision ids', async () => {
    const result = await readEvents('/api/v1/watch/app/', {}, (events) => events.length >= 3, async () => {
      await put('app/a', '1');
      await put('other', 'x');
      await put('app/b', '2');
      await fetch(`${api.url}/api/v1/keys/app/a`, { method: 'DELETE' });
    });
    expect(result.status).toBe(200);
    expect(result.contentType).toContain('text/event-stream');
    expect(result.events.map((event) => [event.id, event.event, keyOf(event).key])).toEqual([
      ['2.0', 'put', 'app/a'],
      ['4.0', 'put', 'app/b'],
      ['5.0', 'delete', 'app/a'],
    ]);
  });

  it('resumes strictly after Last-Event-ID, inside a multi-key transaction, without gap or duplicate', async () => {
    // Revision 2 writes three keys at once; revision 3 writes one more.
    await fetch(`${api.url}/api/v1/batch/put`, { method: 'POST', body: JSON.stringify({ items: ['t/a', 't/b', 't/c'].map((key) => ({ key, value: key })) }) });
    await put('t/d', 'd');
    const all = await readEvents('/api/v1/watch/t/?start_revision=1', {}, (events) => events.length >= 4);
    expect(all.events.map((event) => event.id)).toEqual(['2.0', '2.1', '2.2', '3.0']);
    const resumed = await readEvents('/api/v1/watch/t/?start_revision=1', { 'last-event-id': '2.0' }, (events) => events.length >= 3);
    expect(resumed.events.map((event) => [event.id, keyOf(event).key])).toEqual([
      ['2.1', 't/b'],
      ['2.2', 't/c'],
      ['3.0', 't/d'],
    ]);
    const afterRevision = await readEvents('/api/v1/watch/t/', { 'last-event-id': '2' }, (events) => events.length >= 1);
    expect(afterRevision.events.map((event) => event.id)).toEqual(['3.0']);
  });

  it('applies filters and prev_kv', async () => {
    await put('f/a', 'old');
    const result = await readEvents('/api/v1/watch/f/?filter=noput&prev_kv=true', {}, (events) => events.length >= 1, async () => {
      await put('f/a', 'new');
      await fetch(`${api.url}/api/v1/keys/f/a`, { method: 'DELETE' });
    });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]?.event).toBe('delete');
    expect((JSON.parse(result.events[0]?.data ?? '{}') as { prevKv: { value: string } }).prevKv.value).toBe('new');
  });

  it('a compacted start revision ends the stream with an error event naming the compact revision', async () => {
    await put('c/a', '1');
    await put('c/a', '2');
    await fetch(`${api.url}/api/v1/admin/compact`, { method: 'POST', body: JSON.stringify({ revision: 3 }) });
    const result = await readEvents('/api/v1/watch/c/?start_revision=2', {}, () => false);
    expect(result.events).toHaveLength(1);
    expect(result.events[0]?.event).toBe('error');
    expect(JSON.parse(result.events[0]?.data ?? '{}')).toMatchObject({ code: 'MVCC_COMPACTED', compactRevision: 3 });
  });

  it('sends keep-alive comments and removes the watcher when the client disconnects', async () => {
    // One comment opens the stream; at a 200 ms keep-alive two more arrive within the first half second.
    const result = await readEvents('/api/v1/watch/k/', {}, (_events, comments) => comments >= 3, async () => {
      expect(node.store.watcherCount).toBe(1);
    });
    expect(result.comments).toBe(3);
    expect(result.events).toEqual([]);
    const deadline = Date.now() + 2_000;
    while (node.store.watcherCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(node.store.watcherCount).toBe(0);
  });

  it('refuses a malformed Last-Event-ID and an unknown filter with JSON 400', async () => {
    const badId = await fetch(`${api.url}/api/v1/watch/x/`, { headers: { 'last-event-id': 'abc' } });
    expect(badId.status).toBe(400);
    expect((await fetch(`${api.url}/api/v1/watch/x/?filter=everything`)).status).toBe(400);
  });
});

describe('backup and restore', () => {
  it('streams a backup out and restores it, bringing back the state of the backup', async () => {
    await put('b/kept', 'v1');
    const backup = await fetch(`${api.url}/api/v1/admin/backup`, { method: 'POST' });
    expect(backup.status).toBe(200);
    expect(backup.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await backup.arrayBuffer());
    await put('b/kept', 'v2');
    await put('b/later', 'x');
    const restored = await fetch(`${api.url}/api/v1/admin/restore`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(restored.status).toBe(200);
    expect(await restored.json()).toEqual({ restored: true, revision: 2 });
    expect(await (await fetch(`${api.url}/api/v1/keys/b/kept`)).text()).toBe('v1');
    expect((await fetch(`${api.url}/api/v1/keys/b/later`)).status).toBe(404);
  });

  it('refuses a corrupted backup with 400 and keeps the current state', async () => {
    await put('b/kept', 'v1');
    const bytes = Buffer.from(await (await fetch(`${api.url}/api/v1/admin/backup`, { method: 'POST' })).arrayBuffer());
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    await put('b/kept', 'v2');
    const refused = await fetch(`${api.url}/api/v1/admin/restore`, { method: 'POST', body: bytes });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('MVCC_SNAPSHOT_INVALID');
    expect(await (await fetch(`${api.url}/api/v1/keys/b/kept`)).text()).toBe('v2');
  });
});
