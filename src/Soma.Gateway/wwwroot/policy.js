// The "Policy decisions" panel, for operators: the tenant's recent policy decisions on tool calls
// (GET /v1/policy/decisions), filtered by tool and decision, newest first. Only tokens with the admin role see the
// button; the server checks the role on every call, the page only avoids offering what would be refused.
// Reasons and names reach the page through textContent only.

import { el, testId } from './dom.js';

const PAGE_SIZE = 50;
const FILTER_DEBOUNCE_MS = 300;
const SHORT_VERSION_CHARS = 12;

/** The roles claim of a JWT (a string or an array), without checking it: the server does that. */
export function rolesOf(token) {
  try {
    const part = String(token ?? '').split('.')[1];
    if (!part) return [];
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const roles = JSON.parse(new TextDecoder().decode(bytes))?.roles;
    if (Array.isArray(roles)) return roles.map(String);
    return typeof roles === 'string' ? roles.split(/[\s,]+/).filter(Boolean) : [];
  } catch {
    return [];
  }
}

function formatDecisionTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return date.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export class PolicyPanel {
  /**
   * @param {object} ui the panel's elements (see index.html)
   * @param {{ api: Function, describeError: Function }} deps the page's API call (bearer token, 401 → sign-out) and error wording
   */
  constructor(ui, { api, describeError }) {
    this.ui = ui;
    this.api = api;
    this.describeError = describeError;
    this.generation = 0;
    this.nextCursor = null;
    this.filterTimer = 0;

    ui.open.addEventListener('click', () => this.open());
    ui.close.addEventListener('click', () => this.close());
    ui.refresh.addEventListener('click', () => this.load());
    ui.more.addEventListener('click', () => this.load({ more: true }));
    ui.filters.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(this.filterTimer);
      this.load();
    });
    ui.tool.addEventListener('input', () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => this.load(), FILTER_DEBOUNCE_MS);
    });
    ui.decision.addEventListener('change', () => this.load());
    // Esc closes a modal dialog by itself; the button that opened it gets the focus back.
    ui.root.addEventListener('close', () => {
      clearTimeout(this.filterTimer);
      this.generation++;
      if (!ui.open.hidden) ui.open.focus();
    });
  }

  get isOpen() {
    return this.ui.root.open;
  }

  /** A token was accepted: offer the panel only to admins. */
  signedIn(token) {
    this.ui.open.hidden = !rolesOf(token).includes('admin');
  }

  signedOut() {
    this.close();
    this.ui.open.hidden = true;
    this.ui.list.replaceChildren();
  }

  open() {
    if (!this.isOpen) this.ui.root.showModal();
    this.load();
    this.ui.tool.focus();
  }

  close() {
    if (this.isOpen) this.ui.root.close();
  }

  async load({ more = false } = {}) {
    if (!this.isOpen) return;
    if (more && !this.nextCursor) return;
    const generation = ++this.generation;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    const tool = this.ui.tool.value.trim();
    if (tool) params.set('tool', tool);
    if (this.ui.decision.value) params.set('decision', this.ui.decision.value);
    if (more) params.set('cursor', this.nextCursor);
    this.ui.root.setAttribute('aria-busy', 'true');
    this.ui.more.disabled = true;
    let page;
    try {
      page = await this.api('GET', `/v1/policy/decisions?${params}`);
    } catch (error) {
      if (generation !== this.generation) return;
      this.ui.root.setAttribute('aria-busy', 'false');
      if (error?.status === 401) return;
      if (!more) this.show([], null);
      this.showStatus(
        error?.status === 403 ? 'Only operators (role admin) can see policy decisions.' : this.describeError('Loading policy decisions failed', error),
        'error');
      return;
    }
    if (generation !== this.generation) return;
    this.ui.root.setAttribute('aria-busy', 'false');
    const items = Array.isArray(page?.items) ? page.items : [];
    const rows = items.map((item) => this.renderRow(item));
    if (more) this.ui.list.append(...rows);
    else this.show(rows, null);
    this.nextCursor = page?.next_cursor ?? null;
    this.ui.more.hidden = !this.nextCursor;
    this.ui.more.disabled = false;
    const count = this.ui.list.children.length;
    if (count === 0) {
      this.showStatus(tool || this.ui.decision.value ? 'No decisions match these filters.' : 'No policy decisions yet: they appear when an agent calls a tool.', 'empty');
    } else {
      this.showStatus(`${count} decision${count === 1 ? '' : 's'}${this.nextCursor ? ', more available' : ''}`, 'results');
    }
  }

  show(rows, cursor) {
    this.ui.list.replaceChildren(...rows);
    this.ui.table.hidden = rows.length === 0;
    this.nextCursor = cursor;
    this.ui.more.hidden = true;
  }

  showStatus(text, kind) {
    this.ui.status.textContent = text;
    this.ui.status.dataset.kind = kind;
    this.ui.table.hidden = this.ui.list.children.length === 0;
  }

  renderRow(item) {
    const tr = testId(el('tr', 'policy-row'), 'policy-decision');
    tr.dataset.decision = String(item.decision ?? '');
    tr.dataset.tool = String(item.tool ?? '');

    const time = el('time', '', formatDecisionTime(item.time));
    time.dateTime = String(item.time ?? '');
    time.title = String(item.time ?? '');
    const when = el('td');
    when.append(time);

    const decision = String(item.decision ?? '');
    const badge = testId(el('span', 'badge', decision), 'policy-decision-badge');
    badge.dataset.state = decision === 'allow' ? 'succeeded' : decision === 'deny' ? 'denied' : 'waiting';
    const verdict = el('td');
    verdict.append(badge);

    const reasons = Array.isArray(item.reasons) ? item.reasons.map(String) : [];
    const why = testId(el('td', 'policy-reasons'), 'policy-reasons');
    if (reasons.length <= 1) why.textContent = reasons[0] ?? '—';
    else {
      const list = el('ul');
      list.append(...reasons.map((r) => el('li', '', r)));
      why.append(list);
    }

    const full = String(item.policy_version ?? '');
    const version = testId(el('td', 'policy-version', full.length > SHORT_VERSION_CHARS ? full.slice(0, SHORT_VERSION_CHARS) + '…' : full || '—'), 'policy-version');
    if (full) version.title = full;

    const tool = testId(el('td', 'policy-tool', String(item.tool ?? '')), 'policy-tool');
    if (item.actor) tool.title = `asked by ${item.actor}`;

    tr.append(when, tool, verdict, why, version,
      testId(el('td', 'policy-engine', String(item.engine ?? '—')), 'policy-engine'),
      testId(el('td', 'policy-duration', formatMs(item.duration_ms) || '—'), 'policy-duration'));
    return tr;
  }
}
