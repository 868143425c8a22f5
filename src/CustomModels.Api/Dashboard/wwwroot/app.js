// The dashboard: sign-in, navigation and the router. Each page is a module whose render
// function fills <main> and returns nothing; its timers stop when the page's signal aborts.
import { h, put, add, field, message } from './dom.js';
import { session, signIn, whenSignedOut, whenNotice } from './api.js';
import { modelsPage } from './models.js';
import { modelPage } from './model.js';
import { evaluationPage } from './evaluation.js';
import { transcriptionsPage, transcriptionPage } from './transcriptions.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const notice = document.getElementById('notice');
let pageController = null;

whenNotice(text => { notice.hidden = text === null; notice.textContent = text ?? ''; });
whenSignedOut(sentence => { session.clear(); showSignIn(sentence); });

function routes() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  if (parts[0] === 'models' && parts[1] && parts[2] === 'evaluation') return ['models', page => evaluationPage(page, Number(parts[1]))];
  if (parts[0] === 'models' && parts[1]) return ['models', page => modelPage(page, Number(parts[1]))];
  if (parts[0] === 'transcriptions' && parts[1]) return ['transcriptions', page => transcriptionPage(page, parts[1])];
  if (parts[0] === 'transcriptions') return ['transcriptions', page => transcriptionsPage(page, params)];
  if (parts[0] === 'models' || session.can('custom_models:read')) return ['models', page => modelsPage(page, params)];
  return ['transcriptions', page => transcriptionsPage(page, params)];
}

function showNav(current) {
  const link = (href, text, section) =>
    h('a', { href, 'aria-current': section === current ? 'page' : false }, text);
  put(nav, 
    session.can('custom_models:read') ? link('#/models', 'Models', 'models') : null,
    session.can('stt:read') || session.can('stt:write') ? link('#/transcriptions', 'Transcriptions', 'transcriptions') : null,
    h('span', { class: 'key', title: [...session.scopes].join(', ') },
      `Key ${session.prefix}… · ${session.can('custom_models:write') || session.can('stt:write') ? 'read and write' : 'read only'}`),
    h('button', { class: 'link', onclick: signOut }, 'Sign out'));
}

function signOut() {
  session.clear();
  showSignIn(null);
}

async function render() {
  pageController?.abort();
  if (!session.key) { showSignIn(null); return; }
  if (session.scopes.size === 0) {
    // A reload of the tab: the key is still in sessionStorage; ask again what it may do.
    try { await signIn(session.key); } catch (e) { if (e.status !== 401) showSignIn(e.message); return; }
  }
  const [section, show] = routes();
  showNav(section);
  pageController = new AbortController();
  const page = { main, signal: pageController.signal, title: t => { document.title = `${t} · Custom Models`; } };
  put(main);
  try {
    await show(page);
  } catch (e) {
    if (e.name === 'AbortError' || page.signal.aborted) return;
    put(main, h('h1', {}, 'Something went wrong'), message('error', e.message));
  }
}

function showSignIn(sentence) {
  pageController?.abort();
  put(nav);
  document.title = 'Sign in · Custom Models';
  const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = h('div', { 'aria-live': 'polite' }, sentence ? message('error', sentence) : null);
  const form = h('form', { class: 'card narrow', onsubmit: async e => {
    e.preventDefault();
    const key = input.value.trim();
    put(status, message('info', 'Checking the key…'));
    try {
      await signIn(key);
      if (!location.hash || location.hash === '#/') location.hash = '#/models';
      await render();
    } catch (error) {
      put(status, message('error', error.message));
      input.focus();
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Paste an API key of your organization. It is kept in this browser tab only and forgotten when the tab closes.'),
  field('API key', input, 'Starts with cmk_. An operator creates keys with: custom-models keys create'),
  status,
  h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
  put(main, form);
  input.focus();
}

window.addEventListener('hashchange', render);
render();
