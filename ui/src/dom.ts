/** DOM helpers: everything from a peer goes in as text (textContent), never as markup. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} is missing from the page`);
  return e as T;
}

/** A new element with `text` as its text (never parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== '') e.textContent = text;
  if (className !== '') e.className = className;
  return e;
}

/** A table row of text cells. */
export function row(cells: Array<string | number>, dataColumn = -1): HTMLTableRowElement {
  const tr = el('tr');
  cells.forEach((c, i) => tr.append(el('td', String(c), i === dataColumn ? 'data' : '')));
  return tr;
}

export function setRows(body: HTMLElement, rows: HTMLTableRowElement[]): void {
  body.replaceChildren(...rows);
}

/** The WebSocket URL of this page's server, at `path`. */
export function sameServerWs(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');
