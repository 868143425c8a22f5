// The models list: the API's filters and paging, and a form to create a model.
import { h, put, add, field, select, message, formatTime } from './dom.js';
import { call, session } from './api.js';
import { LANGUAGES, BASE_MODELS, STATUSES, languageName } from './catalog.js';

const PAGE_SIZES = [10, 25, 50, 100];

export function statusBadge(model) {
  return h('span', { class: `badge status-${model.training_status}` }, STATUSES[model.training_status] ?? model.training_status);
}

export async function modelsPage(page, params) {
  page.title('Models');
  const filters = {
    status: params.get('status') ?? '',
    language: params.get('language') ?? '',
    base_model: params.get('base_model') ?? '',
    per_page: params.get('per_page') ?? '25',
    page: Math.max(1, Number(params.get('page') ?? 1) || 1),
  };
  const go = changes => {
    const next = { ...filters, ...changes };
    const query = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== '' && v !== null).map(([k, v]) => [k, String(v)]));
    location.hash = `#/models?${query}`;
  };

  const filterForm = h('form', { class: 'filters', 'aria-label': 'Filter models', onchange: e => go({ [e.target.name]: e.target.value, page: 1 }), onsubmit: e => e.preventDefault() },
    field('Status', select('status', [['', 'Any status'], ...Object.entries(STATUSES)], filters.status)),
    field('Language', select('language', [['', 'Any language'], ...LANGUAGES.map(c => [c, languageName(c)])], filters.language)),
    field('Base model', select('base_model', [['', 'Any base model'], ...BASE_MODELS.map(b => [b, b])], filters.base_model)),
    field('Per page', select('per_page', PAGE_SIZES.map(n => [n, String(n)]), filters.per_page)));

  const listArea = h('div', { 'aria-live': 'polite' }, message('info', 'Loading models…'));
  add(page.main, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Models')),
    session.can('custom_models:write') ? createForm() : null,
    h('section', { 'aria-labelledby': 'list-title' }, h('h2', { id: 'list-title' }, 'Your models'), filterForm, listArea));

  const query = new URLSearchParams({ page: filters.page, per_page: filters.per_page });
  for (const name of ['status', 'language', 'base_model']) if (filters[name]) query.set(name, filters[name]);
  let list;
  try {
    list = await call(`/custom_models?${query}`, { signal: page.signal });
  } catch (e) {
    if (e.name !== 'AbortError') put(listArea, message('error', e.message));
    return;
  }
  const pages = Math.max(1, Math.ceil(list.total_results / Number(filters.per_page)));
  put(listArea, 
    list.count === 0
      ? message('info', list.total_results === 0 ? 'No models match these filters.' : 'This page is past the last one.')
      : h('div', { class: 'table-wrap' }, h('table', { class: 'models' },
        h('caption', { class: 'visually-hidden' }, 'Models'),
        h('thead', {}, h('tr', {}, ['Name', 'Language', 'Base model', 'Status', 'Word error rate', 'Updated'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.result.map(model => h('tr', {},
          h('th', { scope: 'row' }, h('a', { href: `#/models/${model.id}` }, model.name), h('div', { class: 'sub' }, model.model_key)),
          h('td', {}, languageName(model.language)),
          h('td', {}, model.base_model),
          h('td', {}, statusBadge(model), model.training_status === 3 ? ` ${model.training_progress ?? 0}%` : null),
          h('td', {}, model.training_metrics?.word_error_rate !== undefined ? `${model.training_metrics.word_error_rate}%` : '—'),
          h('td', {}, formatTime(model.updated_at))))))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { disabled: filters.page <= 1, onclick: () => go({ page: filters.page - 1 }) }, 'Previous page'),
      h('span', {}, `Page ${filters.page} of ${pages} · ${list.total_results} model${list.total_results === 1 ? '' : 's'}`),
      h('button', { disabled: filters.page >= pages, onclick: () => go({ page: filters.page + 1 }) }, 'Next page')));
}

function createForm() {
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-title', onsubmit: async e => {
    e.preventDefault();
    const data = new FormData(form);
    const body = { name: data.get('name'), language: data.get('language'), base_model: data.get('base_model') };
    if (data.get('description')) body.description = data.get('description');
    put(status, message('info', 'Creating…'));
    try {
      const model = await call('/custom_models', { method: 'POST', json: body });
      location.hash = `#/models/${model.id}`;
    } catch (error) {
      put(status, message('error', error.message));
    }
  } },
  h('h2', { id: 'create-title' }, 'New model'),
  h('div', { class: 'row' },
    field('Name', h('input', { name: 'name', required: true, maxlength: 200 })),
    field('Language', select('language', LANGUAGES.map(c => [c, languageName(c)]), 'en')),
    field('Base model', select('base_model', BASE_MODELS.map(b => [b, b]), 'general'))),
  field('Description (optional)', h('textarea', { name: 'description', maxlength: 1000, rows: 2 })),
  status,
  h('button', { class: 'primary', type: 'submit' }, 'Create model'));
  return form;
}
