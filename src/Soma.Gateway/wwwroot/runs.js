// The "Runs" page: the tenant's workflow runs, newest first, filtered by state and workflow (GET /v1/runs), and a run's
// timeline (GET /v1/runs/{id}/timeline): one row per step with a bar per attempt on a shared time axis, the retry
// backoffs and waits for input between them, and a link to the run's trace when the server has a trace URL template.
// While the run goes on, its event stream (GET /v1/runs/{id}/events) makes the timeline refetch. Text from the server
// reaches the page through textContent and SVG <title> only.

import { el, testId } from './dom.js';
import { EventStream } from './sse.js';

const SVG = 'http://www.w3.org/2000/svg';
const PAGE_SIZE = 50;
const TRACK_WIDTH = 1000;
const TRACK_HEIGHT = 18;
// A bar shorter than this share of the axis is widened so that it can be seen and hovered.
const MIN_BAR = 3;
const ENDED = new Set(['succeeded', 'failed', 'cancelled']);
// Several events of one commit arrive together: one refetch for all of them.
const REFRESH_DELAY_MS = 150;

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function titled(node, text) {
  const title = document.createElementNS(SVG, 'title');
  title.textContent = text;
  node.append(title);
  return node;
}

/** 12 ms, 1.25 s, 2 min 5 s. */
export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function clock(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0');
}

function time(value) {
  const node = el('time', '', new Date(value).toLocaleString());
  node.dateTime = value;
  return node;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const OUTCOME_WORDS = {
  succeeded: 'succeeded',
  retrying: 'failed, retried',
  failed: 'failed',
  waiting: 'asked for input',
};

/** The hover text of an attempt: its number, times, duration and error. */
export function describeAttempt(step, attempt) {
  let text = `${step.name} · attempt ${attempt.attempt}: ${OUTCOME_WORDS[attempt.outcome] ?? attempt.outcome}\n`
    + `${clock(attempt.started_at)} → ${clock(attempt.ended_at)} (${formatDuration(Date.parse(attempt.ended_at) - Date.parse(attempt.started_at))})`;
  if (attempt.error) text += `\n${attempt.error.code}: ${attempt.error.message}`;
  return text;
}

function describeGap(step, gap, end) {
  const span = `${clock(gap.started_at)} → ${gap.ended_at ? clock(gap.ended_at) : 'now'} (${formatDuration(end - Date.parse(gap.started_at))})`;
  return gap.kind === 'retry'
    ? `${step.name} · retry backoff\n${span}`
    : `${step.name} · waiting${gap.waiting_for ? ` for ${gap.waiting_for}` : ''}\n${span}`;
}

/**
 * The timeline of one run as DOM: a header row with the axis, then one row per step. Positions are shares of the
 * axis, from the run's creation to its end (or the server's "now" while it goes on).
 */
export function renderTimeline(timeline) {
  const start = Date.parse(timeline.created_at);
  const ends = [timeline.ended_at ? Date.parse(timeline.ended_at) : Date.parse(timeline.now)];
  for (const step of timeline.steps ?? []) {
    for (const a of step.attempts ?? []) ends.push(Date.parse(a.ended_at));
    for (const g of step.gaps ?? []) if (g.ended_at) ends.push(Date.parse(g.ended_at));
  }
  const end = Math.max(start + 1, ...ends.filter(Number.isFinite));
  const openEnd = timeline.ended_at ? end : Math.max(end, Date.parse(timeline.now));
  const x = (t) => ((Math.min(Math.max(t, start), end) - start) / (end - start)) * TRACK_WIDTH;
  const bar = (from, to, className) => {
    const left = x(from);
    const width = Math.max(MIN_BAR, x(to) - left);
    return svg('rect', { x: Math.min(left, TRACK_WIDTH - width).toFixed(2), y: 2, width: width.toFixed(2), height: TRACK_HEIGHT - 4, rx: 2, class: className });
  };

  const list = testId(el('ol', 'timeline-rows'), 'timeline-steps');
  const axis = el('li', 'timeline-axis');
  axis.setAttribute('aria-hidden', 'true');
  axis.append(el('span', 'timeline-label', 'Step'), el('span', 'timeline-ticks'));
  const ticks = axis.lastChild;
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    ticks.append(el('span', 'timeline-tick', formatDuration((end - start) * share)));
  }
  list.append(axis);

  for (const step of timeline.steps ?? []) {
    const row = testId(el('li', 'timeline-step'), 'timeline-step');
    row.dataset.step = step.key;
    row.dataset.status = step.status;
    const attempts = step.attempts ?? [];
    const failed = attempts.filter((a) => a.outcome === 'retrying' || a.outcome === 'failed').length;
    const label = testId(el('span', 'timeline-label', step.key), 'timeline-step-name');
    const summary = [plural(attempts.length, 'attempt')];
    if (failed) summary.push(`${failed} failed`);
    if (step.status === 'skipped') summary.push('skipped');
    label.title = `${step.key}: ${step.status}, ${summary.join(', ')}`;

    const track = svg('svg', { viewBox: `0 0 ${TRACK_WIDTH} ${TRACK_HEIGHT}`, preserveAspectRatio: 'none', class: 'timeline-track', role: 'img' });
    track.setAttribute('aria-label', `${step.key}: ${step.status}, ${summary.join(', ')}`);
    for (const gap of step.gaps ?? []) {
      const gapEnd = gap.ended_at ? Date.parse(gap.ended_at) : openEnd;
      const rect = titled(bar(Date.parse(gap.started_at), gapEnd, `timeline-gap ${gap.kind}`), describeGap(step, gap, gapEnd));
      rect.dataset.testid = 'timeline-gap';
      rect.dataset.kind = gap.kind;
      if (!gap.ended_at) rect.dataset.open = 'true';
      track.append(rect);
    }
    for (const attempt of attempts) {
      const kind = attempt.outcome === 'retrying' || attempt.outcome === 'failed' ? 'failed' : attempt.outcome;
      const rect = titled(bar(Date.parse(attempt.started_at), Date.parse(attempt.ended_at), `timeline-attempt ${kind}`), describeAttempt(step, attempt));
      rect.dataset.testid = 'timeline-attempt';
      rect.dataset.outcome = attempt.outcome;
      rect.dataset.attempt = String(attempt.attempt);
      track.append(rect);
    }
    row.append(label, track);
    list.append(row);
  }
  return list;
}

