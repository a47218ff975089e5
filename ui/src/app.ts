/** The page: three views behind tabs (arrow keys move between them), wired to this server. */
import { Chat } from './chat.js';
import { Dashboard, type Snapshot } from './dashboard.js';
import { byId } from './dom.js';
import { Tester } from './tester.js';

const VIEWS = ['tester', 'chat', 'dashboard'] as const;

function show(view: (typeof VIEWS)[number]): void {
  for (const v of VIEWS) {
    byId(v).hidden = v !== view;
    const tab = byId(`tab-${v}`);
    tab.setAttribute('aria-selected', String(v === view));
    tab.tabIndex = v === view ? 0 : -1;
  }
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
}

function tabs(): void {
  VIEWS.forEach((v, i) => {
    const tab = byId(`tab-${v}`);
    tab.addEventListener('click', () => show(v));
    tab.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const next = VIEWS[(i + (e.key === 'ArrowRight' ? 1 : VIEWS.length - 1)) % VIEWS.length] ?? 'tester';
      show(next);
      byId(`tab-${next}`).focus();
    });
  });
  const wanted = VIEWS.find((v) => `#${v}` === location.hash);
  show(wanted ?? 'tester');
}

const tester = new Tester();
const chat = new Chat();
tabs();
new Dashboard((s: Snapshot) => {
  byId('kind').textContent = s.kind === 'relay' ? 'a netecho relay: rooms over WebSocket and lines' : 'a netecho echo service';
  if (s.kind === 'relay') tester.forRelay();
  else chat.notRelay();
});
