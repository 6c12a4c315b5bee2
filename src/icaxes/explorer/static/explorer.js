// icaxes explorer: browse the axes of fitted models. Vanilla JS, no network.
// Every token reaches the page through textContent, never as markup.
(function () {
  'use strict';

  const DATA = JSON.parse(document.getElementById('icaxes-data').textContent);
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  const nf = new Intl.NumberFormat('en-US');
  function fmt(x, d) { return Number.isFinite(x) ? x.toFixed(d === undefined ? 3 : d) : '–'; }
  function fmtP(p) {
    if (!(p >= 0)) return '–';
    if (p === 0) return '< 1e-300';
    if (p < 1e-3) return p.toExponential(1);
    return p.toFixed(3);
  }

  // ------------------------------------------------------------------ statistics
  // The same null model as icaxes.interpret.axes: a normalised component is about N(0, 1/d).
  // Both tail probabilities are written as integrals over u in [0, inf) of smooth, even,
  // fast-decaying functions, where the trapezoidal rule converges geometrically.
  function halfLineTrapezoid(g, h) {
    let sum = 0.5 * g(0);
    for (let k = 1; k < 20000; k++) {
      const t = g(k * h);
      sum += t;
      if (t <= 1e-18 * sum) break;
    }
    return sum * h;
  }

  // P(Z > z) for a standard normal Z: Q(z) = exp(-z^2/2)/pi * int exp(-z^2 sinh(u)^2/2) / cosh(u) du
  function normalSf(z) {
    if (Number.isNaN(z)) return NaN;
    if (z < 0) return 1 - normalSf(-z);
    const h = Math.min(0.1, 0.5 / Math.max(z, 1e-9));
    const a = 0.5 * z * z;
    const integral = halfLineTrapezoid((u) => { const s = Math.sinh(u); return Math.exp(-a * s * s) / Math.cosh(u); }, h);
    return Math.exp(-a) / Math.PI * integral;
  }

  // One-sided p-value of one normalised component x among d axes.
  function componentPValue(x, d) { return normalSf(Math.sqrt(d) * Math.abs(x)); }

  // P(U V > c) for independent standard normals, c = d |x y|: (1/pi) int_c^inf K0(t) dt,
  // rewritten with K0(t) = int exp(-t cosh u) du as exp(-c)/pi * int exp(-c (cosh u - 1)) / cosh u du.
  function productPValue(x, y, d) {
    const c = d * Math.abs(x * y);
    if (!Number.isFinite(c)) return NaN;
    const h = Math.min(0.1, 0.35 / Math.sqrt(Math.max(c, 1e-12)));
    const integral = halfLineTrapezoid((u) => Math.exp(-c * (Math.cosh(u) - 1)) / Math.cosh(u), h);
    return Math.min(1, Math.max(0, Math.exp(-c) / Math.PI * integral));
  }

  // ------------------------------------------------------------------ data access
  function bytesOf(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  let HALF = null;
  function halfTable() {
    if (HALF) return HALF;
    HALF = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
      HALF[h] = e === 0 ? s * Math.pow(2, -14) * (f / 1024)
        : e === 31 ? (f ? NaN : s * Infinity) : s * Math.pow(2, e - 15) * (1 + f / 1024);
    }
    return HALF;
  }
  function decodeMatrix(m, n, d) {
    const bytes = bytesOf(m.data);
    const out = new Float32Array(n * d);
    if (m.dtype === 'float16') {
      const u = new Uint16Array(bytes.buffer, 0, n * d), t = halfTable();
      for (let i = 0; i < u.length; i++) out[i] = t[u[i]];
    } else {
      const q = new Int8Array(bytes.buffer, 0, n * d);
      const scale = new Float32Array(bytesOf(m.scale).buffer);
      for (let r = 0; r < n; r++) for (let k = 0; k < d; k++) out[r * d + k] = q[r * d + k] * scale[r];
    }
    return out;
  }

  const cache = new Map();
  function cached(key, make) { if (!cache.has(key)) cache.set(key, make()); return cache.get(key); }

  const S = { mi: 0, method: null, axis: 0, token: null, tab: 'axis', sx: 0, sy: 1, pairA: null, pairB: null, other: 1 };
  const model = () => DATA.models[S.mi];
  const variant = () => model().methods[S.method];
  const matrix = () => cached('m' + S.mi + S.method, () => decodeMatrix(variant().matrix, model().n_rows, variant().n_axes));
  const tokenRow = () => cached('t' + S.mi, () => { const m = new Map(); model().tokens.forEach((t, i) => m.set(t, i)); return m; });
  function rowOf(token) { if (token === null) return -1; const r = tokenRow().get(token); return r === undefined ? -1 : r; }
  function value(row, axis) { return matrix()[row * variant().n_axes + axis]; }
  function rowVector(row) { const d = variant().n_axes; return matrix().subarray(row * d, row * d + d); }
  function axisName(k) { const lab = variant().labels[k]; return '#' + k + (lab ? ' ' + lab : ''); }
  const holdsAll = () => model().n_rows >= model().n_tokens;
  // why a token has no row: not in the model at all, or left out of this page to keep it small
  function missingText(quoted) {
    if (holdsAll()) return quoted + ' is not in this model: it is none of its ' + nf.format(model().n_tokens) + ' tokens (this page holds them all).';
    return quoted + ' is not among the ' + nf.format(model().n_rows) + ' tokens whose components are included in this page ' +
      '(the most frequent ones and every axis\'s top tokens, of ' + nf.format(model().n_tokens) + ').';
  }
  // a token's two strongest axes (largest normalised components, as AxisModel.explain orders them)
  function strongestAxes(row) {
    const vec = rowVector(row);
    const order = Array.from(vec.keys()).sort((a, b) => vec[b] - vec[a] || a - b);
    return order.slice(0, 2);
  }
  // the scatter's axes: the token's two strongest, or the pair chosen in Python for the page
  function scatterOnToken(token) {
    const r = rowOf(token);
    if (r < 0 || variant().n_axes < 2) return false;
    [S.sx, S.sy] = strongestAxes(r);
    return true;
  }
  function defaultScatter() {
    const sc = variant().scatter, d = variant().n_axes;
    if (sc && sc.x < d && sc.y < d) { S.sx = sc.x; S.sy = sc.y; } else { S.sx = 0; S.sy = Math.min(1, d - 1); }
  }

  // ------------------------------------------------------------------ search with completion
  const searchIndex = () => cached('s' + S.mi, () => {
    const toks = model().tokens;
    const order = toks.map((t, i) => i);
    const keys = toks.map((t) => t.toLowerCase());
    order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    return { keys: order.map((i) => keys[i]), rows: order };
  });
  function suggestions(q, n) {
    const ql = q.toLowerCase();
    if (!ql) return [];
    const idx = searchIndex();
    let lo = 0, hi = idx.keys.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (idx.keys[mid] < ql) lo = mid + 1; else hi = mid; }
    const hits = [];
    for (let i = lo; i < idx.keys.length && hits.length < 500 && idx.keys[i].startsWith(ql); i++) hits.push(idx.rows[i]);
    hits.sort((a, b) => a - b);  // rows are in frequency order
    const exact = rowOf(q);
    let out = exact >= 0 ? [exact].concat(hits.filter((r) => r !== exact)) : hits;
    if (out.length < n && ql.length > 1) {
      const seen = new Set(out), toks = model().tokens;
      for (let r = 0; r < toks.length && out.length < n; r++) {
        if (!seen.has(r) && toks[r].toLowerCase().includes(ql)) out.push(r);
      }
    }
    return out.slice(0, n);
  }

  function attachSuggest(input, list, onPick) {
    let active = -1, items = [];
    function hide() { list.hidden = true; active = -1; }
    function render() {
      items = suggestions(input.value.trim(), 12);
      clear(list);
      active = -1;
      if (!items.length) { hide(); return; }
      items.forEach((r, i) => {
        const li = el('li');
        li.appendChild(el('span', 'tok', model().tokens[r]));
        li.appendChild(el('span', 'rank', 'freq #' + nf.format(model().freq_rank[r] + 1)));
        li.addEventListener('mousedown', (ev) => { ev.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
    }
    function mark() { Array.from(list.children).forEach((li, i) => li.classList.toggle('active', i === active)); }
    function pick(i) {
      const r = i >= 0 ? items[i] : rowOf(input.value.trim());
      const token = r >= 0 ? model().tokens[r] : input.value.trim();
      input.value = token;
      hide();
      onPick(token);
    }
    input.addEventListener('input', render);
    input.addEventListener('focus', () => { if (input.value) render(); });
    input.addEventListener('blur', () => setTimeout(hide, 120));
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown' && items.length) { active = Math.min(items.length - 1, active + 1); mark(); ev.preventDefault(); }
      else if (ev.key === 'ArrowUp' && items.length) { active = Math.max(0, active - 1); mark(); ev.preventDefault(); }
      else if (ev.key === 'Enter') { pick(list.hidden ? -1 : active); ev.preventDefault(); }
      else if (ev.key === 'Escape') hide();
    });
  }

  // ------------------------------------------------------------------ drawing helpers
  function setupCanvas(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(10, canvas.clientWidth), h = Math.max(10, canvas.clientHeight);
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx, w, h };
  }
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  // Histogram of one axis over the whole vocabulary, log counts; the positive tail is the spike.
  function drawHist(canvas, hist, marker) {
    const { ctx, w, h } = setupCanvas(canvas);
    const counts = hist.counts, n = counts.length;
    const maxLog = Math.log1p(Math.max.apply(null, counts)) || 1;
    const pad = canvas.classList.contains('hist') ? 18 : 2;
    const bw = (w - 2) / n;
    const x0 = (v) => 1 + (v - hist.lo) / (hist.hi - hist.lo) * (w - 2);
    for (let i = 0; i < n; i++) {
      const bh = Math.log1p(counts[i]) / maxLog * (h - pad - 2);
      const mid = hist.lo + (i + 0.5) * (hist.hi - hist.lo) / n;
      ctx.fillStyle = mid > 0 ? css('--accent') : '#b7bfcf';
      ctx.fillRect(1 + i * bw, h - pad - bh, Math.max(1, bw - 0.6), bh);
    }
    if (hist.lo < 0 && hist.hi > 0) {
      ctx.fillStyle = '#1d2330'; ctx.fillRect(x0(0), h - pad - 2, 1, 4);
    }
    if (pad > 2) {
      ctx.fillStyle = css('--muted'); ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'left'; ctx.fillText(fmt(hist.lo, 2), 2, h - 4);
      ctx.textAlign = 'right'; ctx.fillText(fmt(hist.hi, 2), w - 2, h - 4);
      ctx.textAlign = 'center'; ctx.fillText('normalised component (log count)', w / 2, h - 4);
    }
    if (marker && Number.isFinite(marker.value)) {
      const x = x0(Math.min(hist.hi, Math.max(hist.lo, marker.value)));
      ctx.fillStyle = css('--warm'); ctx.fillRect(x - 1, 2, 2, h - pad - 2);
      ctx.font = '12px system-ui, sans-serif';
      const right = x > w * 0.7, tw = ctx.measureText(marker.label).width;
      const tx = right ? x - 5 - tw : x + 5;
      ctx.fillStyle = 'rgba(255,255,255,0.9)'; ctx.fillRect(tx - 3, 2, tw + 6, 16);
      ctx.fillStyle = css('--warm'); ctx.textAlign = 'left';
      ctx.fillText(marker.label, tx, 14);
    }
  }

  function barList(rows, onName, opts) {
    // rows: [{name, value, hit}] -> grid of name, bar, number
    const box = el('div', 'barlist');
    const max = Math.max(1e-9, ...rows.map((r) => Math.abs(r.value)));
    rows.forEach((r) => {
      const name = el('span', 'name', r.name);
      if (r.hit) name.style.color = css('--warm');
      if (r.title) name.title = r.title;
      name.addEventListener('click', () => onName(r));
      const barBox = el('span');
      const bar = el('span', 'bar' + (r.value < 0 ? ' neg' : ''));
      bar.style.display = 'block';
      bar.style.width = (100 * Math.abs(r.value) / max).toFixed(1) + '%';
      barBox.appendChild(bar);
      box.appendChild(name); box.appendChild(barBox);
      box.appendChild(el('span', 'num', r.text !== undefined ? r.text : fmt(r.value, (opts && opts.digits) || 3)));
    });
    return box;
  }

  // ------------------------------------------------------------------ axis list
  function renderAxisList() {
    const list = clear($('axis-list'));
    const v = variant(), toks = model().tokens, filter = $('axis-filter').value.trim().toLowerCase();
    for (let k = 0; k < v.n_axes; k++) {
      const top = v.top[k].slice(0, 8).map((r) => toks[r]);
      const text = (v.labels[k] + ' ' + top.join(' ')).toLowerCase();
      if (filter && !text.includes(filter) && String(k) !== filter && '#' + k !== filter) continue;
      const li = el('li', 'axis-item' + (k === S.axis ? ' on' : ''));
      li.dataset.axis = String(k);
      li.appendChild(el('span', 'num', '#' + k));
      li.appendChild(el('span', 'label', v.labels[k] || ''));
      const spark = el('canvas');
      li.appendChild(spark);
      const stats = ['skew ' + fmt(v.skewness[k], 2)];
      if (v.stability) stats.push('stability ' + fmt(v.stability[k], 2));
      li.appendChild(el('span', 'stats', stats.join(' · ')));
      li.appendChild(el('span', 'toks', top.join(', ')));
      li.addEventListener('click', () => { S.axis = k; showTab('axis'); renderAll(); });
      list.appendChild(li);
      drawHist(spark, v.hist[k], null);
    }
    if (!list.firstChild) list.appendChild(el('li', 'empty', 'No axis matches the filter.'));
  }

  // ------------------------------------------------------------------ axis view
  function overallRank(axis, row, x) {
    const v = variant(), n = model().n_tokens;
    const pos = v.top[axis].indexOf(row);
    if (pos >= 0) return { rank: pos + 1, exact: true };
    const fr = v.tail_fracs, tv = v.tail_values[axis];
    if (x >= tv[0]) return { rank: Math.round(fr[0] * n), exact: false };
    for (let j = 0; j + 1 < tv.length; j++) {
      if (x <= tv[j] && x > tv[j + 1]) {
        const t = (tv[j] - x) / Math.max(1e-12, tv[j] - tv[j + 1]);
        const f = Math.exp(Math.log(fr[j]) + t * (Math.log(fr[j + 1]) - Math.log(fr[j])));
        return { rank: Math.max(1, Math.round(f * n)), exact: false };
      }
    }
    return { rank: n, exact: false };
  }

  function renderAxis() {
    const box = clear($('tab-axis'));
    const v = variant(), k = S.axis, toks = model().tokens;
    box.appendChild(el('h3', null, 'Axis ' + axisName(k)));
    const stats = ['skewness ' + fmt(v.skewness[k], 2), 'kurtosis ' + fmt(v.kurtosis[k], 1)];
    if (v.stability) stats.push('stability ' + fmt(v.stability[k], 2));
    stats.push(S.method.toUpperCase() + ' of ' + model().name);
    box.appendChild(el('p', 'sub', stats.join(' · ')));

    const row = rowOf(S.token);
    const cards = el('div', 'cards');
    const left = el('div', 'card');
    left.appendChild(el('h4', null, 'Distribution over all ' + nf.format(model().n_tokens) + ' tokens'));
    const hist = el('canvas', 'hist');
    left.appendChild(hist);
    if (S.token !== null) {
      const call = el('div', 'callout');
      call.id = 'axis-token-callout';
      if (row < 0) {
        call.textContent = missingText('“' + S.token + '”');
      } else {
        const x = value(row, k);
        let above = 0;
        const m = matrix(), d = v.n_axes;
        for (let r = 0; r < model().n_rows; r++) if (m[r * d + k] > x) above++;
        const ov = overallRank(k, row, x);
        call.appendChild(el('b', null, '“' + S.token + '”'));
        call.appendChild(document.createTextNode(' has value ' + fmt(x, 3) + ' on this axis: rank ' +
          nf.format(above + 1) + ' of the ' + nf.format(model().n_rows) + ' tokens on this page, ' +
          (ov.exact ? 'rank ' : 'about rank ') + nf.format(ov.rank) + ' of all ' + nf.format(model().n_tokens) + '.'));
      }
      left.appendChild(call);
    } else {
      left.appendChild(el('p', 'note', 'Search a token to see where it falls on this axis.'));
    }
    const actions = el('div', 'chips');
    const sc = el('button', 'btn', 'scatter against the next axis');
    sc.addEventListener('click', () => { S.sx = k; S.sy = k + 1 < v.n_axes ? k + 1 : 0; showTab('scatter'); renderAll(); });
    actions.appendChild(sc);
    left.appendChild(actions);
    cards.appendChild(left);

    const right = el('div', 'card');
    right.appendChild(el('h4', null, 'Top ' + v.top[k].length + ' tokens'));
    const rows = v.top[k].map((r, i) => ({ name: toks[r], value: v.top_values[k][i], hit: r === row, row: r }));
    const list = barList(rows, (r) => setToken(r.name, 'token'));
    list.id = 'axis-top';
    right.appendChild(list);
    cards.appendChild(right);
    box.appendChild(cards);
    drawHist(hist, v.hist[k], row >= 0 ? { value: value(row, k), label: S.token } : null);
  }

  // ------------------------------------------------------------------ token view
  function neighbours(row, n) {
    const m = matrix(), d = variant().n_axes, N = model().n_rows, q = rowVector(row);
    const sims = new Float32Array(N);
    for (let r = 0; r < N; r++) {
      let s = 0;
      const o = r * d;
      for (let k = 0; k < d; k++) s += m[o + k] * q[k];
      sims[r] = s;
    }
    sims[row] = -Infinity;
    const best = [];
    for (let r = 0; r < N; r++) {
      if (best.length < n || sims[r] > sims[best[best.length - 1]]) {
        best.push(r);
        best.sort((a, b) => sims[b] - sims[a]);
        if (best.length > n) best.pop();
      }
    }
    return best.map((r) => ({ row: r, sim: sims[r] }));
  }

  function renderToken() {
    const box = clear($('tab-token'));
    if (S.token === null) { box.appendChild(el('p', 'empty', 'Search a token (top right) to see its composition and neighbours.')); return; }
    const row = rowOf(S.token);
    box.appendChild(el('h3', 'token-title', S.token));
    if (row < 0) {
      box.appendChild(el('p', 'callout', missingText('This token')));
      return;
    }
    const v = variant(), d = v.n_axes, vec = rowVector(row);
    box.appendChild(el('p', 'sub', 'frequency rank ' + nf.format(model().freq_rank[row] + 1) + ' of ' +
      nf.format(model().n_tokens) + ' · ' + S.method.toUpperCase() + ' of ' + model().name));
    const cards = el('div', 'cards');
    const comp = el('div', 'card');
    comp.appendChild(el('h4', null, 'Composition: strongest axes'));
    const order = Array.from(vec.keys()).sort((a, b) => vec[b] - vec[a]).slice(0, 10);
    let share = 0;
    const rows = order.map((k) => {
      share += vec[k] * vec[k];
      const p = Math.min(1, componentPValue(vec[k], d) * d);
      return { name: axisName(k), value: vec[k], axis: k, text: fmt(vec[k], 3) + (p < 0.05 ? ' *' : ''),
        title: 'weight ' + fmt(vec[k], 3) + ', share ' + fmt(100 * vec[k] * vec[k], 1) + '%, Bonferroni p ' + fmtP(p) };
    });
    const bl = barList(rows, (r) => { S.axis = r.axis; showTab('axis'); renderAll(); });
    bl.id = 'token-composition';
    comp.appendChild(bl);
    comp.appendChild(el('p', 'note', 'Weights are the normalised components (squares sum to 1); these ' + order.length +
      ' axes hold ' + fmt(100 * share, 1) + '% of the token. * : significant against N(0, 1/d), Bonferroni over ' + d + ' axes.'));
    cards.appendChild(comp);

    const nb = el('div', 'card');
    nb.appendChild(el('h4', null, 'Nearest neighbours (cosine)'));
    const near = neighbours(row, 15);
    const nl = barList(near.map((x) => ({ name: model().tokens[x.row], value: x.sim })), (r) => setToken(r.name, 'token'));
    nl.id = 'token-neighbours';
    nb.appendChild(nl);
    const go = el('button', 'btn', 'why similar to “' + (near.length ? model().tokens[near[0].row] : '') + '”?');
    go.addEventListener('click', () => { S.pairA = S.token; S.pairB = model().tokens[near[0].row]; showTab('pair'); renderAll(); });
    nb.appendChild(el('p'));
    nb.appendChild(go);
    cards.appendChild(nb);
    box.appendChild(cards);
  }

  // ------------------------------------------------------------------ scatter
  const SC = { view: null, key: '', px: null, py: null, hover: -1, drag: null };
  function scatterData() {
    return cached('xy' + S.mi + S.method + ':' + S.sx + ':' + S.sy, () => {
      const n = model().n_rows, x = new Float32Array(n), y = new Float32Array(n);
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (let r = 0; r < n; r++) {
        x[r] = value(r, S.sx); y[r] = value(r, S.sy);
        x0 = Math.min(x0, x[r]); x1 = Math.max(x1, x[r]); y0 = Math.min(y0, y[r]); y1 = Math.max(y1, y[r]);
      }
      const px = (x1 - x0) * 0.06 || 1, py = (y1 - y0) * 0.06 || 1;
      // tokens between the two spikes: the largest smaller-of-the-two values (as the figure's)
      const v = variant(), tops = new Set(v.top[S.sx].slice(0, 6).concat(v.top[S.sy].slice(0, 6)));
      const between = [];
      for (let r = 0; r < n; r++) {
        const m = Math.min(x[r], y[r]);
        if (m > 0.1 && !tops.has(r)) between.push([m, r]);
      }
      between.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      return { x, y, box: [x0 - px, x1 + px, y0 - py, y1 + py], between: between.slice(0, 8).map((b) => b[1]) };
    });
  }
  function drawScatter() {
    const canvas = $('scatter');
    if (!canvas.offsetParent) return;
    const D = scatterData();
    const key = S.mi + S.method + ':' + S.sx + ':' + S.sy;
    if (SC.key !== key || !SC.view) { SC.view = D.box.slice(); SC.key = key; }
    const { ctx, w, h } = setupCanvas(canvas);
    const [vx0, vx1, vy0, vy1] = SC.view;
    const m = { l: 46, r: 12, t: 12, b: 34 };
    const sx = (v) => m.l + (v - vx0) / (vx1 - vx0) * (w - m.l - m.r);
    const sy = (v) => h - m.b - (v - vy0) / (vy1 - vy0) * (h - m.t - m.b);
    // axes lines at zero and ticks
    ctx.strokeStyle = '#e3e6ec'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(sx(0), m.t); ctx.lineTo(sx(0), h - m.b); ctx.moveTo(m.l, sy(0)); ctx.lineTo(w - m.r, sy(0)); ctx.stroke();
    ctx.fillStyle = css('--muted'); ctx.font = '11px system-ui, sans-serif';
    for (let i = 0; i <= 4; i++) {
      const xv = vx0 + (vx1 - vx0) * i / 4, yv = vy0 + (vy1 - vy0) * i / 4;
      ctx.textAlign = 'center'; ctx.fillText(fmt(xv, 2), sx(xv), h - m.b + 14);
      ctx.textAlign = 'right'; ctx.fillText(fmt(yv, 2), m.l - 4, sy(yv) + 4);
    }
    ctx.textAlign = 'center'; ctx.fillStyle = css('--ink'); ctx.font = '12px system-ui, sans-serif';
    ctx.fillText('x: ' + axisName(S.sx), (w + m.l) / 2, h - 4);
    ctx.save(); ctx.translate(12, (h - m.b) / 2); ctx.rotate(-Math.PI / 2); ctx.fillText('y: ' + axisName(S.sy), 0, 0); ctx.restore();

    const n = D.x.length;
    SC.px = new Float32Array(n); SC.py = new Float32Array(n);
    ctx.save();
    ctx.beginPath(); ctx.rect(m.l, m.t, w - m.l - m.r, h - m.t - m.b); ctx.clip();
    const groups = [[], [], []];
    for (let r = 0; r < n; r++) {
      const X = sx(D.x[r]), Y = sy(D.y[r]);
      SC.px[r] = X; SC.py[r] = Y;
      if (X < m.l - 2 || X > w || Y < 0 || Y > h - m.b + 2) continue;
      const g = D.x[r] > 0.25 && D.x[r] > D.y[r] ? 1 : D.y[r] > 0.25 ? 2 : 0;
      groups[g].push(r);
    }
    const colors = ['rgba(110,120,140,0.35)', 'rgba(47,111,219,0.75)', 'rgba(217,72,15,0.75)'];
    groups.forEach((g, i) => {
      ctx.fillStyle = colors[i];
      const s = i ? 3 : 2;
      for (const r of g) ctx.fillRect(SC.px[r] - s / 2, SC.py[r] - s / 2, s, s);
    });
    // labels: the tokens between the spikes, the top tokens of both axes, the searched token
    const v = variant(), toks = model().tokens;
    const labelled = new Set(v.top[S.sx].slice(0, 6).concat(v.top[S.sy].slice(0, 6)));
    ctx.font = '12px system-ui, sans-serif'; ctx.textAlign = 'left';
    // skip labels that would overlap one already drawn
    const boxes = [];
    SC.labels = [];
    const label = (r, color) => {
      const bx = SC.px[r] + 4, by = SC.py[r] - 3, bw = ctx.measureText(toks[r]).width;
      if (boxes.some((b) => bx < b[0] + b[2] && b[0] < bx + bw && Math.abs(by - b[1]) < 13)) return;
      boxes.push([bx, by, bw]);
      ctx.fillStyle = color;
      ctx.fillText(toks[r], bx, by);
      SC.labels.push(toks[r]);
    };
    D.between.forEach((r) => {
      ctx.strokeStyle = '#7d3c98'; ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.arc(SC.px[r], SC.py[r], 3.5, 0, 2 * Math.PI); ctx.stroke();
      label(r, '#7d3c98');
    });
    labelled.forEach((r) => label(r, '#1d2330'));
    const tr = rowOf(S.token);
    if (tr >= 0) {
      ctx.strokeStyle = css('--warm'); ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(SC.px[tr], SC.py[tr], 6, 0, 2 * Math.PI); ctx.stroke();
      ctx.fillStyle = css('--warm'); ctx.font = 'bold 13px system-ui, sans-serif';
      ctx.fillText(S.token, SC.px[tr] + 8, SC.py[tr] + 4);
    }
    if (SC.hover >= 0) {
      ctx.strokeStyle = '#1d2330'; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.arc(SC.px[SC.hover], SC.py[SC.hover], 5, 0, 2 * Math.PI); ctx.stroke();
    }
    ctx.restore();
    SC.map = { sx, sy, m, w, h };
    SC.between = D.between.map((r) => toks[r]);
    $('scatter-note').textContent = (holdsAll() ? 'All ' + nf.format(n) + ' tokens' :
      nf.format(n) + ' tokens (the most frequent and every axis\'s top tokens)') + ', normalised components. ' +
      'Blue: mainly on x; orange: mainly on y; purple labels: words between the spikes, which mix both meanings' +
      (D.between.length ? ' (' + SC.between.join(', ') + ')' : '') + '.';
  }
  function scatterEvents() {
    const canvas = $('scatter'), tip = $('scatter-tip');
    let frame = 0;
    const redraw = () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; drawScatter(); }); };
    function toData(ev) {
      const rect = canvas.getBoundingClientRect(), { m, w, h } = SC.map;
      const X = ev.clientX - rect.left, Y = ev.clientY - rect.top;
      const [vx0, vx1, vy0, vy1] = SC.view;
      return { X, Y, x: vx0 + (X - m.l) / (w - m.l - m.r) * (vx1 - vx0), y: vy0 + (h - m.b - Y) / (h - m.t - m.b) * (vy1 - vy0) };
    }
    canvas.addEventListener('wheel', (ev) => {
      if (!SC.map) return;
      ev.preventDefault();
      const p = toData(ev), f = Math.exp(ev.deltaY * 0.0015);
      const [a, b, c, d] = SC.view;
      SC.view = [p.x + (a - p.x) * f, p.x + (b - p.x) * f, p.y + (c - p.y) * f, p.y + (d - p.y) * f];
      redraw();
    }, { passive: false });
    canvas.addEventListener('mousedown', (ev) => { if (SC.map) SC.drag = { start: toData(ev), view: SC.view.slice(), moved: false }; });
    window.addEventListener('mouseup', () => { setTimeout(() => { SC.drag = null; }, 0); });
    canvas.addEventListener('mousemove', (ev) => {
      if (!SC.map) return;
      const p = toData(ev);
      if (SC.drag && ev.buttons) {
        const { m, w, h } = SC.map, v = SC.drag.view, s = SC.drag.start;
        const dx = (p.X - s.X) / (w - m.l - m.r) * (v[1] - v[0]), dy = (p.Y - s.Y) / (h - m.t - m.b) * (v[3] - v[2]);
        if (Math.abs(p.X - s.X) + Math.abs(p.Y - s.Y) > 3) SC.drag.moved = true;
        SC.view = [v[0] - dx, v[1] - dx, v[2] + dy, v[3] + dy];
        tip.hidden = true; redraw(); return;
      }
      let best = -1, bd = 100;
      const px = SC.px, py = SC.py;
      for (let r = 0; r < px.length; r++) {
        const dx = px[r] - p.X;
        if (dx > 10 || dx < -10) continue;
        const dy = py[r] - p.Y, dd = dx * dx + dy * dy;
        if (dd < bd) { bd = dd; best = r; }
      }
      if (best !== SC.hover) { SC.hover = best; redraw(); }
      if (best >= 0) {
        const D = scatterData();
        tip.textContent = model().tokens[best] + '  (' + fmt(D.x[best], 3) + ', ' + fmt(D.y[best], 3) + ')';
        tip.style.left = (px[best] + 12) + 'px'; tip.style.top = (py[best] - 10) + 'px';
        tip.hidden = false;
      } else tip.hidden = true;
    });
    canvas.addEventListener('mouseleave', () => { tip.hidden = true; SC.hover = -1; redraw(); });
    canvas.addEventListener('click', () => {
      if (SC.drag && SC.drag.moved) return;
      if (SC.hover >= 0) setToken(model().tokens[SC.hover], null);
    });
    canvas.addEventListener('dblclick', () => { SC.view = null; drawScatter(); });
    $('scatter-reset').addEventListener('click', () => { SC.view = null; drawScatter(); });
    $('scatter-swap').addEventListener('click', () => { const t = S.sx; S.sx = S.sy; S.sy = t; SC.view = null; renderAll(); });
    $('scatter-x').addEventListener('change', (ev) => { S.sx = +ev.target.value; SC.view = null; renderAll(); });
    $('scatter-y').addEventListener('change', (ev) => { S.sy = +ev.target.value; SC.view = null; renderAll(); });
    window.addEventListener('resize', () => { redraw(); if (S.tab === 'axis') renderAxis(); });
  }
  function renderScatterControls() {
    const v = variant();
    for (const [id, cur] of [['scatter-x', S.sx], ['scatter-y', S.sy]]) {
      const sel = clear($(id));
      for (let k = 0; k < v.n_axes; k++) { const o = el('option', null, axisName(k)); o.value = String(k); sel.appendChild(o); }
      sel.value = String(cur);
    }
  }

  // ------------------------------------------------------------------ pair view
  function renderPair() {
    const box = clear($('pair-result'));
    $('pair-a').value = S.pairA || ''; $('pair-b').value = S.pairB || '';
    if (!S.pairA || !S.pairB) { box.appendChild(el('p', 'empty', 'Pick two tokens to see which axes make them similar.')); return; }
    const ra = rowOf(S.pairA), rb = rowOf(S.pairB);
    const missing = [[S.pairA, ra], [S.pairB, rb]].filter((x) => x[1] < 0).map((x) => '“' + x[0] + '”');
    if (missing.length) { box.appendChild(el('p', 'callout', missing.map(missingText).join(' '))); return; }
    const v = variant(), d = v.n_axes, a = rowVector(ra), b = rowVector(rb);
    // renormalise the stored (rounded) rows so that the terms sum exactly to the cosine shown
    let na = 0, nb = 0;
    for (let k = 0; k < d; k++) { na += a[k] * a[k]; nb += b[k] * b[k]; }
    na = Math.sqrt(na) || 1; nb = Math.sqrt(nb) || 1;
    const terms = [];
    let cos = 0, pos = 0, neg = 0;
    for (let k = 0; k < d; k++) {
      const x = a[k] / na, y = b[k] / nb, t = x * y;
      cos += t; if (t > 0) pos += t; else neg += t;
      const p = productPValue(x, y, d);
      terms.push({ k, x, y, t, p, padj: Math.min(1, p * d) });
    }
    terms.sort((p, q) => q.t - p.t);
    const head = el('div', 'card');
    const title = el('h3', 'pair-title');
    title.appendChild(el('span', null, S.pairA)); title.appendChild(el('span', 'vs', '  ·  ')); title.appendChild(el('span', null, S.pairB));
    head.appendChild(title);
    const big = el('div', 'big', 'cos ' + fmt(cos, 3));
    big.id = 'pair-cosine';
    head.appendChild(big);
    const sig = terms.filter((t) => t.t > 0 && t.padj < 0.05).length;
    head.appendChild(el('p', 'sub', 'Cosine of the normalised components: the sum of one term a·b per axis. ' +
      'Positive terms ' + fmt(pos, 3) + ', negative terms ' + fmt(neg, 3) + '; ' + sig + ' of ' + d + ' axes are significant ' +
      '(p < 0.05 after Bonferroni over ' + d + ' axes, under the null that each component is N(0, 1/d)).'));
    let run = 0;
    const top5 = terms.slice(0, 5).reduce((s, t) => s + t.t, 0);
    head.appendChild(el('p', 'note', 'The 5 largest terms give ' + fmt(top5, 3) + ' of the cosine. ' +
      'Blue bar: both tokens are on the spike side of the axis; pale bar: both on the negative side; red: opposite sides.'));
    box.appendChild(head);
    const table = el('table', 'grid');
    table.id = 'pair-table';
    const thead = el('tr');
    ['axis', S.pairA, S.pairB, 'term', '', 'cumulative', 'p', 'p Bonferroni', ''].forEach((h) => thead.appendChild(el('th', null, h)));
    table.appendChild(thead);
    const maxT = Math.max(1e-9, ...terms.map((t) => Math.abs(t.t)));
    terms.slice(0, 15).forEach((t) => {
      run += t.t;
      const tr = el('tr', t.padj < 0.05 && t.t > 0 ? 'sig' : '');
      tr.dataset.axis = String(t.k);
      const ax = el('td'); const link = el('span', 'axis-link', axisName(t.k));
      link.addEventListener('click', () => { S.axis = t.k; showTab('axis'); renderAll(); });
      ax.appendChild(link); tr.appendChild(ax);
      tr.appendChild(el('td', 'n', fmt(t.x, 3))); tr.appendChild(el('td', 'n', fmt(t.y, 3)));
      tr.appendChild(el('td', 'n term', fmt(t.t, 4)));
      const bothNeg = t.x < 0 && t.y < 0;
      const bar = el('td'); const mb = el('span', 'minibar' + (t.t < 0 ? ' neg' : bothNeg ? ' shade' : ''));
      if (bothNeg) mb.title = 'both tokens lie on the negative side of this axis';
      mb.style.width = Math.round(120 * Math.abs(t.t) / maxT) + 'px'; bar.appendChild(mb); tr.appendChild(bar);
      tr.appendChild(el('td', 'n', fmt(run, 3)));
      tr.appendChild(el('td', 'n', fmtP(t.p))); tr.appendChild(el('td', 'n', fmtP(t.padj)));
      tr.appendChild(el('td', 'star', t.padj < 0.05 && t.t > 0 ? '★' : ''));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  // ------------------------------------------------------------------ compare view
  function renderCompare() {
    const box = clear($('tab-compare'));
    if (DATA.models.length < 2) {
      box.appendChild(el('p', 'empty', 'Give several models (icaxes explore MODEL_A MODEL_B) to see their matched axes.'));
      return;
    }
    const ref = DATA.models[0];
    const ctl = el('div', 'scatter-controls');
    const lab = el('label', 'field', 'compare ' + ref.name + ' with ');
    const sel = el('select'); sel.id = 'compare-other';
    DATA.models.slice(1).forEach((m, i) => { const o = el('option', null, m.name); o.value = String(i + 1); sel.appendChild(o); });
    sel.value = String(S.other);
    sel.addEventListener('change', () => { S.other = +sel.value; renderCompare(); });
    lab.appendChild(sel); ctl.appendChild(lab); box.appendChild(ctl);
    const other = DATA.models[S.other];
    const match = DATA.matches.find((x) => x.a === ref.name && x.b === other.name && x.method === S.method);
    if (!match) { box.appendChild(el('p', 'callout', 'No ' + S.method.toUpperCase() + ' axes to match between these models (too few shared tokens?).')); return; }
    const va = ref.methods[S.method], vb = other.methods[S.method];
    const mean = (a) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
    const how = el('p', 'sub', S.method.toUpperCase() + ' axes matched one to one by ' + (match.matching_name || 'Hungarian assignment') +
      ' on Pearson r over ' + nf.format(match.pairs) + ' ' + match.by + '. Mean r of the 10 best matches ' + fmt(mean(match.r.slice(0, 10)), 2) +
      ', of all ' + match.r.length + ': ' + fmt(mean(match.r), 2) + '.');
    how.id = 'compare-method';
    box.appendChild(how);
    const table = el('table', 'grid');
    table.id = 'compare-table';
    const head = el('tr');
    ['#', ref.name + ' axis', 'r', other.name + ' axis'].forEach((h) => head.appendChild(el('th', null, h)));
    table.appendChild(head);
    function cell(m, v, k, mi) {
      const td = el('td');
      const link = el('span', 'axis-link', '#' + k + ' ' + (v.labels[k] || ''));
      link.addEventListener('click', () => { setModel(mi); S.axis = k; showTab('axis'); renderAll(); });
      td.appendChild(link);
      td.appendChild(el('div', 'match-toks', v.top[k].slice(0, 6).map((r) => m.tokens[r]).join(', ')));
      return td;
    }
    match.rows.forEach((i, n) => {
      const tr = el('tr');
      tr.appendChild(el('td', 'n', n + 1));
      tr.appendChild(cell(ref, va, i, 0));
      const rc = el('td', 'n');
      const mb = el('span', 'minibar' + (match.r[n] < 0 ? ' neg' : ''));
      mb.style.width = Math.round(70 * Math.abs(match.r[n])) + 'px'; mb.style.marginRight = '6px';
      rc.appendChild(mb); rc.appendChild(document.createTextNode(fmt(match.r[n], 2)));
      tr.appendChild(rc);
      tr.appendChild(cell(other, vb, match.cols[n], S.other));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  // ------------------------------------------------------------------ state changes
  function setModel(i) {
    if (i === S.mi) return;
    S.mi = i;
    const methods = Object.keys(model().methods);
    if (!methods.includes(S.method)) S.method = methods[0];
    $('model-select').value = String(i);
    S.axis = Math.min(S.axis, variant().n_axes - 1);
    if (!scatterOnToken(S.token)) defaultScatter();
    renderMethods();
  }
  function setToken(token, tab) {
    S.token = token;
    $('search').value = token;
    if (S.pairA === null) S.pairA = token;
    if (tab) showTab(tab);
    renderAll();
  }
  function showTab(tab) {
    S.tab = tab;
    document.querySelectorAll('#tabs button').forEach((b) => b.classList.toggle('on', b.dataset.tab === tab));
    document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('on', t.id === 'tab-' + tab));
  }
  function renderMethods() {
    const seg = clear($('method-switch'));
    Object.keys(model().methods).forEach((m) => {
      const b = el('button', m === S.method ? 'on' : '', m.toUpperCase());
      b.dataset.method = m;
      b.addEventListener('click', () => { S.method = m; if (!scatterOnToken(S.token)) defaultScatter(); renderMethods(); renderAll(); });
      seg.appendChild(b);
    });
  }
  function renderFooter() {
    const f = clear($('footer'));
    const parts = DATA.models.map((m) => {
      const v = m.methods[Object.keys(m.methods)[0]];
      return m.name + ': ' + nf.format(m.n_rows) + ' of ' + nf.format(m.n_tokens) + ' tokens with full components (' +
        v.matrix.dtype + ')';
    });
    f.textContent = 'Page data — ' + parts.join('; ') + '. To keep the page small, full components are embedded only for up to ' +
      nf.format(DATA.limits.max_tokens) + ' most frequent tokens plus every axis\'s top tokens; the top-' + DATA.limits.top_k +
      ' lists, histograms and rank estimates cover the whole vocabulary. icaxes ' + DATA.icaxes + '.';
  }
  // the view lives in the URL fragment, so a link (or a reload) reopens it
  function saveHash() {
    const parts = { m: S.mi, method: S.method, axis: S.axis, tab: S.tab, x: S.sx, y: S.sy };
    if (S.token !== null) parts.token = S.token;
    if (S.pairA) parts.a = S.pairA;
    if (S.pairB) parts.b = S.pairB;
    const hash = '#' + Object.keys(parts).map((k) => k + '=' + encodeURIComponent(parts[k])).join('&');
    if (location.hash !== hash) { try { history.replaceState(null, '', hash); } catch (e) { /* some file: contexts refuse */ } }
  }
  // fragment values are data: kept in a Map and checked against own keys only, so that
  // '#method=constructor' or '#__proto__=1' never reach an object's prototype
  function loadHash() {
    const q = new Map();
    location.hash.slice(1).split('&').forEach((kv) => {
      const i = kv.indexOf('=');
      if (i > 0) { try { q.set(kv.slice(0, i), decodeURIComponent(kv.slice(i + 1))); } catch (e) { /* ignore a damaged fragment */ } }
    });
    const int = (v, hi) => { const n = parseInt(v, 10); return Number.isInteger(n) && n >= 0 && n < hi ? n : null; };
    const has = (o, k) => typeof k === 'string' && Object.prototype.hasOwnProperty.call(o, k);
    const mi = int(q.get('m'), DATA.models.length);
    if (mi !== null) S.mi = mi;
    const method = q.get('method');
    if (has(model().methods, method)) S.method = method;
    else if (!has(model().methods, S.method)) S.method = Object.keys(model().methods)[0];
    const d = variant().n_axes;
    for (const [key, field] of [['axis', 'axis'], ['x', 'sx'], ['y', 'sy']]) { const n = int(q.get(key), d); if (n !== null) S[field] = n; }
    if (q.get('token')) S.token = q.get('token');
    if (q.get('a')) S.pairA = q.get('a');
    if (q.get('b')) S.pairB = q.get('b');
    if (['axis', 'token', 'scatter', 'pair', 'compare'].includes(q.get('tab'))) S.tab = q.get('tab');
  }

  function renderAll() {
    saveHash();
    renderAxisList();
    renderScatterControls();
    renderAxis();
    renderToken();
    renderPair();
    renderCompare();
    drawScatter();
    const on = document.querySelector('.axis-item.on');
    if (on && on.scrollIntoViewIfNeeded) on.scrollIntoViewIfNeeded(false);
  }

  function init() {
    S.method = Object.keys(model().methods)[0];
    defaultScatter();
    loadHash();
    if (S.token !== null) $('search').value = S.token;
    const ms = $('model-select');
    DATA.models.forEach((m, i) => {
      const o = el('option', null, m.name + ' (' + nf.format(m.n_tokens) + ' tokens)'); o.value = String(i); ms.appendChild(o);
    });
    ms.value = String(S.mi);
    ms.addEventListener('change', () => { setModel(+ms.value); renderAll(); });
    // '/' jumps to the search box, as in many sites
    document.addEventListener('keydown', (ev) => {
      if (ev.key === '/' && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) { ev.preventDefault(); $('search').focus(); }
    });
    ms.disabled = DATA.models.length < 2;
    renderMethods();
    document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => { showTab(b.dataset.tab); renderAll(); }));
    $('axis-filter').addEventListener('input', renderAxisList);
    // a searched token also moves the scatter to its two strongest axes
    attachSuggest($('search'), $('search-suggest'), (t) => { if (scatterOnToken(t)) SC.view = null; setToken(t, 'token'); });
    const [pa, pb] = [$('pair-a'), $('pair-b')];
    attachSuggest(pa, pa.nextElementSibling, (t) => { S.pairA = t; renderPair(); });
    attachSuggest(pb, pb.nextElementSibling, (t) => { S.pairB = t; renderPair(); });
    $('pair-go').addEventListener('click', () => { S.pairA = pa.value.trim() || null; S.pairB = pb.value.trim() || null; renderPair(); });
    scatterEvents();
    renderFooter();
    showTab(S.tab);
    renderAll();
  }

  // a small handle for scripts and tests: the statistics and the current state
  window.icaxesExplorer = { normalSf, componentPValue, productPValue, state: S, scatter: SC, data: DATA };
  init();
})();
