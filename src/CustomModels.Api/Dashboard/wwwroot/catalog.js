// What the API accepts at create and reports as a status (the model object of the API).
export const LANGUAGES = ['en', 'nl', 'fr', 'de', 'es', 'it', 'pt', 'pl', 'cs', 'da', 'fi', 'el', 'hu', 'no', 'ro', 'sk', 'sv',
  'ar', 'he', 'tr', 'fa', 'zh', 'ja', 'ko', 'hi', 'th', 'id', 'vi', 'ru', 'uk', 'ms', 'ta', 'te'];
export const BASE_MODELS = ['general', 'medical', 'legal', 'technical'];
export const STATUSES = { 1: 'Not running', 2: 'Ready to run', 3: 'Training', 4: 'Trained', 5: 'Failed' };

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });
export function languageName(code) {
  try { return `${languageNames.of(code)} (${code})`; } catch { return code; }
}
