// The watch view: tails a prefix over the REST API's Server-Sent Events route. It reads the
// stream with fetch rather than EventSource, which cannot send the Authorization header.
// While paused, events are kept and counted, and shown on resume; the filter applies to what
// is shown, not to what is received.
import { call } from './api.js';
import { field, h, replace } from './dom.js';
import { notifyError } from './notice.js';

interface WatchedEvent {
  readonly id: string;
  readonly type: string;
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  readonly atMs: number;
}

/** The newest events kept; older ones are dropped. */
const EVENTS_MAX = 500;

const watch = {
  prefix: '',
  running: undefined as AbortController | undefined,
  paused: false,
  events: [] as WatchedEvent[],
  waiting: [] as WatchedEvent[],
  filter: '',
  type: 'all',
};

let container: HTMLElement | undefined;

export function renderWatch(target: HTMLElement): void {
  container = target;
  draw();
}

function draw(): void {
  if (container === undefined || !container.isConnected) return;
  const prefix = h('input', { id: 'watch-prefix', type: 'search', value: watch.prefix, placeholder: 'a prefix, or empty for every key', disabled: watch.running !== undefined });
  const start = (event: Event): void => {
    event.preventDefault();
    if (watch.running !== undefined) stop();
    else begin(prefix.value);
  };
  const filter = h('input', {
    id: 'watch-filter',
    type: 'search',
    value: watch.filter,
    placeholder: 'keys or values containing…',
    oninput: () => {
      watch.filter = filter.value;
      drawEvents();
    },
  });
  const type = h(
    'select',
    {
      id: 'watch-type',
      onchange: () => {
        watch.type = type.value;
        drawEvents();
      },
    },
    ...['all', 'put', 'delete'].map((option) => h('option', { value: option, selected: watch.type === option }, option)),
  );
  replace(
    container,
    h('h1', {}, 'Watch'),
    h(
      'form',
      { class: 'row', onsubmit: start },
      field('Prefix', prefix),
      h('button', { type: 'submit', id: 'watch-start' }, watch.running === undefined ? 'Start' : 'Stop'),
      h('button', { type: 'button', id: 'watch-pause', disabled: watch.running === undefined, onclick: togglePause }, watch.paused ? `Resume (${watch.waiting.length} waiting)` : 'Pause'),
      h('button', { type: 'button', onclick: clear }, 'Clear'),
    ),
    h('div', { class: 'row' }, field('Filter', filter), field('Type', type)),
    h('p', { id: 'watch-state', class: 'muted' }, watch.running === undefined ? 'Not watching.' : `Watching ${watch.prefix === '' ? 'every key' : `the prefix “${watch.prefix}”`}${watch.paused ? ', paused' : ''}.`),
    h('table', { id: 'watch-events' }, h('thead', {}, h('tr', {}, ...['Time', 'Event', 'Type', 'Key', 'Value', 'Revision'].map((title) => h('th', {}, title)))), h('tbody', { id: 'watch-rows' })),
  );
  drawEvents();
}

function drawEvents(): void {
  const body = document.getElementById('watch-rows');
  if (body === null) return;
  const needle = watch.filter.toLowerCase();
  const shown = watch.events.filter((event) => (watch.type === 'all' || event.type === watch.type) && (needle === '' || event.key.toLowerCase().includes(needle) || event.value.toLowerCase().includes(needle)));
  replace(
    body,
    shown
      .slice()
      .reverse()
      .map((event) =>
        h('tr', { 'data-key': event.key }, h('td', {}, new Date(event.atMs).toLocaleTimeString()), h('td', { class: 'mono' }, event.id), h('td', {}, h('span', { class: `event-${event.type}` }, event.type)), h('td', { class: 'mono' }, event.key), h('td', { class: 'mono' }, event.value), h('td', { class: 'num' }, event.modRevision)),
      ),
  );
}

function togglePause(): void {
  watch.paused = !watch.paused;
  if (!watch.paused) {
    keep(watch.waiting);
    watch.waiting = [];
  }
  draw();
}

function clear(): void {
  watch.events = [];
  watch.waiting = [];
  draw();
}

function keep(events: readonly WatchedEvent[]): void {
  watch.events.push(...events);
  if (watch.events.length > EVENTS_MAX) watch.events.splice(0, watch.events.length - EVENTS_MAX);
}

function stop(): void {
  watch.running?.abort();
  watch.running = undefined;
  watch.paused = false;
  keep(watch.waiting);
  watch.waiting = [];
  draw();
}

function begin(prefix: string): void {
  const controller = new AbortController();
  watch.prefix = prefix;
  watch.running = controller;
  draw();
  void stream(prefix, controller).catch((error: unknown) => {
    if (controller.signal.aborted) return;
    notifyError(error);
    if (watch.running === controller) stop();
  });
}

async function stream(prefix: string, controller: AbortController): Promise<void> {
  const path = `/api/v1/watch/${prefix.split('/').map(encodeURIComponent).join('/')}`;
  const response = await call('GET', path, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (reader === undefined) throw new Error('the watch stream has no body');
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      received(buffered.slice(0, end));
      buffered = buffered.slice(end + 2);
    }
  }
  if (watch.running === controller) stop();
}

/** One Server-Sent Event: `id:`, `event:` and `data:` lines; comments (`:`) are keep-alives. */
function received(block: string): void {
  let id = '';
  let type = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (data === '') return;
  const parsed = JSON.parse(data) as { kv?: { key: string; value?: string; encoding?: string; modRevision: number }; message?: string };
  if (type === 'error' || parsed.kv === undefined) {
    notifyError(new Error(`The watch ended: ${parsed.message ?? data}`));
    return;
  }
  const kv = parsed.kv;
  const event: WatchedEvent = { id, type, key: kv.key, value: kv.encoding === 'base64' ? `base64:${kv.value ?? ''}` : (kv.value ?? ''), modRevision: kv.modRevision, atMs: Date.now() };
  if (watch.paused) {
    watch.waiting.push(event);
    const pause = document.getElementById('watch-pause');
    if (pause !== null) pause.textContent = `Resume (${watch.waiting.length} waiting)`;
    return;
  }
  keep([event]);
  drawEvents();
}
