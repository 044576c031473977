// The sessions sidebar: the list (paged), creating, renaming and deleting a session, and selecting one,
// which opens its conversation (stream.js) and records it in the URL fragment (#session=…).

import { api, ApiError, describeError } from './api.js';
import { showBanner } from './banners.js';
import { updateComposer } from './composer.js';
import { el, icon, testId } from './dom.js';
import { openLinkedRun, readFragment, writeFragment } from './fragment.js';
import { memory, policy, runs, tools } from './panels.js';
import { state, ui } from './state.js';
import { SessionView, setConnection } from './stream.js';

export const PAGE_SIZE = 50;

function sessionLabel(session) {
  return session.title?.trim() || 'Untitled session';
}

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

export function enterApp(firstPage) {
  ui.signin.hidden = true;
  ui.app.hidden = false;
  policy.signedIn(state.token);
  tools.signedIn();
  runs.signedIn();
  state.sessions = firstPage.items ?? [];
  state.nextCursor = firstPage.next_cursor ?? null;
  renderSessions();
  const fragment = readFragment();
  const wanted = fragment.get('session');
  if (wanted) selectSession(wanted, { restoring: true });
  else showNoSession();
  updateComposer();
  // A link to a run (#run=…), e.g. copied from its timeline, opens that timeline.
  openLinkedRun(fragment);
}

// The model id `soma serve --demo` gives its scripted model (Soma.Server's DemoMode.ModelId); /v1/health lists every
// configured model under the "models" component, so a badge can say the answers are scripted.
const DEMO_MODEL_ID = 'demo-scripted';

async function showDemoModelBadge() {
  try {
    const health = await api('GET', '/v1/health');
    const models = (health.components ?? []).find((c) => c.name === 'models');
    const demo = Object.values(models?.details ?? {}).some((d) => d?.model === DEMO_MODEL_ID);
    ui.demoModel.hidden = !demo;
  } catch {
    // Only a label: without health the chat still works.
  }
}

export async function loadSessions() {
  try {
    enterApp(await api('GET', `/v1/sessions?limit=${PAGE_SIZE}`));
    showDemoModelBadge();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    ui.signin.hidden = true;
    ui.app.hidden = false;
    showBanner(describeError('Loading sessions failed', error), { key: 'sessions' });
  }
}

export async function loadMoreSessions() {
  if (!state.nextCursor) return;
  ui.loadMore.disabled = true;
  try {
    const page = await api('GET', `/v1/sessions?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(state.nextCursor)}`);
    const known = new Set(state.sessions.map((s) => s.id));
    state.sessions.push(...(page.items ?? []).filter((s) => !known.has(s.id)));
    state.nextCursor = page.next_cursor ?? null;
    renderSessions();
  } catch (error) {
    showBanner(describeError('Loading more sessions failed', error));
  } finally {
    ui.loadMore.disabled = false;
  }
}

function renderSessions() {
  const focusedAction = document.activeElement?.closest?.('.session-item') ? document.activeElement.dataset.testid : null;
  const focusedId = document.activeElement?.closest?.('.session-item')?.dataset.sessionId;
  const items = state.sessions.map(renderSessionItem);
  ui.sessionList.replaceChildren(...items);
  ui.sessionEmpty.hidden = state.sessions.length > 0;
  ui.loadMore.hidden = !state.nextCursor;
  if (focusedId && focusedAction) {
    const item = items.find((li) => li.dataset.sessionId === focusedId);
    item?.querySelector(`[data-testid="${focusedAction}"]`)?.focus();
  }
}

function renderSessionItem(session) {
  const li = testId(el('li', 'session-item'), 'session-item');
  li.dataset.sessionId = session.id;
  const label = sessionLabel(session);
  if (session.id === state.selectedId) li.setAttribute('aria-current', 'page');

  if (state.editingId === session.id) {
    li.classList.add('editing');
    const input = testId(el('input', 'rename-input'), 'rename-input');
    input.type = 'text';
    input.maxLength = 200;
    input.value = state.editingDraft ?? session.title ?? '';
    input.addEventListener('input', () => {
      state.editingDraft = input.value;
    });
    input.placeholder = 'Session title';
    input.setAttribute('aria-label', 'Session title');
    let done = false;
    const finish = (save, refocus) => {
      if (done) return;
      done = true;
      state.editingId = null;
      if (save) renameSession(session, input.value);
      else renderSessions();
      if (refocus) focusSession(session.id, 'session-select');
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === 'Escape') {
        e.preventDefault();
        finish(e.key === 'Enter', true);
      }
    });
    // Clicking elsewhere saves, as in most inline editors; a blur caused by re-rendering the list does not.
    input.addEventListener('blur', () => {
      if (input.isConnected && state.editingId === session.id) finish(true, false);
    });
    li.append(input);
    if (takeFocusMode()) {
      queueMicrotask(() => {
        input.focus();
        input.select();
      });
    }
    return li;
  }

  if (state.confirmingId === session.id) {
    li.classList.add('confirming');
    const question = el('span', 'confirm-text', `Delete “${label}”?`);
    const yes = testId(el('button', 'danger small', 'Delete'), 'confirm-delete');
    yes.type = 'button';
    yes.addEventListener('click', () => deleteSession(session));
    const no = testId(el('button', 'small', 'Cancel'), 'cancel-delete');
    no.type = 'button';
    const cancel = () => {
      state.confirmingId = null;
      renderSessions();
      focusSession(session.id, 'delete-session');
    };
    no.addEventListener('click', cancel);
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') cancel();
    });
    li.append(question, yes, no);
    if (takeFocusMode()) queueMicrotask(() => no.focus());
    return li;
  }

  const select = testId(el('button', 'session-select'), 'session-select');
  select.type = 'button';
  select.title = label;
  const name = testId(el('span', 'session-name', label), 'session-name');
  const time = el('time', 'session-time', formatTime(session.updated_at ?? session.created_at));
  time.dateTime = session.updated_at ?? session.created_at ?? '';
  select.append(name, time);
  select.addEventListener('click', () => selectSession(session.id));

  const rename = testId(el('button', 'icon-button'), 'rename-session');
  rename.append(icon('rename'));
  rename.type = 'button';
  rename.setAttribute('aria-label', `Rename “${label}”`);
  rename.title = 'Rename';
  rename.addEventListener('click', () => {
    state.editingId = session.id;
    state.editingDraft = null;
    state.confirmingId = null;
    state.focusMode = true;
    renderSessions();
  });

  const remove = testId(el('button', 'icon-button'), 'delete-session');
  remove.append(icon('delete'));
  remove.type = 'button';
  remove.setAttribute('aria-label', `Delete “${label}”`);
  remove.title = 'Delete';
  remove.addEventListener('click', () => {
    state.confirmingId = session.id;
    state.editingId = null;
    state.focusMode = true;
    renderSessions();
  });

  const actions = el('span', 'session-actions');
  actions.append(rename, remove);
  li.append(select, actions);
  return li;
}

