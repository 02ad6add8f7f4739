// The operations view: leases, membership (add a learner, promote, remove, move the
// leader), alarms, compaction, defragmentation and a backup download. Each change is
// confirmed first and made only when the user asks for it.
import { call, json } from './api.js';
import { hex, type Member, state as cluster, type Status } from './cluster.js';
import { confirmAction } from './confirm.js';
import { field, formatBytes, h, replace } from './dom.js';
import { act, notifyError } from './notice.js';

interface Lease {
  readonly id: number;
  readonly ttl: number;
  readonly grantedAt: string;
}

let container: HTMLElement | undefined;

export async function renderOperations(target: HTMLElement): Promise<void> {
  container = target;
  let leases: readonly Lease[] = [];
  let members: readonly Member[] = [];
  let status: Status | undefined;
  try {
    [leases, members, status] = await Promise.all([
      json<{ leases: Lease[] }>('GET', '/api/v1/leases').then((answer) => answer.leases),
      json<{ members: Member[] }>('GET', '/api/v1/cluster/members').then((answer) => answer.members),
      json<Status>('GET', '/api/v1/admin/status'),
    ]);
  } catch (error) {
    notifyError(error);
  }
  if (container !== target) return;
  replace(target, h('h1', {}, 'Operations'), h('div', { class: 'columns' }, membersPanel(members, status), leasesPanel(leases)), h('div', { class: 'columns' }, alarmsPanel(status), maintenancePanel(status)));
}

const refresh = (): Promise<void> => (container === undefined ? Promise.resolve() : renderOperations(container));

/** Runs a confirmed change, then redraws the view. */
async function change(question: string, done: string, action: () => Promise<unknown>): Promise<void> {
  if (!(await confirmAction(question))) return;
  if (await act(done, action)) await refresh();
}

function membersPanel(members: readonly Member[], status: Status | undefined): HTMLElement {
  const rows = members.map((member) => {
    const isLeader = status?.leaderId === member.id;
    return h(
      'tr',
      { 'data-member': member.name },
      h('td', {}, member.name),
      h('td', { class: 'mono' }, hex(member.id)),
      h('td', {}, member.isLearner ? 'learner' : isLeader ? 'leader' : 'voter'),
      h('td', { class: 'mono' }, member.peerAddress),
      h(
        'td',
        { class: 'actions' },
        member.isLearner ? h('button', { onclick: () => void change(`Promote the learner ${member.name} to a voter?`, `Promoted ${member.name}`, () => call('POST', `/api/v1/cluster/members/${member.id}/promote`)) }, 'Promote…') : null,
        !member.isLearner && !isLeader ? h('button', { onclick: () => void change(`Move the leadership to ${member.name}?`, `Leadership moved to ${member.name}`, () => json('POST', '/api/v1/admin/transfer-leadership', { to: member.id })) }, 'Make leader…') : null,
        h('button', { class: 'danger', onclick: () => void change(`Remove ${member.name} (${hex(member.id)}) from the cluster? It stops taking part at once.`, `Removed ${member.name}`, () => call('DELETE', `/api/v1/cluster/members/${member.id}`)) }, 'Remove…'),
      ),
    );
  });
  const name = h('input', { id: 'learner-name', required: true, placeholder: 'n4' });
  const peer = h('input', { id: 'learner-peer', required: true, placeholder: '127.0.0.1:7003' });
  const client = h('input', { id: 'learner-client', placeholder: 'http://127.0.0.1:8003 (optional)' });
  const add = (event: Event): void => {
    event.preventDefault();
    const body = { name: name.value, peerAddress: peer.value, learner: true, ...(client.value === '' ? {} : { clientUrls: [client.value] }) };
    void change(`Add ${name.value} at ${peer.value} as a learner? Start it with --join afterwards.`, `Added the learner ${name.value}`, () => json('POST', '/api/v1/cluster/members', body));
  };
  return h(
    'section',
    { class: 'panel', id: 'members-panel' },
    h('h2', {}, 'Members'),
    h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'Id', 'Role', 'Peer address', ''].map((title) => h('th', {}, title)))), h('tbody', {}, rows)),
    h('form', { class: 'row', onsubmit: add }, field('Name', name), field('Peer address', peer), field('Client URL', client), h('button', { type: 'submit' }, 'Add learner…')),
  );
}

