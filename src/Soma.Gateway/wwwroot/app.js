// SomaAgent web UI: sign-in, the sessions sidebar, and a chat pane fed by the session's event stream.
// No framework and no build step. Text from users and models only ever reaches the page through textContent
// (directly or via markdown.js), never through an HTML parser.
//
// This entry point wires the modules together; each holds one concern:
//   state.js     the page's fixed elements and the signed-in user's state
//   api.js       API calls with the token, and the words for their errors
//   auth.js      the token: sign-in link or form, session storage, sign-out
//   fragment.js  the URL fragment (#session=…, #run=…)
//   sessions.js  the sessions sidebar: list, create, rename, delete, select
//   composer.js  the message box and sending a message
//   stream.js    the open session's event stream and the model of its conversation
//   messages.js  drawing turns, messages, tool calls and runs
//   banners.js   error and status banners
//   panels.js    the memory, policy, tool analytics and runs panels (memory.js, policy.js, tools.js, runs.js)
//   shortcuts.js keyboard shortcuts
// Modules may import each other's functions (sessions.js and composer.js do both ways), so none calls into another
// while loading: only boot() below starts the UI, once every module is loaded.

import { setUnauthorizedHandler } from './api.js';
import { onSignIn, signOut, start, takeTokenFromFragment } from './auth.js';
import { autosize, fitPlaceholder, sendMessage, updateComposer } from './composer.js';
import { openLinkedRun, readFragment } from './fragment.js';
import { createPanels } from './panels.js';
import { createSession, loadMoreSessions, selectSession } from './sessions.js';
import { onKeyDown } from './shortcuts.js';
import { state, ui } from './state.js';
import { setConnection } from './stream.js';

function boot() {
  setUnauthorizedHandler(signOut);
  createPanels();
  const narrow = matchMedia('(max-width: 760px)');
  fitPlaceholder(narrow.matches);
  narrow.addEventListener('change', (event) => fitPlaceholder(event.matches));
  ui.signinForm.addEventListener('submit', onSignIn);
  ui.newSession.addEventListener('click', createSession);
  ui.loadMore.addEventListener('click', loadMoreSessions);
  ui.signOut.addEventListener('click', () => signOut());
  ui.toggleSidebar.addEventListener('click', () => {
    const open = document.body.classList.toggle('sidebar-open');
    ui.toggleSidebar.setAttribute('aria-expanded', String(open));
  });
  ui.composer.addEventListener('input', () => {
    autosize();
    updateComposer();
  });
  ui.composer.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
      event.preventDefault();
      sendMessage();
    }
  });
  ui.composerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage();
  });
  document.addEventListener('keydown', onKeyDown);
  addEventListener('online', () => state.view && setConnection('reconnecting'));
  addEventListener('offline', () => state.view && setConnection('offline'));
  addEventListener('hashchange', () => {
    // A sign-in link opened in a tab that already shows the UI, or a #session=… link typed in.
    if (takeTokenFromFragment()) start();
    else if (state.token) {
      const fragment = readFragment();
      const wanted = fragment.get('session');
      if (wanted && wanted !== state.selectedId) selectSession(wanted, { restoring: true });
      openLinkedRun(fragment);
    }
  });

  takeTokenFromFragment();
  start();
}

boot();
