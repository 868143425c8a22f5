// A model's page: its details (rename, describe, delete), training (run, cancel, live progress),
// metrics as a chart, and its data sets with drag-and-drop upload.
import { h, put, add, field, message, confirmDialog, formatSeconds, formatTime } from './dom.js';
import { call, upload, session, hasEndpoint } from './api.js';
import { languageName } from './catalog.js';
import { statusBadge } from './models.js';
import { werChart } from './chart.js';

const POLL_MS = 1500;
const AUDIO = /\.(mp3|wav|flac|m4a|aac|ogg)$/i;
const TEXT = /\.(txt|text)$/i;

export async function modelPage(page, id) {
  const canWrite = session.can('custom_models:write');
  let model = await call(`/custom_models/${id}`, { signal: page.signal });
  page.title(model.name);

  const head = h('div', { class: 'page-head' });
  const details = h('section', { class: 'card', 'aria-labelledby': 'details-title' });
  const training = h('section', { class: 'card', 'aria-labelledby': 'training-title', 'aria-live': 'polite' });
  const metrics = h('section', { class: 'card', 'aria-labelledby': 'metrics-title' });
  const data = h('section', { class: 'card', 'aria-labelledby': 'data-title' });
  add(page.main, head, h('div', { class: 'columns' }, h('div', {}, training, metrics), h('div', {}, details)), data);

  const showHead = () => put(head, 
    h('p', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / '),
    h('h1', {}, model.name, ' ', statusBadge(model)));

  const showDetails = () => {
    const status = h('div', { 'aria-live': 'polite' });
    put(details, 
      h('h2', { id: 'details-title' }, 'Details'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Model key'), h('dd', {}, h('code', {}, model.model_key)),
        h('dt', {}, 'Language'), h('dd', {}, languageName(model.language)),
        h('dt', {}, 'Base model'), h('dd', {}, model.base_model),
        h('dt', {}, 'Created'), h('dd', {}, formatTime(model.created_at)),
        h('dt', {}, 'Updated'), h('dd', {}, formatTime(model.updated_at)),
        canWrite ? null : [h('dt', {}, 'Description'), h('dd', {}, model.description ?? '—')]),
      canWrite ? editForm(status) : null,
      status);
  };

  const editForm = status => {
    const form = h('form', { 'aria-label': 'Rename or describe', onsubmit: async e => {
      e.preventDefault();
      const values = new FormData(form);
      const description = String(values.get('description'));
      try {
        model = await call(`/custom_models/${id}`, { method: 'PATCH', json: { name: values.get('name'), description: description === '' ? null : description } });
        showHead();
        showDetails();
        details.querySelector('[aria-live]').replaceChildren(message('ok', 'Saved.'));
      } catch (error) {
        put(status, message('error', error.message));
      }
    } },
    field('Name', h('input', { name: 'name', required: true, maxlength: 200, value: model.name })),
    field('Description', h('textarea', { name: 'description', maxlength: 1000, rows: 3, value: model.description ?? '' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', class: 'danger', onclick: deleteModel }, 'Delete model')));
    return form;
  };

  const deleteModel = async () => {
    const sure = await confirmDialog(`Delete “${model.name}”?`,
      'The model, its data sets, its trained artifacts and any training in progress are removed permanently.', 'Delete model');
    if (!sure) return;
    try {
      await call(`/custom_models/${id}`, { method: 'DELETE' });
      location.hash = '#/models';
    } catch (error) {
      details.querySelector('[aria-live]').replaceChildren(message('error', error.message));
    }
  };

  const showTraining = (note) => {
    const status = model.training_status;
    const running = status === 3;
    const progress = model.training_progress ?? (status === 4 ? 100 : 0);
    put(training, 
      h('h2', { id: 'training-title' }, 'Training'),
      h('p', { class: status === 5 ? 'message error' : 'status-line' }, model.status_message),
      running || status === 4
        ? h('div', { class: 'progress-line' },
          h('progress', { id: 'training-progress', max: 100, value: progress }),
          h('label', { for: 'training-progress' }, `${progress}%`, model.training_stage ? ` · ${model.training_stage}` : ''))
        : null,
      model.started_training_at ? h('p', { class: 'sub' }, `Started ${formatTime(model.started_training_at)}`,
        model.finished_training_at ? ` · finished ${formatTime(model.finished_training_at)}` : '') : null,
      canWrite ? h('div', { class: 'actions' },
        running ? null : h('button', { class: 'primary', onclick: run, disabled: status === 1, title: status === 1 ? 'Upload training data first' : false },
          status === 4 ? 'Run again with all data' : status === 5 ? 'Retry training' : 'Run training'),
        running ? h('button', { class: 'danger', onclick: cancel }, 'Cancel training') : null) : null,
      note ?? null,
      status === 4 || model.training_metrics ? h('p', {}, h('a', { href: `#/models/${id}/evaluation` }, 'Open the evaluation report')) : null);
  };

  const run = async () => {
    try {
      model = await call(`/custom_models/${id}/run`, { method: 'POST', json: {} });
      refresh();
      follow();
    } catch (error) {
      showTraining(message('error', error.message));
    }
  };

  const cancel = async () => {
    try {
      model = await call(`/custom_models/${id}/cancel`, { method: 'POST', json: {} });
      refresh();
    } catch (error) {
      // The cancel endpoint is newer than some services: answer plainly where it is missing.
      const missing = (error.status === 404 && error.code !== 'MODEL_NOT_FOUND') || error.status === 405;
      showTraining(message('error', missing ? 'This service cannot cancel a training yet; it will finish or fail on its own.' : error.message));
    }
  };

  const showMetrics = async () => {
    const m = model.training_metrics;
    const parts = [h('h2', { id: 'metrics-title' }, 'Accuracy')];
    if (!m) {
      parts.push(message('info', model.training_status === 4
        ? 'This model was trained without evaluation audio, so it has no measured error rates.'
        : 'Error rates appear here once the model is trained with evaluation audio.'));
      put(metrics, parts);
      return;
    }
    let groups = [{ label: 'Active model', base: m.base_word_error_rate, custom: m.word_error_rate }];
    if (await hasEndpoint('/api/v3/custom_models/{id}/versions')) {
      try {
        const versions = await call(`/custom_models/${id}/versions?per_page=20`, { signal: page.signal });
        const measured = versions.result.filter(v => v.training_metrics?.word_error_rate !== undefined).reverse();
        if (measured.length > 0) {
          groups = measured.map(v => ({
            label: `Version ${v.version}${v.active ? ' (active)' : ''}`,
            base: v.training_metrics.base_word_error_rate, custom: v.training_metrics.word_error_rate,
          }));
        }
      } catch (error) {
        if (error.name === 'AbortError') return;
      }
    }
    parts.push(werChart(groups),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Word error rate'), h('dd', {}, `${m.word_error_rate ?? '—'}%`),
        h('dt', {}, 'Base model’s word error rate'), h('dd', {}, `${m.base_word_error_rate ?? '—'}%`),
        h('dt', {}, 'Improvement'), h('dd', {}, `${m.accuracy_improvement ?? '—'}%`),
        h('dt', {}, 'Character error rate'), h('dd', {}, `${m.character_error_rate ?? '—'}%`),
        h('dt', {}, 'Training audio'), h('dd', {}, `${m.training_hours ?? 0} h`)));
    put(metrics, parts);
  };

  const showData = async () => {
    const list = await call(`/custom_models/${id}/data`, { signal: page.signal });
    const rows = list.result.map(d => h('tr', {},
      h('td', {}, d.type),
      h('th', { scope: 'row' }, d.filename && d.filename !== d.transcript_filename ? [d.filename, h('br'), h('span', { class: 'sub' }, d.transcript_filename)] : (d.transcript_filename ?? d.filename ?? '')),
      h('td', {}, d.duration_seconds ? formatSeconds(d.duration_seconds) : 'text only'),
      h('td', {}, d.type === 'pronunciation' ? `${d.entry_count} ${d.entry_count === 1 ? 'entry' : 'entries'}` : (d.word_count ?? '')),
      h('td', {}, formatTime(d.created_at)),
      canWrite ? h('td', {}, h('button', { class: 'small', 'aria-label': `Delete data set ${d.id}`, onclick: () => deleteData(d) }, 'Delete')) : null));
    put(data, 
      h('h2', { id: 'data-title' }, 'Data sets'),
      list.total_results === 0 ? message('info', 'No data yet.') : h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Type', 'Files', 'Duration', 'Words', 'Uploaded', canWrite ? 'Actions' : null].filter(Boolean).map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))),
      list.total_results > list.count ? h('p', { class: 'sub' }, `Showing ${list.count} of ${list.total_results}.`) : null,
      canWrite ? uploader : null);
  };

  const deleteData = async d => {
    const sure = await confirmDialog('Delete this data set?', `${d.filename ?? d.transcript_filename} is removed from the model.`, 'Delete data set');
    if (!sure) return;
    try {
      await call(`/custom_models/${id}/data/${d.id}`, { method: 'DELETE' });
      await refresh();
    } catch (error) {
      add(data, message('error', error.message));
    }
  };

  const refresh = async () => {
    showHead();
    showDetails();
    showTraining();
    await Promise.all([showMetrics(), showData()]);
  };

  // While training, the model is read again every POLL_MS until it leaves status 3.
  const follow = async () => {
    while (model.training_status === 3 && !page.signal.aborted) {
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
      if (page.signal.aborted) return;
      const before = model.training_status;
      model = await call(`/custom_models/${id}`, { signal: page.signal });
      if (model.training_status !== before) await refresh();
      else { showHead(); showTraining(); }
    }
  };

  const uploader = canWrite ? uploadArea(id, async () => { model = await call(`/custom_models/${id}`); await refresh(); }) : null;
  await refresh();
  follow().catch(error => { if (error.name !== 'AbortError') add(training, message('error', error.message)); });
}

// Drop files (or choose them): audio with a transcript of the same name is a pair, a text file
// alone is a corpus (train) or test text, or, as pronunciations, a word<TAB>spoken form list.
// Each upload has its own progress bar and outcome.
function uploadArea(id, onUploaded) {
  const type = h('select', { name: 'type' },
    h('option', { value: 'train' }, 'Training data'),
    h('option', { value: 'test' }, 'Evaluation data (test)'),
    h('option', { value: 'pronunciation' }, 'Pronunciations (word, tab, spoken form)'));
  const input = h('input', { type: 'file', multiple: true, accept: '.mp3,.wav,.flac,.m4a,.aac,.ogg,.txt,audio/*,text/plain' });
  const list = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const zone = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', {}, 'Drop audio files with their transcripts here (visit_01.wav with visit_01.txt), or text files on their own as a text corpus (or, used as pronunciations, a list of words and how they are said).'),
    field('Or choose files', input));

  const start = files => {
    const items = type.value === 'pronunciation' ? pronunciationFiles([...files]) : pairUp([...files]);
    for (const item of items) send(item);
  };
  const send = async ({ audio, text, problem }) => {
    const label = audio && text ? `${audio.name} + ${text.name}` : (audio ?? text).name;
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Upload of ${label}` });
    const outcome = h('span', { class: 'outcome' }, problem ?? 'Uploading…');
    add(list, h('li', {}, h('span', { class: 'name' }, label), bar, outcome));
    if (problem) { outcome.className = 'outcome error'; bar.remove(); return; }
    const form = new FormData();
    form.append('type', type.value);
    if (audio) form.append('audio_file', audio);
    form.append(type.value === 'pronunciation' ? 'pronunciation_file' : 'transcript_file', text);
    try {
      await upload(`/custom_models/${id}/data`, form, fraction => { bar.value = Math.round(fraction * 100); });
      outcome.textContent = 'Uploaded';
      outcome.className = 'outcome ok';
      await onUploaded();
    } catch (error) {
      outcome.textContent = error.message;
      outcome.className = 'outcome error';
    }
  };

  zone.addEventListener('dragover', e => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', e => { e.preventDefault(); zone.classList.remove('over'); start(e.dataTransfer.files); });
  input.addEventListener('change', () => { start(input.files); input.value = ''; });

  return h('section', { class: 'upload', 'aria-labelledby': 'upload-title' },
    h('h3', { id: 'upload-title' }, 'Upload data'),
    field('Use as', type),
    zone,
    list);
}

// Pronunciation lists are text files, each uploaded on its own.
function pronunciationFiles(files) {
  return files.map(f => TEXT.test(f.name)
    ? { text: f }
    : { text: f, problem: `${f.name} is not a .txt pronunciation list (one word, a tab and its spoken form a line).` });
}

// Pairs audio with the transcript of the same base name; a text file without audio is text alone.
function pairUp(files) {
  const base = f => f.name.replace(/\.[^.]+$/, '');
  const texts = new Map(files.filter(f => TEXT.test(f.name)).map(f => [base(f), f]));
  const items = [];
  for (const f of files) {
    if (AUDIO.test(f.name)) {
      const text = texts.get(base(f));
      texts.delete(base(f));
      items.push(text ? { audio: f, text } : { audio: f, problem: `No transcript for ${f.name}: add ${base(f)}.txt in the same drop.` });
    } else if (!TEXT.test(f.name)) {
      items.push({ text: f, problem: `${f.name} is neither audio (MP3, WAV, FLAC, M4A, AAC, OGG) nor a .txt transcript.` });
    }
  }
  for (const text of texts.values()) items.push({ text });
  return items;
}
