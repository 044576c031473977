// The open session's conversation, kept live from its event stream (GET /v1/sessions/{id}/events, sse.js): opening a
// session (or reloading the page) replays it from its start, a reconnect resumes after the last event seen, and an
// event delivered twice is not shown twice. Events update a model of turns, messages, tool calls and runs; messages.js
// draws what changed once per animation frame.

import { ApiError, readProblem, unauthorized } from './api.js';
import { showBanner } from './banners.js';
import { el, testId } from './dom.js';
import { createMessage, createRunBlock, createTool, createTurn, draw, ENDED_RUN_STATES } from './messages.js';
import { memory } from './panels.js';
import { EventStream } from './sse.js';
import { state, ui } from './state.js';

// An error replayed from history is shown on its turn; only recent ones also raise a banner.
const RECENT_ERROR_MS = 2 * 60 * 1000;

// ---------------------------------------------------------------------------------------------------------------
// Connection indicator

export function setConnection(status, delayMs) {
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
// The conversation of one session, built from its event stream

export class SessionView {
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
      unauthorized(new ApiError(401, problem));
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

  // --- model ------------------------------------------------------------------------------------------------

  turn(runId, fallbackKey) {
    const key = runId || fallbackKey || 'session';
    let turn = this.turns.get(key);
    if (!turn) {
      turn = createTurn(key, runId);
      this.root.append(turn.section);
      this.turns.set(key, turn);
    }
    return turn;
  }

  message(messageId, role, runId) {
    let message = this.messages.get(messageId);
    if (!message) {
      const turn = this.turn(runId, messageId);
      const { article, body, meta } = createMessage(messageId, role);
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
      const block = createTool(id);
      // The answer being written stays below the tool calls it is waiting for, as it will be when the session is replayed.
      const answer = turn.streaming && !turn.streaming.done ? turn.streaming.article : null;
      turn.body.insertBefore(block.details, answer);
      tool = { id, turn, ...block, chunks: [], bytes: 0, state: 'requested', live: null, liveSeq: -1, final: false };
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
    const run = (turn.run ??= createRunBlock(turn));
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
    const run = (turn.run ??= createRunBlock(turn));
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

  // --- rendering: model changes are collected and drawn once per animation frame ------------------------------

  touch(item) {
    this.dirty.add(item);
    if (!this.frame) this.frame = requestAnimationFrame((now) => this.flush(now));
  }

  flush(now) {
    this.frame = 0;
    const later = [];
    for (const item of this.dirty) {
      if (!draw(item, now)) later.push(item);
    }
    this.dirty.clear();
    for (const item of later) this.touch(item);
    if (this.stickToBottom) ui.messages.scrollTop = ui.messages.scrollHeight;
  }
}
