// The panels beside the chat, built once by createPanels() at boot: the memory panel beside the conversation
// (memory.js), the operators' policy decisions (policy.js), the tool analytics page (tools.js) and the runs page with a
// run's timeline (runs.js), the last three for every signed-in user. Other modules import the bindings below and see
// the panels once they are set.

import { api, describeError } from './api.js';
import { icon } from './dom.js';
import { MemoryPanel } from './memory.js';
import { PolicyPanel } from './policy.js';
import { RunsPanel } from './runs.js';
import { $, state, ui } from './state.js';
import { ToolsPanel } from './tools.js';

export let memory = null;
export let policy = null;
export let tools = null;
export let runs = null;

export function createPanels() {
  memory = new MemoryPanel({
    app: ui.app,
    toggle: ui.toggleMemory,
    root: $('memory-panel'),
    close: $('memory-close'),
    refresh: $('memory-refresh'),
    counts: $('memory-counts'),
    countSent: $('memory-count-sent'),
    countPending: $('memory-count-pending'),
    countFailed: $('memory-count-failed'),
    search: $('memory-search'),
    query: $('memory-query'),
    allSessions: $('memory-all'),
    mode: $('memory-mode'),
    results: $('memory-results'),
    resultInfo: $('memory-results-info'),
    resultList: $('memory-result-list'),
    status: $('memory-status'),
    list: $('memory-list'),
  }, { api, describeError });
  policy = new PolicyPanel({
    open: $('open-policy'),
    root: $('policy-panel'),
    close: $('policy-close'),
    refresh: $('policy-refresh'),
    filters: $('policy-filters'),
    tool: $('policy-tool'),
    decision: $('policy-decision'),
    status: $('policy-status'),
    table: $('policy-table'),
    list: $('policy-list'),
    more: $('policy-more'),
  }, { api, describeError });
  ui.toggleMemory.append(icon('memory'));
  $('memory-close').append(icon('close'));
  tools = new ToolsPanel({
    open: $('open-tools'),
    root: $('tools-panel'),
    close: $('tools-close'),
    refresh: $('tools-refresh'),
    window: $('tools-window'),
    status: $('tools-status'),
    table: $('tools-table'),
    list: $('tools-list'),
  }, { api, describeError });
  runs = new RunsPanel({
    open: $('open-runs'),
    root: $('runs-panel'),
    close: $('runs-close'),
    refresh: $('runs-refresh'),
    filters: $('runs-filters'),
    state: $('runs-state'),
    workflow: $('runs-workflow'),
    status: $('runs-status'),
    table: $('runs-table'),
    list: $('runs-list'),
    more: $('runs-more'),
    listView: $('runs-list-view'),
    timelineView: $('run-timeline-view'),
    back: $('runs-back'),
    runInfo: $('run-info'),
    trace: $('run-trace'),
    timelineStatus: $('run-timeline-status'),
    timeline: $('run-timeline-chart'),
  }, { api, describeError, token: () => state.token });
  $('policy-close').append(icon('close'));
  $('tools-close').append(icon('close'));
  $('runs-close').append(icon('close'));
  ui.toggleMemory.addEventListener('click', () => memory.toggle());
}
