// What the UI's modules share: the page's fixed elements and the signed-in user's state.

export const $ = (id) => document.getElementById(id);

export const ui = {
  signin: $('signin'),
  signinForm: $('signin-form'),
  tokenInput: $('token-input'),
  signinError: $('signin-error'),
  app: $('app'),
  newSession: $('new-session'),
  sessionList: $('session-list'),
  sessionEmpty: $('session-empty'),
  loadMore: $('load-more'),
  signOut: $('sign-out'),
  toggleSidebar: $('toggle-sidebar'),
  title: $('session-title'),
  connection: $('connection'),
  demoModel: $('demo-model'),
  banners: $('banners'),
  messages: $('messages'),
  placeholder: $('placeholder'),
  composerForm: $('composer-form'),
  composer: $('composer'),
  send: $('send'),
  toggleMemory: $('toggle-memory'),
};

export const state = {
  token: '',
  sessions: [],
  nextCursor: null,
  selectedId: null,
  editingId: null,
  editingDraft: null,
  confirmingId: null,
  // Set when an item enters rename or confirm mode: its control takes the focus once, not on every re-render.
  focusMode: false,
  // The open session's conversation (a SessionView, stream.js), or null.
  view: null,
  sending: false,
  // The last send that failed on the network: retrying the same text reuses its Idempotency-Key.
  unsentMessage: null,
  creating: false,
};
