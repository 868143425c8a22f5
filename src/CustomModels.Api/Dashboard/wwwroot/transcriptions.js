// Transcriptions: send audio (with a trained model or the base model), follow it, read the result
// with the audio: the word being spoken is highlighted and a click on a word plays from there.
import { h, put, add, field, select, message, confirmDialog, formatSeconds, formatTime } from './dom.js';
import { call, upload, session, download } from './api.js';
import { LANGUAGES, languageName } from './catalog.js';

const POLL_MS = 1500;
const PER_PAGE = 25;
// The audio files sent from this tab, by transcription id: the result plays them back. The API
// does not serve audio back, so a transcription from elsewhere asks for its file to play along.
const sentAudio = new Map();

export async function transcriptionsPage(page, params) {
  page.title('Transcriptions');
  add(page.main, h('div', { class: 'page-head' }, h('h1', {}, 'Transcriptions')));
  if (session.can('stt:write')) add(page.main, await newTranscriptionForm(page));
  if (!session.can('stt:read')) return;

  const current = Math.max(1, Number(params.get('page') ?? 1) || 1);
  const list = await call(`/stt?page=${current}&per_page=${PER_PAGE}`, { signal: page.signal });
  const pages = Math.max(1, Math.ceil(list.total_results / PER_PAGE));
  add(page.main, h('section', { 'aria-labelledby': 'stt-list-title' },
    h('h2', { id: 'stt-list-title' }, 'Your transcriptions'),
    list.count === 0 ? message('info', 'No transcriptions yet.') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Audio', 'Status', 'Model', 'Duration', 'Created'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.result.map(t => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/transcriptions/${t.id}` }, t.filename ?? t.id)),
        h('td', {}, h('span', { class: `badge stt-${t.status}` }, t.status), t.status === 'processing' ? ` ${Math.round(t.progress ?? 0)}%` : ''),
        h('td', {}, t.model ?? `base (${t.language})`),
        h('td', {}, formatSeconds(t.duration_seconds)),
        h('td', {}, formatTime(t.created_at))))))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { disabled: current <= 1, onclick: () => { location.hash = `#/transcriptions?page=${current - 1}`; } }, 'Previous page'),
      h('span', {}, `Page ${current} of ${pages} · ${list.total_results} transcription${list.total_results === 1 ? '' : 's'}`),
      h('button', { disabled: current >= pages, onclick: () => { location.hash = `#/transcriptions?page=${current + 1}`; } }, 'Next page'))));
}

async function newTranscriptionForm(page) {
  // The trained models of the organization, when this key may read them.
  let models = [];
  if (session.can('custom_models:read')) {
    const trained = await call('/custom_models?status=4&per_page=100', { signal: page.signal });
    models = trained.result;
  }
  const audio = h('input', { type: 'file', name: 'audio_file', required: true, accept: '.mp3,.wav,.flac,.m4a,.aac,.ogg,audio/*' });
  const model = select('model', [['', 'Base model'], ...models.map(m => [m.model_key, `${m.name} (${m.model_key}, ${m.language})`])], '');
  const language = select('language', LANGUAGES.map(c => [c, languageName(c)]), 'en');
  const bar = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'stt-new-title', onsubmit: async e => {
    e.preventDefault();
    const file = audio.files[0];
    const body = new FormData();
    body.append('audio_file', file);
    if (model.value) body.append('model', model.value);
    else body.append('language', language.value);
    bar.hidden = false;
    put(status, message('info', 'Uploading…'));
    try {
      const created = await upload('/stt', body, fraction => { bar.value = Math.round(fraction * 100); }, 'POST');
      sentAudio.set(created.id, file);
      location.hash = `#/transcriptions/${created.id}`;
    } catch (error) {
      put(status, message('error', error.message));
    }
  } },
  h('h2', { id: 'stt-new-title' }, 'New transcription'),
  h('div', { class: 'row' },
    field('Audio file', audio),
    field('Model', model, 'A trained custom model, or the base model of the language'),
    field('Language (base model)', language)),
  bar, status,
  h('button', { class: 'primary', type: 'submit' }, 'Transcribe'));
  model.addEventListener('change', () => { language.disabled = model.value !== ''; });
  return form;
}

