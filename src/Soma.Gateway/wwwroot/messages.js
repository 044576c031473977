// How a conversation looks: the elements of a turn, a message, a tool call and a turn's run, and drawing each from its
// model (stream.js keeps the model up to date and asks for a draw once per animation frame). Text from users, models
// and tools reaches the page through textContent and markdown.js only.

import { el, icon, testId } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { runs } from './panels.js';

const MAX_TOOL_OUTPUT_CHARS = 64 * 1024;
// A long answer is re-rendered whole on each frame; past this size that happens at most every LONG_RENDER_MS.
const LONG_TEXT_CHARS = 16 * 1024;
const LONG_RENDER_MS = 150;
export const ENDED_RUN_STATES = new Set(['succeeded', 'failed', 'cancelled']);

function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
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

// --- elements ---------------------------------------------------------------------------------------------------

/** A turn: its messages and tool calls (body), the dots shown while the answer is awaited, and later its run. */
export function createTurn(key, runId) {
  const section = testId(el('section', 'turn'), 'turn');
  if (runId) section.dataset.runId = runId;
  const body = el('div', 'turn-body');
  const pending = testId(el('div', 'turn-pending'), 'turn-pending');
  pending.setAttribute('aria-label', 'Working…');
  pending.append(el('span'), el('span'), el('span'));
  pending.hidden = true;
  section.append(body, pending);
  return { key, runId, section, body, pending, run: null, steps: new Map(), error: null, hasUser: false, answered: false, finished: false };
}

export function createMessage(messageId, role) {
  const article = testId(el('article', 'message ' + role), 'message');
  article.dataset.role = role;
  article.dataset.messageId = messageId;
  // data-state is set when the message is drawn (next animation frame), so it always describes what is shown.
  const who = el('h3', 'visually-hidden', role === 'user' ? 'You said' : 'Assistant said');
  const body = testId(el('div', 'message-body markdown'), 'message-content');
  const meta = testId(el('div', 'message-meta'), 'message-meta');
  meta.hidden = true;
  article.append(who, body, meta);
  return { article, body, meta };
}

/** A tool call's card: name, status and badges in its summary, its arguments and output inside. */
export function createTool(id) {
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
  return { details, name, status, note, reason, args, output, error, argsSection, outputSection, sandboxBadge: sandbox, truncatedBadge: truncated };
}

/** The turn's run, appended to the turn: its state and steps, and a link to its timeline on the runs page. */
export function createRunBlock(turn) {
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

// --- drawing ----------------------------------------------------------------------------------------------------

/** Draws one changed item; false when it is a long answer drawn too recently, to be drawn on a later frame. */
export function draw(item, now) {
  if (item.article) {
    if (!item.done && item.text.length > LONG_TEXT_CHARS && now - (item.renderedAt ?? 0) < LONG_RENDER_MS) return false;
    drawMessage(item, now);
  } else if (item.details && item.chunks) drawTool(item);
  else if (item.kind === 'run') drawRun(item);
  else if (item.section) drawTurn(item);
  return true;
}

function drawMessage(message, now) {
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
  drawTurn(message.turn);
}

function drawTool(tool) {
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

function drawRun(run) {
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

function drawTurn(turn) {
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
