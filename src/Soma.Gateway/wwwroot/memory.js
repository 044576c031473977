// The memory panel: what the agent remembered for the open session (GET /v1/sessions/{id}/memories: each memory
// write, its links, and whether it has reached the memory service yet), and a search over long-term memory
// (GET /v1/memory) by words, by meaning or both, each result with a badge saying why it matched. Like the rest of the
// UI, every remembered text reaches the page through textContent only.

import { el, testId } from './dom.js';

const CLIP_CHARS = 240;
const SEARCH_DEBOUNCE_MS = 300;
const REFRESH_DEBOUNCE_MS = 250;
// While writes are queued the panel looks again, less and less often: the sync worker delivers them in the background.
const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 10_000;

const STATUS = {
  pending: { label: 'queued', state: 'waiting' },
  sent: { label: 'stored', state: 'succeeded' },
  dead_lettered: { label: 'failed', state: 'failed' },
};

const NOUNS = { user: 'user message', assistant: 'answer', tool: 'tool output', note: 'note' };
const RELATIONS = { answers: 'answers', answered_by: 'answered by', used_by: 'used by' };

const UNAVAILABLE = 'Memory unavailable, writes are queued and will be delivered.';

// Why a search result matched, as the API says it (`match`); a service that does not say (SomaBrain) gets no badge.
const MATCHES = {
  text: { label: 'words', title: 'Found by its words' },
  meaning: { label: 'meaning', title: 'Found by its meaning, not by the words searched' },
  both: { label: 'words + meaning', title: 'Found by its words and by its meaning' },
};
const MODES = new Set(['hybrid', 'text', 'vector']);
const MEANING_OFF = 'Search by meaning is off on this server: search by words, or by words + meaning (which then finds by words).';

/** The role a memory key names when the memory itself is not listed: {tenant}/{session}/{message}/{role} or …/tool/{round}/{call}. */
function roleOfKey(key) {
  const parts = String(key).split('/');
  if (parts.length >= 6 && parts[parts.length - 3] === 'tool') return 'tool';
  return parts[parts.length - 1] in NOUNS ? parts[parts.length - 1] : null;
}

function nounOf(role) {
  return NOUNS[role] ?? (role ? String(role) : 'memory');
}

function relationOf(rel) {
  return RELATIONS[rel] ?? String(rel ?? 'linked').replace(/_/g, ' ');
}

/** A text shown clipped, with a button that shows all of it (only when there is more). */
function clippedText(text, testid) {
  const wrap = el('div', 'memory-text-wrap');
  const body = testId(el('p', 'memory-text'), testid);
  wrap.append(body);
  const full = String(text ?? '');
  if (full.length <= CLIP_CHARS) {
    body.textContent = full;
    return wrap;
  }
  const clipped = full.slice(0, CLIP_CHARS).trimEnd() + '…';
  body.textContent = clipped;
  body.dataset.clipped = 'true';
  const more = testId(el('button', 'link-button small memory-expand', 'Show more'), 'memory-expand');
  more.type = 'button';
  more.setAttribute('aria-expanded', 'false');
  more.addEventListener('click', () => {
    const expand = body.dataset.clipped === 'true';
    body.textContent = expand ? full : clipped;
    body.dataset.clipped = String(!expand);
    more.textContent = expand ? 'Show less' : 'Show more';
    more.setAttribute('aria-expanded', String(expand));
  });
  wrap.append(more);
  return wrap;
}

