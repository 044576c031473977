// Keyboard shortcuts: Alt+N a new session, Alt+M the memory panel, / the composer, Escape closes the sidebar (narrow
// screens).

import { memory } from './panels.js';
import { closeSidebar, createSession } from './sessions.js';
import { state, ui } from './state.js';

function isEditable(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

export function onKeyDown(event) {
  if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyN' && !ui.app.hidden) {
    event.preventDefault();
    createSession();
    return;
  }
  if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyM' && !ui.app.hidden && state.selectedId) {
    event.preventDefault();
    memory.toggle();
    return;
  }
  if (event.key === '/' && !event.altKey && !event.ctrlKey && !event.metaKey && !isEditable(event.target) && !ui.app.hidden && !ui.composer.disabled) {
    event.preventDefault();
    ui.composer.focus();
    return;
  }
  if (event.key === 'Escape' && document.body.classList.contains('sidebar-open')) {
    closeSidebar();
    ui.toggleSidebar.focus();
  }
}
