// gdm studio: one client of the JSON API (see the README). Plain JS, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { streams: [], current: null, detail: null, focus: 0, undo: [], order: [], compilation: [] };

function clock(s) {
  if (s == null || !isFinite(s)) return "–";
  s = Math.max(0, s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  const tail = `${String(sec).padStart(2, "0")}`;
  return h ? `${h}:${String(m).padStart(2, "0")}:${tail}` : `${m}:${tail}`;
}
function precise(s) { return `${clock(s)}.${String(Math.floor((s % 1) * 10))}`; }
function toast(text) { const t = $("toast"); t.textContent = text; t.classList.add("show"); clearTimeout(t.timer); t.timer = setTimeout(() => t.classList.remove("show"), 2500); }

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { toast(data.error || `${response.status}`); throw new Error(data.error || response.status); }
  return data;
}

// ---- streams ---------------------------------------------------------------------------
async function refreshStreams() {
  try { state.streams = await api("GET", "/api/streams"); } catch (e) { return; }
  const list = $("streams");
  list.innerHTML = "";
  for (const s of state.streams) {
    const li = document.createElement("li");
    li.dataset.testid = "stream"; li.setAttribute("data-testid", "stream"); li.dataset.id = s.id;
    li.dataset.status = s.status;
    if (s.id === state.current) li.classList.add("selected");
    const working = ["queued", "extracting", "scoring"].includes(s.status);
    let meta = s.status === "ready" ? `${clock(s.duration)} · ${s.accepted} accepted` : s.status;
    if (s.status === "extracting" && s.realtime) meta += ` ${Math.round(s.progress * 100)} % · ${s.realtime}x realtime · ETA ${clock(s.eta_s)}`;
    if (s.status === "error") meta = s.error;
    li.innerHTML = `<span class="name"></span><span class="meta"><span class="badge ${s.status}">${s.status}</span><span class="m"></span></span>` +
      (working ? `<div class="progress"><div style="width:${Math.round(s.progress * 100)}%"></div></div>` : "");
    li.querySelector(".name").textContent = s.name;
    li.querySelector(".m").textContent = s.status === "ready" || s.status === "error" || s.status === "extracting" ? meta.replace(/^extracting\s*/, "") : "";
    li.title = s.name;
    li.onclick = () => select(s.id);
    list.appendChild(li);
  }
  $("streams-hint").style.display = state.streams.length ? "none" : "block";
  const signature = JSON.stringify(state.streams.map((s) => [s.id, s.status, s.accepted]));
  const changed = signature !== state.signature; state.signature = signature;
  if (!state.current) { const first = state.streams.find((s) => s.status === "ready"); if (first) select(first.id); }
  else {
    const cur = state.streams.find((s) => s.id === state.current);
    if (cur && cur.status === "ready" && (!state.detail || state.detail.status !== "ready")) select(cur.id);
  }
  if (changed) refreshCompilation();
}

async function select(id) {
  const keepFocus = id === state.current;
  state.current = id;
  state.detail = await api("GET", `/api/streams/${id}`);
  const player = $("player");
  if (state.detail.status === "ready" && !player.src.endsWith(`/media/${id}`)) { player.src = `/media/${id}`; }
  if (!keepFocus) state.focus = 0;
  render();
}

async function reload() { if (state.current) { state.detail = await api("GET", `/api/streams/${state.current}`); render(); refreshCompilation(); } }

function segments() { return state.detail ? state.detail.segments : []; }

