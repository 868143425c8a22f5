// A model's evaluation report: per utterance the reference and both hypotheses aligned word by
// word, substitutions, deletions and insertions coloured (and named, for screen readers); the new
// words with their pronunciations.
import { h, put, add, message } from './dom.js';
import { call } from './api.js';
import { columns } from './align.js';

const OP_NAMES = { S: 'substituted', D: 'deleted', I: 'inserted' };

export async function evaluationPage(page, id) {
  const model = await call(`/custom_models/${id}`, { signal: page.signal });
  page.title(`Evaluation of ${model.name}`);
  add(page.main, h('div', { class: 'page-head' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('a', { href: `#/models/${id}` }, model.name), ' / '),
    h('h1', {}, 'Evaluation report')));
  let report;
  try {
    report = await call(`/custom_models/${id}/evaluation`, { signal: page.signal });
  } catch (error) {
    if (error.name === 'AbortError') return;
    add(page.main, message(error.status === 404 ? 'info' : 'error',
      error.status === 404 && error.code !== 'MODEL_NOT_FOUND' ? 'This model has no evaluation report yet: train it first.' : error.message));
    return;
  }
  const m = report.metrics ?? {};
  const source = { test_data: 'the uploaded evaluation (test) pairs', held_out_training_pairs: 'training pairs held out of training', none: 'nothing (no evaluation audio)' }[report.evaluation_source] ?? report.evaluation_source;
  add(page.main, 
    h('section', { class: 'card', 'aria-labelledby': 'summary-title' },
      h('h2', { id: 'summary-title' }, 'Summary'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Measured on'), h('dd', {}, source ?? '—'),
        h('dt', {}, 'Utterances'), h('dd', {}, String(report.utterances?.length ?? 0)),
        h('dt', {}, 'Reference words'), h('dd', {}, String(m.evaluation_words ?? '—')),
        h('dt', {}, 'Base model WER'), h('dd', {}, pct(m.base_word_error_rate)),
        h('dt', {}, 'Custom model WER'), h('dd', {}, pct(m.word_error_rate)),
        h('dt', {}, 'Interpolation weight'), h('dd', {}, String(report.interpolation_weight ?? '—')))),
    utterancesSection(report.utterances ?? []),
    newWordsSection(report.new_words ?? []),
    report.words?.length ? wordsSection(report.words) : null,
    report.confusions?.length ? confusionsSection(report.confusions) : null);
}

const pct = v => (v === undefined || v === null ? '—' : `${Math.round(v * 10) / 10}%`);

function errorText(e) {
  if (!e) return '—';
  return `${e.substitutions} S · ${e.deletions} D · ${e.insertions} I of ${e.reference_words}`;
}

