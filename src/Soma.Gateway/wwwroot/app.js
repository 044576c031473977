// SomaAgent web UI: sign-in, the sessions sidebar, and a chat pane fed by the session's event stream.
// No framework and no build step. Text from users and models only ever reaches the page through textContent
// (directly or via markdown.js), never through an HTML parser.

import { renderMarkdown } from './markdown.js';
import { el, icon, testId } from './dom.js';
import { MemoryPanel } from './memory.js';
import { PolicyPanel } from './policy.js';
import { RunsPanel } from './runs.js';
import { ToolsPanel } from './tools.js';
import { EventStream, retryAfterOf } from './sse.js';

const TOKEN_KEY = 'soma.token';
const PAGE_SIZE = 50;
const MAX_BANNERS = 4;
const MAX_TOOL_OUTPUT_CHARS = 64 * 1024;
// A long answer is re-rendered whole on each frame; past this size that happens at most every LONG_RENDER_MS.
const LONG_TEXT_CHARS = 16 * 1024;
const LONG_RENDER_MS = 150;
const ENDED_RUN_STATES = new Set(['succeeded', 'failed', 'cancelled']);
// An error replayed from history is shown on its turn; only recent ones also raise a banner.
const RECENT_ERROR_MS = 2 * 60 * 1000;

const $ = (id) => document.getElementById(id);
const ui = {
  signin: $('signin'),
  signinForm: $('signin-form'),
  tokenInput: $('token-input'),
  signinError: $('signin-error'),
  app: $('app'),
  newSession: $('new-session'),
  sessionList: $('session-list'),
  sessionEmpty: $('session-empty'),
  loadMore: $('load-more'),
  signOut: $('sign-out'),
  toggleSidebar: $('toggle-sidebar'),
  title: $('session-title'),
  connection: $('connection'),
  demoModel: $('demo-model'),
  banners: $('banners'),
  messages: $('messages'),
  placeholder: $('placeholder'),
  composerForm: $('composer-form'),
  composer: $('composer'),
  send: $('send'),
  toggleMemory: $('toggle-memory'),
};

// Set in boot(): the memory panel beside the conversation (memory.js), and the operators' policy decisions (policy.js).
let memory = null;
let policy = null;
// The tool analytics page (tools.js), for every signed-in user.
let tools = null;
// The runs page and a run's timeline (runs.js), for every signed-in user.
let runs = null;

const state = {
  token: '',
  sessions: [],
  nextCursor: null,
  selectedId: null,
  editingId: null,
  editingDraft: null,
  confirmingId: null,
  // Set when an item enters rename or confirm mode: its control takes the focus once, not on every re-render.
  focusMode: false,
  view: null,
  sending: false,
  // The last send that failed on the network: retrying the same text reuses its Idempotency-Key.
  unsentMessage: null,
  creating: false,
};

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a plain-http LAN address is not one, getRandomValues works anywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

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

function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function isEditable(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

// ---------------------------------------------------------------------------------------------------------------
// Token and API

function readFragment() {
  return new URLSearchParams(location.hash.startsWith('#') ? location.hash.slice(1) : '');
}

function writeFragment(params) {
  const text = params.toString();
  history.replaceState(history.state, '', location.pathname + location.search + (text ? '#' + text : ''));
}

/** Moves a token from the URL fragment (#token=…) into session storage and takes it out of the address bar. */
function takeTokenFromFragment() {
  const params = readFragment();
  const token = params.get('token');
  if (token === null) return false;
  params.delete('token');
  writeFragment(params);
  if (token.trim()) sessionStorage.setItem(TOKEN_KEY, token.trim());
  return true;
}

class ApiError extends Error {
  constructor(status, problem, retryAfterMs) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }
}

class NetworkError extends Error {}

async function readProblem(response) {
  try {
    const type = response.headers.get('Content-Type') ?? '';
    return type.includes('json') ? await response.json() : null;
  } catch {
    return null;
  }
}

