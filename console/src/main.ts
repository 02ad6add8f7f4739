// The web console every member serves at /ui/ (docs/console.md). Four views, chosen by the
// URL's fragment, over this member's REST API; a login form when authentication is on.
import { authenticationRequired, describeError, json, loggedIn, login, logout, onAuthenticationNeeded } from './api.js';
import { onPoll, renderCluster, startPolling, state } from './cluster.js';
import { byId, field, h, replace } from './dom.js';
import { renderKeys } from './keys.js';
import { notify } from './notice.js';
import { renderOperations } from './operations.js';
import { renderWatch } from './watch.js';

const VIEWS = {
  cluster: { title: 'Cluster', render: (target: HTMLElement) => renderCluster(target) },
  keys: { title: 'Keys', render: (target: HTMLElement) => void renderKeys(target) },
  watch: { title: 'Watch', render: (target: HTMLElement) => renderWatch(target) },
  operations: { title: 'Operations', render: (target: HTMLElement) => void renderOperations(target) },
} as const;

type ViewName = keyof typeof VIEWS;

function currentView(): ViewName {
  const name = location.hash.replace(/^#\/?/, '');
  return name in VIEWS ? (name as ViewName) : 'cluster';
}

function show(): void {
  const main = byId('view');
  const name = currentView();
  drawHeader(name);
  if (authenticationRequired() && !loggedIn()) {
    replace(main, loginForm());
    return;
  }
  const target = h('div', { id: `view-${name}` });
  replace(main, target);
  VIEWS[name].render(target);
}

function drawHeader(active: ViewName): void {
  replace(
    byId('nav'),
    (Object.keys(VIEWS) as ViewName[]).map((name) => h('a', { href: `#/${name}`, class: name === active ? 'active' : undefined, 'aria-current': name === active ? 'page' : undefined }, VIEWS[name].title)),
  );
  const member = state.status === undefined ? '' : `member ${state.status.name}`;
  replace(byId('whoami'), member, loggedIn() ? h('button', { id: 'logout', onclick: () => logout() }, 'Log out') : null);
}

function loginForm(): HTMLElement {
  const name = h('input', { id: 'login-name', autocomplete: 'username', required: true, value: 'root' });
  const password = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      await login(name.value, password.value);
      notify(`Logged in as ${name.value}`);
      show();
    } catch (error) {
      notify(describeError(error), 'error');
    }
  };
  return h(
    'form',
    { id: 'login', class: 'panel narrow', onsubmit: (event: Event) => void submit(event) },
    h('h1', {}, 'Log in'),
    h('p', { class: 'muted' }, 'Authentication is on. The token is kept in this tab’s memory only: reloading or closing the tab logs out.'),
    field('User', name),
    field('Password', password),
    h('button', { type: 'submit' }, 'Log in'),
  );
}

onAuthenticationNeeded(() => {
  notify(loggedIn() ? '' : 'Log in to continue.');
  show();
});
// The cluster view follows every poll; the others redraw only on the user's action.
onPoll(() => {
  drawHeader(currentView());
  const target = document.getElementById('view-cluster');
  if (target !== null) renderCluster(target);
});
addEventListener('hashchange', () => {
  notify('');
  show();
});
void probeAuthentication().then(() => {
  show();
  startPolling();
});

/**
 * Whether authentication is on, asked before the first view is drawn: status and the member
 * list answer anyone, as etcd's do, so a view of them alone would never ask for a login. A
 * read of one key name is refused without a token when authentication is on.
 */
async function probeAuthentication(): Promise<void> {
  try {
    await json('GET', '/api/v1/keys?limit=1&keys_only=true');
  } catch {
    // A refusal for want of credentials set authenticationRequired(); any other is shown by the view.
  }
}
