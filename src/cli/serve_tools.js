// latentkit serve: the explorer's tools on the latent space of the run being explored:
// interpolation between two picked points, nearest neighbours, the decoded grid over the view,
// samples from the prior, and the density over the plane of 2-D data.
"use strict";

// --- interpolation between two picked points ----------------------------------------------------
const kFrames = 9;

// The same paths as `latentkit interpolate` (viz/interpolation.cpp): t in [0, 1].
function linearAt(a, b, t) { return a.map((x, j) => x + t * (b[j] - x)); }
function slerpAt(a, b, t) {
  const na = Math.hypot(...a), nb = Math.hypot(...b);
  if (!na || !nb) return linearAt(a, b, t);
  const omega = Math.acos(Math.max(-1, Math.min(1, dot(a, b) / (na * nb)))), s = Math.sin(omega);
  if (s < 1e-6) return linearAt(a, b, t);
  const wa = Math.sin((1 - t) * omega) / s, wb = Math.sin(t * omega) / s;
  return a.map((x, j) => wa * x + wb * b[j]);
}

function pickPoint(code, index) {
  if (state.picked.length === 2) state.picked = [];
  state.picked.push({ code, index });
  const [a, b] = state.picked;
  $("picked").textContent = state.picked.map((p, i) => "AB"[i] + ": " +
    (p.index >= 0 ? `test example ${p.index}` : "a point of the plane")).join(", ");
  drawScatter();
  if (a && b) drawStrips();
}

// Both strips: kFrames decodings each, ends included; then the frames at the slider's t.
async function drawStrips() {
  const [a, b] = state.picked.map(p => p.code), ts = [...Array(kFrames).keys()].map(i => i / (kFrames - 1));
  try {
    const rows = [...ts.map(t => linearAt(a, b, t)), ...ts.map(t => slerpAt(a, b, t))];
    const answer = await api(`/runs/${state.run}/decode`, { rows });
    for (const [id, offset] of [["strip-linear", 0], ["strip-spherical", kFrames]]) {
      const canvas = $(id), size = canvas.height;
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      ts.forEach((_, i) => drawRow(canvas, answer.rows[offset + i], i * size, 0, size));
      canvas.dataset.frames = String(kFrames);
    }
    await drawAtT();
  } catch (e) { showError(e); }
}

async function drawAtT() {
  if (state.picked.length < 2) return;
  const [a, b] = state.picked.map(p => p.code), t = Number($("interp-t").value);
  const answer = await api(`/runs/${state.run}/decode`, { rows: [linearAt(a, b, t), slerpAt(a, b, t)] });
  drawRow($("at-linear"), answer.rows[0]);
  drawRow($("at-spherical"), answer.rows[1]);
  $("interp-text").textContent = `t = ${t.toFixed(2)}`;
  const box = $("interpolation");
  box.dataset.updates = String(Number(box.dataset.updates || 0) + 1);
}

// --- nearest neighbours in the latent space (all dimensions, Euclidean) -------------------------
async function showNeighbours(code) {
  const k = Math.min(Number($("knn-k").value) || 8, state.codes.length);
  state.neighbours = state.codes.map((z, index) => ({ index, d: Math.sqrt(dist2(z, code)) }))
    .sort((p, q) => p.d - q.d).slice(0, k);
  drawScatter();
  try {
    const rows = await examples(state.neighbours.map(n => n.index));
    const box = $("neighbours");
    box.replaceChildren(...rows.map((e, i) => {
      const figure = document.createElement("figure"), canvas = document.createElement("canvas");
      canvas.width = canvas.height = 64;
      drawRow(canvas, e.input);
      const caption = document.createElement("figcaption");
      caption.textContent = `#${state.neighbours[i].index} ${e.label !== null ? className(e.label) : ""} ` +
                            `d=${state.neighbours[i].d.toFixed(2)}`;
      figure.append(canvas, caption);
      return figure;
    }));
    box.dataset.indices = state.neighbours.map(n => n.index).join(",");
  } catch (e) { showError(e); }
}