export class RunsPanel {
  /**
   * @param {object} ui the page's elements (see index.html)
   * @param {{ api: Function, describeError: Function, token: () => string }} deps the page's API call, error wording and token
   */
  constructor(ui, { api, describeError, token }) {
    this.ui = ui;
    this.api = api;
    this.describeError = describeError;
    this.token = token;
    this.generation = 0;
    this.nextCursor = null;
    this.runId = null;
    this.stream = null;
    this.refreshTimer = 0;

    ui.open.addEventListener('click', () => this.open());
    ui.close.addEventListener('click', () => this.close());
    ui.refresh.addEventListener('click', () => (this.runId ? this.loadTimeline() : this.loadList()));
    ui.state.addEventListener('change', () => this.loadList());
    ui.filters.addEventListener('submit', (event) => {
      event.preventDefault();
      this.loadList();
    });
    ui.workflow.addEventListener('change', () => this.loadList());
    ui.more.addEventListener('click', () => this.loadList({ more: true }));
    ui.back.addEventListener('click', () => this.showList());
    ui.root.addEventListener('close', () => {
      this.generation++;
      this.follow(null);
      if (!ui.open.hidden) ui.open.focus();
    });
  }

  get isOpen() {
    return this.ui.root.open;
  }

  signedIn() {
    this.ui.open.hidden = false;
  }

  signedOut() {
    this.close();
    this.ui.open.hidden = true;
    this.ui.list.replaceChildren();
    this.ui.timeline.replaceChildren();
  }

  /** Opens the page on the list of runs. */
  open() {
    if (!this.isOpen) this.ui.root.showModal();
    this.showList();
  }

  /** Opens the page on one run's timeline (from a chat turn). */
  openRun(runId) {
    if (!this.isOpen) this.ui.root.showModal();
    this.showTimeline(runId);
  }

  close() {
    this.follow(null);
    if (this.isOpen) this.ui.root.close();
  }

  showList() {
    this.follow(null);
    this.runId = null;
    this.ui.listView.hidden = false;
    this.ui.timelineView.hidden = true;
    this.loadList();
    this.ui.state.focus();
  }

  showTimeline(runId) {
    this.runId = runId;
    this.ui.listView.hidden = true;
    this.ui.timelineView.hidden = false;
    this.ui.timeline.replaceChildren();
    this.ui.runInfo.replaceChildren();
    this.ui.trace.replaceChildren();
    this.loadTimeline();
    this.ui.back.focus();
  }