function takeFocusMode() {
  const take = state.focusMode;
  state.focusMode = false;
  return take;
}

function focusSession(id, control) {
  ui.sessionList.querySelector(`[data-session-id="${CSS.escape(id)}"] [data-testid="${control}"]`)?.focus();
}

export async function createSession() {
  if (state.creating || !state.token) return;
  state.creating = true;
  ui.newSession.disabled = true;
  try {
    const session = await api('POST', '/v1/sessions', { body: {} });
    state.sessions.unshift(session);
    renderSessions();
    selectSession(session.id);
    ui.composer.focus();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) showBanner(describeError('Creating a session failed', error));
  } finally {
    state.creating = false;
    ui.newSession.disabled = false;
  }
}

async function renameSession(session, value) {
  const title = value.trim() || null;
  if (title === (session.title ?? null)) {
    renderSessions();
    return;
  }
  const previous = session.title;
  session.title = title;
  renderSessions();
  if (session.id === state.selectedId) showTitle(session);
  try {
    Object.assign(session, await api('PATCH', `/v1/sessions/${encodeURIComponent(session.id)}`, { body: { title } }));
  } catch (error) {
    session.title = previous;
    if (!(error instanceof ApiError && error.status === 401)) showBanner(describeError('Renaming the session failed', error));
  }
  renderSessions();
  if (session.id === state.selectedId) showTitle(session);
}

async function deleteSession(session) {
  try {
    await api('DELETE', `/v1/sessions/${encodeURIComponent(session.id)}`);
  } catch (error) {
    if (!(error instanceof ApiError && (error.status === 401 || error.status === 404))) {
      showBanner(describeError('Deleting the session failed', error));
      return;
    }
    if (error.status === 401) return;
  }
  const index = state.sessions.findIndex((s) => s.id === session.id);
  state.sessions = state.sessions.filter((s) => s.id !== session.id);
  state.confirmingId = null;
  if (state.selectedId === session.id) showNoSession();
  renderSessions();
  const next = ui.sessionList.children[Math.min(index, ui.sessionList.children.length - 1)];
  (next?.querySelector('.session-select') ?? ui.newSession).focus();
}

export async function selectSession(id, { restoring = false } = {}) {
  let session = state.sessions.find((s) => s.id === id);
  if (!session && restoring) {
    try {
      session = await api('GET', `/v1/sessions/${encodeURIComponent(id)}`);
    } catch {
      showNoSession();
      return;
    }
  }
  if (!session) return;
  closeSidebar();
  if (state.selectedId === id && state.view) return;
  closeView();
  state.selectedId = id;
  const params = readFragment();
  params.set('session', id);
  writeFragment(params);
  renderSessions();
  showTitle(session);
  ui.placeholder.hidden = true;
  state.view = new SessionView(session.id).open();
  memory.setSession(session.id);
  updateComposer();
}

function showTitle(session) {
  ui.title.textContent = sessionLabel(session);
  document.title = `${sessionLabel(session)} — SomaAgent`;
}

function showNoSession() {
  closeView();
  state.selectedId = null;
  const params = readFragment();
  params.delete('session');
  writeFragment(params);
  ui.title.textContent = 'No session selected';
  document.title = 'SomaAgent';
  ui.placeholder.hidden = false;
  memory.setSession(null);
  setConnection('idle');
  renderSessions();
  updateComposer();
}

export function closeView() {
  state.view?.close();
  state.view = null;
}

export function closeSidebar() {
  document.body.classList.remove('sidebar-open');
  ui.toggleSidebar.setAttribute('aria-expanded', 'false');
}

// An untitled session takes the first line of its first message as its title (best effort).
export async function nameUntitledSession(sessionId, content) {
  const session = state.sessions.find((s) => s.id === sessionId);
  if (!session || session.title) return;
  const line = content.trim().split('\n')[0].replace(/\s+/g, ' ');
  const title = line.length > 60 ? line.slice(0, 59).trimEnd() + '…' : line;
  if (!title) return;
  session.title = title;
  renderSessions();
  if (state.selectedId === sessionId) showTitle(session);
  try {
    await api('PATCH', `/v1/sessions/${encodeURIComponent(sessionId)}`, { body: { title } });
  } catch {
    // Only a convenience: the session stays usable untitled.
  }
}
