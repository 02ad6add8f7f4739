// The keys view: browse by prefix a page at a time, read a key (now or at an earlier
// revision) with its metadata, write and delete keys, and run a transaction.
import { call, json, keyPath } from './api.js';
import { confirmAction } from './confirm.js';
import { field, formatBytes, h, replace } from './dom.js';
import { act, notifyError } from './notice.js';

interface ListedKey {
  readonly key: string;
  readonly keyEncoding?: 'base64';
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: number;
  readonly contentType: string;
}

interface Listing {
  readonly revision: number;
  readonly items: readonly ListedKey[];
  readonly nextCursor: string | null;
}

interface ShownKey {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly createRevision: string;
  readonly modRevision: string;
  readonly version: string;
  readonly lease: string;
  readonly storeRevision: string;
  readonly tags: readonly [string, string][];
  readonly atRevision: string;
}

const PAGE_KEYS = 25;
const TAG_HEADER = 'x-bvault-tag-';

const view = {
  prefix: '',
  /** The cursors of the pages before this one: the first page has none. */
  cursors: [] as (string | undefined)[],
  cursor: undefined as string | undefined,
  listing: undefined as Listing | undefined,
  shown: undefined as ShownKey | undefined,
  valueMode: 'auto' as 'auto' | 'text' | 'json' | 'hex',
};

let container: HTMLElement | undefined;

export async function renderKeys(target: HTMLElement): Promise<void> {
  container = target;
  await loadPage();
}

async function loadPage(): Promise<void> {
  const query = new URLSearchParams({ prefix: view.prefix, limit: String(PAGE_KEYS), keys_only: 'true' });
  if (view.cursor !== undefined) query.set('cursor', view.cursor);
  try {
    view.listing = await json<Listing>('GET', `/api/v1/keys?${query}`);
  } catch (error) {
    view.listing = undefined;
    notifyError(error);
  }
  draw();
}

function draw(): void {
  if (container === undefined) return;
  const prefix = h('input', { id: 'prefix', type: 'search', placeholder: 'a prefix, or empty for every key', value: view.prefix });
  const browse = h(
    'form',
    {
      class: 'row',
      onsubmit: (event: Event) => {
        event.preventDefault();
        view.prefix = prefix.value;
        view.cursors = [];
        view.cursor = undefined;
        void loadPage();
      },
    },
    field('Prefix', prefix),
    h('button', { type: 'submit' }, 'List'),
  );
  replace(container, h('h1', {}, 'Keys'), h('div', { class: 'columns' }, h('section', { class: 'panel' }, browse, listingTable()), h('section', { class: 'panel' }, keyDetail())), h('div', { class: 'columns' }, putForm(), transactionForm()));
}

function listingTable(): HTMLElement {
  const listing = view.listing;
  if (listing === undefined) return h('p', { class: 'muted' }, 'No listing.');
  const rows = listing.items.map((item) =>
    h(
      'tr',
      {},
      h('td', {}, h('button', { class: 'link key', 'data-key': item.key, onclick: () => void showKey(item.key, '') }, item.keyEncoding === 'base64' ? `base64:${item.key}` : item.key)),
      h('td', { class: 'num' }, item.version),
      h('td', { class: 'num' }, item.modRevision),
      h('td', {}, item.contentType || '—'),
      h('td', { class: 'num' }, item.lease === 0 ? '—' : item.lease),
    ),
  );
  const previous = (): void => {
    view.cursor = view.cursors.pop();
    void loadPage();
  };
  const next = (): void => {
    view.cursors.push(view.cursor);
    view.cursor = listing.nextCursor ?? undefined;
    void loadPage();
  };
  return h(
    'div',
    {},
    h('table', { id: 'key-list' }, h('thead', {}, h('tr', {}, ...['Key', 'Version', 'Modified at', 'Content type', 'Lease'].map((title) => h('th', {}, title)))), h('tbody', {}, rows)),
    listing.items.length === 0 ? h('p', { class: 'muted' }, 'No keys with this prefix.') : null,
    h(
      'div',
      { class: 'row' },
      h('button', { disabled: view.cursors.length === 0, onclick: previous }, '← Previous page'),
      h('span', { class: 'muted' }, `page ${view.cursors.length + 1}, at revision ${listing.revision}`),
      h('button', { disabled: listing.nextCursor === null, onclick: next }, 'Next page →'),
    ),
  );
}

