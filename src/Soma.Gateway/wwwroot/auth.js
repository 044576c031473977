// The token: taken from a sign-in link (#token=…) or pasted into the sign-in form, kept in session storage, and
// dropped on sign-out (or when the server refuses it).

import { ApiError, describeAuthError, describeError, request } from './api.js';
import { clearBanners } from './banners.js';
import { readFragment, writeFragment } from './fragment.js';
import { memory, policy, runs, tools } from './panels.js';
import { closeView, enterApp, loadSessions, PAGE_SIZE } from './sessions.js';
import { state, ui } from './state.js';

const TOKEN_KEY = 'soma.token';

/** Moves a token from the URL fragment (#token=…) into session storage and takes it out of the address bar. */
export function takeTokenFromFragment() {
  const params = readFragment();
  const token = params.get('token');
  if (token === null) return false;
  params.delete('token');
  writeFragment(params);
  if (token.trim()) sessionStorage.setItem(TOKEN_KEY, token.trim());
  return true;
}

/** Opens the UI with the stored token, or the sign-in form when there is none. */
export function start() {
  closeView();
  state.token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  if (!state.token) {
    showSignIn();
    return;
  }
  loadSessions();
}

function showSignIn(message) {
  ui.app.hidden = true;
  ui.signin.hidden = false;
  ui.signinError.hidden = !message;
  ui.signinError.textContent = message ?? '';
  document.title = 'Sign in — SomaAgent';
  ui.tokenInput.focus();
}

export function signOut(message) {
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

export async function onSignIn(event) {
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
