// The "Tool analytics" page: the tenant's tool calls over a window (GET /v1/tools/stats), one row per tool with its
// counts, p50/p95/p99 durations and output bytes, and a small inline SVG chart of calls and errors per bucket. Any user
// of the tenant may see it (the API holds counts only). Tool names reach the page through textContent only.

import { el, testId } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART_WIDTH = 120;
const CHART_HEIGHT = 28;
const WINDOW_WORDS = { m: 'minute', h: 'hour', d: 'day' };

function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function formatBytes(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** "24h" → "the last 24 hours", for labels a screen reader reads out. */
export function describeWindow(window) {
  const match = /^(\d+)([mhd])$/.exec(String(window ?? ''));
  if (!match) return `the window ${window}`;
  const count = Number(match[1]);
  const word = WINDOW_WORDS[match[2]];
  return count === 1 ? `the last ${word}` : `the last ${count} ${word}s`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/**
 * A bar per bucket: the calls' height, with the failed and denied ones stacked in their colours at its foot. The
 * picture is one image with a text alternative (counts and the busiest bucket), not a set of focusable parts.
 */
export function renderChart(item, span) {
  const series = Array.isArray(item.series) ? item.series : [];
  const peak = Math.max(1, ...series.map((b) => Number(b.calls) || 0));
  const chart = svg('svg', { viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`, width: CHART_WIDTH, height: CHART_HEIGHT, role: 'img', class: 'tool-chart' });
  chart.dataset.testid = 'tool-stats-chart';
  const calls = Number(item.calls) || 0;
  const failed = Number(item.failed) || 0;
  const denied = Number(item.denied) || 0;
  const busiest = series.reduce((best, b) => ((Number(b.calls) || 0) > (Number(best?.calls) || 0) ? b : best), null);
  let label = `${item.tool}: ${plural(calls, 'call')}, ${failed} failed, ${denied} denied over ${describeWindow(span)}`;
  if (busiest) label += `; busiest: ${plural(Number(busiest.calls), 'call')} from ${new Date(busiest.start).toLocaleString()}`;
  chart.setAttribute('aria-label', label);
  const title = svg('title', {});
  title.textContent = label;
  chart.append(title, svg('line', { x1: 0, y1: CHART_HEIGHT - 0.5, x2: CHART_WIDTH, y2: CHART_HEIGHT - 0.5, class: 'tool-chart-axis' }));

  const slot = CHART_WIDTH / Math.max(1, series.length);
  const barWidth = Math.max(1, slot - 1);
  series.forEach((bucket, i) => {
    const n = Number(bucket.calls) || 0;
    const bad = Math.min(n, (Number(bucket.failed) || 0) + (Number(bucket.denied) || 0));
    const group = svg('g', { class: 'tool-chart-bucket' });
    group.dataset.calls = String(n);
    group.dataset.errors = String(bad);
    const x = (i * slot).toFixed(2);
    const scale = (count) => (count === 0 ? 0 : Math.max(1, (count / peak) * (CHART_HEIGHT - 2)));
    const height = scale(n);
    if (height > 0) group.append(svg('rect', { x, y: (CHART_HEIGHT - height).toFixed(2), width: barWidth.toFixed(2), height: height.toFixed(2), class: 'tool-chart-calls' }));
    const failedHeight = scale(Math.min(n, Number(bucket.failed) || 0));
    if (failedHeight > 0) group.append(svg('rect', { x, y: (CHART_HEIGHT - failedHeight).toFixed(2), width: barWidth.toFixed(2), height: failedHeight.toFixed(2), class: 'tool-chart-failed' }));
    const deniedHeight = scale(Math.min(n, Number(bucket.denied) || 0));
    if (deniedHeight > 0) {
      group.append(svg('rect', {
        x, y: (CHART_HEIGHT - failedHeight - deniedHeight).toFixed(2), width: barWidth.toFixed(2), height: deniedHeight.toFixed(2), class: 'tool-chart-denied',
      }));
    }
    chart.append(group);
  });
  return chart;
}

export class ToolsPanel {
  /**
   * @param {object} ui the page's elements (see index.html)
   * @param {{ api: Function, describeError: Function }} deps the page's API call (bearer token, 401 → sign-out) and error wording
   */
  constructor(ui, { api, describeError }) {
    this.ui = ui;
    this.api = api;
    this.describeError = describeError;
    this.generation = 0;

    ui.open.addEventListener('click', () => this.open());
    ui.close.addEventListener('click', () => this.close());
    ui.refresh.addEventListener('click', () => this.load());
    ui.window.addEventListener('change', () => this.load());
    // Esc closes a modal dialog by itself; the button that opened it gets the focus back.
    ui.root.addEventListener('close', () => {
      this.generation++;
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
  }

  open() {
    if (!this.isOpen) this.ui.root.showModal();
    this.load();
    this.ui.window.focus();
  }

  close() {
    if (this.isOpen) this.ui.root.close();
  }

  async load() {
    if (!this.isOpen) return;
    const generation = ++this.generation;
    const span = this.ui.window.value || '24h';
    this.ui.root.setAttribute('aria-busy', 'true');
    let stats;
    try {
      stats = await this.api('GET', `/v1/tools/stats?${new URLSearchParams({ window: span })}`);
    } catch (error) {
      if (generation !== this.generation) return;
      this.ui.root.setAttribute('aria-busy', 'false');
      if (error?.status === 401) return;
      this.show([]);
      this.showStatus(this.describeError('Loading tool analytics failed', error), 'error');
      return;
    }
    if (generation !== this.generation) return;
    this.ui.root.setAttribute('aria-busy', 'false');
    const tools = Array.isArray(stats?.tools) ? stats.tools : [];
    this.show(tools.map((item) => this.renderRow(item, stats.window)));
    const totals = stats?.totals ?? {};
    if (tools.length === 0) {
      this.showStatus(`No tool calls in ${describeWindow(stats?.window)}: they appear when an agent calls a tool.`, 'empty');
    } else {
      this.showStatus(
        `${plural(Number(totals.calls) || 0, 'call')} of ${plural(tools.length, 'tool')} in ${describeWindow(stats.window)}: `
        + `${Number(totals.failed) || 0} failed (${Number(totals.timeouts) || 0} timed out), ${Number(totals.denied) || 0} denied.`,
        'results');
    }
  }

  show(rows) {
    this.ui.list.replaceChildren(...rows);
    this.ui.table.hidden = rows.length === 0;
  }

  showStatus(text, kind) {
    this.ui.status.textContent = text;
    this.ui.status.dataset.kind = kind;
  }

  renderRow(item, span) {
    const tr = testId(el('tr', 'tool-stats-row'), 'tool-stats-row');
    tr.dataset.tool = String(item.tool ?? '');
    const name = testId(el('th', 'tool-stats-name', String(item.tool ?? '')), 'tool-stats-tool');
    name.scope = 'row';
    const count = (key) => {
      const td = testId(el('td', 'tool-stats-number', String(Number(item[key]) || 0)), `tool-stats-${key}`);
      td.dataset.value = String(Number(item[key]) || 0);
      return td;
    };
    const duration = (key) => testId(el('td', 'tool-stats-number', formatMs(item[key])), `tool-stats-${key.replace('_ms', '')}`);
    const bytes = testId(el('td', 'tool-stats-number', formatBytes(item.bytes_out)), 'tool-stats-bytes');
    bytes.dataset.value = String(Number(item.bytes_out) || 0);
    bytes.title = `${Number(item.bytes_out) || 0} bytes`;
    const chart = el('td', 'tool-stats-chart-cell');
    chart.append(renderChart(item, span));
    tr.append(name, count('calls'), count('succeeded'), count('failed'), count('denied'), count('timeouts'),
      duration('p50_ms'), duration('p95_ms'), duration('p99_ms'), bytes, chart);
    return tr;
  }
}
