// latentkit serve: the latent plane of one run: the scatter of its test codes, the axes it is
// seen along, hovering, clicking, and the decoded point with a slider per latent dimension.
"use strict";

// The plane's position of a code: its coordinates along the two chosen axes, from the mean.
function project(z) { return state.axes.map(a => dot(a, add(z, state.mean, -1))); }

// The code at plane position q: the base point (the codes' mean, or point A) moved within the
// plane of the two axes until it projects to q. The axes need not be orthogonal (a principal
// component against a raw dimension), so the 2x2 Gram system is solved.
function codeAt(q) {
  const base = state.base === "A" && state.picked[0] ? state.picked[0].code : state.mean;
  const [u, v] = state.axes, pb = project(base), r = [q[0] - pb[0], q[1] - pb[1]];
  const uu = dot(u, u), uv = dot(u, v), vv = dot(v, v), det = uu * vv - uv * uv;
  if (Math.abs(det) < 1e-12) return add(base, u, r[0] / uu);
  const a = (vv * r[0] - uv * r[1]) / det, b = (uu * r[1] - uv * r[0]) / det;
  return add(add(base, u, a), v, b);
}

// Plane coordinates <-> canvas pixels under the current pan and zoom.
function toPixel(p, canvas) {
  const v = state.view;
  return [canvas.width / 2 + (p[0] - v.cx) * v.scale, canvas.height / 2 - (p[1] - v.cy) * v.scale];
}
function toPlane(px, py, canvas) {
  const v = state.view;
  return [v.cx + (px - canvas.width / 2) / v.scale, v.cy - (py - canvas.height / 2) / v.scale];
}

function ring(g, p, canvas, colour, radius, label) {
  const [x, y] = toPixel(p, canvas);
  g.strokeStyle = colour; g.lineWidth = 2; g.beginPath(); g.arc(x, y, radius, 0, 2 * Math.PI); g.stroke();
  if (label) { g.fillStyle = colour; g.font = "bold 13px sans-serif"; g.fillText(label, x + radius + 2, y - radius); }
}

function drawScatter() {
  const canvas = $("scatter"), g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.globalAlpha = 0.7;
  state.xy.forEach((p, i) => {
    const [x, y] = toPixel(p, canvas);
    g.fillStyle = state.labels ? palette[state.labels[i] % palette.length] : "#1f77b4";
    g.fillRect(x - 2, y - 2, 4, 4);
  });
  g.globalAlpha = 1;
  for (const n of state.neighbours) ring(g, state.xy[n.index], canvas, "#222", 5);
  const [a, b] = state.picked;
  if (a && b) {  // the linear path between the picked points, as the plane sees it
    const [pa, pb] = [toPixel(project(a.code), canvas), toPixel(project(b.code), canvas)];
    g.strokeStyle = "#444"; g.setLineDash([4, 3]); g.beginPath(); g.moveTo(...pa); g.lineTo(...pb); g.stroke();
    g.setLineDash([]);
  }
  state.picked.forEach((p, i) => ring(g, project(p.code), canvas, "#000", 7, "AB"[i]));
  if (state.point) ring(g, project(state.point), canvas, "#d00", 4);
  canvas.dataset.points = String(state.xy.length);
}

function fitView() {
  const xs = state.xy.map(p => p[0]), ys = state.xy.map(p => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const canvas = $("scatter");
  state.view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2,
                 scale: 0.9 * Math.min(canvas.width / ((x1 - x0) || 1), canvas.height / ((y1 - y0) || 1)) };
}

// The axes the plane is seen along: principal components (PC1 ...) or raw dimensions (z1 ...).
function axisVector(name) {
  const d = state.mean.length, k = Number(name.slice(name[0] === "P" ? 2 : 1)) - 1;
  if (name[0] === "P") return state.pcs[k];
  return Array.from({ length: d }, (_, j) => (j === k ? 1 : 0));
}
function fillAxisChoices() {
  const d = state.mean.length, names = [];
  if (d > 2) for (let k = 1; k <= state.pcs.length; ++k) names.push("PC" + k);
  for (let j = 1; j <= d; ++j) names.push("z" + j);
  for (const [id, pick] of [["axis-x", 0], ["axis-y", 1]]) {
    const select = $(id);
    select.replaceChildren(...names.map(n => new Option(n, n)));
    select.value = names[pick];
  }
}
function chooseAxes() {
  state.axes = [axisVector($("axis-x").value), axisVector($("axis-y").value)];
  state.xy = state.codes.map(project);
  const d = state.mean.length;
  $("projection").textContent = d > 2 ? `(${$("axis-x").value} and ${$("axis-y").value} of ${d} dimensions)` : "(the latent plane)";
  fitView();
  drawScatter();
}

// The test example nearest the pixel (x, y) within 6 pixels, or -1.
function pointNear(x, y) {
  const canvas = $("scatter");
  let best = -1, bestD = 36;
  state.xy.forEach((p, i) => {
    const [px, py] = toPixel(p, canvas), d = (px - x) ** 2 + (py - y) ** 2;
    if (d < bestD) { best = i; bestD = d; }
  });
  return best;
}

// Rows of the test split (input, reconstruction, code, label), fetched once each.
async function examples(indices) {
  const missing = indices.filter(i => !state.examples.has(i));
  if (missing.length) {
    const a = await api(`/runs/${state.run}/examples?split=test&indices=${missing.join(",")}`);
    a.indices.forEach((i, k) => state.examples.set(i, { input: a.inputs[k], reconstruction: a.reconstructions[k],
                                                       code: a.codes[k], label: a.labels ? a.labels[k] : null }));
  }
  return indices.map(i => state.examples.get(i));
}

