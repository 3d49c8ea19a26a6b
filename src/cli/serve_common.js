// latentkit serve: what the explorer's and the dashboard's scripts share: the API, the page's
// state, colours, and drawing a row of data (a picture for image runs, numbers otherwise).
"use strict";
// The bearer token, when the server wants one, comes in the address: /#token=T.
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"];
const $ = id => document.getElementById(id);

// Everything about the run being explored. Codes are [N][L] arrays; xy their plane positions.
const state = { run: null, info: null, codes: [], labels: null, mean: [], std: [], pcs: [],
                axes: [], xy: [], view: { cx: 0, cy: 0, scale: 1 }, point: null,
                base: "mean", mode: "decode", picked: [], neighbours: [], examples: new Map() };

// GET (no body) or POST (a JSON body) to /api + path; the parsed answer, or an Error with the
// API's one-line message.
async function api(path, body) {
  const headers = {};
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api" + path, { method: body === undefined ? "GET" : "POST", headers,
                                           body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) throw new Error(answer.error || res.statusText);
  return answer;
}

// The same request answered as a PNG (?format=png): an object URL for an <img>.
async function apiPng(path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers["Authorization"] = "Bearer " + token;
  const res = await fetch("/api" + path + (path.includes("?") ? "&" : "?") + "format=png",
                          { method: "POST", headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error((await res.json()).error || res.statusText);
  return URL.createObjectURL(await res.blob());
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }

function isImage(info) { return info && info.image_shape && info.image_shape.length === 3; }

// Draws one raw row into the square (x, y, size) of a canvas: pixel levels 0..255 of an image
// run as a picture, the first values of a table row as numbers.
function drawRow(canvas, row, x = 0, y = 0, size = canvas.width) {
  const g = canvas.getContext("2d");
  if (!isImage(state.info)) {
    g.clearRect(x, y, size, size);
    g.fillStyle = "#222"; g.font = "11px sans-serif";
    const shown = Math.max(1, Math.floor(size / 14));
    row.slice(0, shown).forEach((v, i) => g.fillText(v.toFixed(3), x + 4, y + 12 + 14 * i));
    return;
  }
  const [c, h, w] = state.info.image_shape, img = g.createImageData(w, h);
  for (let i = 0; i < h * w; ++i) {
    const level = k => Math.max(0, Math.min(255, Math.round(row[(c === 3 ? k : 0) * h * w + i])));
    img.data.set([level(0), level(1), level(2), 255], 4 * i);
  }
  const tmp = document.createElement("canvas");
  tmp.width = w; tmp.height = h;
  tmp.getContext("2d").putImageData(img, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(tmp, x, y, size, size);
}

function className(label) {
  const names = (state.info && state.info.class_names) || [];
  return names[label] || "class " + label;
}

// Vectors as plain arrays.
const dot = (a, b) => a.reduce((s, x, j) => s + x * b[j], 0);
const add = (a, b, s = 1) => a.map((x, j) => x + s * b[j]);
const dist2 = (a, b) => a.reduce((s, x, j) => s + (x - b[j]) ** 2, 0);

// The k leading principal directions of the codes (power iteration with deflation).
function principalAxes(codes, mean, k) {
  const d = mean.length;
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  for (const z of codes)
    for (let i = 0; i < d; ++i) {
      const a = z[i] - mean[i];
      for (let j = 0; j < d; ++j) cov[i][j] += a * (z[j] - mean[j]);
    }
  const axes = [];
  for (let m = 0; m < Math.min(k, d); ++m) {
    let v = Array.from({ length: d }, (_, i) => 1 / Math.sqrt(d) + 1e-3 * i);
    for (let it = 0; it < 200; ++it) {
      let w = cov.map(row => row.reduce((s, c, j) => s + c * v[j], 0));
      for (const u of axes) w = add(w, u, -dot(w, u));
      const n = Math.hypot(...w) || 1;
      v = w.map(x => x / n);
    }
    axes.push(v);
  }
  return axes;
}