function utterancesSection(utterances) {
  return h('section', { class: 'card', 'aria-labelledby': 'utterances-title' },
    h('h2', { id: 'utterances-title' }, 'Utterances'),
    h('p', { class: 'legend' }, 'Colours: ',
      h('span', { class: 'w op-S' }, 'substitution'), ' ', h('span', { class: 'w op-D' }, 'deletion'), ' ',
      h('span', { class: 'w op-I' }, 'insertion'), '. A deleted word is shown struck through where the hypothesis lacks it.'),
    utterances.length === 0 ? message('info', 'No evaluation audio was decoded.') : h('div', { class: 'table-wrap' }, h('table', { class: 'utterances' },
      h('thead', {}, h('tr', {}, ['Audio', 'Base errors', 'Custom errors', 'Alignment'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, utterances.map(u => h('tr', {},
        h('th', { scope: 'row' }, u.audio_file ?? `#${u.data_id}`),
        h('td', {}, errorText(u.base_errors)),
        h('td', {}, errorText(u.custom_errors)),
        h('td', {}, alignmentGrid(u))))))));
}

function alignmentGrid(u) {
  const cols = columns(u.reference, u.base_hypothesis, u.custom_hypothesis);
  const cell = (c, isReference) => {
    if (!c) return h('td', { class: 'w gap' }, '');
    if (isReference || c.op === 'C') return h('td', { class: 'w' }, c.word);
    return h('td', { class: `w op-${c.op}`, title: OP_NAMES[c.op] },
      h('span', { class: 'visually-hidden' }, `${OP_NAMES[c.op]}: `), c.word);
  };
  return h('table', { class: 'alignment' },
    h('tbody', {},
      h('tr', { class: 'ref' }, h('th', { scope: 'row' }, 'Reference'), cols.map(c => cell(c.ref, true))),
      h('tr', { class: 'base' }, h('th', { scope: 'row' }, 'Base'), cols.map(c => cell(c.base, false))),
      h('tr', { class: 'custom' }, h('th', { scope: 'row' }, 'Custom'), cols.map(c => cell(c.custom, false)))));
}

function newWordsSection(newWords) {
  // One row per word; a word may come with several pronunciations (each naming its source).
  const byWord = new Map();
  for (const w of newWords) {
    if (!byWord.has(w.word)) byWord.set(w.word, { ...w, pronunciations: [] });
    for (const p of [w.pronunciation ?? w.pronunciations].flat().filter(Boolean)) byWord.get(w.word).pronunciations.push({ phones: p, source: w.source });
  }
  const words = [...byWord.values()];
  const extra = words.some(w => w.occurrences !== undefined);
  return h('section', { class: 'card', 'aria-labelledby': 'new-words-title' },
    h('h2', { id: 'new-words-title' }, 'New words'),
    h('p', {}, 'Words of the training text that the base dictionary lacks, with the pronunciations training gave them.'),
    words.length === 0 ? message('info', 'None: every word was in the base dictionary.') : h('div', { class: 'table-wrap' }, h('table', { class: 'new-words' },
      h('thead', {}, h('tr', {}, ['Word', 'Pronunciations', ...(extra ? ['In evaluation', 'Base recognized', 'Custom recognized'] : [])].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, words.map(w => h('tr', {},
        h('th', { scope: 'row' }, w.word),
        h('td', {}, h('ul', { class: 'plain' }, w.pronunciations.map(p => h('li', {}, h('code', {}, p.phones), p.source ? h('span', { class: 'sub' }, ` · ${p.source}`) : null)))),
        extra ? [h('td', {}, String(w.occurrences ?? '')), h('td', {}, String(w.base_recognized ?? '')), h('td', {}, String(w.custom_recognized ?? ''))] : null))))));
}

// The words the custom model got wrong most often (the report's per-word table, where it has one).
function wordsSection(words) {
  const wrong = words.filter(w => w.substituted + w.deleted + w.insertions > 0)
    .sort((a, b) => (b.substituted + b.deleted + b.insertions) - (a.substituted + a.deleted + a.insertions)).slice(0, 50);
  return h('section', { class: 'card', 'aria-labelledby': 'words-title' },
    h('h2', { id: 'words-title' }, 'Words most often wrong'),
    wrong.length === 0 ? message('info', 'No word was recognized wrongly.') : h('div', { class: 'table-wrap' }, h('table', { class: 'words' },
      h('thead', {}, h('tr', {}, ['Word', 'In references', 'Correct', 'Substituted', 'Deleted', 'Inserted', 'Heard as'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, wrong.map(w => h('tr', {},
        h('th', { scope: 'row' }, w.word),
        [w.occurrences, w.correct, w.substituted, w.deleted, w.insertions].map(v => h('td', {}, String(v ?? ''))),
        h('td', {}, (w.substituted_as ?? []).map(x => `${x.word} (${x.count})`).join(', '))))))));
}

function confusionsSection(confusions) {
  return h('section', { class: 'card', 'aria-labelledby': 'confusions-title' },
    h('h2', { id: 'confusions-title' }, 'Most frequent substitutions'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Reference', 'Recognized as', 'Times'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, confusions.map(c => h('tr', {},
        h('td', {}, c.reference), h('td', {}, c.hypothesis), h('td', {}, String(c.count))))))));
}
