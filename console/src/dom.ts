// A small hyperscript helper: the console builds its views from plain DOM elements, with no
// framework, so the whole script stays a few kilobytes.
export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else if (name === 'class') element.className = String(value);
    else if (name === 'value' || name === 'checked') (element as unknown as Record<string, unknown>)[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A sparkline of the last values, drawn as SVG, with the newest value written beside it. */
export function sparkline(title: string, values: readonly (number | null)[], format: (value: number) => string): HTMLElement {
  const width = 240;
  const height = 48;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const known = values.filter((value): value is number => value !== null);
  const maximum = Math.max(...known, 0) || 1;
  const step = values.length > 1 ? width / (values.length - 1) : width;
  let path = '';
  values.forEach((value, index) => {
    if (value === null) return;
    const x = (index * step).toFixed(1);
    const y = (height - 2 - (value / maximum) * (height - 4)).toFixed(1);
    path += `${path === '' || values[index - 1] === null ? 'M' : 'L'}${x},${y}`;
  });
  const line = document.createElementNS(SVG, 'path');
  line.setAttribute('d', path);
  svg.appendChild(line);
  const latest = known[known.length - 1];
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, title, h('strong', {}, latest === undefined ? '—' : format(latest)), h('small', {}, `max ${format(maximum)}`)),
    svg,
  );
}
