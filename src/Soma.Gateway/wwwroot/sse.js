// Server-sent events over fetch. EventSource cannot send an Authorization header, so this module reads the
// response body itself: SseParser follows the WHATWG "event stream interpretation" rules, and EventStream
// keeps one stream open, reconnecting with backoff and Last-Event-ID.

/** Parses text/event-stream text fed in arbitrary chunks and reports each dispatched event. */
export class SseParser {
  #buffer = '';
  #data = [];
  #type = '';
  #idBuffer = '';
  #firstChunk = true;

  /**
   * @param {(event: {type: string, data: string, lastEventId: string}) => void} onEvent
   * @param {(comment: string) => void} [onComment]
   */
  constructor(onEvent, onComment) {
    this.onEvent = onEvent;
    this.onComment = onComment ?? (() => {});
    /** The id of the last event that carried one (it persists across events, as in EventSource). */
    this.lastEventId = '';
  }

  /** Feeds decoded text. */
  push(text) {
    if (this.#firstChunk && text.length > 0) {
      this.#firstChunk = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.#buffer += text;
    let start = 0;
    for (;;) {
      let end = start;
      const length = this.#buffer.length;
      while (end < length) {
        const c = this.#buffer.charCodeAt(end);
        if (c === 10 || c === 13) break;
        end++;
      }
      if (end >= length) break;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for the next chunk.
      if (this.#buffer.charCodeAt(end) === 13 && end + 1 === length) break;
      this.#line(this.#buffer.slice(start, end));
      start = end + (this.#buffer.charCodeAt(end) === 13 && this.#buffer.charCodeAt(end + 1) === 10 ? 2 : 1);
    }
    this.#buffer = this.#buffer.slice(start);
  }

  /** The stream ended: an event without its closing blank line is discarded (as the standard says). */
  end() {
    if (this.#buffer.endsWith('\r')) this.#line(this.#buffer.slice(0, -1));
    this.#buffer = '';
    this.#data = [];
    this.#type = '';
  }

  #line(line) {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.onComment(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      default:
        // 'retry' is ignored: reconnection timing is this client's own policy.
        break;
    }
  }

  #dispatch() {
    this.lastEventId = this.#idBuffer;
    if (this.#data.length === 0) {
      this.#type = '';
      return;
    }
    const event = { type: this.#type || 'message', data: this.#data.join('\n'), lastEventId: this.lastEventId };
    this.#data = [];
    this.#type = '';
    this.onEvent(event);
  }
}

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
// The server sends a keepalive comment every 15 s; three missed ones mean the connection is dead even if TCP has not noticed.
const SILENCE_LIMIT_MS = 45_000;

/**
 * One long-lived event stream. States reported to onState: 'connecting', 'open', 'reconnecting' (with the delay),
 * 'offline', 'closed'. A 401 or 404 is final and goes to onFatal; anything else is retried with backoff.
 */
export class EventStream {
  #url;
  #token;
  #handlers;
  #parser;
  #stopped = false;
  #controller = null;
  #wake = null;
  #onOnline = () => this.#wake?.();
  #onOffline = () => this.#controller?.abort();

  /**
   * @param {string} url
   * @param {() => string} token returns the current bearer token
   * @param {{onEvent: Function, onState?: Function, onFatal?: Function}} handlers
   */
  constructor(url, token, handlers) {
    this.#url = url;
    this.#token = token;
    this.#handlers = handlers;
    this.#parser = new SseParser((event) => handlers.onEvent(event));
  }

  /** The last event id seen; sent as Last-Event-ID when reconnecting. */
  get lastEventId() {
    return this.#parser.lastEventId;
  }

  start() {
    addEventListener('online', this.#onOnline);
    addEventListener('offline', this.#onOffline);
    this.#run();
    return this;
  }

  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    removeEventListener('online', this.#onOnline);
    removeEventListener('offline', this.#onOffline);
    this.#controller?.abort();
    this.#wake?.();
    this.#state('closed');
  }

  #state(state, detail) {
    this.#handlers.onState?.(state, detail);
  }

  async #run() {
    let delay = INITIAL_DELAY_MS;
    let opened = false;
    while (!this.#stopped) {
      if (!navigator.onLine) {
        this.#state('offline');
        await this.#sleep(MAX_DELAY_MS);
        continue;
      }
      this.#state(opened ? 'reconnecting' : 'connecting');
      let retryAfterMs = 0;
      let received = false;
      const controller = new AbortController();
      this.#controller = controller;
      try {
        const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + this.#token() };
        if (this.#parser.lastEventId) headers['Last-Event-ID'] = this.#parser.lastEventId;
        const response = await fetch(this.#url, { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          // Awaited so the handler can read the problem body before the finally below aborts the request.
          if (!this.#stopped) await this.#handlers.onFatal?.(response);
          this.stop();
          return;
        }
        if (!response.ok || !response.body) {
          retryAfterMs = retryAfterOf(response) ?? 0;
          throw new Error('event stream answered ' + response.status);
        }
        opened = true;
        this.#state('open');
        received = await this.#read(response.body, controller);
      } catch {
        // A failed or dropped connection is expected here (network, server restart, offline): retry below.
      } finally {
        controller.abort();
        this.#parser.end();
      }
      if (this.#stopped) return;
      // A stream that delivered something was healthy: start the backoff again from the bottom.
      if (received) delay = INITIAL_DELAY_MS;
      const wait = Math.max(delay, retryAfterMs);
      this.#state(navigator.onLine ? 'reconnecting' : 'offline', wait);
      await this.#sleep(wait);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }

  async #read(body, controller) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let received = false;
    let watchdog = setTimeout(() => controller.abort(), SILENCE_LIMIT_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        received = true;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_LIMIT_MS);
        this.#parser.push(decoder.decode(value, { stream: true }));
        if (this.#stopped) break;
      }
    } finally {
      clearTimeout(watchdog);
      reader.releaseLock?.();
    }
    return received;
  }

  #sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }
}

/** The Retry-After header in milliseconds (delta-seconds or an HTTP date), or null. */
export function retryAfterOf(response) {
  const value = response.headers.get('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