async function request(method, path, { body, headers, token = state.token } = {}) {
  const init = { method, cache: 'no-store', headers: { Accept: 'application/json', Authorization: 'Bearer ' + token, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new NetworkError('The server could not be reached.');
  }
  if (!response.ok) throw new ApiError(response.status, await readProblem(response), retryAfterOf(response));
  return response.status === 204 ? null : response.json();
}

/** An API call with the signed-in token; a 401 signs the user out. */
async function api(method, path, options) {
  try {
    return await request(method, path, options);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut(describeAuthError(error));
    throw error;
  }
}

function describeAuthError(error) {
  const detail = error.problem?.detail;
  return 'Your token was not accepted' + (detail ? `: ${detail}` : '.') + ' Sign in again.';
}

function describeError(action, error) {
  if (error instanceof NetworkError) return `${action}: the server could not be reached. Check the connection and try again.`;
  if (!(error instanceof ApiError)) return `${action}: ${error?.message ?? 'unexpected error'}.`;
  if (error.status === 429) {
    return error.retryAfterMs != null
      ? `Too many requests — try again in ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))} s`
      : 'Too many requests — try again shortly';
  }
  const problem = error.problem;
  if (error.status === 413) return `${action}: the message is too large${problem?.detail ? ` — ${problem.detail}` : ' (the limit is 64 KiB)'}.`;
  const text = problem?.detail || problem?.title || `the server answered ${error.status}`;
  return `${action}: ${text}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Banners

function showBanner(message, { key, kind = 'error' } = {}) {
  let banner = key ? [...ui.banners.children].find((b) => b.dataset.key === key) : null;
  if (!banner) {
    banner = testId(el('div', 'banner ' + kind), kind === 'error' ? 'error-banner' : 'info-banner');
    banner.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    if (key) banner.dataset.key = key;
    const text = testId(el('p', 'banner-text'), 'banner-text');
    const close = testId(el('button', 'icon-button banner-close'), 'dismiss-banner');
    close.append(icon('close'));
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss');
    close.addEventListener('click', () => banner.remove());
    banner.append(text, close);
    ui.banners.append(banner);
    while (ui.banners.children.length > MAX_BANNERS) ui.banners.firstElementChild.remove();
  }
  banner.querySelector('.banner-text').textContent = message;
  return banner;
}

function clearBanners() {
  ui.banners.replaceChildren();
}

// ---------------------------------------------------------------------------------------------------------------
// Sign-in

function showSignIn(message) {
  ui.app.hidden = true;
  ui.signin.hidden = false;
  ui.signinError.hidden = !message;
  ui.signinError.textContent = message ?? '';
  document.title = 'Sign in — SomaAgent';
  ui.tokenInput.focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = '';
  closeView();
  state.sessions = [];
  state.nextCursor = null;
  state.selectedId = null;
  state.unsentMessage = null;
  ui.sessionList.replaceChildren();
  memory.setSession(null);
  memory.toggle(false);
  policy.signedOut();
  tools.signedOut();
  runs.signedOut();
  clearBanners();
  writeFragment(new URLSearchParams());
  showSignIn(message);
}

/** Accepts a bare token, "Bearer <token>", or the whole sign-in URL the server printed. */
function parsePastedToken(text) {
  const value = text.trim();
  const fragment = value.indexOf('#');
  if (fragment >= 0) {
    const token = new URLSearchParams(value.slice(fragment + 1)).get('token');
    if (token) return token.trim();
  }
  return value.replace(/^Bearer\s+/i, '');
}

async function onSignIn(event) {
  event.preventDefault();
  const token = parsePastedToken(ui.tokenInput.value);
  if (!token) {
    showSignIn('Paste a token first.');
    return;
  }
  const submit = ui.signinForm.querySelector('button[type=submit]');
  submit.disabled = true;
  try {
    const page = await request('GET', `/v1/sessions?limit=${PAGE_SIZE}`, { token });
    sessionStorage.setItem(TOKEN_KEY, token);
    state.token = token;
    ui.tokenInput.value = '';
    enterApp(page);
  } catch (error) {
    showSignIn(error instanceof ApiError && error.status === 401 ? describeAuthError(error).replace(' Sign in again.', '') : describeError('Sign-in failed', error));
  } finally {
    submit.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions sidebar

function enterApp(firstPage) {
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

function openLinkedRun(fragment) {
  const run = fragment.get('run');
  if (!run) return;
  fragment.delete('run');
  writeFragment(fragment);
  runs.openRun(run);
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

async function loadSessions() {
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

async function loadMoreSessions() {
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

async function createSession() {
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

async function selectSession(id, { restoring = false } = {}) {
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

function closeView() {
  state.view?.close();
  state.view = null;
}

function closeSidebar() {
  document.body.classList.remove('sidebar-open');
  ui.toggleSidebar.setAttribute('aria-expanded', 'false');
}

// ---------------------------------------------------------------------------------------------------------------
// Connection indicator

function setConnection(status, delayMs) {
  const effective = status !== 'idle' && status !== 'closed' && !navigator.onLine ? 'offline' : status;
  const labels = {
    idle: '',
    closed: '',
    connecting: 'Connecting…',
    open: 'Live',
    reconnecting: delayMs ? `Reconnecting in ${Math.ceil(delayMs / 1000)} s…` : 'Reconnecting…',
    offline: 'Offline — waiting for the network',
    failed: 'Disconnected',
  };
  ui.connection.dataset.state = effective;
  ui.connection.textContent = labels[effective] ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// Composer

function updateComposer() {
  const hasSession = Boolean(state.selectedId);
  ui.composer.disabled = !hasSession;
  ui.send.disabled = !hasSession || state.sending || ui.composer.value.trim() === '';
  ui.send.textContent = state.sending ? 'Sending…' : 'Send';
}

function autosize() {
  ui.composer.style.height = 'auto';
  ui.composer.style.height = Math.min(ui.composer.scrollHeight + 2, 240) + 'px';
}

async function sendMessage() {
  const sessionId = state.selectedId;
  const content = ui.composer.value;
  if (!sessionId || state.sending || content.trim() === '') return;
  const retry = state.unsentMessage;
  const key = retry && retry.sessionId === sessionId && retry.content === content ? retry.key : uuid();
  state.unsentMessage = { sessionId, content, key };
  state.sending = true;
  updateComposer();
  try {
    const accepted = await api('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/messages`, {
      body: { content },
      headers: { 'Idempotency-Key': key },
    });
    state.unsentMessage = null;
    if (ui.composer.value === content) ui.composer.value = '';
    autosize();
    dismissBanner('send');
    if (state.view?.sessionId === sessionId && accepted) state.view.accepted(accepted, content);
    nameUntitledSession(sessionId, content);
  } catch (error) {
    if (!(error instanceof NetworkError)) state.unsentMessage = null;
    if (!(error instanceof ApiError && error.status === 401)) {
      const action = 'Sending the message failed';
      showBanner(error instanceof NetworkError ? `${describeError(action, error)} Press Send to retry; it will not be sent twice.` : describeError(action, error), { key: 'send' });
    }
  } finally {
    state.sending = false;
    updateComposer();
  }
}

