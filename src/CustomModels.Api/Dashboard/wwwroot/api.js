// The dashboard's only way to the service: the public API at /api/v3 with the user's key.
// The key lives in this tab's sessionStorage only: never a cookie, a URL or the server.

const KEY_ITEM = 'custom-models.api-key';
const BASE = '/api/v3';

export const session = {
  get key() { return sessionStorage.getItem(KEY_ITEM); },
  scopes: new Set(),
  prefix: '',
  can(scope) { return this.scopes.has(scope); },
  store(key) { sessionStorage.setItem(KEY_ITEM, key); },
  clear() { sessionStorage.removeItem(KEY_ITEM); this.scopes = new Set(); this.prefix = ''; },
};

// Called when the API answers 401: the view goes back to sign-in with the sentence.
let onSignedOut = () => {};
export function whenSignedOut(handler) { onSignedOut = handler; }

// Called while a 429 is waited out: shows (or, with null, hides) the sentence.
let onNotice = () => {};
export function whenNotice(handler) { onNotice = handler; }

export class ApiError extends Error {
  constructor(status, body) {
    super(sentenceFor(status, body));
    this.status = status;
    this.code = body?.error_code ?? '';
    this.details = body?.details ?? null;
  }
}

// 401, 403 and the rest as sentences a person reads; the API's own message where it is one.
export function sentenceFor(status, body) {
  const code = body?.error_code;
  if (status === 401) {
    return code === 'KEY_REVOKED'
      ? 'This API key has been revoked. Sign in with a current key.'
      : 'This API key was not accepted: it is unknown or mistyped. Check it and sign in again.';
  }
  if (status === 403) {
    const scope = /lacks the (\S+) scope/.exec(body?.message ?? '')?.[1];
    return scope ? `This API key is not allowed to do that: it lacks the ${scope} scope.` : 'This API key is not allowed to do that.';
  }
  if (status === 0) return 'The service could not be reached. Check that it is running and try again.';
  let text = body?.message ?? `The service answered ${status}.`;
  if (body?.details) text += ' ' + Object.entries(body.details).map(([k, v]) => `${k}: ${v}`).join('; ') + '.';
  return text;
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// Waits out a 429 for as long as Retry-After says, counting down in the notice; a page left
// meanwhile (its signal aborted) stops waiting.
async function waitForRetry(retryAfterHeader, signal) {
  let seconds = Math.max(1, Number.parseInt(retryAfterHeader ?? '', 10) || 1);
  try {
    while (seconds > 0) {
      signal?.throwIfAborted();
      onNotice(`Too many requests for this API key: trying again in ${seconds} second${seconds === 1 ? '' : 's'}.`);
      await sleep(1000);
      seconds--;
    }
    signal?.throwIfAborted();
  } finally {
    onNotice(null);
  }
}

async function readBody(response) {
  const type = response.headers.get('content-type') ?? '';
  if (response.status === 204) return null;
  if (type.includes('application/json')) return response.json();
  return response.text();
}

// One API call. `json` is sent as the JSON body; `form` as multipart. Resolves with the parsed
// body (null for 204), rejects with an ApiError whose message is a sentence.
export async function call(path, { method = 'GET', json, form, signal, raw = false, key = session.key } = {}) {
  for (;;) {
    const headers = { Authorization: `Bearer ${key}` };
    let body;
    if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
    if (form !== undefined) body = form;
    let response;
    try {
      response = await fetch(BASE + path, { method, headers, body, signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, null);
    }
    if (response.status === 429) { await waitForRetry(response.headers.get('retry-after'), signal); continue; }
    if (!response.ok) {
      const error = new ApiError(response.status, await readBody(response).catch(() => null));
      if (response.status === 401 && key === session.key) onSignedOut(error.message);
      throw error;
    }
    return raw ? response : readBody(response);
  }
}

// A multipart upload with its progress (fetch cannot report upload progress; XMLHttpRequest can).
export function upload(path, form, onProgress, method = 'PUT') {
  return new Promise((resolve, reject) => {
    const send = () => {
      const request = new XMLHttpRequest();
      request.open(method, BASE + path);
      request.setRequestHeader('Authorization', `Bearer ${session.key}`);
      request.responseType = 'json';
      request.upload.addEventListener('progress', e => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
      request.addEventListener('load', async () => {
        if (request.status === 429) { await waitForRetry(request.getResponseHeader('retry-after')); send(); return; }
        if (request.status >= 200 && request.status < 300) { onProgress(1); resolve(request.response); return; }
        const error = new ApiError(request.status, request.response);
        if (request.status === 401) onSignedOut(error.message);
        reject(error);
      });
      request.addEventListener('error', () => reject(new ApiError(0, null)));
      request.send(form);
    };
    send();
  });
}

// Which endpoints this service has, from its OpenAPI document: features that other versions of
// the service add (versions, cancel) are offered only where they exist.
let paths = null;
export async function hasEndpoint(path) {
  if (paths === null) {
    try {
      const response = await fetch('/openapi/v1.json');
      paths = response.ok ? new Set(Object.keys((await response.json()).paths ?? {})) : new Set();
    } catch {
      paths = new Set();
    }
  }
  return paths.has(path);
}

// Signs in: asks the API what the key may do. Throws an ApiError with the sentence if refused.
export async function signIn(key) {
  const info = await call('/key', { key });
  session.store(key);
  session.scopes = new Set(info.scopes);
  session.prefix = info.prefix;
  return info;
}

// Fetches a result format as a file and hands it to the browser's download.
export async function download(path, filename) {
  const response = await call(path, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
