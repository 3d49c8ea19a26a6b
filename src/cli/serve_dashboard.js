// latentkit serve: the dashboard: every served run side by side with the curves of each loss
// term (train and test) from its metrics.jsonl, the pictures training leaves in it, its config,
// and compare's table when one was served. Polled every 2 s, so a run being trained grows here.
"use strict";

const dashboard = { runs: [], pictures: new Map() };

// The numeric terms of a split in metrics lines ({"train": {"loss": ...}, "test": {...}}).
function termsOf(lines) {
  const terms = new Set();
  for (const l of lines)
    for (const split of ["train", "test"])
      for (const [k, v] of Object.entries(l[split] || {})) if (typeof v === "number") terms.add(k);
  return [...terms];
}

// One small chart: a term by epoch, train in blue and test in red.
function drawTerm(canvas, lines, term) {
  const g = canvas.getContext("2d"), pad = 30, left = 44, w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  const series = [["train", "#1f77b4"], ["test", "#d62728"]].map(([split, colour]) =>
    [lines.map((l, i) => [i, l[split] && l[split][term]]).filter(p => typeof p[1] === "number"), colour]);
  const all = series.flatMap(s => s[0].map(p => p[1]));
  g.fillStyle = "#333"; g.font = "11px sans-serif"; g.fillText(term, left, 12);
  if (!all.length) return;
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const X = i => left + (w - left - 0.5 * pad) * (lines.length > 1 ? i / (lines.length - 1) : 0.5);
  const Y = v => h - pad + 10 - (h - 1.5 * pad) * (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  g.strokeStyle = "#bbb"; g.strokeRect(left, 0.5 * pad, w - left - 0.5 * pad, h - 1.5 * pad);
  g.fillStyle = "#666"; g.font = "10px sans-serif";
  g.fillText(hi.toPrecision(4), 0, 0.5 * pad + 8); g.fillText(lo.toPrecision(4), 0, h - pad + 10);
  g.fillText(`epoch 1..${lines.length}`, w / 2 - 25, h - 4);
  for (const [points, colour] of series) {
    g.strokeStyle = colour; g.lineWidth = 2; g.beginPath();
    points.forEach(([i, v], k) => (k ? g.lineTo(X(i), Y(v)) : g.moveTo(X(i), Y(v))));
    g.stroke();
  }
}

function card(run) {
  const section = document.createElement("section");
  section.className = "card";
  section.dataset.run = run.id;
  section.dataset.epochs = "0";
  const title = document.createElement("h2");
  title.textContent = `${run.id}: ${run.kind} on ${run.data}, latent ${run.latent}`;
  const charts = document.createElement("div"), pictures = document.createElement("div");
  charts.className = "charts"; pictures.className = "pictures";
  const config = document.createElement("details"), pre = document.createElement("pre");
  config.append(Object.assign(document.createElement("summary"), { textContent: "config" }), pre);
  section.append(title, charts, pictures, config);
  api(`/runs/${encodeURIComponent(run.id)}`).then(info => { pre.textContent = JSON.stringify(info.config, null, 1); })
    .catch(showError);
  return section;
}

async function refreshRun(section) {
  const id = encodeURIComponent(section.dataset.run);
  const lines = await api(`/runs/${id}/metrics`);
  const charts = section.querySelector(".charts");
  for (const term of termsOf(lines)) {
    let canvas = charts.querySelector(`canvas[data-term="${term}"]`);
    if (!canvas) {
      canvas = Object.assign(document.createElement("canvas"), { width: 220, height: 130 });
      canvas.dataset.term = term;
      charts.append(canvas);
    }
    drawTerm(canvas, lines, term);
  }
  section.dataset.epochs = String(lines.length);
  // Pictures are fetched again only when training rewrote them.
  const box = section.querySelector(".pictures");
  for (const p of await api(`/runs/${id}/pictures`)) {
    const key = section.dataset.run + "/" + p.name;
    if (dashboard.pictures.get(key) === p.modified_ms) continue;
    dashboard.pictures.set(key, p.modified_ms);
    const res = await fetch(`/api/runs/${id}/pictures/${encodeURIComponent(p.name)}`,
                            { headers: token ? { Authorization: "Bearer " + token } : {} });
    if (!res.ok) continue;
    let figure = box.querySelector(`figure[data-name="${p.name}"]`);
    if (!figure) {
      figure = document.createElement("figure");
      figure.dataset.name = p.name;
      figure.append(document.createElement("img"), Object.assign(document.createElement("figcaption"), { textContent: p.name }));
      box.append(figure);
    }
    const img = figure.querySelector("img");
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(await res.blob());
  }
}

function drawTables(tables) {
  $("tables").replaceChildren(...tables.map(t => {
    const table = document.createElement("table"), head = table.insertRow();
    for (const h of t.header) head.append(Object.assign(document.createElement("th"), { textContent: h }));
    for (const row of t.rows) {
      const tr = table.insertRow();
      for (const cell of row) tr.insertCell().textContent = cell;
    }
    const caption = table.createCaption();
    caption.textContent = `compare.csv of ${t.id}`;
    return table;
  }));
}

async function refreshDashboard() {
  try {
    for (const section of $("cards").children) await refreshRun(section);
  } catch (e) { showError(e); }
}

async function openDashboard(runs) {
  dashboard.runs = runs;
  $("cards").replaceChildren(...runs.map(card));
  drawTables(await api("/tables"));
  await refreshDashboard();
  setInterval(refreshDashboard, 2000);
}