export async function transcriptionPage(page, id) {
  page.title('Transcription');
  const head = h('div', { class: 'page-head' });
  const state = h('section', { class: 'card', 'aria-live': 'polite', 'aria-labelledby': 'stt-state-title' });
  const result = h('section', { class: 'card', 'aria-labelledby': 'stt-result-title', hidden: true });
  add(page.main, head, state, result);

  let job = await call(`/stt/${id}/status`, { signal: page.signal });
  const showState = () => {
    put(head, 
      h('p', { class: 'crumbs' }, h('a', { href: '#/transcriptions' }, 'Transcriptions'), ' / '),
      h('h1', {}, job.filename ?? job.id));
    put(state, 
      h('h2', { id: 'stt-state-title' }, 'Status'),
      h('p', {}, h('span', { class: `badge stt-${job.status}` }, job.status), ' ',
        job.model ? `with ${job.model}` : `with the base model (${job.language})`, ' · ', formatSeconds(job.duration_seconds)),
      job.status === 'processing' || job.status === 'uploaded'
        ? h('div', { class: 'progress-line' },
          h('progress', { id: 'stt-progress', max: 100, value: job.progress ?? 0 }),
          h('label', { for: 'stt-progress' }, `${Math.round(job.progress ?? 0)}% decoded`))
        : null,
      job.status === 'failed' ? message('error', `The transcription failed: ${job.error ?? 'no reason given'}`) : null,
      session.can('stt:write') ? h('div', { class: 'actions' }, h('button', { class: 'danger', onclick: remove }, 'Delete transcription')) : null);
  };
  const remove = async () => {
    if (!await confirmDialog('Delete this transcription?', 'Its audio and its result are removed permanently.', 'Delete transcription')) return;
    try {
      await call(`/stt/${id}`, { method: 'DELETE' });
      location.hash = '#/transcriptions';
    } catch (error) {
      add(state, message('error', error.message));
    }
  };

  showState();
  while (job.status === 'uploaded' || job.status === 'processing') {
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
    if (page.signal.aborted) return;
    job = await call(`/stt/${id}/status`, { signal: page.signal });
    showState();
  }
  if (job.status !== 'done') return;
  const transcript = await call(`/stt/${id}/result`, { signal: page.signal });
  result.hidden = false;
  put(result, resultView(id, job, transcript));
}

function resultView(id, job, transcript) {
  const base = (job.filename ?? id).replace(/\.[^.]+$/, '');
  const words = transcript.segments.flatMap(segment => segment.words);
  const player = h('audio', { controls: true, preload: 'auto', 'aria-label': 'Audio of the transcription' });
  const wordButtons = [];
  const text = h('div', { class: 'transcript', 'aria-label': 'Transcript; activate a word to play from it' },
    transcript.segments.map(segment => h('p', { class: 'segment' },
      h('span', { class: 'time' }, clock(segment.start)), ' ',
      segment.words.map(w => {
        const button = h('button', { class: 'word', type: 'button', 'data-start': w.start, title: `${clock(w.start)} · confidence ${w.confidence}`,
          onclick: () => { if (player.src) { player.currentTime = w.start; player.play(); } } }, w.word);
        wordButtons.push(button);
        return [button, ' '];
      }))));

  // The word being spoken: the last one that started at or before the playing time and has not ended.
  let current = -1;
  const highlight = () => {
    const t = player.currentTime;
    let index = -1;
    for (let i = 0; i < words.length && words[i].start <= t; i++) if (t < words[i].end) index = i;
    if (index === current) return;
    if (current >= 0) { wordButtons[current].classList.remove('current'); wordButtons[current].removeAttribute('aria-current'); }
    if (index >= 0) { wordButtons[index].classList.add('current'); wordButtons[index].setAttribute('aria-current', 'true'); }
    current = index;
  };
  const follow = () => { highlight(); if (!player.paused) requestAnimationFrame(follow); };
  player.addEventListener('play', () => requestAnimationFrame(follow));
  player.addEventListener('seeked', highlight);
  player.addEventListener('timeupdate', highlight);

  const file = sentAudio.get(id);
  const chooser = h('input', { type: 'file', accept: 'audio/*,.mp3,.wav,.flac,.m4a,.aac,.ogg' });
  chooser.addEventListener('change', () => { if (chooser.files[0]) player.src = URL.createObjectURL(chooser.files[0]); });
  if (file) player.src = URL.createObjectURL(file);

  const formats = [['txt', 'TXT'], ['srt', 'SRT'], ['vtt', 'VTT']];
  return [
    h('h2', { id: 'stt-result-title' }, 'Result'),
    file ? null : field('Audio file to play along (the service does not send audio back)', chooser),
    player,
    words.length === 0 ? message('info', 'No words were recognized.') : text,
    h('div', { class: 'actions' }, formats.map(([format, label]) =>
      h('button', { onclick: () => download(`/stt/${id}/result?format=${format}`, `${base}.${format}`) }, `Download ${label}`)))];
}

function clock(seconds) {
  const m = Math.floor(seconds / 60), s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}