// ---- drawing ---------------------------------------------------------------------------
function render() {
  const d = state.detail;
  document.querySelectorAll("#streams li").forEach((li) => li.classList.toggle("selected", li.dataset.id === state.current));
  $("stream-title").textContent = d ? d.name : "No stream selected";
  if (d) {
    const acc = d.segments.filter((s) => s.status === "accepted").length;
    const cand = d.segments.filter((s) => s.status === "candidate").length;
    $("stream-meta").textContent = `${clock(d.duration)} · ${cand} to review · ${acc} accepted · decisions saved to ${d.labels_file}`;
  }
  const body = $("segments");
  body.innerHTML = "";
  segments().forEach((s, k) => {
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", "segment"); tr.dataset.status = s.status; tr.dataset.n = s.n;
    if (k === state.focus) tr.classList.add("focused");
    const score = s.score == null ? "added" : `<span class="scorebar"><div style="width:${Math.round(s.score * 100)}%"></div></span>${s.score.toFixed(2)}`;
    tr.innerHTML = `<td>${s.n}</td><td>${precise(s.start)}</td><td>${precise(s.end)}</td><td>${(s.end - s.start).toFixed(1)} s</td><td>${score}</td><td class="st">${s.status}</td>`;
    tr.onclick = () => { state.focus = k; render(); seek(s.start); };
    body.appendChild(tr);
  });
  const focused = body.querySelector("tr.focused");
  if (focused) focused.scrollIntoView({ block: "nearest" });
  drawTimeline();
  $("exports").innerHTML = d ? ["csv", "edl", "otio", "chapters"].map((f) => `<a href="/api/streams/${d.id}/export/${f}" download>${f.toUpperCase()}</a>`).join("") : "";
}

function drawTimeline() {
  const canvas = $("timeline"), d = state.detail;
  const w = canvas.clientWidth, h = canvas.clientHeight, ratio = window.devicePixelRatio || 1;
  canvas.width = w * ratio; canvas.height = h * ratio;
  const g = canvas.getContext("2d"); g.scale(ratio, ratio); g.clearRect(0, 0, w, h);
  if (!d || !d.duration) return;
  const x = (t) => (t / d.duration) * w, top = 8, plot = h - 30;
  const colour = { candidate: "rgba(255,179,71,0.35)", accepted: "rgba(62,207,142,0.45)", rejected: "rgba(255,107,107,0.25)" };
  d.segments.forEach((s, k) => {
    g.fillStyle = colour[s.status]; g.fillRect(x(s.start), top, Math.max(2, x(s.end) - x(s.start)), plot);
    if (k === state.focus) { g.strokeStyle = "#5aa2ff"; g.lineWidth = 2; g.strokeRect(x(s.start), top, Math.max(2, x(s.end) - x(s.start)), plot); }
  });
  g.strokeStyle = "rgba(255,255,255,0.08)"; g.lineWidth = 1;
  [0.25, 0.5, 0.75].forEach((v) => { g.beginPath(); g.moveTo(0, top + plot * (1 - v)); g.lineTo(w, top + plot * (1 - v)); g.stroke(); });
  if (d.scores.length) {
    g.strokeStyle = "#5aa2ff"; g.lineWidth = 1.5; g.beginPath();
    d.scores.forEach((v, k) => { const px = ((k + 0.5) / d.scores.length) * w, py = top + plot * (1 - v); k ? g.lineTo(px, py) : g.moveTo(px, py); });
    g.stroke();
  }
  g.fillStyle = "#9aa3b2"; g.font = "11px system-ui";
  for (let k = 0; k <= 8; k++) { const t = (d.duration * k) / 8; g.textAlign = k === 0 ? "left" : k === 8 ? "right" : "center"; g.fillText(clock(t), x(t), h - 8); }
  const p = $("player").currentTime || 0;
  g.fillStyle = "#ffffff"; g.fillRect(x(p) - 1, 2, 2, plot + 12);
}

// ---- player ----------------------------------------------------------------------------
function seek(t) { const p = $("player"); p.currentTime = t; drawTimeline(); }
let stopAt = null;
$("player").addEventListener("timeupdate", () => {
  const p = $("player");
  if (stopAt != null && p.currentTime >= stopAt) { p.pause(); stopAt = null; }
  drawTimeline();
});
$("timeline").addEventListener("click", (e) => {
  const d = state.detail; if (!d) return;
  const r = e.target.getBoundingClientRect(); seek(((e.clientX - r.left) / r.width) * d.duration);
});

