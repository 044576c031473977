// Calls to the API with the signed-in token, and the words for what went wrong.

import { retryAfterOf } from './sse.js';
import { state } from './state.js';

export class ApiError extends Error {
  constructor(status, problem, retryAfterMs) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }
}

export class NetworkError extends Error {}

// What a 401 does: set once by app.js to sign the user out (auth.js) with the reason.
let onUnauthorized = () => {};

export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/** The token was refused (a 401 from the API or from an event stream): signs the user out, saying why. */
export function unauthorized(error) {
  onUnauthorized(describeAuthError(error));
}

export async function readProblem(response) {
  try {
    const type = response.headers.get('Content-Type') ?? '';
    return type.includes('json') ? await response.json() : null;
  } catch {
    return null;
  }
}

export async function request(method, path, { body, headers, token = state.token } = {}) {
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
export async function api(method, path, options) {
  try {
    return await request(method, path, options);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) unauthorized(error);
    throw error;
  }
}

export function describeAuthError(error) {
  const detail = error.problem?.detail;
  return 'Your token was not accepted' + (detail ? `: ${detail}` : '.') + ' Sign in again.';
}

export function describeError(action, error) {
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
