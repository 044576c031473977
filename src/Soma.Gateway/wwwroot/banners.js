// Banners above the conversation: errors (role=alert) and notes (role=status), at most MAX_BANNERS at once. A banner
// with a key is updated in place rather than stacked again.

import { el, icon, testId } from './dom.js';
import { ui } from './state.js';

const MAX_BANNERS = 4;

export function showBanner(message, { key, kind = 'error' } = {}) {
  let banner = key ? [...ui.banners.children].find((b) => b.dataset.key === key) : null;
  if (!banner) {
    banner = testId(el('div', 'banner ' + kind), kind === 'error' ? 'error-banner' : 'info-banner');
    banner.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    if (key) banner.dataset.key = key;
    const text = testId(el('p', 'banner-text'), 'banner-text');
    const close = testId(el('button', 'icon-button banner-close'), 'dismiss-banner');
    close.append(icon('close'));
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss');
    close.addEventListener('click', () => banner.remove());
    banner.append(text, close);
    ui.banners.append(banner);
    while (ui.banners.children.length > MAX_BANNERS) ui.banners.firstElementChild.remove();
  }
  banner.querySelector('.banner-text').textContent = message;
  return banner;
}

export function dismissBanner(key) {
  [...ui.banners.children].find((b) => b.dataset.key === key)?.remove();
}

export function clearBanners() {
  ui.banners.replaceChildren();
}