let hovering = -1;
async function hover(i) {
  if (i === hovering || i < 0) return;
  hovering = i;
  try {
    const [e] = await examples([i]);
    if (hovering !== i) return;
    drawRow($("hover-input"), e.input);
    drawRow($("hover-recon"), e.reconstruction);
    $("hover").dataset.index = String(i);
    $("hover-text").textContent = `test example ${i}` + (e.label !== null ? `: ${className(e.label)}` : "");
  } catch (e) { showError(e); }
}

// Decoding the current point: one request at a time, the latest point wins.
let decoding = false, pendingCode = null;
async function decodeCode(z) {
  state.point = z;
  pendingCode = z;
  if (decoding) return;
  decoding = true;
  try {
    while (pendingCode) {
      const q = pendingCode; pendingCode = null;
      const answer = await api(`/runs/${state.run}/decode`, { rows: [q] });
      drawRow($("decoded"), answer.rows[0]);
      const canvas = $("decoded");
      canvas.dataset.decodes = String(Number(canvas.dataset.decodes) + 1);
      const p = project(q);
      $("point").textContent = `plane (${p[0].toFixed(2)}, ${p[1].toFixed(2)})`;
    }
    showError(null);
  } catch (e) { showError(e); }
  decoding = false;
  syncSliders();
  drawScatter();
}
function decodeAt(q) { return decodeCode(codeAt(q)); }

// One slider per latent dimension (the first 64), each spanning the codes' mean +- 4 standard
// deviations, set to the current point; moving one decodes the point with that coordinate changed.
const kSliders = 64;
function makeSliders() {
  const box = $("sliders");
  box.replaceChildren(...state.mean.slice(0, kSliders).map((m, j) => {
    const row = document.createElement("label"), input = document.createElement("input");
    const s = state.std[j] || 1;
    Object.assign(input, { type: "range", min: m - 4 * s, max: m + 4 * s, step: s / 50 });
    input.dataset.dim = String(j);
    input.addEventListener("input", () => {
      const z = (state.point || state.mean).slice();
      z[j] = Number(input.value);
      decodeCode(z);
    });
    row.append(`z${j + 1} `, input);
    return row;
  }));
}
function syncSliders() {
  if (!state.point) return;
  for (const input of $("sliders").querySelectorAll("input"))
    if (document.activeElement !== input) input.value = state.point[Number(input.dataset.dim)];
}

function wireScatter() {
  const canvas = $("scatter");
  let dragging = null;
  canvas.addEventListener("mousedown", e => { dragging = { x: e.offsetX, y: e.offsetY, shift: e.shiftKey }; });
  canvas.addEventListener("mousemove", e => {
    if (!dragging) { hover(pointNear(e.offsetX, e.offsetY)); return; }
    if (dragging.shift) {  // shift-drag pans
      state.view.cx -= (e.offsetX - dragging.x) / state.view.scale;
      state.view.cy += (e.offsetY - dragging.y) / state.view.scale;
      dragging.x = e.offsetX; dragging.y = e.offsetY;
      drawScatter();
    } else if (state.mode === "decode") {
      decodeAt(toPlane(e.offsetX, e.offsetY, canvas));
    }
  });
  window.addEventListener("mouseup", () => { dragging = null; });
  canvas.addEventListener("click", e => {
    if (e.shiftKey) return;
    const q = toPlane(e.offsetX, e.offsetY, canvas), near = pointNear(e.offsetX, e.offsetY);
    if (state.mode === "decode") decodeAt(q);
    else if (state.mode === "pick") pickPoint(near >= 0 ? state.codes[near] : codeAt(q), near);
    else if (state.mode === "neighbours") showNeighbours(near >= 0 ? state.codes[near] : codeAt(q));
  });
  canvas.addEventListener("wheel", e => {
    e.preventDefault();
    const before = toPlane(e.offsetX, e.offsetY, canvas);
    state.view.scale *= e.deltaY < 0 ? 1.2 : 1 / 1.2;
    const after = toPlane(e.offsetX, e.offsetY, canvas);
    state.view.cx += before[0] - after[0]; state.view.cy += before[1] - after[1];
    drawScatter();
  }, { passive: false });
  for (const id of ["axis-x", "axis-y"]) $(id).addEventListener("change", chooseAxes);
  for (const r of document.querySelectorAll("input[name=mode]"))
    r.addEventListener("change", () => { state.mode = r.value; });
  $("base").addEventListener("change", e => { state.base = e.target.value; });
}

// Loads a run's codes and draws everything that depends on them.
async function openRun(id) {
  state.run = encodeURIComponent(id);
  $("status").textContent = "loading " + id + " ...";
  state.info = await api(`/runs/${state.run}`);
  const codes = await api(`/runs/${state.run}/codes?split=test&limit=2000`);
  Object.assign(state, { codes: codes.rows, labels: codes.labels, picked: [], neighbours: [], point: null,
                         examples: new Map() });
  const d = state.info.latent, n = state.codes.length;
  state.mean = Array.from({ length: d }, (_, j) => state.codes.reduce((s, z) => s + z[j], 0) / n);
  state.std = state.mean.map((m, j) => Math.sqrt(state.codes.reduce((s, z) => s + (z[j] - m) ** 2, 0) / n));
  state.pcs = d > 2 ? principalAxes(state.codes, state.mean, Math.min(d, 6)) : [];
  fillAxisChoices();
  chooseAxes();
  const classes = state.labels ? [...new Set(state.labels)].sort((a, b) => a - b) : [];
  $("legend").replaceChildren(...classes.map(c => {
    const item = document.createElement("span"), mark = document.createElement("i");
    mark.style.background = palette[c % palette.length];
    item.append(mark, className(c));
    return item;
  }));
  makeSliders();
  await decodeCode(state.mean.slice());
  await openTools();
  $("status").textContent = `${state.info.kind}, ${n} test codes`;
}