async function showKey(key: string, revision: string): Promise<void> {
  try {
    const response = await call('GET', `${keyPath(key)}${revision === '' ? '' : `?revision=${encodeURIComponent(revision)}`}`);
    const headers = response.headers;
    const tags: [string, string][] = [];
    headers.forEach((tagValue, name) => {
      if (name.startsWith(TAG_HEADER)) tags.push([name.slice(TAG_HEADER.length), decodeURIComponent(tagValue)]);
    });
    view.shown = {
      key,
      bytes: new Uint8Array(await response.arrayBuffer()),
      contentType: headers.get('content-type') ?? '',
      createRevision: headers.get('x-bvault-create-revision') ?? '',
      modRevision: headers.get('x-bvault-mod-revision') ?? '',
      version: headers.get('x-bvault-version') ?? '',
      lease: headers.get('x-bvault-lease') ?? '',
      storeRevision: headers.get('x-bvault-revision') ?? '',
      tags,
      atRevision: revision,
    };
  } catch (error) {
    view.shown = undefined;
    notifyError(error);
  }
  draw();
}

function keyDetail(): HTMLElement {
  const shown = view.shown;
  if (shown === undefined) return h('p', { class: 'muted' }, 'Choose a key to see its value.');
  const revision = h('input', { id: 'at-revision', type: 'number', min: 1, placeholder: 'latest', value: shown.atRevision });
  const modes = (['auto', 'text', 'json', 'hex'] as const).map((mode) =>
    h(
      'button',
      {
        class: view.valueMode === mode ? 'tab active' : 'tab',
        onclick: () => {
          view.valueMode = mode;
          draw();
        },
      },
      mode,
    ),
  );
  const remove = async (): Promise<void> => {
    if (!(await confirmAction(`Delete the key “${shown.key}”? This cannot be undone.`))) return;
    if (await act(`Deleted ${shown.key}`, () => call('DELETE', keyPath(shown.key)))) {
      view.shown = undefined;
      await loadPage();
    }
  };
  return h(
    'div',
    { id: 'key-detail' },
    h('h2', { class: 'mono' }, shown.key),
    h(
      'dl',
      { class: 'meta' },
      meta('Created at revision', shown.createRevision),
      meta('Modified at revision', shown.modRevision),
      meta('Version', shown.version),
      meta('Lease', shown.lease === '0' ? 'none' : shown.lease),
      meta('Content type', shown.contentType),
      meta('Size', formatBytes(shown.bytes.length)),
      meta('Tags', shown.tags.length === 0 ? 'none' : shown.tags.map(([name, tag]) => `${name}=${tag}`).join(', ')),
      meta('Read at', shown.atRevision === '' ? `the latest revision (${shown.storeRevision})` : `revision ${shown.atRevision}`),
    ),
    h(
      'form',
      {
        class: 'row',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void showKey(shown.key, revision.value);
        },
      },
      field('Read at revision', revision),
      h('button', { type: 'submit' }, 'Read'),
    ),
    h('div', { class: 'row' }, ...modes),
    h('pre', { id: 'value', class: 'value' }, renderValue(shown.bytes, shown.contentType, view.valueMode)),
    h('button', { class: 'danger', onclick: () => void remove() }, 'Delete…'),
  );
}

function meta(label: string, shown: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, shown)];
}

