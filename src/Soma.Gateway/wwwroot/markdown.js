// A small Markdown renderer for chat messages. It builds DOM nodes with createElement and text nodes only:
// model and user text never reaches an HTML parser, so markup in a message (<script>, <img onerror>) is shown
// as the characters it is. Covered: paragraphs (single newlines kept as line breaks), ATX headings, fenced and
// indented code, block quotes, ordered and unordered (nested) lists, thematic breaks, GFM tables, **bold**,
// *italic*, ~~strike~~, `code`, links and bare URLs (http and https only), backslash escapes.

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^( {0,3})([-*+])([ \t]+)(.*)$/;
const ORDERED = /^( {0,3})(\d{1,9})([.)])([ \t]+)(.*)$/;
const EMPTY_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])[ \t]*$/;
const TABLE_DIVIDER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const ESCAPABLE = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const MAX_DEPTH = 12;
// A link's label and destination are looked for this far at most, so text full of '[' stays linear.
const MAX_LINK_SCAN = 2048;

/**
 * Renders Markdown text as a DocumentFragment.
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  renderBlocks(String(text ?? '').replace(/\r\n?/g, '\n').split('\n'), fragment, 0);
  return fragment;
}

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function isBlank(line) {
  return line.trim() === '';
}

function indentOf(line) {
  let width = 0;
  for (const c of line) {
    if (c === ' ') width++;
    else if (c === '\t') width += 4 - (width % 4);
    else break;
  }
  return width;
}

// Removes up to `width` columns of leading whitespace.
function dedent(line, width) {
  let i = 0;
  let column = 0;
  while (i < line.length && column < width) {
    if (line[i] === ' ') column++;
    else if (line[i] === '\t') column += 4 - (column % 4);
    else break;
    i++;
  }
  return line.slice(i);
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || BULLET.test(line) || ORDERED.test(line);
}

function renderBlocks(lines, parent, depth) {
  if (depth > MAX_DEPTH) {
    // Pathological nesting: show the rest as plain text rather than recurse further.
    const p = el('p');
    p.textContent = lines.join('\n');
    parent.append(p);
    return;
  }
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const indent = indentOf(line);
      const body = [];
      i++;
      while (i < lines.length) {
        const closing = lines[i].trim();
        if (closing.startsWith(marker[0].repeat(marker.length)) && /^(`+|~+)$/.test(closing) && closing[0] === marker[0]) {
          i++;
          break;
        }
        body.push(dedent(lines[i], indent));
        i++;
      }
      parent.append(codeBlock(body.join('\n'), fence[2]));
      continue;
    }

    if (indentOf(line) >= 4) {
      const body = [];
      while (i < lines.length && (indentOf(lines[i]) >= 4 || isBlank(lines[i]))) {
        body.push(dedent(lines[i], 4));
        i++;
      }
      while (body.length > 0 && isBlank(body[body.length - 1])) body.pop();
      parent.append(codeBlock(body.join('\n'), ''));
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      // Message headings sit under the page's own h1/h2, so they start at h3.
      const h = el('h' + Math.min(heading[1].length + 2, 6), 'md-h' + heading[1].length);
      renderInline(heading[2] ?? '', h, depth);
      parent.append(h);
      i++;
      continue;
    }

    if (RULE.test(line)) {
      parent.append(el('hr'));
      i++;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const quoted = QUOTE.exec(lines[i]);
        // A line without '>' continues the quote's paragraph ("lazy continuation").
        inner.push(quoted ? quoted[1] : lines[i]);
        i++;
      }
      const quote = el('blockquote');
      renderBlocks(inner, quote, depth + 1);
      parent.append(quote);
      continue;
    }

    if (BULLET.test(line) || ORDERED.test(line) || EMPTY_ITEM.test(line)) {
      i = renderList(lines, i, parent, depth);
      continue;
    }

    if (line.includes('|') && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const header = splitRow(line);
      if (header.length === splitRow(lines[i + 1]).length) {
        i = renderTable(lines, i, header, parent, depth);
        continue;
      }
    }

    const paragraph = [];
    while (i < lines.length && !isBlank(lines[i]) && (paragraph.length === 0 || !startsBlock(lines[i]))) {
      paragraph.push(lines[i].trim());
      i++;
    }
    const p = el('p');
    renderInline(paragraph.join('\n'), p, depth);
    parent.append(p);
  }
}

function codeBlock(text, language) {
  const pre = el('pre');
  const code = el('code');
  if (language) code.dataset.lang = language;
  code.textContent = text;
  pre.append(code);
  return pre;
}

function listMarker(line) {
  const bullet = BULLET.exec(line);
  if (bullet) {
    return { ordered: false, symbol: bullet[2], indent: bullet[1].length, content: bullet[1].length + 1 + bullet[3].length, text: bullet[4] };
  }
  const ordered = ORDERED.exec(line);
  if (ordered) {
    const before = ordered[1].length + ordered[2].length + 1;
    return { ordered: true, symbol: ordered[3], start: Number(ordered[2]), indent: ordered[1].length, content: before + ordered[4].length, text: ordered[5] };
  }
  const empty = EMPTY_ITEM.exec(line);
  if (empty) {
    const ordered = /\d/.test(empty[2]);
    return { ordered, symbol: ordered ? empty[2].slice(-1) : empty[2], start: ordered ? Number(empty[2].slice(0, -1)) : 1, indent: empty[1].length, content: empty[1].length + empty[2].length + 1, text: '' };
  }
  return null;
}

function renderList(lines, i, parent, depth) {
  const first = listMarker(lines[i]);
  const list = el(first.ordered ? 'ol' : 'ul');
  if (first.ordered && first.start !== 1) list.start = first.start;
  const items = [];
  let loose = false;
  while (i < lines.length) {
    const marker = listMarker(lines[i]);
    if (!marker || marker.ordered !== first.ordered || marker.symbol !== first.symbol || marker.indent >= first.content) break;
    const body = [marker.text];
    i++;
    let sawBlank = false;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        sawBlank = true;
        body.push('');
        i++;
        continue;
      }
      if (indentOf(line) >= marker.content) {
        body.push(dedent(line, marker.content));
        i++;
        sawBlank = false;
        continue;
      }
      // An unindented line right after text continues that paragraph; anything after a blank line ends the item.
      if (!sawBlank && !startsBlock(line) && !isBlank(body[body.length - 1])) {
        body.push(line.trim());
        i++;
        continue;
      }
      break;
    }
    while (body.length > 0 && isBlank(body[body.length - 1])) body.pop();
    if (sawBlank && i < lines.length && listMarker(lines[i])?.symbol === first.symbol) loose = true;
    if (body.some((line, n) => isBlank(line) && n > 0 && n < body.length - 1)) loose = true;
    items.push(body);
  }
  for (const body of items) {
    const item = el('li');
    const single = !loose && !body.some(isBlank) && !body.slice(1).some(startsBlock) && !startsBlock(body[0] ?? '');
    if (single) renderInline(body.map((line) => line.trim()).join('\n'), item, depth);
    else if (!loose && body.length > 0 && !startsBlock(body[0]) && !isBlank(body[0])) {
      // Tight item with nested blocks: its first line stays inline (no <p>), as in most renderers.
      let firstBlock = 1;
      while (firstBlock < body.length && !startsBlock(body[firstBlock]) && !isBlank(body[firstBlock])) firstBlock++;
      renderInline(body.slice(0, firstBlock).map((line) => line.trim()).join('\n'), item, depth);
      renderBlocks(body.slice(firstBlock), item, depth + 1);
    } else renderBlocks(body, item, depth + 1);
    list.append(item);
  }
  parent.append(list);
  return i;
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells = [];
  let current = '';
  for (let k = 0; k < row.length; k++) {
    if (row[k] === '\\' && row[k + 1] === '|') {
      current += '|';
      k++;
    } else if (row[k] === '|') {
      cells.push(current.trim());
      current = '';
    } else current += row[k];
  }
  cells.push(current.trim());
  return cells;
}

function renderTable(lines, i, header, parent, depth) {
  const aligns = splitRow(lines[i + 1]).map((cell) =>
    cell.startsWith(':') && cell.endsWith(':') ? 'center' : cell.endsWith(':') ? 'right' : cell.startsWith(':') ? 'left' : '');
  const wrapper = el('div', 'md-table');
  const table = el('table');
  const head = el('thead');
  const headRow = el('tr');
  header.forEach((cell, n) => headRow.append(tableCell('th', cell, aligns[n], depth)));
  head.append(headRow);
  table.append(head);
  const body = el('tbody');
  i += 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    const cells = splitRow(lines[i]);
    const row = el('tr');
    for (let n = 0; n < header.length; n++) row.append(tableCell('td', cells[n] ?? '', aligns[n], depth));
    body.append(row);
    i++;
  }
  table.append(body);
  wrapper.append(table);
  parent.append(wrapper);
  return i;
}

function tableCell(tag, text, align, depth) {
  const cell = el(tag, align ? 'align-' + align : '');
  renderInline(text, cell, depth);
  return cell;
}

/** Returns the URL when it is an absolute http or https URL, otherwise null. */
export function safeUrl(raw) {
  const text = String(raw ?? '').trim();
  if (!/^https?:\/\//i.test(text)) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function link(href, parent) {
  const a = el('a');
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  parent.append(a);
  return a;
}

function isWordChar(c) {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

function isSpace(c) {
  return c === undefined || /\s/.test(c);
}

// Searches that failed, per inline text: a search for the same closer from further on fails too, so each is done once
// (otherwise text full of unmatched '*' or '`' would be scanned once per opener, quadratic in its length).
function newMemo() {
  return { code: new Map(), emphasis: new Map() };
}

function remembered(misses, key, from) {
  return misses.has(key) && from >= misses.get(key);
}

function miss(misses, key, from) {
  if (!misses.has(key) || from < misses.get(key)) misses.set(key, from);
  return -1;
}

// Finds the end of a code span opened by `ticks` backticks at `from`, or -1.
function codeSpanEnd(text, from, ticks, memo) {
  if (memo && remembered(memo.code, ticks, from)) return -1;
  const end = findCodeSpanEnd(text, from, ticks);
  return end < 0 && memo ? miss(memo.code, ticks, from) : end;
}

function findCodeSpanEnd(text, from, ticks) {
  let k = from;
  while (k < text.length) {
    const next = text.indexOf('`', k);
    if (next < 0) return -1;
    let run = 0;
    while (text[next + run] === '`') run++;
    if (run === ticks) return next;
    k = next + run;
  }
  return -1;
}

// Finds where the closing delimiter of emphasis opened with `delim` (e.g. '**') starts, or -1. Delimiter runs are
// judged whole: a run closes when it is not preceded by whitespace and is exactly as long as the opener, or three
// or more long (then its last characters close, as in ***bold italic***).
function emphasisEnd(text, from, delim, memo) {
  if (remembered(memo.emphasis, delim, from)) return -1;
  const end = findEmphasisEnd(text, from, delim, memo);
  return end < 0 ? miss(memo.emphasis, delim, from) : end;
}

function findEmphasisEnd(text, from, delim, memo) {
  const ch = delim[0];
  let k = from;
  while (k < text.length) {
    const c = text[k];
    if (c === '\\') {
      k += 2;
      continue;
    }
    if (c === '`') {
      let ticks = 0;
      while (text[k + ticks] === '`') ticks++;
      const end = codeSpanEnd(text, k + ticks, ticks, memo);
      k = end < 0 ? k + ticks : end + ticks;
      continue;
    }
    if (c === ch) {
      let run = 0;
      while (text[k + run] === ch) run++;
      const closes = k > from && !isSpace(text[k - 1]) && !(ch === '_' && isWordChar(text[k + run]));
      if (closes && (run === delim.length || (run >= 3 && run > delim.length))) return k + run - delim.length;
      k += run;
      continue;
    }
    k++;
  }
  return -1;
}

function renderInline(text, parent, depth) {
  const memo = newMemo();
  let plain = '';
  const flush = () => {
    if (plain) {
      appendText(parent, plain);
      plain = '';
    }
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];

    if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }

    if (c === '`') {
      let ticks = 0;
      while (text[i + ticks] === '`') ticks++;
      const end = codeSpanEnd(text, i + ticks, ticks, memo);
      if (end < 0) {
        plain += '`'.repeat(ticks);
        i += ticks;
        continue;
      }
      let body = text.slice(i + ticks, end).replace(/\n/g, ' ');
      if (body.length > 2 && body.startsWith(' ') && body.endsWith(' ') && body.trim() !== '') body = body.slice(1, -1);
      flush();
      const code = el('code');
      code.textContent = body;
      parent.append(code);
      i = end + ticks;
      continue;
    }

    if ((c === '*' || c === '_' || c === '~') && depth < MAX_DEPTH) {
      let run = 0;
      while (text[i + run] === c) run++;
      const next = text[i + run];
      const previous = text[i - 1];
      const canOpen = !isSpace(next) && !(c === '_' && isWordChar(previous)) && (c !== '~' || run === 2);
      if (canOpen) {
        const size = c === '~' ? 2 : Math.min(run, 3);
        const delim = c.repeat(size);
        const end = emphasisEnd(text, i + size, delim, memo);
        if (end > i + size) {
          flush();
          const inner = text.slice(i + size, end);
          const node = c === '~' ? el('del') : size === 1 ? el('em') : el('strong');
          if (size === 3) {
            const em = el('em');
            renderInline(inner, em, depth + 1);
            node.append(em);
          } else renderInline(inner, node, depth + 1);
          parent.append(node);
          i = end + size;
          continue;
        }
      }
      plain += c.repeat(run);
      i += run;
      continue;
    }

    if (c === '[' || (c === '!' && text[i + 1] === '[')) {
      const image = c === '!';
      const parsed = parseLink(text, image ? i + 1 : i, memo);
      if (parsed) {
        flush();
        const href = safeUrl(parsed.url);
        const label = parsed.label || (image ? parsed.url : '');
        if (href) {
          // Images are shown as links: the page's policy loads no third-party images, and none is fetched unasked.
          renderInline(label, link(href, parent), depth + 1);
        } else {
          const span = el('span', 'md-unsafe-link');
          renderInline(label, span, depth + 1);
          parent.append(span);
        }
        i = parsed.end;
        continue;
      }
    }

    if (c === '<') {
      // An autolink holds no whitespace: the search for '>' stops at the first space, so it stays short.
      let close = i + 1;
      while (close < text.length && text[close] !== '>' && text[close] !== '<' && !/\s/.test(text[close])) close++;
      const href = text[close] === '>' ? safeUrl(text.slice(i + 1, close)) : null;
      if (href) {
        flush();
        link(href, parent).textContent = text.slice(i + 1, close);
        i = close + 1;
        continue;
      }
    }

    if ((c === 'h' || c === 'H') && !isWordChar(text[i - 1]) && /^https?:\/\//i.test(text.slice(i, i + 8))) {
      const bare = /^https?:\/\/[^\s<>]+/i.exec(text.slice(i, i + 2048));
      if (bare) {
        let url = bare[0];
        // Trailing punctuation is the sentence's, not the URL's; a closing paren stays when it has an opener.
        while (/[.,:;!?'"*_~]$/.test(url) || (url.endsWith(')') && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0))) {
          url = url.slice(0, -1);
        }
        const href = safeUrl(url);
        if (href) {
          flush();
          link(href, parent).textContent = url;
          i += url.length;
          continue;
        }
      }
    }

    plain += c;
    i++;
  }
  flush();
}