export class MemoryPanel {
  /**
   * @param {object} ui the panel's elements (see index.html)
   * @param {{ api: Function, describeError: Function }} deps the page's API call (bearer token, 401 → sign-out) and error wording
   */
  constructor(ui, { api, describeError }) {
    this.ui = ui;
    this.api = api;
    this.describeError = describeError;
    this.sessionId = null;
    this.generation = 0;
    this.refreshTimer = 0;
    this.pollTimer = 0;
    this.pollDelay = POLL_FIRST_MS;
    this.searchTimer = 0;
    this.searchGeneration = 0;
    this.items = new Map();
    this.highlighted = null;

    ui.search.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(this.searchTimer);
      this.search();
    });
    ui.query.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.search(), SEARCH_DEBOUNCE_MS);
    });
    ui.allSessions.addEventListener('change', () => this.search());
    ui.mode.addEventListener('change', () => this.search());
    ui.refresh.addEventListener('click', () => this.refresh());
    ui.close.addEventListener('click', () => {
      this.toggle(false);
      ui.toggle.focus();
    });
    ui.root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.toggle(false);
        ui.toggle.focus();
      }
    });
  }

  get isOpen() {
    return !this.ui.root.hidden;
  }

  toggle(open = !this.isOpen) {
    this.ui.root.hidden = !open;
    this.ui.app.classList.toggle('memory-open', open);
    this.ui.toggle.setAttribute('aria-expanded', String(open));
    this.ui.toggle.classList.toggle('active', open);
    if (open) {
      this.pollDelay = POLL_FIRST_MS;
      this.refresh();
      this.ui.query.focus();
    } else {
      this.stopPolling();
    }
  }

  /** The open session changed (null: none). */
  setSession(sessionId) {
    if (sessionId === this.sessionId) return;
    this.sessionId = sessionId;
    this.generation++;
    this.stopPolling();
    this.items.clear();
    this.highlighted = null;
    this.ui.list.replaceChildren();
    this.ui.counts.hidden = true;
    this.ui.query.value = '';
    this.clearResults();
    this.ui.toggle.disabled = !sessionId;
    if (!sessionId) {
      this.showStatus('Open a session to see what the agent remembered.', 'idle');
      return;
    }
    if (this.isOpen) this.refresh();
  }

  /** A turn ended (its answer is final): its memory writes are now in the outbox. */
  turnEnded() {
    if (!this.isOpen || !this.sessionId) return;
    this.pollDelay = POLL_FIRST_MS;
    clearTimeout(this.refreshTimer);
    // Replaying a long history ends many turns at once: one refresh for all of them.
    this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    clearTimeout(this.refreshTimer);
    this.pollTimer = 0;
  }

  async refresh() {
    const sessionId = this.sessionId;
    if (!sessionId || !this.isOpen) return;
    clearTimeout(this.pollTimer);
    const generation = ++this.generation;
    this.ui.root.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await this.api('GET', `/v1/sessions/${encodeURIComponent(sessionId)}/memories`);
    } catch (error) {
      if (generation !== this.generation) return;
      this.ui.root.setAttribute('aria-busy', 'false');
      if (error?.status === 401) return;
      this.showStatus(error?.status === 503 ? UNAVAILABLE : this.describeError('Loading memories failed', error), 'error');
      this.schedulePoll();
      return;
    }
    if (generation !== this.generation) return;
    this.ui.root.setAttribute('aria-busy', 'false');
    this.render(page ?? {});
    if ((page?.pending ?? 0) > 0) this.schedulePoll();
  }

  schedulePoll() {
    if (!this.isOpen) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => this.refresh(), this.pollDelay);
    this.pollDelay = Math.min(POLL_MAX_MS, Math.round(this.pollDelay * 1.5));
  }

  showStatus(text, kind) {
    this.ui.status.textContent = text;
    this.ui.status.dataset.kind = kind;
    this.ui.status.hidden = !text;
  }

  render(page) {
    const rows = Array.isArray(page.items) ? page.items : [];
    const memories = rows.filter((r) => r.kind !== 'link');
    const byKey = new Map(memories.map((m) => [m.key, m]));
    // Link rows (user → answered_by → assistant) are shown on the memory they start from.
    const extraLinks = new Map();
    for (const row of rows.filter((r) => r.kind === 'link')) {
      const list = extraLinks.get(row.key) ?? [];
      for (const link of row.links ?? []) list.push({ ...link, status: row.status, last_error: row.last_error });
      extraLinks.set(row.key, list);
    }

    const counts = this.ui.counts;
    counts.hidden = false;
    this.ui.countSent.textContent = String(page.sent ?? 0);
    this.ui.countPending.textContent = String(page.pending ?? 0);
    this.ui.countFailed.textContent = String(page.dead_lettered ?? 0);

    const highlightedKey = this.highlighted;
    this.items.clear();
    const nodes = memories.map((memory) => this.renderMemory(memory, [...(memory.links ?? []), ...(extraLinks.get(memory.key) ?? [])], byKey));
    this.ui.list.replaceChildren(...nodes);
    if (highlightedKey && this.items.has(highlightedKey)) this.items.get(highlightedKey).dataset.highlighted = 'true';
    if (memories.length === 0) this.showStatus('Nothing remembered for this session yet.', 'empty');
    else this.showStatus('', 'idle');
  }

  renderMemory(memory, links, byKey) {
    const li = testId(el('li', 'memory-item'), 'memory-item');
    li.tabIndex = -1;
    li.dataset.key = memory.key;
    const role = memory.role ?? roleOfKey(memory.key) ?? 'memory';
    li.dataset.role = role;
    li.dataset.status = memory.status;

    const head = el('div', 'memory-item-head');
    const roleLabel = testId(el('span', 'memory-role', role), 'memory-role');
    head.append(roleLabel, this.statusBadge(memory));
    li.append(head, clippedText(memory.text, 'memory-text'));

    if (links.length > 0) {
      const list = testId(el('ul', 'memory-links'), 'memory-links');
      for (const link of links) list.append(this.renderLink(link, byKey));
      li.append(list);
    }
    this.items.set(memory.key, li);
    return li;
  }

  statusBadge(row) {
    const status = STATUS[row.status] ?? { label: String(row.status ?? 'unknown'), state: 'waiting' };
    const badge = testId(el('span', 'badge', status.label), 'memory-status');
    badge.dataset.state = status.state;
    badge.dataset.status = row.status;
    if (row.status === 'dead_lettered' && row.last_error) badge.title = String(row.last_error);
    else if (row.status === 'pending') badge.title = row.last_error ? `Waiting to be delivered (last try: ${row.last_error})` : 'Waiting to be delivered';
    return badge;
  }

  renderLink(link, byKey) {
    const item = testId(el('li', 'memory-link'), 'memory-link');
    item.dataset.rel = link.rel ?? '';
    item.dataset.target = link.target ?? '';
    const target = byKey.get(link.target);
    const noun = nounOf(target?.role ?? roleOfKey(link.target));
    item.append(el('span', 'memory-rel', `${relationOf(link.rel)} → `));
    if (target) {
      const button = testId(el('button', 'link-button memory-link-target', noun), 'memory-link-target');
      button.type = 'button';
      button.title = link.target;
      button.addEventListener('click', () => this.highlight(link.target));
      item.append(button);
    } else {
      const span = testId(el('span', 'memory-link-target', noun), 'memory-link-target');
      span.title = link.target ?? '';
      item.append(span);
    }
    // A link sent as its own write (not inline with its memory) has its own delivery status.
    if (link.status && link.status !== 'sent') item.append(' ', this.statusBadge(link));
    return item;
  }

  highlight(key) {
    const node = this.items.get(key);
    if (!node) return;
    for (const other of this.ui.list.querySelectorAll('[data-highlighted]')) delete other.dataset.highlighted;
    this.highlighted = key;
    node.dataset.highlighted = 'true';
    node.scrollIntoView({ block: 'nearest', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    node.focus({ preventScroll: true });
  }

  clearResults() {
    this.searchGeneration++;
    this.ui.results.hidden = true;
    this.ui.resultList.replaceChildren();
    this.ui.resultInfo.textContent = '';
  }

  async search() {
    const query = this.ui.query.value.trim();
    if (!query) {
      this.clearResults();
      return;
    }
    const all = this.ui.allSessions.checked;
    if (!all && !this.sessionId) return;
    const generation = ++this.searchGeneration;
    const mode = MODES.has(this.ui.mode.value) ? this.ui.mode.value : 'hybrid';
    const params = new URLSearchParams({ query, mode });
    if (!all) params.set('session_id', this.sessionId);
    this.ui.results.hidden = false;
    this.ui.results.setAttribute('aria-busy', 'true');
    let found;
    try {
      found = await this.api('GET', `/v1/memory?${params}`);
    } catch (error) {
      if (generation !== this.searchGeneration) return;
      this.ui.results.setAttribute('aria-busy', 'false');
      if (error?.status === 401) return;
      this.ui.resultList.replaceChildren();
      this.ui.resultInfo.textContent = error?.status === 503
        ? UNAVAILABLE
        : error?.status === 400 && error?.problem?.parameter === 'mode' && mode === 'vector'
          ? MEANING_OFF
          : this.describeError('Searching memory failed', error);
      this.ui.resultInfo.dataset.kind = 'error';
      return;
    }
    if (generation !== this.searchGeneration) return;
    this.ui.results.setAttribute('aria-busy', 'false');
    const results = Array.isArray(found?.results) ? found.results : [];
    const parts = [results.length === 0 ? 'No memories match.' : `${results.length} of ${found.total_results ?? results.length} ${all ? 'in all sessions' : 'in this session'}`];
    if (found?.cached) parts.push('cached');
    if (found?.degraded) parts.push('partial: the memory service is degraded');
    this.ui.resultInfo.textContent = parts.join(' · ');
    this.ui.resultInfo.dataset.kind = results.length === 0 ? 'empty' : 'results';
    this.ui.resultInfo.dataset.cached = String(Boolean(found?.cached));
    this.ui.resultList.replaceChildren(...results.map((result) => this.renderResult(result)));
  }

  renderResult(result) {
    const li = testId(el('li', 'memory-item memory-result'), 'memory-result');
    li.dataset.key = result.key ?? '';
    const role = result.role || roleOfKey(result.key) || 'memory';
    li.dataset.role = role;
    const head = el('div', 'memory-item-head');
    const score = Number(result.score);
    head.append(testId(el('span', 'memory-role', role), 'memory-role'));
    const match = Object.hasOwn(MATCHES, result.match) ? MATCHES[result.match] : null;
    if (match) {
      const badge = testId(el('span', 'badge memory-match', match.label), 'memory-match');
      badge.dataset.match = result.match;
      badge.title = match.title;
      head.append(badge);
    }
    head.append(testId(el('span', 'memory-score', Number.isFinite(score) ? `score ${score.toFixed(2)}` : ''), 'memory-score'));
    if (result.session_id && result.session_id !== this.sessionId) head.append(el('span', 'memory-other', 'other session'));
    li.append(head, clippedText(result.text, 'memory-text'));
    if (this.items.has(result.key)) {
      const show = testId(el('button', 'link-button small', 'Show in list'), 'memory-result-show');
      show.type = 'button';
      show.addEventListener('click', () => this.highlight(result.key));
      li.append(show);
    }
    return li;
  }
}
