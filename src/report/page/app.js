// The report page's own script (inlined into report.html after Chart.js). It draws everything
// from the JSON embedded in the page: run summaries, charts, the evaluation table, the early/late
// comparison and the completions browser; in dashboard mode it polls the server for new lines.
// Model output is only ever put into the page as text nodes (textContent), never as HTML.
/* global document, window, fetch, location, Chart */
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('aha-data').textContent);
  const runs = data.runs;
  const PAGE_SIZE = 50;

  /** Creates an element; string children become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return node;
  }
  const $ = (id) => document.getElementById(id);
  const fmt = (x) =>
    x === null || x === undefined ? '–' : Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 0.001 ? x.toFixed(3) : x.toExponential(2);

  // ---- highlighting: reflection words and the <answer>…</answer> span -------------------------
  const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Same rule as the reward part's counter (src/rewards/reflection.ts): longest words first, and a
  // hyphen or space inside a phrase may be a hyphen, a space or nothing ("double-check", "recheck").
  const words = [...data.reflectionWords].sort((a, b) => b.length - a.length).map((w) => escapeRe(w).replace(/[-\s]/g, '[-\\s]?'));
  const reflectRe = words.length ? new RegExp('\\b(?:' + words.join('|') + ')\\b', 'gi') : null;
  const answerRe = /<answer>[\s\S]*?<\/answer>/g;

  function reflectionCount(c) {
    if (c._reflect === undefined) c._reflect = reflectRe ? (c.completion.match(reflectRe) || []).length : 0;
    return c._reflect;
  }

  // Satori's meta-action tokens (src/util/meta-actions.ts), each marked in its own colour.
  const metaRe = /<\|(continue|reflect|explore)\|>/g;

  function appendReflect(parent, text) {
    let at = 0;
    for (const m of text.matchAll(metaRe)) {
      if (m.index > at) appendWords(parent, text.slice(at, m.index));
      parent.append(el('mark', { class: 'meta meta-' + m[1], text: m[0] }));
      at = m.index + m[0].length;
    }
    if (at < text.length) appendWords(parent, text.slice(at));
  }

  function appendWords(parent, text) {
    if (!reflectRe) return parent.append(document.createTextNode(text));
    let last = 0;
    for (const m of text.matchAll(reflectRe)) {
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      parent.append(el('mark', { class: 'reflect', text: m[0] }));
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  function highlighted(text) {
    const pre = el('pre', { class: 'completion' });
    let last = 0;
    for (const m of text.matchAll(answerRe)) {
      if (m.index > last) appendReflect(pre, text.slice(last, m.index));
      const span = el('mark', { class: 'answer' });
      appendReflect(span, m[0]);
      pre.append(span);
      last = m.index + m[0].length;
    }
    if (last < text.length) appendReflect(pre, text.slice(last));
    return pre;
  }

  // A tool-using completion: the model's segments highlighted as usual, each tool result set apart
  // (it is context the environment wrote, not part of the loss).
  function segmented(segments) {
    const pre = el('pre', { class: 'completion' });
    for (const s of segments) {
      if (s.kind === 'model') pre.append(...highlighted(s.text).childNodes);
      else pre.append(el('span', { class: 'tool-segment' + (s.invalid ? ' tool-invalid' : ''), title: 'written by the ' + (s.tool || 'tool') + ' tool' + (s.invalid ? ' (invalid call)' : '') + '; not in the loss', text: s.text }));
    }
    return pre;
  }

  // ---- run summaries ---------------------------------------------------------------------------
  function renderRuns() {
    const box = $('runs-list');
    const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.run));
    box.replaceChildren();
    runs.forEach((run) => {
      const s = run.summary;
      const facts = el('dl', { class: 'facts' });
      const fact = (k, v) => facts.append(el('dt', { text: k }), el('dd', { text: v }));
      fact('steps logged', String(s.steps));
      fact('last step', fmt(s.lastStep));
      for (const [k, v] of Object.entries(s.last)) fact(k, fmt(v));
      fact('completions logged', String(run.completions.length));
      fact('evaluations', String(run.evals.length));
      const cfg = run.config ? el('details', {}, el('summary', { text: 'configuration' }), el('pre', { class: 'config', text: JSON.stringify(run.config, null, 2) })) : null;
      if (cfg) {
        cfg.dataset.run = run.dir;
        cfg.open = open.has(run.dir);
      }
      box.append(el('div', { class: 'card run' }, el('h3', { text: run.name }), el('div', { class: 'dir', text: run.dir }), facts, cfg));
    });
  }

  // ---- charts ----------------------------------------------------------------------------------
  const charts = new Map();
  // Raw points of each training-metric line; what is drawn is these, smoothed when asked.
  const rawPoints = new Map();
  let smoothing = 0;

  /** Exponential moving average with bias correction (as in TensorBoard), same points on x. */
  function smoothed(points) {
    if (smoothing === 0) return points.slice();
    let avg = 0;
    return points.map((p, i) => {
      avg = avg * smoothing + (1 - smoothing) * p.y;
      return { x: p.x, y: avg / (1 - Math.pow(smoothing, i + 1)) };
    });
  }

  function redrawSmoothed() {
    for (const [ds, raw] of rawPoints) ds.data = smoothed(raw);
    for (const c of charts.values()) c.update('none');
  }

  function pngDataUrl(chart) {
    const src = chart.canvas;
    const out = document.createElement('canvas');
    out.width = src.width;
    out.height = src.height;
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src, 0, 0);
    return out.toDataURL('image/png');
  }

  function renderCharts(specs) {
    for (const c of charts.values()) c.destroy();
    charts.clear();
    rawPoints.clear();
    const box = $('charts');
    box.replaceChildren();
    if (specs.length === 0) box.append(el('p', { class: 'empty', text: 'No metrics logged yet.' }));
    let section = null;
    let grid = null;
    for (const spec of specs) {
      if (spec.section !== section) {
        section = spec.section;
        grid = el('div', { class: 'grid' });
        box.append(el('h3', { text: section }), grid);
      }
      const canvas = el('canvas', { 'data-chart': spec.id });
      const save = el('button', {
        class: 'png',
        title: 'Download this chart as PNG',
        text: 'PNG',
        onclick: () => {
          const a = el('a', { href: pngDataUrl(charts.get(spec.id)), download: spec.id + '.png' });
          document.body.append(a);
          a.click();
          a.remove();
        },
      });
      grid.append(el('div', { class: 'card chart', id: 'chart-' + spec.id }, save, el('div', { class: 'canvas-box' }, canvas)));
      if (spec.source === 'metrics') {
        for (const ds of spec.config.data.datasets) {
          rawPoints.set(ds, ds.data);
          ds.data = smoothed(ds.data);
        }
      }
      charts.set(spec.id, new Chart(canvas, spec.config));
    }
  }

  function appendPoints(update) {
    const touched = new Set();
    update.runs.forEach((ru, ri) => {
      for (const chart of charts.values()) {
        for (const ds of chart.data.datasets) {
          if (ds.ahaRun !== ri) continue;
          const rows = ds.ahaSplit === undefined ? ru.metrics : ru.evals.filter((e) => e.split === ds.ahaSplit);
          for (const row of rows) {
            if (typeof row[ds.ahaKey] !== 'number') continue;
            const point = { x: row.step, y: row[ds.ahaKey] };
            const raw = rawPoints.get(ds);
            if (raw) raw.push(point);
            ds.data.push(point);
            if (ds.data.length > 60 && ds.ahaSplit === undefined) ds.pointRadius = 0;
            touched.add(chart);
          }
        }
      }
    });
    if (smoothing > 0) redrawSmoothed();
    else for (const chart of touched) chart.update('none');
  }

  function setupSmoothing() {
    const input = $('smoothing');
    input.addEventListener('input', () => {
      smoothing = Math.min(0.99, Math.max(0, Number(input.value) || 0));
      $('smoothing-value').textContent = smoothing.toFixed(2);
      redrawSmoothed();
    });
  }

  // ---- per-step table of training metrics -------------------------------------------------------
  /** One run's metrics by step (latest first), rebuilt from the charts' raw points. */
  function stepRows(ri) {
    const byStep = new Map();
    const keys = [];
    for (const [ds, raw] of rawPoints) {
      if (ds.ahaRun !== ri) continue;
      if (!keys.includes(ds.ahaKey)) keys.push(ds.ahaKey);
      for (const p of raw) byStep.set(p.x, Object.assign(byStep.get(p.x) || {}, { [ds.ahaKey]: p.y }));
    }
    const steps = [...byStep.keys()].sort((a, b) => b - a);
    return { keys, rows: steps.map((step) => ({ step, ...byStep.get(step) })) };
  }

  // A table cell per step and metric gets slow in the tens of thousands; show the latest steps first.
  const STEP_TABLE_ROWS = 300;
  let stepTableAll = false;

  /** Drawn only while its <details> is open. */
  function renderStepTable() {
    if (!$('step-table').open) return;
    const { keys, rows } = stepRows(Number($('st-run').value || 0));
    const cols = ['step', ...keys];
    const shownRows = stepTableAll ? rows : rows.slice(0, STEP_TABLE_ROWS);
    const head = el('tr', {}, ...cols.map((c) => el('th', { text: c })));
    const body = shownRows.map((r) => el('tr', {}, ...cols.map((c) => el('td', { text: fmt(r[c]) }))));
    const more =
      shownRows.length < rows.length
        ? el('button', { id: 'st-all', text: 'show all ' + rows.length + ' steps', onclick: () => ((stepTableAll = true), renderStepTable()) })
        : null;
    $('st-body').replaceChildren(...(rows.length ? [el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)), more] : [el('p', { class: 'empty', text: 'No metrics logged yet.' })]).filter(Boolean));
  }

  function setupStepTable() {
    const runSel = $('st-run');
    fillSelect(runSel, runs.map((r, i) => [String(i), r.name]), true);
    runSel.parentElement.hidden = runs.length < 2;
    runSel.addEventListener('input', renderStepTable);
    $('step-table').addEventListener('toggle', renderStepTable);
  }

  // ---- evaluation table ------------------------------------------------------------------------
  function renderEvals() {
    const box = $('eval-table');
    const rows = runs.flatMap((run) => run.evals.map((e) => ({ run: run.name, ...e })));
    box.replaceChildren();
    if (rows.length === 0) return box.append(el('p', { class: 'empty', text: 'No held-out evaluations logged yet.' }));
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !['run', 'step', 'split'].includes(k));
    const cols = (runs.length > 1 ? ['run'] : []).concat(['step', 'split'], keys);
    rows.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : a.split < b.split ? -1 : a.split > b.split ? 1 : a.step - b.step));
    const head = el('tr', {}, ...cols.map((c) => el('th', { text: c })));
    const body = rows.map((r) => el('tr', {}, ...cols.map((c) => el('td', { text: typeof r[c] === 'number' ? fmt(r[c]) : String(r[c] ?? '–') }))));
    box.append(el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)));
  }

  // ---- one completion --------------------------------------------------------------------------
  function completionCard(c, runName) {
    const verdict = c.correct === true ? el('span', { class: 'ok', text: '✓ correct' }) : c.correct === false ? el('span', { class: 'bad', text: '✗ wrong' }) : null;
    const parts = Object.entries(c.rewards || {}).map(([k, v]) => k + ' ' + fmt(v));
    const meta = el(
      'div',
      { class: 'meta' },
      runName ? el('span', { class: 'tag', text: runName }) : null,
      el('span', { class: 'tag', text: 'step ' + c.step }),
      c.problem_id ? el('span', { class: 'tag', text: c.problem_id }) : null,
      el('span', { class: 'tag', text: 'reward ' + fmt(c.reward) + (parts.length ? ' (' + parts.join(', ') + ')' : '') }),
      verdict,
      c.length !== null ? el('span', { class: 'tag', text: c.length + ' tokens' }) : null,
      el('span', { class: 'tag' + (reflectionCount(c) ? ' reflect-tag' : ''), text: reflectionCount(c) + ' reflection words' }),
      c.gold !== null ? el('span', { class: 'tag', text: 'gold: ' + c.gold }) : null,
      c.extracted !== null ? el('span', { class: 'tag', text: 'extracted: ' + c.extracted }) : null,
    );
    const prompt = c.prompt ? el('details', {}, el('summary', { text: 'prompt' }), el('pre', { class: 'prompt', text: c.prompt })) : null;
    const calls = c.segments ? c.segments.filter((s) => s.kind === 'tool').length : 0;
    if (c.segments) meta.append(el('span', { class: 'tag' + (calls ? ' tool-tag' : ''), text: calls + ' tool calls' }));
    const card = el('div', { class: 'card completion-card' }, meta, prompt, c.segments ? segmented(c.segments) : highlighted(c.completion));
    card.dataset.step = String(c.step);
    card.dataset.reward = String(c.reward);
    card.dataset.correct = String(c.correct);
    return card;
  }

  // ---- completions browser ---------------------------------------------------------------------
  let shown = PAGE_SIZE;

  function allCompletions() {
    const out = [];
    runs.forEach((run, ri) => run.completions.forEach((c) => out.push({ c, ri })));
    return out;
  }

  function fillSelect(select, options, keep) {
    const before = select.value;
    select.replaceChildren(...options.map(([value, label]) => el('option', { value, text: label })));
    if (keep && options.some(([v]) => v === before)) select.value = before;
  }

  function refreshFilterOptions() {
    const runSel = $('f-run');
    fillSelect(runSel, [['all', 'all runs'], ...runs.map((r, i) => [String(i), r.name])], true);
    runSel.parentElement.hidden = runs.length < 2;
    const steps = [...new Set(runs.flatMap((r) => r.completions.map((c) => c.step)))].sort((a, b) => a - b);
    fillSelect($('f-step'), [['all', 'all steps'], ...steps.map((s) => [String(s), 'step ' + s])], true);
  }

  function currentFilter() {
    const num = (id) => ($(id).value.trim() === '' ? null : Number($(id).value));
    return {
      run: $('f-run').value,
      step: $('f-step').value,
      min: num('f-reward-min'),
      max: num('f-reward-max'),
      correct: $('f-correct').value,
      reflect: $('f-reflect').checked,
      search: $('f-search').value.trim().toLowerCase(),
    };
  }

  function matches(f, { c, ri }) {
    if (f.run !== 'all' && String(ri) !== f.run) return false;
    if (f.step !== 'all' && String(c.step) !== f.step) return false;
    if (f.min !== null && !(c.reward !== null && c.reward >= f.min)) return false;
    if (f.max !== null && !(c.reward !== null && c.reward <= f.max)) return false;
    if (f.correct === 'correct' && c.correct !== true) return false;
    if (f.correct === 'wrong' && c.correct !== false) return false;
    if (f.reflect && reflectionCount(c) === 0) return false;
    if (f.search) {
      const hay = (c.completion + '\n' + c.prompt + '\n' + c.problem_id).toLowerCase();
      if (!hay.includes(f.search)) return false;
    }
    return true;
  }

  function renderCompletions() {
    const f = currentFilter();
    const all = allCompletions();
    // Latest steps first: that is what one looks at during a run.
    const hits = all.filter((x) => matches(f, x)).sort((a, b) => b.c.step - a.c.step);
    $('c-count').textContent = hits.length + ' of ' + all.length + ' completions';
    const list = $('c-list');
    list.replaceChildren(...hits.slice(0, shown).map(({ c, ri }) => completionCard(c, runs.length > 1 ? runs[ri].name : null)));
    $('c-more').hidden = hits.length <= shown;
  }

  function setupCompletions() {
    refreshFilterOptions();
    for (const id of ['f-run', 'f-step', 'f-correct', 'f-reflect', 'f-reward-min', 'f-reward-max', 'f-search']) {
      $(id).addEventListener('input', () => {
        shown = PAGE_SIZE;
        renderCompletions();
      });
    }
    $('c-more').addEventListener('click', () => {
      shown += PAGE_SIZE;
      renderCompletions();
    });
    renderCompletions();
  }

  // ---- early vs late ---------------------------------------------------------------------------
  /** Problems answered at two or more steps, best showcases first (wrong early and right late, then widest gap). */
  function comparablePairs(completions) {
    const byProblem = new Map();
    // SCoRe runs log a second attempt of each held-out problem: shown beside the last first attempt.
    const second = new Map();
    for (const c of completions) {
      if (!c.problem_id) continue;
      if (c.attempt === 2) {
        second.set(c.problem_id + '@' + c.step, c);
        continue;
      }
      const list = byProblem.get(c.problem_id) || [];
      list.push(c);
      byProblem.set(c.problem_id, list);
    }
    const pairs = [];
    for (const [id, list] of byProblem) {
      const minStep = Math.min(...list.map((c) => c.step));
      const maxStep = Math.max(...list.map((c) => c.step));
      if (minStep === maxStep) continue;
      const early = list.find((c) => c.step === minStep);
      const late = list.find((c) => c.step === maxStep);
      const reflects = reflectionCount(late) > 0 ? 1e6 : 0;
      const score = (early.correct === false && late.correct === true ? 1e9 : 0) + reflects + (maxStep - minStep);
      pairs.push({ id, early, late, score, second: second.get(id + '@' + maxStep) || null });
    }
    return pairs.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  }

  /** Held-out problems (the same ones at every evaluation) when the run logged them, else training prompts seen twice. */
  function runPairs(run) {
    const heldout = comparablePairs(run.evalCompletions || []);
    return heldout.length > 0 ? { pairs: heldout, source: 'held-out problem' } : { pairs: comparablePairs(run.completions), source: 'training prompt' };
  }

  const SHOWCASE = 3;

  function renderCompare() {
    const ri = runs.length > 1 ? Number($('cmp-run').value || 0) : 0;
    const { pairs, source } = runPairs(runs[ri]);
    const sel = $('cmp-problem');
    const options = [['best', 'the ' + Math.min(SHOWCASE, pairs.length) + ' best examples']].concat(pairs.map((p) => [p.id, source + ' ' + p.id + ' (step ' + p.early.step + ' → ' + p.late.step + ')']));
    fillSelect(sel, options, true);
    const box = $('cmp-body');
    box.replaceChildren();
    if (pairs.length === 0) return box.append(el('p', { class: 'empty', text: 'No problem has been answered at two different steps yet.' }));
    const shownPairs = sel.value === 'best' || !sel.value ? pairs.slice(0, SHOWCASE) : pairs.filter((p) => p.id === sel.value);
    for (const pair of shownPairs) {
      const columns = [el('div', {}, el('h4', { text: 'early: step ' + pair.early.step }), completionCard(pair.early, null)), el('div', {}, el('h4', { text: 'late: step ' + pair.late.step + (pair.second ? ', attempt 1' : '') }), completionCard(pair.late, null))];
      if (pair.second) columns.push(el('div', {}, el('h4', { text: 'late: step ' + pair.second.step + ', attempt 2' }), completionCard(pair.second, null)));
      box.append(el('div', { class: pair.second ? 'side-by-side three' : 'side-by-side' }, ...columns));
    }
  }

  function setupCompare() {
    const runSel = $('cmp-run');
    fillSelect(runSel, runs.map((r, i) => [String(i), r.name]), true);
    runSel.parentElement.hidden = runs.length < 2;
    runSel.addEventListener('input', renderCompare);
    $('cmp-problem').addEventListener('input', renderCompare);
    renderCompare();
  }

  // ---- live updates (dashboard) ----------------------------------------------------------------
  function startPolling(live) {
    let cursor = data.cursor;
    let sig = data.sig;
    const status = $('status');
    const tick = async () => {
      try {
        const url = 'api/updates?cursor=' + encodeURIComponent(JSON.stringify(cursor)) + '&sig=' + encodeURIComponent(sig);
        const res = await fetch(url, { cache: 'no-store' });
        const update = await res.json();
        if (!res.ok) throw new Error(update.error || res.statusText);
        if (update.generation !== data.generation) return location.reload();
        let newCompletions = false;
        update.runs.forEach((ru, ri) => {
          runs[ri].evals.push(...ru.evals);
          runs[ri].completions.push(...ru.completions);
          (runs[ri].evalCompletions = runs[ri].evalCompletions || []).push(...(ru.evalCompletions || []));
          if (ru.completions.length || (ru.evalCompletions || []).length) newCompletions = true;
          runs[ri].summary = ru.summary;
        });
        if (update.charts) renderCharts(update.charts);
        else appendPoints(update);
        renderStepTable();
        sig = update.sig;
        cursor = update.cursor;
        if (update.runs.some((ru) => ru.metrics.length || ru.evals.length || ru.completions.length)) {
          renderRuns();
          renderEvals();
        }
        if (newCompletions) {
          refreshFilterOptions();
          renderCompletions();
          renderCompare();
        }
        status.textContent = 'live · updated ' + new Date().toLocaleTimeString();
        status.className = 'live';
      } catch (err) {
        status.textContent = 'live · cannot update: ' + err.message;
        status.className = 'error';
      }
      setTimeout(tick, live.pollMs);
    };
    setTimeout(tick, live.pollMs);
  }

  renderRuns();
  renderCharts(data.charts);
  setupSmoothing();
  setupStepTable();
  renderEvals();
  setupCompare();
  setupCompletions();
  if (data.live) startPolling(data.live);
  $('status').textContent = data.live ? 'live' : 'generated ' + data.generatedAt;
  // For scripted use (tests, PNG export): the Chart.js instances by chart id.
  window.aha = { charts, rawPoints, renderCompletions };
})();
