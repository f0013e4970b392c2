// Small SVG charts for the analytics page, drawn by hand (no library, no CDN). Every chart is an <svg
// role="img"> with an aria-label summary and a <title> per mark (the hover tooltip); colours come from
// classes styled in insight.css (series classes: s0..s5 or named ones), so nothing needs inline style.
// Labels are set as text nodes only.

const NS = "http://www.w3.org/2000/svg";
const W = 640;

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function frame(height, label) {
  return svg("svg", { viewBox: `0 0 ${W} ${height}`, width: "100%", role: "img", "aria-label": label, class: "chart", preserveAspectRatio: "xMidYMid meet" });
}

// A "nice" upper bound for an axis (1, 2, 2.5, 5 x 10^n) and its ticks.
export function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / ticks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  return { top: step * Math.ceil(max / step), step };
}

// Vertical stacked bars over categories (days). data: [{label, values: [n per series]}];
// series: [{label, cls}]. Shows every k-th x label so they never overlap.
export function stackedBars({ data, series, label, height = 240, format = String }) {
  const el = frame(height, label);
  const left = 40, right = 8, top = 10, bottom = 28;
  const plotW = W - left - right, plotH = height - top - bottom;
  const totals = data.map((d) => d.values.reduce((a, b) => a + b, 0));
  const { top: maxY, step } = niceScale(Math.max(0, ...totals));
  const y = (v) => top + plotH - (v / maxY) * plotH;
  for (let v = 0; v <= maxY + 1e-9; v += step) {
    el.appendChild(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }));
    el.appendChild(svg("text", { x: left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" }, format(Math.round(v * 100) / 100)));
  }
  const slot = plotW / Math.max(1, data.length);
  const barW = Math.max(2, Math.min(36, slot * 0.7));
  const every = Math.max(1, Math.ceil(data.length / 10));
  data.forEach((d, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let acc = 0;
    d.values.forEach((v, s) => {
      if (!v) return;
      const y0 = y(acc), y1 = y(acc + v);
      acc += v;
      el.appendChild(svg("rect", { x, y: y1, width: barW, height: Math.max(0.5, y0 - y1), class: "bar " + series[s].cls },
        svg("title", {}, `${d.label} · ${series[s].label}: ${format(v)}`)));
    });
    if (i % every === 0) el.appendChild(svg("text", { x: x + barW / 2, y: height - 10, class: "axis", "text-anchor": "middle" }, d.label));
  });
  return el;
}

// Horizontal bars, one row per item: rows [{label, value, cls?, text?}]; ``text`` is shown after the bar.
export function hBars({ rows, label, format = String, cls = "s0", max }) {
  const rowH = 26, labelW = 170;
  const right = Math.min(260, 24 + 7 * Math.max(4, ...rows.map((r) => String(r.text ?? format(r.value)).length)));
  const height = Math.max(rowH, rows.length * rowH) + 6;
  const el = frame(height, label);
  const top = max ?? Math.max(0, ...rows.map((r) => r.value));
  const plotW = W - labelW - right;
  rows.forEach((r, i) => {
    const yy = 4 + i * rowH;
    const w = top > 0 ? (r.value / top) * plotW : 0;
    el.appendChild(svg("text", { x: labelW - 8, y: yy + 16, class: "label", "text-anchor": "end" }, clip(r.label, 24)));
    el.appendChild(svg("rect", { x: labelW, y: yy + 3, width: Math.max(r.value > 0 ? 2 : 0, w), height: rowH - 8, rx: 3, class: "bar " + (r.cls || cls) },
      svg("title", {}, `${r.label}: ${r.text ?? format(r.value)}`)));
    el.appendChild(svg("text", { x: labelW + w + 6, y: yy + 16, class: "value" }, r.text ?? format(r.value)));
  });
  return el;
}

// Paired horizontal bars per row (e.g. p50 and p95 of each stage): rows [{label, values: [a, b]}].
export function pairedBars({ rows, series, label, format = String }) {
  const pairH = 34, labelW = 130, right = 80;
  const height = Math.max(pairH, rows.length * pairH) + 6;
  const el = frame(height, label);
  const top = Math.max(0, ...rows.flatMap((r) => r.values));
  const plotW = W - labelW - right;
  rows.forEach((r, i) => {
    const yy = 4 + i * pairH;
    el.appendChild(svg("text", { x: labelW - 8, y: yy + 19, class: "label", "text-anchor": "end" }, clip(r.label, 18)));
    r.values.forEach((v, s) => {
      const w = top > 0 ? (v / top) * plotW : 0;
      const by = yy + 3 + s * 13;
      el.appendChild(svg("rect", { x: labelW, y: by, width: Math.max(v > 0 ? 2 : 0, w), height: 11, rx: 2, class: "bar " + series[s].cls },
        svg("title", {}, `${r.label} · ${series[s].label}: ${format(v)}`)));
      el.appendChild(svg("text", { x: labelW + w + 6, y: by + 10, class: "value small" }, format(v)));
    });
  });
  return el;
}

// One bar split into parts that add up to a whole: parts [{label, value, cls}].
export function splitBar({ parts, label, format = String }) {
  const height = 34;
  const el = frame(height, label);
  const total = parts.reduce((a, p) => a + p.value, 0);
  let x = 0;
  for (const p of parts) {
    if (!p.value || !total) continue;
    const w = (p.value / total) * W;
    el.appendChild(svg("rect", { x, y: 4, width: w, height: 26, class: "bar " + p.cls }, svg("title", {}, `${p.label}: ${format(p.value)}`)));
    if (w > 40) el.appendChild(svg("text", { x: x + w / 2, y: 22, class: "inbar", "text-anchor": "middle" }, format(p.value)));
    x += w;
  }
  if (!total) el.appendChild(svg("rect", { x: 0, y: 4, width: W, height: 26, class: "bar empty" }));
  return el;
}

function clip(text, n) {
  const s = String(text);
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}
