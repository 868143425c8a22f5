// Word alignment of a reference and a hypothesis, and the layout of one reference against two
// hypotheses in shared columns. The alignment is the scorer's (CustomModels.Speech ErrorRate.Align,
// NIST sclite's costs and tie-breaking), so the coloured words are the errors the report counts.

const SUBSTITUTION = 4, INSERTION_OR_DELETION = 3;

// The edit operations turning `reference` into `hypothesis`: {op: 'C'|'S'|'D'|'I', ref, hyp}.
export function align(reference, hypothesis) {
  const r = words(reference), h = words(hypothesis);
  const n = r.length, m = h.length;
  const steps = Array.from({ length: n + 1 }, () => new Array(m + 1));
  let previous = Array.from({ length: m + 1 }, (_, j) => j * INSERTION_OR_DELETION);
  steps[0].fill('I');
  for (let i = 1; i <= n; i++) {
    const current = new Array(m + 1);
    current[0] = i * INSERTION_OR_DELETION;
    steps[i][0] = 'D';
    for (let j = 1; j <= m; j++) {
      const same = r[i - 1] === h[j - 1];
      const diagonal = previous[j - 1] + (same ? 0 : SUBSTITUTION);
      const deletion = previous[j] + INSERTION_OR_DELETION;
      const insertion = current[j - 1] + INSERTION_OR_DELETION;
      if (diagonal <= deletion && diagonal <= insertion) { current[j] = diagonal; steps[i][j] = same ? 'C' : 'S'; }
      else if (deletion < insertion) { current[j] = deletion; steps[i][j] = 'D'; }
      else { current[j] = insertion; steps[i][j] = 'I'; }
    }
    previous = current;
  }
  const ops = [];
  for (let i = n, j = m; i > 0 || j > 0;) {
    const op = steps[i][j];
    if (op === 'C' || op === 'S') { ops.push({ op, ref: r[i - 1], hyp: h[j - 1] }); i--; j--; }
    else if (op === 'D') { ops.push({ op, ref: r[i - 1], hyp: null }); i--; }
    else { ops.push({ op, ref: null, hyp: h[j - 1] }); j--; }
  }
  return ops.reverse();
}

const words = text => (text ?? '').split(/\s+/).filter(Boolean);

// Columns shared by the reference and both hypotheses: one per reference word (with what each
// hypothesis made of it) and, between them, one per word that either hypothesis inserted there.
// Each column is {ref, base, custom}, each cell {word, op} or null.
export function columns(reference, baseHypothesis, customHypothesis) {
  const slots = ops => {
    const inserted = [[]], matched = [];
    for (const o of ops) {
      if (o.op === 'I') inserted[matched.length].push({ word: o.hyp, op: 'I' });
      else { matched.push({ word: o.op === 'D' ? o.ref : o.hyp, op: o.op }); inserted.push([]); }
    }
    return { inserted, matched };
  };
  const base = slots(align(reference, baseHypothesis));
  const custom = slots(align(reference, customHypothesis));
  const ref = words(reference);
  const result = [];
  for (let k = 0; k <= ref.length; k++) {
    const extra = Math.max(base.inserted[k].length, custom.inserted[k].length);
    for (let n = 0; n < extra; n++) result.push({ ref: null, base: base.inserted[k][n] ?? null, custom: custom.inserted[k][n] ?? null });
    if (k < ref.length) result.push({ ref: { word: ref[k], op: 'C' }, base: base.matched[k], custom: custom.matched[k] });
  }
  return result;
}
