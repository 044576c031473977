// The URL fragment is the UI's address: #token=… (a sign-in link, taken out at once), #session=… (the open session)
// and #run=… (a run's timeline, opened and taken out).

import { runs } from './panels.js';

export function readFragment() {
  return new URLSearchParams(location.hash.startsWith('#') ? location.hash.slice(1) : '');
}

export function writeFragment(params) {
  const text = params.toString();
  history.replaceState(history.state, '', location.pathname + location.search + (text ? '#' + text : ''));
}

export function openLinkedRun(fragment) {
  const run = fragment.get('run');
  if (!run) return;
  fragment.delete('run');
  writeFragment(fragment);
  runs.openRun(run);
}
