// Shared by the analytics and access pages: their stylesheet (insight.css, added once) and formatters.
import { h } from "/static/kit/kit.js";

export function useStyles() {
  if (document.querySelector('link[data-insight]')) return;
  document.head.appendChild(h("link", { rel: "stylesheet", href: "/static/admin/insight.css", dataset: { insight: "1" } }));
}

export function pct(rate) {
  return rate === null || rate === undefined ? "—" : (Math.round(rate * 1000) / 10).toFixed(1) + "%";
}

export function duration(seconds, lang) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60), hrs = Math.floor(m / 60);
  if (lang === "zh") return hrs ? `${hrs}小时${m % 60}分` : m ? `${m}分${s % 60}秒` : `${s}秒`;
  return hrs ? `${hrs}h ${m % 60}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

export function ms(value) {
  if (value === null || value === undefined) return "—";
  return value >= 1000 ? (value / 1000).toFixed(2) + " s" : (Math.round(value * 10) / 10) + " ms";
}

export function dateTime(iso, lang) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

// A modal-free "copy" button: copies ``text`` and confirms in the button itself.
export function copyButton(text, labels) {
  const btn = h("button", { class: "k-btn sm", type: "button", text: labels.copy, onclick: async () => {
    try { await navigator.clipboard.writeText(text); btn.textContent = labels.copied; }
    catch { btn.textContent = labels.copyFailed; }
    setTimeout(() => { btn.textContent = labels.copy; }, 2000);
  } });
  return btn;
}
