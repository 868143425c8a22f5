// Word alignment of a reference and a hypothesis (Levenshtein, as the scorer counts errors), and
// the layout of one reference against two hypotheses in shared columns.

// The edit operations turning `reference` into `hypothesis`: {op: 'C'|'S'|'D'|'I', ref, hyp}.
export function align(reference, hypothesis) {
  const r = words(reference), h = words(hypothesis);
  const cost = Array.from({ length: r.length + 1 }, () => new Uint32Array(h.length + 1));
  for (let i = 0; i <= r.length; i++) cost[i][0] = i;
  for (let j = 0; j <= h.length; j++) cost[0][j] = j;
  for (let i = 1; i <= r.length; i++) {
    for (let j = 1; j <= h.length; j++) {
      cost[i][j] = Math.min(cost[i - 1][j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1), cost[i - 1][j] + 1, cost[i][j - 1] + 1);
    }
  }
  const ops = [];
  let i = r.length, j = h.length;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && cost[i][j] === cost[i - 1][j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1)) {
      ops.push({ op: r[i - 1] === h[j - 1] ? 'C' : 'S', ref: r[i - 1], hyp: h[j - 1] });
      i--; j--;
    } else if (i > 0 && cost[i][j] === cost[i - 1][j] + 1) {
      ops.push({ op: 'D', ref: r[i - 1], hyp: null });
      i--;
    } else {
      ops.push({ op: 'I', ref: null, hyp: h[j - 1] });
      j--;
    }
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

export function counts(ops) {
  const c = { S: 0, D: 0, I: 0 };
  for (const o of ops) if (o.op in c) c[o.op]++;
  return c;
}