// ---- decisions -------------------------------------------------------------------------
async function patch(k, changes, remember = true) {
  const s = segments()[k]; if (!s) return;
  const before = { start: s.start, end: s.end, status: s.status };
  const updated = await api("PATCH", `/api/streams/${state.current}/segments/${s.n}`, changes);
  if (remember) state.undo.push({ kind: "patch", stream: state.current, start: updated.start, end: updated.end, before });
  await reload();
  state.focus = segments().findIndex((x) => x.start === updated.start && x.end === updated.end);
  render();
}

async function undo() {
  const last = state.undo.pop(); if (!last) { toast("nothing to undo"); return; }
  if (last.stream !== state.current) await select(last.stream);
  const k = segments().findIndex((x) => Math.abs(x.start - last.start) < 1e-3 && Math.abs(x.end - last.end) < 1e-3);
  if (k < 0) return;
  if (last.kind === "add") { await api("DELETE", `/api/streams/${state.current}/segments/${segments()[k].n}`); await reload(); state.focus = Math.min(state.focus, segments().length - 1); render(); }
  else await patch(k, last.before, false);
  toast("undone");
}

async function addAtPlayhead() {
  const d = state.detail; if (!d) return;
  const t = $("player").currentTime || 0;
  const start = Math.max(0, t - 2), end = Math.min(d.duration, t + 4);
  const created = await api("POST", `/api/streams/${state.current}/segments`, { start, end });
  state.undo.push({ kind: "add", stream: state.current, start: created.start, end: created.end });
  await reload();
  state.focus = segments().findIndex((x) => x.start === created.start && x.end === created.end); render();
  toast("new highlight added (accepted)");
}

function move(delta) {
  const n = segments().length; if (!n) return;
  state.focus = Math.max(0, Math.min(n - 1, state.focus + delta)); render();
  seek(segments()[state.focus].start);
}

function playFocused() {
  const s = segments()[state.focus]; const p = $("player"); if (!s) return;
  if (!p.paused) { p.pause(); return; }
  p.currentTime = s.start; stopAt = s.end; p.play();
}

document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT" || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest && e.target.closest("#compilation-list")) return;
  const t = () => $("player").currentTime || 0;
  const actions = {
    j: () => move(1), k: () => move(-1), " ": playFocused,
    a: () => patch(state.focus, { status: "accepted" }), r: () => patch(state.focus, { status: "rejected" }),
    i: () => patch(state.focus, { start: t() }), o: () => patch(state.focus, { end: t() }),
    n: addAtPlayhead, u: undo,
  };
  const act = actions[e.key];
  if (act) { e.preventDefault(); act(); }
});

// ---- compilation -----------------------------------------------------------------------
async function refreshCompilation() {
  const ready = state.streams.filter((s) => s.status === "ready" && s.accepted > 0);
  const items = [];
  for (const s of ready) {
    const d = s.id === state.current && state.detail ? state.detail : await api("GET", `/api/streams/${s.id}`).catch(() => null);
    if (!d) continue;
    d.segments.filter((x) => x.status === "accepted").forEach((x) => items.push({ key: `${s.id}|${x.start}|${x.end}`, stream: s.id, name: s.name, n: x.n, start: x.start, end: x.end }));
  }
  const known = new Map(items.map((it) => [it.key, it]));
  const kept = state.order.filter((key) => known.has(key));
  items.forEach((it) => {  // a newly accepted segment joins its stream's run, in time order
    if (kept.includes(it.key)) return;
    const same = kept.map((key, k) => [known.get(key), k]).filter(([o]) => o.stream === it.stream);
    const before = same.filter(([o]) => o.start < it.start);
    const at = before.length ? before[before.length - 1][1] + 1 : same.length ? same[0][1] : kept.length;
    kept.splice(at, 0, it.key);
  });
  state.order = kept;
  state.compilation = kept.map((key) => known.get(key));
  drawCompilation();
}