  async loadList({ more = false } = {}) {
    if (!this.isOpen || this.runId) return;
    const generation = ++this.generation;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (this.ui.state.value) query.set('state', this.ui.state.value);
    const workflow = this.ui.workflow.value.trim();
    if (workflow) query.set('workflow', workflow);
    if (more && this.nextCursor) query.set('cursor', this.nextCursor);
    this.ui.root.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await this.api('GET', `/v1/runs?${query}`);
    } catch (error) {
      if (generation !== this.generation) return;
      this.ui.root.setAttribute('aria-busy', 'false');
      if (error?.status === 401) return;
      this.showStatus(this.describeError('Loading runs failed', error), 'error');
      return;
    }
    if (generation !== this.generation) return;
    this.ui.root.setAttribute('aria-busy', 'false');
    const rows = (page?.items ?? []).map((run) => this.renderRow(run));
    if (more) this.ui.list.append(...rows);
    else this.ui.list.replaceChildren(...rows);
    this.nextCursor = page?.next_cursor ?? null;
    this.ui.more.hidden = !this.nextCursor;
    const count = this.ui.list.children.length;
    this.ui.table.hidden = count === 0;
    this.showStatus(count === 0 ? 'No runs match: runs appear when a message is sent or a workflow is started.' : `${plural(count, 'run')}${this.nextCursor ? ' (more below)' : ''}.`,
      count === 0 ? 'empty' : 'results');
  }

  renderRow(run) {
    const tr = testId(el('tr', 'run-row'), 'run-row');
    tr.dataset.runId = run.id;
    tr.dataset.state = run.state;
    const workflow = testId(el('td', 'run-workflow', `${run.workflow} v${run.workflow_version}`), 'run-workflow');
    const stateCell = el('td');
    const badge = testId(el('span', 'badge', run.state), 'run-row-state');
    badge.dataset.state = run.state;
    stateCell.append(badge);
    const created = el('td');
    created.append(time(run.created_at));
    const ended = run.ended_at ? Date.parse(run.ended_at) : null;
    const duration = el('td', 'run-duration', ended ? formatDuration(ended - Date.parse(run.created_at)) : run.state);
    const open = el('td');
    const button = testId(el('button', 'link-button', 'Timeline'), 'run-open');
    button.type = 'button';
    button.setAttribute('aria-label', `Timeline of the ${run.workflow} run of ${new Date(run.created_at).toLocaleString()}`);
    button.addEventListener('click', () => this.showTimeline(run.id));
    open.append(button);
    tr.append(workflow, stateCell, created, duration, open);
    return tr;
  }

  async loadTimeline() {
    const runId = this.runId;
    if (!this.isOpen || !runId) return;
    const generation = ++this.generation;
    let timeline;
    try {
      timeline = await this.api('GET', `/v1/runs/${encodeURIComponent(runId)}/timeline`);
    } catch (error) {
      if (generation !== this.generation || error?.status === 401) return;
      this.follow(null);
      this.showStatus(this.describeError('Loading the run failed', error), 'error', this.ui.timelineStatus);
      return;
    }
    if (generation !== this.generation || runId !== this.runId) return;
    this.drawTimeline(timeline);
    // Follow a run that goes on; stop once it has ended (its stream ends too).
    this.follow(ENDED.has(timeline.state) ? null : runId);
  }

  drawTimeline(timeline) {
    const root = this.ui.timelineView;
    root.dataset.runId = timeline.run_id;
    root.dataset.state = timeline.state;
    const badge = testId(el('span', 'badge', timeline.state), 'timeline-state');
    badge.dataset.state = timeline.state;
    const started = Date.parse(timeline.created_at);
    const ended = timeline.ended_at ? Date.parse(timeline.ended_at) : null;
    const parts = [`${timeline.workflow} v${timeline.workflow_version}`, `started ${new Date(started).toLocaleString()}`];
    if (ended) parts.push(`took ${formatDuration(ended - started)}`);
    if (timeline.state === 'waiting' && timeline.waiting_for) parts.push(`waiting for ${timeline.waiting_for}`);
    const text = testId(el('span', 'timeline-summary', parts.join(' · ')), 'timeline-summary');
    // The run's id links here (#run=…): a link to copy and share.
    const id = testId(el('a', 'timeline-run-id', timeline.run_id), 'run-permalink');
    id.href = `#run=${encodeURIComponent(timeline.run_id)}`;
    id.title = 'Link to this timeline';
    this.ui.runInfo.replaceChildren(badge, text, id);

    const trace = [];
    if (timeline.trace_id) {
      trace.push(el('span', 'timeline-trace-label', 'Trace'), testId(el('code', 'timeline-trace-id', timeline.trace_id), 'trace-id'));
      if (timeline.trace_url) {
        const link = testId(el('a', 'timeline-trace-link', 'Open trace'), 'trace-link');
        link.href = timeline.trace_url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        trace.push(link);
      }
    }
    this.ui.trace.replaceChildren(...trace);
    this.ui.trace.hidden = trace.length === 0;

    this.ui.timeline.replaceChildren(renderTimeline(timeline));
    const steps = timeline.steps ?? [];
    const attempts = steps.reduce((n, s) => n + (s.attempts?.length ?? 0), 0);
    const failed = steps.reduce((n, s) => n + (s.attempts ?? []).filter((a) => a.outcome !== 'succeeded' && a.outcome !== 'waiting').length, 0);
    this.showStatus(steps.length === 0
      ? 'No step has finished yet.'
      : `${plural(steps.length, 'step')}, ${plural(attempts, 'attempt')}${failed ? `, ${failed} failed` : ''}.`, steps.length === 0 ? 'empty' : 'results', this.ui.timelineStatus);
  }

  /** Follows the run's events (or stops following with null): each one makes the timeline refetch. */
  follow(runId) {
    if (this.stream && this.stream.runId === runId) return;
    this.stream?.stop();
    this.stream = null;
    clearTimeout(this.refreshTimer);
    this.ui.timelineView.dataset.live = String(Boolean(runId));
    if (!runId) return;
    const stream = new EventStream(`/v1/runs/${encodeURIComponent(runId)}/events`, this.token, {
      onEvent: () => {
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => this.runId === runId && this.loadTimeline(), REFRESH_DELAY_MS);
      },
      onFatal: () => this.follow(null),
    });
    stream.runId = runId;
    this.stream = stream.start();
  }

  showStatus(text, kind, target = this.ui.status) {
    target.textContent = text;
    target.dataset.kind = kind;
  }
}