function dismissBanner(key) {
  [...ui.banners.children].find((b) => b.dataset.key === key)?.remove();
}

// An untitled session takes the first line of its first message as its title (best effort).
async function nameUntitledSession(sessionId, content) {
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

// ---------------------------------------------------------------------------------------------------------------
// The conversation of one session, built from its event stream

class SessionView {
  constructor(sessionId) {
    this.sessionId = sessionId;
    this.root = testId(el('div', 'conversation'), 'conversation');
    this.root.dataset.sessionId = sessionId;
    this.turns = new Map();
    this.messages = new Map();
    this.tools = new Map();
    this.sentRuns = new Set();
    this.dirty = new Set();
    this.frame = 0;
    this.stickToBottom = true;
    this.onScroll = () => {
      const m = ui.messages;
      this.stickToBottom = m.scrollHeight - m.scrollTop - m.clientHeight < 80;
    };
  }

  open() {
    ui.messages.append(this.root);
    ui.messages.addEventListener('scroll', this.onScroll, { passive: true });
    this.stream = new EventStream(`/v1/sessions/${encodeURIComponent(this.sessionId)}/events`, () => state.token, {
      onEvent: (event) => this.handle(event),
      onState: (status, delay) => {
        // 'closed' follows a stop: either this view is going away or fatal() has already said why.
        if (state.view === this && status !== 'closed') setConnection(status, delay);
      },
      onFatal: (response) => this.fatal(response),
    }).start();
    return this;
  }

  close() {
    this.stream?.stop();
    cancelAnimationFrame(this.frame);
    ui.messages.removeEventListener('scroll', this.onScroll);
    this.root.remove();
  }

  async fatal(response) {
    if (state.view !== this) return;
    const problem = await readProblem(response);
    if (response.status === 401) {
      signOut(describeAuthError(new ApiError(401, problem)));
      return;
    }
    setConnection('failed');
    showBanner(`This session's events cannot be followed: ${problem?.detail || problem?.title || `the server answered ${response.status}`}.`, { key: 'stream' });
  }

  /** The POST was accepted: show the user's message now rather than wait for the stream to echo it. */
  accepted({ message_id: messageId, run_id: runId }, content) {
    if (runId) this.sentRuns.add(runId);
    if (messageId && !this.messages.has(messageId)) {
      const message = this.message(messageId, 'user', runId);
      message.text = content;
      message.done = true;
      this.touch(message);
    }
    this.stickToBottom = true;
  }

  handle(sse) {
    let envelope;
    try {
      envelope = JSON.parse(sse.data);
    } catch {
      return;
    }
    if (!envelope || typeof envelope !== 'object') return;
    const type = String(envelope.type || sse.type);
    const data = envelope.data && typeof envelope.data === 'object' ? envelope.data : {};
    if (type.startsWith('run.')) this.onRun(type.slice(4), envelope, data);
    else if (type.startsWith('step.')) this.onStep(type.slice(5), envelope, data);
    else if (type.startsWith('tool.')) this.onTool(type.slice(5), envelope, data);
    else if (type === 'conversation.user_message') this.onUserMessage(envelope, data);
    else if (type === 'conversation.assistant_delta') this.onDelta(envelope, data);
    else if (type === 'conversation.assistant_final') this.onFinal(envelope, data);
    else if (type === 'conversation.error') this.onError(envelope, data);
    else if (type === 'memory.recall') this.onRecall(envelope, data);
    // Anything else is a type this UI does not know yet: ignored.
  }

  // --- model ------------------------------------------------------------------------------------------------

  turn(runId, fallbackKey) {
    const key = runId || fallbackKey || 'session';
    let turn = this.turns.get(key);
    if (!turn) {
      const section = testId(el('section', 'turn'), 'turn');
      if (runId) section.dataset.runId = runId;
      const body = el('div', 'turn-body');
      const pending = testId(el('div', 'turn-pending'), 'turn-pending');
      pending.setAttribute('aria-label', 'Working…');
      pending.append(el('span'), el('span'), el('span'));
      pending.hidden = true;
      section.append(body, pending);
      this.root.append(section);
      turn = { key, runId, section, body, pending, run: null, steps: new Map(), error: null, hasUser: false, answered: false, finished: false };
      this.turns.set(key, turn);
    }
    return turn;
  }

  message(messageId, role, runId) {
    let message = this.messages.get(messageId);
    if (!message) {
      const turn = this.turn(runId, messageId);
      const article = testId(el('article', 'message ' + role), 'message');
      article.dataset.role = role;
      article.dataset.messageId = messageId;
      // data-state is set when the message is drawn (next animation frame), so it always describes what is shown.
      const who = el('h3', 'visually-hidden', role === 'user' ? 'You said' : 'Assistant said');
      const body = testId(el('div', 'message-body markdown'), 'message-content');
      const meta = testId(el('div', 'message-meta'), 'message-meta');
      meta.hidden = true;
      article.append(who, body, meta);
      turn.body.append(article);
      if (role === 'user') turn.hasUser = true;
      message = { id: messageId, role, turn, article, body, meta, text: '', rendered: null, done: role === 'user', lastIndex: -1 };
      if (role === 'assistant') turn.streaming = message;
      this.messages.set(messageId, message);
      this.touch(turn);
    }
    return message;
  }

  onUserMessage(envelope, data) {
    if (!data.message_id) return;
    const message = this.message(data.message_id, 'user', envelope.run_id);
    message.text = String(data.content ?? '');
    this.touch(message);
  }

  onDelta(envelope, data) {
    if (!data.message_id || typeof data.delta !== 'string') return;
    const message = this.message(data.message_id, 'assistant', envelope.run_id);
    if (message.done) return;
    const index = Number(data.index);
    // index 0 carries the whole text so far (it opens the answer, or restarts it after a reconnect).
    if (index === 0) {
      message.text = data.delta;
      message.lastIndex = 0;
    } else if (!(index <= message.lastIndex)) {
      message.text += data.delta;
      message.lastIndex = Number.isFinite(index) ? index : message.lastIndex;
    }
    if (message.text) message.turn.answered = true;
    this.touch(message);
  }

  onFinal(envelope, data) {
    if (!data.message_id) return;
    const message = this.message(data.message_id, 'assistant', envelope.run_id);
    message.text = String(data.content ?? '');
    message.done = true;
    message.finish = data;
    message.turn.answered = true;
    message.turn.finished = true;
    this.touch(message);
    if (state.view === this) memory.turnEnded();
  }

  // The turn's recall ran without long-term memory (down, timed out) or with part of it: a quiet note, not an error.
  onRecall(envelope, data) {
    if (String(data.outcome ?? '').toLowerCase() !== 'degraded') return;
    const turn = this.turn(envelope.run_id, null);
    const error = data.error && typeof data.error === 'object' ? data.error : {};
    const detail = String(error.message ?? 'the memory service did not answer');
    turn.memoryNote = {
      code: String(error.code ?? ''),
      text: error.code === 'memory.degraded' ? `Answered with partial long-term memory: ${detail}` : `Answered without long-term memory: ${detail}`,
    };
    this.touch(turn);
  }

  onError(envelope, data) {
    const error = data.error ?? {};
    const turn = this.turn(envelope.run_id, data.message_id);
    turn.error = { code: String(error.code ?? 'error'), message: String(error.message ?? 'The turn failed.'), retryable: error.retryable === true };
    if (data.message_id && this.messages.has(data.message_id)) {
      const message = this.messages.get(data.message_id);
      message.done = true;
      message.failed = true;
      this.touch(message);
    }
    this.touch(turn);
    const time = Date.parse(envelope.time);
    if (this.sentRuns.has(envelope.run_id) || !(Date.now() - time > RECENT_ERROR_MS)) {
      showBanner(`${turn.error.message} (${turn.error.code})`, { key: `turn:${turn.key}:${turn.error.code}` });
    }
  }

  onTool(kind, envelope, data) {
    const id = data.tool_call_id;
    if (!id) return;
    // An empty live start makes no block: the call may yet be denied, and its durable events will say so.
    if (kind === 'output_delta' && !this.tools.has(id) && !data.chunk) return;
    let tool = this.tools.get(id);
    if (!tool) {
      const turn = this.turn(envelope.run_id, id);
      const details = testId(el('details', 'tool'), 'tool-call');
      details.dataset.toolCallId = id;
      const summary = el('summary');
      const name = testId(el('span', 'tool-name'), 'tool-name');
      const status = testId(el('span', 'badge'), 'tool-status');
      const note = el('span', 'tool-note');
      // A denial's reason is the one thing to read about the call: it stays visible with the card closed.
      const reason = testId(el('span', 'tool-reason'), 'tool-denied-reason');
      reason.hidden = true;
      const sandbox = testId(el('span', 'tool-sandbox'), 'tool-sandbox');
      sandbox.hidden = true;
      const truncated = testId(el('span', 'tool-truncated', 'truncated'), 'tool-truncated');
      truncated.title = 'The output was cut (a size cap or a timeout).';
      truncated.hidden = true;
      summary.append(icon('tool'), name, status, sandbox, truncated, note, reason);
      const args = testId(el('pre', 'tool-arguments'), 'tool-arguments');
      const output = testId(el('pre', 'tool-output'), 'tool-output');
      const error = testId(el('p', 'tool-error'), 'tool-error');
      const argsSection = el('div', 'tool-section');
      argsSection.append(el('h4', '', 'Arguments'), args);
      const outputSection = el('div', 'tool-section');
      outputSection.append(el('h4', '', 'Output'), output);
      details.append(summary, argsSection, outputSection, error);
      // The answer being written stays below the tool calls it is waiting for, as it will be when the session is replayed.
      const answer = turn.streaming && !turn.streaming.done ? turn.streaming.article : null;
      turn.body.insertBefore(details, answer);
      tool = { id, turn, details, name, status, note, reason, args, output, error, argsSection, outputSection, sandboxBadge: sandbox, truncatedBadge: truncated, chunks: [], bytes: 0, state: 'requested', live: null, liveSeq: -1, final: false };
      this.tools.set(id, tool);
      this.touch(turn);
    }
    if (data.tool) tool.tool = String(data.tool);
    switch (kind) {
      case 'requested':
        if ('arguments' in data) tool.arguments = data.arguments;
        break;
      case 'allowed':
        if (tool.state === 'requested') tool.state = 'running';
        break;
      case 'denied':
        tool.state = 'denied';
        tool.problem = data.reason ? `Denied: ${data.reason}` : 'Denied by policy.';
        break;
      case 'output_delta': {
        // Live output until the durable tool.output replaces it; seq 0 carries the output so far (a start, a reconnect,
        // a retried step), later ones append in order.
        if (tool.final || typeof data.chunk !== 'string') return;
        const seq = Number(data.seq);
        if (seq === 0) tool.live = data.chunk;
        else if (Number.isInteger(seq) && seq > tool.liveSeq) tool.live = (tool.live ?? '') + data.chunk;
        else return;
        tool.liveSeq = seq;
        if (tool.state === 'requested') tool.state = 'running';
        // Opened once, when output first shows, so it can be watched; a reader who closes it keeps it closed.
        if (tool.live && !tool.autoOpened) tool.details.open = tool.autoOpened = true;
        break;
      }
      case 'output':
        tool.final = true;
        tool.live = null;
        if (data.truncated === true) tool.truncated = true;
        if (typeof data.chunk === 'string') {
          // Chunks are placed by index, so one delivered twice (replay after a reconnect) is not shown twice.
          const index = Number.isInteger(data.index) ? data.index : tool.chunks.length;
          tool.chunks[index] = data.chunk;
        }
        if (typeof data.bytes === 'number') tool.bytes = Math.max(tool.bytes, data.bytes);
        if (tool.state === 'requested') tool.state = 'running';
        break;
      case 'succeeded':
        tool.state = 'succeeded';
        tool.duration = data.duration_ms;
        if (typeof data.sandbox === 'string') tool.sandbox = data.sandbox;
        break;
      case 'failed':
        if (typeof data.sandbox === 'string') tool.sandbox = data.sandbox;
        tool.state = 'failed';
        tool.problem = `${data.error?.message ?? 'The tool failed.'}${data.error?.code ? ` (${data.error.code})` : ''}`;
        tool.duration = data.duration_ms;
        break;
      default:
        return;
    }
    this.touch(tool);
  }

  onRun(kind, envelope, data) {
    const turn = this.turn(envelope.run_id, null);
    const run = (turn.run ??= this.runBlock(turn));
    const version = Number(data.run_version);
    if (Number.isFinite(version) && Number.isFinite(run.version) && version < run.version) return;
    if (Number.isFinite(version)) run.version = version;
    const states = { accepted: 'accepted', started: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled', waiting: 'waiting' };
    if (kind in states) run.state = states[kind];
    else if (kind === 'checkpointed' && run.state === 'accepted') run.state = 'running';
    else if (kind !== 'checkpointed') return;
    if (data.workflow?.name) run.workflow = `${data.workflow.name}${data.workflow.version != null ? ' v' + data.workflow.version : ''}`;
    if (kind === 'failed') run.problem = data.error?.message ?? data.reason ?? null;
    if (kind === 'cancelled') run.problem = data.reason ?? null;
    if (kind === 'accepted' || (kind === 'started' && run.startedAt == null)) run.startedAt = Date.parse(envelope.time);
    if (ENDED_RUN_STATES.has(run.state)) run.endedAt = Date.parse(envelope.time);
    if (Number.isFinite(data.duration_ms)) run.duration = data.duration_ms;
    this.touch(run);
    this.touch(turn);
  }

  onStep(kind, envelope, data) {
    const states = { started: 'running', succeeded: 'succeeded', failed: 'failed', retrying: 'retrying' };
    if (!data.step_id || !(kind in states)) return;
    const turn = this.turn(envelope.run_id, null);
    const run = (turn.run ??= this.runBlock(turn));
    let step = turn.steps.get(String(data.step_id));
    if (!step) {
      step = { id: String(data.step_id), state: 'running', attempt: 1 };
      turn.steps.set(step.id, step);
    }
    step.state = states[kind];
    if (data.name || data.step_name) step.name = String(data.name ?? data.step_name);
    if (Number.isFinite(data.attempt)) step.attempt = data.attempt;
    if (Number.isFinite(data.duration_ms)) step.duration = data.duration_ms;
    step.problem = data.error ? String(data.error.message ?? data.error.code ?? data.error) : kind === 'succeeded' ? null : step.problem;
    this.touch(run);
  }

  runBlock(turn) {
    const details = testId(el('details', 'run'), 'run-status');
    if (turn.runId) details.dataset.runId = turn.runId;
    const summary = el('summary');
    const badge = testId(el('span', 'badge'), 'run-state');
    const text = el('span', 'run-text');
    summary.append(badge, text);
    const steps = testId(el('ol', 'steps'), 'run-steps');
    details.append(summary, steps);
    turn.section.append(details);
    if (turn.runId) {
      // The turn's run on the runs page: its steps on a time axis, with attempts, retries and waits.
      const runId = turn.runId;
      const link = testId(el('button', 'link-button small run-timeline-link', 'Timeline'), 'run-timeline-link');
      link.type = 'button';
      link.setAttribute('aria-label', 'Open the timeline of this turn\'s run');
      link.addEventListener('click', () => runs.openRun(runId));
      turn.section.append(link);
    }
    return { kind: 'run', turn, details, badge, text, steps, state: 'accepted', version: NaN };
  }

  // --- rendering: model changes are collected and drawn once per animation frame ------------------------------

  touch(item) {
    this.dirty.add(item);
    if (!this.frame) this.frame = requestAnimationFrame((now) => this.flush(now));
  }

  flush(now) {
    this.frame = 0;
    const later = [];
    for (const item of this.dirty) {
      if (item.article) {
        if (!item.done && item.text.length > LONG_TEXT_CHARS && now - (item.renderedAt ?? 0) < LONG_RENDER_MS) later.push(item);
        else this.drawMessage(item, now);
      } else if (item.details && item.chunks) this.drawTool(item);
      else if (item.kind === 'run') this.drawRun(item);
      else if (item.section) this.drawTurn(item);
    }
    this.dirty.clear();
    for (const item of later) this.touch(item);
    if (this.stickToBottom) ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  drawMessage(message, now) {
    if (message.rendered !== message.text) {
      message.body.replaceChildren(renderMarkdown(message.text));
      message.rendered = message.text;
      message.renderedAt = now;
    }
    message.article.dataset.state = message.failed ? 'error' : message.done ? 'done' : 'streaming';
    // Screen readers wait for a busy message to settle instead of announcing every frame of it.
    message.article.setAttribute('aria-busy', String(!message.done));
    const finish = message.finish;
    if (finish) {
      const parts = [];
      if (finish.model) parts.push(String(finish.model));
      const usage = finish.usage;
      if (usage && (usage.input_tokens != null || usage.output_tokens != null)) parts.push(`${usage.input_tokens ?? '?'} in / ${usage.output_tokens ?? '?'} out tokens`);
      if (finish.finish_reason && finish.finish_reason !== 'stop') parts.push(`stopped: ${finish.finish_reason}`);
      message.meta.textContent = parts.join(' · ');
      message.meta.hidden = parts.length === 0;
    }
    this.drawTurn(message.turn);
  }

  drawTool(tool) {
    tool.details.dataset.tool = tool.tool ?? '';
    tool.details.dataset.status = tool.state;
    tool.name.textContent = tool.tool ?? 'tool';
    tool.status.textContent = tool.state;
    tool.status.dataset.state = tool.state;
    const notes = [];
    if (tool.duration != null) notes.push(formatDuration(tool.duration));
    if (tool.bytes) notes.push(`${tool.bytes} bytes`);
    tool.note.textContent = notes.join(' · ');
    tool.argsSection.hidden = tool.arguments === undefined;
    if (tool.arguments !== undefined) tool.args.textContent = prettyJson(tool.arguments);
    tool.sandboxBadge.hidden = !tool.sandbox;
    tool.sandboxBadge.textContent = tool.sandbox ? `sandbox: ${tool.sandbox}` : '';
    tool.truncatedBadge.hidden = !tool.truncated;
    const live = !tool.final && tool.live != null;
    const text = live ? tool.live : tool.chunks.join('');
    tool.outputSection.hidden = text.length === 0;
    tool.output.dataset.live = String(live);
    const shown = text.length > MAX_TOOL_OUTPUT_CHARS ? `${text.slice(0, MAX_TOOL_OUTPUT_CHARS)}\n… ${text.length - MAX_TOOL_OUTPUT_CHARS} more characters` : text;
    if (tool.output.textContent !== shown) {
      // Growing output follows its end, unless the reader scrolled up to read.
      const out = tool.output;
      const following = out.scrollHeight - out.scrollTop - out.clientHeight < 24;
      out.textContent = shown;
      if (following) out.scrollTop = out.scrollHeight;
    }
    const denied = tool.state === 'denied';
    tool.reason.hidden = !denied;
    tool.reason.textContent = denied ? tool.problem ?? 'Denied by policy.' : '';
    tool.error.hidden = !tool.problem || denied;
    tool.error.textContent = denied ? '' : tool.problem ?? '';
  }

  drawRun(run) {
    run.details.dataset.state = run.state;
    run.badge.textContent = run.state;
    run.badge.dataset.state = run.state;
    const steps = [...run.turn.steps.values()];
    const parts = [];
    if (run.workflow) parts.push(run.workflow);
    parts.push(`${steps.length} step${steps.length === 1 ? '' : 's'}`);
    if (run.duration != null) parts.push(formatDuration(run.duration));
    else if (run.endedAt && run.startedAt) parts.push(formatDuration(run.endedAt - run.startedAt));
    if (run.problem) parts.push(run.problem);
    run.text.textContent = parts.join(' · ');
    run.steps.replaceChildren(...steps.map((step) => {
      const li = testId(el('li', 'step'), 'run-step');
      li.dataset.stepId = step.id;
      li.dataset.state = step.state;
      const badge = el('span', 'badge', step.state);
      badge.dataset.state = step.state;
      if (step.name && step.name !== step.id) li.title = step.name;
      li.append(el('span', 'step-name', step.id), badge);
      if (step.attempt > 1) li.append(el('span', 'step-note', `attempt ${step.attempt}`));
      if (step.duration != null) li.append(el('span', 'step-note', formatDuration(step.duration)));
      if (step.problem) li.append(el('span', 'step-error', step.problem));
      return li;
    }));
  }

  drawTurn(turn) {
    const ended = turn.run && (ENDED_RUN_STATES.has(turn.run.state) || turn.run.state === 'waiting');
    turn.pending.hidden = !turn.hasUser || Boolean(turn.error) || Boolean(ended) || turn.answered;
    turn.section.dataset.state = turn.error ? 'error' : ended ? turn.run.state : turn.finished ? 'done' : 'active';
    if (turn.error) {
      let box = turn.errorBox;
      if (!box) {
        box = turn.errorBox = testId(el('div', 'turn-error'), 'turn-error');
        box.setAttribute('role', 'note');
        turn.body.after(box);
      }
      box.replaceChildren(el('strong', '', turn.error.code), document.createTextNode(' ' + turn.error.message));
    }
    if (turn.memoryNote && !turn.memoryNoteBox) {
      const note = (turn.memoryNoteBox = testId(el('p', 'turn-note'), 'memory-degraded-note'));
      note.setAttribute('role', 'note');
      note.dataset.code = turn.memoryNote.code;
      note.textContent = turn.memoryNote.text;
      turn.body.after(note);
    }
  }
}

function prettyJson(value) {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

function onKeyDown(event) {
  if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyN' && !ui.app.hidden) {
    event.preventDefault();
    createSession();
    return;
  }
  if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyM' && !ui.app.hidden && state.selectedId) {
    event.preventDefault();
    memory.toggle();
    return;
  }
  if (event.key === '/' && !event.altKey && !event.ctrlKey && !event.metaKey && !isEditable(event.target) && !ui.app.hidden && !ui.composer.disabled) {
    event.preventDefault();
    ui.composer.focus();
    return;
  }
  if (event.key === 'Escape' && document.body.classList.contains('sidebar-open')) {
    closeSidebar();
    ui.toggleSidebar.focus();
  }
}

// The full hint does not fit a phone's composer; there the shortcut is the usual one anyway.
function fitPlaceholder(narrow) {
  ui.composer.placeholder = narrow ? 'Message' : 'Message — Enter to send, Shift+Enter for a new line';
}

function boot() {
  memory = new MemoryPanel({
    app: ui.app,
    toggle: ui.toggleMemory,
    root: $('memory-panel'),
    close: $('memory-close'),
    refresh: $('memory-refresh'),
    counts: $('memory-counts'),
    countSent: $('memory-count-sent'),
    countPending: $('memory-count-pending'),
    countFailed: $('memory-count-failed'),
    search: $('memory-search'),
    query: $('memory-query'),
    allSessions: $('memory-all'),
    mode: $('memory-mode'),
    results: $('memory-results'),
    resultInfo: $('memory-results-info'),
    resultList: $('memory-result-list'),
    status: $('memory-status'),
    list: $('memory-list'),
  }, { api, describeError });
  policy = new PolicyPanel({
    open: $('open-policy'),
    root: $('policy-panel'),
    close: $('policy-close'),
    refresh: $('policy-refresh'),
    filters: $('policy-filters'),
    tool: $('policy-tool'),
    decision: $('policy-decision'),
    status: $('policy-status'),
    table: $('policy-table'),
    list: $('policy-list'),
    more: $('policy-more'),
  }, { api, describeError });
  ui.toggleMemory.append(icon('memory'));
  $('memory-close').append(icon('close'));
  tools = new ToolsPanel({
    open: $('open-tools'),
    root: $('tools-panel'),
    close: $('tools-close'),
    refresh: $('tools-refresh'),
    window: $('tools-window'),
    status: $('tools-status'),
    table: $('tools-table'),
    list: $('tools-list'),
  }, { api, describeError });
  runs = new RunsPanel({
    open: $('open-runs'),
    root: $('runs-panel'),
    close: $('runs-close'),
    refresh: $('runs-refresh'),
    filters: $('runs-filters'),
    state: $('runs-state'),
    workflow: $('runs-workflow'),
    status: $('runs-status'),
    table: $('runs-table'),
    list: $('runs-list'),
    more: $('runs-more'),
    listView: $('runs-list-view'),
    timelineView: $('run-timeline-view'),
    back: $('runs-back'),
    runInfo: $('run-info'),
    trace: $('run-trace'),
    timelineStatus: $('run-timeline-status'),
    timeline: $('run-timeline-chart'),
  }, { api, describeError, token: () => state.token });
  $('policy-close').append(icon('close'));
  $('tools-close').append(icon('close'));
  $('runs-close').append(icon('close'));
  ui.toggleMemory.addEventListener('click', () => memory.toggle());
  const narrow = matchMedia('(max-width: 760px)');
  fitPlaceholder(narrow.matches);
  narrow.addEventListener('change', (event) => fitPlaceholder(event.matches));
  ui.signinForm.addEventListener('submit', onSignIn);
  ui.newSession.addEventListener('click', createSession);
  ui.loadMore.addEventListener('click', loadMoreSessions);
  ui.signOut.addEventListener('click', () => signOut());
  ui.toggleSidebar.addEventListener('click', () => {
    const open = document.body.classList.toggle('sidebar-open');
    ui.toggleSidebar.setAttribute('aria-expanded', String(open));
  });
  ui.composer.addEventListener('input', () => {
    autosize();
    updateComposer();
  });
  ui.composer.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
      event.preventDefault();
      sendMessage();
    }
  });
  ui.composerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage();
  });
  document.addEventListener('keydown', onKeyDown);
  addEventListener('online', () => state.view && setConnection('reconnecting'));
  addEventListener('offline', () => state.view && setConnection('offline'));
  addEventListener('hashchange', () => {
    // A sign-in link opened in a tab that already shows the UI, or a #session=… link typed in.
    if (takeTokenFromFragment()) start();
    else if (state.token) {
      const fragment = readFragment();
      const wanted = fragment.get('session');
      if (wanted && wanted !== state.selectedId) selectSession(wanted, { restoring: true });
      openLinkedRun(fragment);
    }
  });

  takeTokenFromFragment();
  start();
}

function start() {
  closeView();
  state.token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  if (!state.token) {
    showSignIn();
    return;
  }
  loadSessions();
}

boot();