// --- the decoded grid over the current view (the manifold) --------------------------------------
async function drawGrid() {
  const n = Number($("grid-n").value) || 10, scatter = $("scatter"), canvas = $("grid");
  const cell = Math.floor(canvas.width / n), rows = [];
  for (let i = 0; i < n; ++i)      // top to bottom
    for (let j = 0; j < n; ++j)    // left to right, cell centres
      rows.push(codeAt(toPlane((j + 0.5) * scatter.width / n, (i + 0.5) * scatter.height / n, scatter)));
  try {
    const answer = await api(`/runs/${state.run}/decode`, { rows });
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    answer.rows.forEach((row, k) => drawRow(canvas, row, (k % n) * cell, Math.floor(k / n) * cell, cell));
    canvas.dataset.cells = String(rows.length);
  } catch (e) { showError(e); }
}

// --- samples from the prior ----------------------------------------------------------------------
async function drawSamples() {
  const body = { n: Number($("sample-n").value) || 16, seed: Number($("sample-seed").value) || 1 };
  if (state.info.has_temperature) body.temperature = Number($("sample-t").value) || 1;
  if (state.info.conditional && $("sample-class").value !== "") body.label = Number($("sample-class").value);
  try {
    const img = $("samples");
    if (isImage(state.info)) {
      img.src = await apiPng(`/runs/${state.run}/sample`, body);
    } else {
      const answer = await api(`/runs/${state.run}/sample`, body);
      $("samples-text").textContent = answer.rows.slice(0, 8).map(r => r.slice(0, 6).map(v => v.toFixed(3)).join(" ")).join("\n");
    }
    img.dataset.draws = String(Number(img.dataset.draws || 0) + 1);
  } catch (e) { showError(e); }
}

// --- density over the plane of 2-D data (flows, and bounds of the other kinds) -----------------
async function drawDensity() {
  const canvas = $("density"), g = canvas.getContext("2d"), n = 64;
  const a = await api(`/runs/${state.run}/examples?split=test&indices=0-${state.codes.length - 1}`);
  const points = a.inputs;
  const xs = points.map(p => p[0]), ys = points.map(p => p[1]);
  const pad = (lo, hi) => [lo - 0.15 * (hi - lo), hi + 0.15 * (hi - lo)];
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs)), [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const rows = [];
  for (let i = 0; i < n; ++i)
    for (let j = 0; j < n; ++j) rows.push([x0 + (j + 0.5) * (x1 - x0) / n, y1 - (i + 0.5) * (y1 - y0) / n]);
  const answer = await api(`/runs/${state.run}/score`, { rows, k: 50 });
  const logp = answer.log_likelihood, top = Math.max(...logp), cell = canvas.width / n;
  logp.forEach((v, k) => {  // brightness: the density relative to its peak
    const level = Math.round(255 * (1 - Math.exp(v - top)));
    g.fillStyle = `rgb(${level},${level},255)`;
    g.fillRect((k % n) * cell, Math.floor(k / n) * cell, cell + 1, cell + 1);
  });
  g.fillStyle = "#d62728";
  for (const p of points)
    g.fillRect((p[0] - x0) / (x1 - x0) * canvas.width - 1, (y1 - p[1]) / (y1 - y0) * canvas.height - 1, 2, 2);
  canvas.dataset.cells = String(logp.length);
}

// Shows the tools the run has, and resets them.
async function openTools() {
  const info = state.info;
  $("picked").textContent = "";
  $("neighbours").replaceChildren();
  for (const id of ["strip-linear", "strip-spherical", "grid"]) {
    const c = $(id);
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
    c.dataset.frames = c.dataset.cells = "0";
  }
  $("sample-tools").hidden = !info.has_prior;
  $("temperature-tools").hidden = !info.has_temperature;
  $("class-tools").hidden = !info.conditional;
  $("sample-class").replaceChildren(new Option("any", ""),
    ...(info.class_names || []).map((name, c) => new Option(name || "class " + c, String(c))));
  $("density-tools").hidden = !(info.input_dim === 2 && info.has_log_likelihood);
  if (info.has_prior) await drawSamples();
  if (!$("density-tools").hidden) await drawDensity();
}

function wireTools() {
  $("interp-t").addEventListener("input", () => drawAtT().catch(showError));
  $("grid-draw").addEventListener("click", drawGrid);
  $("sample-draw").addEventListener("click", drawSamples);
}