// Parses [label](url "title") starting at the '['; returns {label, url, end} or null.
function parseLink(text, open, memo) {
  let depth = 0;
  let k = open;
  const labelLimit = Math.min(text.length, open + MAX_LINK_SCAN);
  for (; k < labelLimit; k++) {
    const c = text[k];
    if (c === '\\') {
      k++;
      continue;
    }
    if (c === '`') {
      let ticks = 0;
      while (text[k + ticks] === '`') ticks++;
      const end = codeSpanEnd(text, k + ticks, ticks, memo);
      if (end >= 0) k = end + ticks - 1;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']' && --depth === 0) break;
  }
  if (k >= labelLimit || text[k + 1] !== '(') return null;
  const label = text.slice(open + 1, k);
  let parens = 0;
  let j = k + 2;
  const targetLimit = Math.min(text.length, j + MAX_LINK_SCAN);
  for (; j < targetLimit; j++) {
    const c = text[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '(') parens++;
    else if (c === ')') {
      if (parens === 0) break;
      parens--;
    } else if (c === '\n') return null;
  }
  if (j >= targetLimit) return null;
  let target = text.slice(k + 2, j).trim();
  const titled = /^(\S+)\s+(?:"[^"]*"|'[^']*')$/.exec(target);
  if (titled) target = titled[1];
  if (target.startsWith('<') && target.endsWith('>')) target = target.slice(1, -1);
  return { label, url: target, end: j + 1 };
}

// Text with newlines becomes text nodes separated by <br>: in chat, a single newline is meant as a line break.
function appendText(parent, text) {
  const parts = text.split('\n');
  parts.forEach((part, n) => {
    if (n > 0) parent.append(el('br'));
    if (part) parent.append(document.createTextNode(part));
  });
}
