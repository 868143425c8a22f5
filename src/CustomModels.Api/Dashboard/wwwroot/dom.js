// A small element builder: h('button', {class: 'primary', onclick}, 'Run'). Children may be
// strings, nodes, arrays or null. Text is always set as text, never parsed as HTML.
export function h(tag, attributes, ...children) {
  return fill(document.createElement(tag), attributes, children);
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attributes, ...children) {
  return fill(document.createElementNS(SVG, tag), attributes, children);
}

function fill(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'value' || name === 'checked' || name === 'selected') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// A labelled control: every control of the dashboard has a visible label.
let nextId = 0;
export function field(label, control, hint) {
  const id = control.id || (control.id = `f${++nextId}`);
  let hintElement = null;
  if (hint) {
    hintElement = h('span', { class: 'hint', id: `${id}-hint` }, hint);
    control.setAttribute('aria-describedby', hintElement.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintElement);
}

export function select(name, options, selected) {
  return h('select', { name },
    options.map(([value, text]) => h('option', { value, selected: String(value) === String(selected ?? '') }, text)));
}

export function formatSeconds(seconds) {
  if (seconds === undefined || seconds === null) return '';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60), rest = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${rest} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// A confirmation in a modal dialog (keyboard: Tab between the buttons, Escape keeps).
export function confirmDialog(title, text, confirmLabel) {
  return new Promise(resolve => {
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, text),
      h('div', { class: 'actions' },
        h('button', { class: 'danger', value: 'yes', onclick: () => dialog.close('yes') }, confirmLabel),
        h('button', { value: 'no', onclick: () => dialog.close('no'), autofocus: true }, 'Keep it')));
    dialog.addEventListener('close', () => { dialog.remove(); resolve(dialog.returnValue === 'yes'); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function message(kind, text) {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// replaceChildren and append that skip null and false (the DOM's own would write "null").
const present = children => children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false);
export function put(element, ...children) { element.replaceChildren(...present(children)); }
export function add(element, ...children) { element.append(...present(children)); }