/** Text, pretty-printed JSON, or a hex dump: `auto` picks the first that fits the bytes. */
export function renderValue(bytes: Uint8Array, contentType: string, mode: 'auto' | 'text' | 'json' | 'hex'): string {
  const text = utf8(bytes);
  if (mode === 'hex' || (mode === 'auto' && text === undefined)) return hexDump(bytes);
  if (mode === 'json' || (mode === 'auto' && (contentType.includes('json') || /^\s*[[{]/.test(text ?? '')))) {
    try {
      return JSON.stringify(JSON.parse(text ?? ''), null, 2);
    } catch {
      if (mode === 'json') return 'The value is not JSON.';
    }
  }
  return text ?? hexDump(bytes);
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** 16 bytes a line: offset, hex, and the printable characters. */
function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = [...bytes.subarray(offset, offset + 16)];
    const hexes = row.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const printable = row.map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hexes.padEnd(47)}  ${printable}`);
  }
  return lines.join('\n') || '(empty)';
}

function putForm(): HTMLElement {
  const key = h('input', { id: 'put-key', required: true, value: view.shown?.key ?? '' });
  const value = h('textarea', { id: 'put-value', rows: 4 });
  const contentType = h('select', { id: 'put-type' }, ...['', 'text/plain', 'application/json', 'application/octet-stream'].map((type) => h('option', { value: type }, type || '(none)')));
  const ttl = h('input', { id: 'put-ttl', type: 'number', min: 1, placeholder: 'none' });
  const tags = h('input', { id: 'put-tags', placeholder: 'name=value, name=value' });
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const bytes = new TextEncoder().encode(value.value);
    if (!(await confirmAction(`Write ${formatBytes(bytes.length)} to the key “${key.value}”?`))) return;
    const headers: Record<string, string> = {};
    if (contentType.value !== '') headers['content-type'] = contentType.value;
    for (const pair of tags.value.split(',')) {
      const [name = '', tag = ''] = pair.split('=').map((part) => part.trim());
      if (name !== '') headers[`${TAG_HEADER}${name}`] = encodeURIComponent(tag);
    }
    const path = `${keyPath(key.value)}${ttl.value === '' ? '' : `?ttl=${encodeURIComponent(ttl.value)}`}`;
    if (await act(`Wrote ${key.value}`, () => call('PUT', path, { body: bytes, headers }))) {
      await loadPage();
      await showKey(key.value, '');
    }
  };
  return h(
    'form',
    { class: 'panel', id: 'put-form', onsubmit: (event: Event) => void submit(event) },
    h('h2', {}, 'Write a key'),
    field('Key', key),
    field('Value', value),
    h('div', { class: 'row' }, field('Content type', contentType), field('TTL (s)', ttl)),
    field('Tags', tags),
    h('button', { type: 'submit' }, 'Write…'),
  );
}

const EXAMPLE_COMPARE = '[{ "key": "config/mode", "target": "VERSION", "result": "EQUAL", "version": 0 }]';
const EXAMPLE_SUCCESS = '[{ "put": { "key": "config/mode", "value": "on" } }]';
const EXAMPLE_FAILURE = '[{ "range": { "key": "config/mode" } }]';

function transactionForm(): HTMLElement {
  const compare = h('textarea', { id: 'txn-compare', rows: 3, value: EXAMPLE_COMPARE });
  const success = h('textarea', { id: 'txn-success', rows: 3, value: EXAMPLE_SUCCESS });
  const failure = h('textarea', { id: 'txn-failure', rows: 3, value: EXAMPLE_FAILURE });
  const result = h('pre', { id: 'txn-result', class: 'value' });
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    let body: object;
    try {
      body = { compare: JSON.parse(compare.value || '[]'), success: JSON.parse(success.value || '[]'), failure: JSON.parse(failure.value || '[]') };
    } catch (error) {
      notifyError(new Error(`The transaction is not JSON: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    if (!(await confirmAction('Run this transaction? Its operations may write and delete keys.'))) return;
    await act('Ran the transaction', async () => {
      result.textContent = JSON.stringify(await json('POST', '/api/v1/transaction', body), null, 2);
    });
  };
  return h(
    'form',
    { class: 'panel', id: 'txn-form', onsubmit: (event: Event) => void submit(event) },
    h('h2', {}, 'Transaction'),
    h('p', { class: 'muted' }, 'etcd’s form: when every compare holds, the success operations run, otherwise the failure ones (each a JSON array).'),
    field('Compare', compare),
    field('Success', success),
    field('Failure', failure),
    h('button', { type: 'submit' }, 'Run…'),
    result,
  );
}