function drawCompilation() {
  const list = $("compilation-list"); list.innerHTML = "";
  let total = 0;
  state.compilation.forEach((it, k) => {
    total += it.end - it.start;
    const li = document.createElement("li");
    li.draggable = true; li.tabIndex = 0; li.dataset.key = it.key;
    li.innerHTML = `<b>${clock(it.end - it.start)}</b> ${precise(it.start)}–${precise(it.end)}<span class="src"></span>`;
    li.querySelector(".src").textContent = it.name;
    li.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", String(k)));
    li.addEventListener("dragover", (e) => e.preventDefault());
    li.addEventListener("drop", (e) => { e.preventDefault(); reorder(Number(e.dataTransfer.getData("text/plain")), k); });
    li.addEventListener("keydown", (e) => {
      if (e.shiftKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) { e.preventDefault(); const to = k + (e.key === "ArrowUp" ? -1 : 1); reorder(k, to); const again = list.children[Math.max(0, Math.min(to, list.children.length - 1))]; if (again) again.focus(); }
    });
    li.onclick = () => { if (it.stream !== state.current) select(it.stream).then(() => seek(it.start)); else seek(it.start); };
    list.appendChild(li);
  });
  const target = parseClock($("target").value) || 600;
  $("total").textContent = clock(total);
  const bar = $("total-bar"); bar.style.width = `${Math.min(100, (100 * total) / target)}%`; bar.classList.toggle("over", total > target);
}

function reorder(from, to) {
  if (to < 0 || to >= state.order.length || from === to) return;
  const [key] = state.order.splice(from, 1); state.order.splice(to, 0, key);
  state.compilation = state.order.map((k) => state.compilation.find((it) => it.key === k));
  drawCompilation();
}
function parseClock(text) { const parts = String(text).split(":").map(Number); if (parts.some(isNaN)) return null; return parts.reduce((a, b) => a * 60 + b, 0); }
$("target").addEventListener("change", drawCompilation);

$("render").addEventListener("click", async () => {
  if (!state.compilation.length) { toast("accept some segments first"); return; }
  const button = $("render"); button.disabled = true; button.textContent = "Rendering…";
  try {
    const result = await api("POST", "/api/render", { items: state.compilation.map((it) => [it.stream, it.n]) });
    $("render-result").innerHTML = `Rendered <a target="_blank" title="saved in the project folder"></a>`;
    const link = $("render-result").querySelector("a");
    link.textContent = result.path; link.href = `/renders/${encodeURIComponent(result.path)}`;
    toast(`reel written: ${result.path}`);
  } catch (e) { /* toast shown */ } finally {
    button.disabled = false; button.textContent = "Render reel"; $("job").textContent = state.lastJob || "";
  }
});

$("retrain").addEventListener("click", async () => {
  const button = $("retrain"); button.disabled = true; button.textContent = "Training…";
  try {
    const r = await api("POST", "/api/retrain", {});
    const before = r.validation.before && r.validation.before.ap != null ? r.validation.before.ap.toFixed(3) : "–";
    const after = r.validation.after.ap != null ? r.validation.after.ap.toFixed(3) : "–";
    toast(`head retrained in ${r.seconds.toFixed(1)} s: validation AP ${before} → ${after}; ${r.rescored.length} streams rescored`);
    state.lastJob = `last retrain: validation AP ${before} → ${after} (${r.seconds.toFixed(1)} s)`;
    $("job").textContent = state.lastJob;
    await reload();
  } catch (e) { /* toast shown */ } finally { button.disabled = false; button.textContent = "Retrain"; }
});

$("add-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const value = $("add-input").value.trim(); if (!value) return;
  const body = /^[a-z]+:\/\//i.test(value) ? { url: value } : { path: value };
  $("add-input").value = ""; toast("adding…");
  try { const r = await api("POST", "/api/streams", body); toast(`added ${r.added.join(", ")}`); refreshStreams(); } catch (err) { /* toast shown */ }
});

async function refreshJob() {
  try {
    const j = await api("GET", "/api/jobs");
    if (j.kind === "render") $("job").textContent = `rendering ${Math.round(j.progress * 100)} % · ${j.detail}`;
    else if (j.kind === "retrain") $("job").textContent = `retraining… ${j.detail}`;
    else $("job").textContent = state.lastJob || "";
  } catch (e) { /* ignore */ }
}

window.addEventListener("resize", drawTimeline);
refreshStreams();
setInterval(refreshStreams, 1000);
setInterval(refreshJob, 1000);
