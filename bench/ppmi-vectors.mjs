// Count-based word vectors for bench/pretrained.mjs, made where no pretrained vectors can be
// downloaded: co-occurrence counts in a window (weighted 1/distance, as GloVe weights them),
// positive PMI with context smoothing 0.75 (Levy, Goldberg & Dagan 2015), then the top `dim`
// eigenvectors of that symmetric matrix by subspace iteration, scaled by sqrt(|eigenvalue|).
// The same family as GloVe (a factorised log co-occurrence matrix), small enough for a few seconds
// of CPU. Plain JavaScript, float64.

/** Eigenvectors of the symmetric n×n matrix m for its dim largest |eigenvalues| (columns of a n×dim array). */
function topEigen(m, n, dim, iterations, random) {
  let q = Float64Array.from({ length: n * dim }, () => random() - 0.5);
  const lambda = new Float64Array(dim);
  for (let it = 0; it < iterations; it++) {
    const z = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        const a = m[i * n + k];
        if (a === 0) continue;
        for (let j = 0; j < dim; j++) z[i * dim + j] += a * q[k * dim + j];
      }
    }
    // Gram-Schmidt on the columns; the norms before normalising estimate |eigenvalue|.
    for (let j = 0; j < dim; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += z[i * dim + j] * z[i * dim + p];
        for (let i = 0; i < n; i++) z[i * dim + j] -= dot * z[i * dim + p];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += z[i * dim + j] ** 2;
      norm = Math.sqrt(norm);
      lambda[j] = norm;
      for (let i = 0; i < n; i++) z[i * dim + j] /= norm;
    }
    q = z;
  }
  return { vectors: q, lambda };
}

/**
 * Word vectors from tokenised sentences: { words, values (Float32Array [words.length * dim]) },
 * words in descending frequency (as GloVe and word2vec files list them).
 */
export function ppmiVectors(sentences, { dim, window = 4, iterations = 40, random }) {
  const counts = new Map();
  for (const s of sentences) for (const w of s) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || (a < b ? -1 : 1));
  const index = new Map(words.map((w, i) => [w, i]));
  const n = words.length;
  const co = new Float64Array(n * n);
  for (const s of sentences) {
    const ids = s.map((w) => index.get(w));
    for (let i = 0; i < ids.length; i++) {
      for (let d = 1; d <= window && i + d < ids.length; d++) {
        co[ids[i] * n + ids[i + d]] += 1 / d;
        co[ids[i + d] * n + ids[i]] += 1 / d;
      }
    }
  }
  const row = new Float64Array(n);
  const ctx = new Float64Array(n);
  let total = 0;
  let ctxTotal = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) row[i] += co[i * n + j];
  for (let j = 0; j < n; j++) {
    ctx[j] = row[j] ** 0.75;
    ctxTotal += ctx[j];
    total += row[j];
  }
  const ppmi = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = co[i * n + j];
      if (c === 0) continue;
      const pmi = Math.log((c / total) / ((row[i] / total) * (ctx[j] / ctxTotal)));
      if (pmi > 0) ppmi[i * n + j] = pmi;
    }
  }
  // Symmetrise (the smoothing makes PPMI slightly asymmetric).
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) ppmi[i * n + j] = ppmi[j * n + i] = (ppmi[i * n + j] + ppmi[j * n + i]) / 2;
  const { vectors, lambda } = topEigen(ppmi, n, dim, iterations, random);
  const values = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) values[i * dim + j] = vectors[i * dim + j] * Math.sqrt(lambda[j]);
  return { words, values };
}
