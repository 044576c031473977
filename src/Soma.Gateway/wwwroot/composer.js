// The composer: the message box and Send button, enabled while a session is open, and sending a message to it.

import { api, ApiError, describeError, NetworkError } from './api.js';
import { dismissBanner, showBanner } from './banners.js';
import { nameUntitledSession } from './sessions.js';
import { state, ui } from './state.js';

function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a plain-http LAN address is not one, getRandomValues works anywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function updateComposer() {
  const hasSession = Boolean(state.selectedId);
  ui.composer.disabled = !hasSession;
  ui.send.disabled = !hasSession || state.sending || ui.composer.value.trim() === '';
  ui.send.textContent = state.sending ? 'Sending…' : 'Send';
}

export function autosize() {
  ui.composer.style.height = 'auto';
  ui.composer.style.height = Math.min(ui.composer.scrollHeight + 2, 240) + 'px';
}

// The full hint does not fit a phone's composer; there the shortcut is the usual one anyway.
export function fitPlaceholder(narrow) {
  ui.composer.placeholder = narrow ? 'Message' : 'Message — Enter to send, Shift+Enter for a new line';
}

export async function sendMessage() {
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