function leasesPanel(leases: readonly Lease[]): HTMLElement {
  const ttl = h('input', { id: 'lease-ttl', type: 'number', min: 1, required: true, value: '60' });
  const keys = h('pre', { class: 'value', id: 'lease-keys' });
  const showKeys = async (id: number): Promise<void> => {
    try {
      const answer = await json<{ ttl: number; grantedTtl: number; keys: string[] }>('GET', `/api/v1/leases/${id}?keys=true`);
      keys.textContent = `lease ${id}: ${answer.ttl} s of ${answer.grantedTtl} s left\n${answer.keys.join('\n') || '(no keys)'}`;
    } catch (error) {
      notifyError(error);
    }
  };
  const rows = leases.map((lease) =>
    h(
      'tr',
      {},
      h('td', { class: 'mono' }, lease.id),
      h('td', { class: 'num' }, `${lease.ttl} s`),
      h('td', {}, new Date(lease.grantedAt).toLocaleString()),
      h(
        'td',
        { class: 'actions' },
        h('button', { onclick: () => void showKeys(lease.id) }, 'Keys'),
        h('button', { class: 'danger', onclick: () => void change(`Revoke the lease ${lease.id}? Its keys are deleted.`, `Revoked ${lease.id}`, () => call('DELETE', `/api/v1/leases/${lease.id}`)) }, 'Revoke…'),
      ),
    ),
  );
  const grant = (event: Event): void => {
    event.preventDefault();
    void change(`Grant a lease of ${ttl.value} s?`, 'Granted a lease', () => json('POST', '/api/v1/leases', { ttl: Number(ttl.value) }));
  };
  return h(
    'section',
    { class: 'panel', id: 'leases-panel' },
    h('h2', {}, 'Leases'),
    h('table', {}, h('thead', {}, h('tr', {}, ...['Id', 'TTL', 'Granted', ''].map((title) => h('th', {}, title)))), h('tbody', {}, rows)),
    leases.length === 0 ? h('p', { class: 'muted' }, 'No leases.') : null,
    h('form', { class: 'row', onsubmit: grant }, field('TTL (s)', ttl), h('button', { type: 'submit' }, 'Grant…')),
    keys,
  );
}

function alarmsPanel(status: Status | undefined): HTMLElement {
  const alarms = status?.alarms ?? [];
  const names = new Map(cluster.members.map((member) => [member.id, member.name]));
  return h(
    'section',
    { class: 'panel', id: 'alarms-panel' },
    h('h2', {}, 'Alarms'),
    alarms.length === 0
      ? h('p', { class: 'ok' }, 'No alarm is raised.')
      : h('ul', {}, alarms.map((alarm) => h('li', { class: 'error' }, `${String(alarm.alarm)} on ${names.get(alarm.memberId) ?? hex(alarm.memberId)}`))),
    h('button', { disabled: alarms.length === 0, onclick: () => void change('Disarm every alarm? Do it once the cause (a full database, a corrupt member) is dealt with.', 'Disarmed the alarms', () => json('POST', '/api/v1/admin/alarms/disarm')) }, 'Disarm…'),
  );
}

function maintenancePanel(status: Status | undefined): HTMLElement {
  const revision = h('input', { id: 'compact-revision', type: 'number', min: 1, required: true, value: status === undefined ? '' : String(status.revision) });
  const compact = (event: Event): void => {
    event.preventDefault();
    void change(`Compact history below revision ${revision.value}? Reads and watches of earlier revisions fail afterwards.`, `Compacted at ${revision.value}`, () => json('POST', '/api/v1/admin/compact', { revision: Number(revision.value) }));
  };
  const defragment = (): void =>
    void change(`Defragment ${status?.name ?? 'this member'}? It pauses its writes while it runs.`, `Defragmented ${status?.name ?? 'this member'}`, () => json('POST', '/api/v1/admin/defragment'));
  return h(
    'section',
    { class: 'panel', id: 'maintenance-panel' },
    h('h2', {}, 'Maintenance'),
    h('p', { class: 'muted' }, status === undefined ? '' : `Revision ${status.revision}, compacted at ${status.compactRevision}; database ${formatBytes(status.dbSizeBytes)} of ${formatBytes(status.quotaBytes)}.`),
    h('form', { class: 'row', onsubmit: compact }, field('Revision', revision), h('button', { type: 'submit' }, 'Compact…')),
    h('div', { class: 'row' }, h('button', { onclick: defragment }, `Defragment ${status?.name ?? 'this member'}…`), h('button', { id: 'backup', onclick: () => void downloadBackup() }, 'Download a backup')),
  );
}

/** POST /api/v1/admin/backup, saved under the name the member gives it. */
async function downloadBackup(): Promise<void> {
  await act('Backup downloaded', async () => {
    const response = await call('POST', '/api/v1/admin/backup');
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'bvault-backup.snapshot';
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: name });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}
