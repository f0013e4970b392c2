// kefu UI kit (ES module) shared by the agent and admin consoles.
//   h(tag, props, ...children)  build elements; text is always set as text (never parsed as HTML)
//   api(path, options)          JSON over fetch with the login token; throws ApiError {status, code, detail}
//   sse(path, options)          async iterator of {event, data, id} from a Server-Sent Events response (fetch);
//                               options.lastEventId resumes a stream (Last-Event-ID)
//   createI18n(messages)        t(key, vars), lang, setLang(lang), onChange(fn); zh/en, remembered
//   bilingual(table)            { key: [zh, en], group: { key: [zh, en] } } -> { zh: {...}, en: {...} }
//   auth                        the console login token (sessionStorage)
//   toast(text, kind), formatWait(seconds, lang), formatTime(iso, lang)

const API = "/api/v1";

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "innerHTML" || key === "style" || key.startsWith("on")) throw new Error("h(): " + key + " not allowed");
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// --- login token -------------------------------------------------------------------------------------
const TOKEN_KEY = "kefu.console.token";
export const auth = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set(token) { token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY); },
  // X-Kefu-CSRF: the server takes the session cookie only with it (a page of another origin cannot add a
  // custom header without a CORS preflight the API never grants); the console itself sends the token.
  headers() { const t = this.token; return t ? { Authorization: "Bearer " + t, "X-Kefu-CSRF": "1" } : { "X-Kefu-CSRF": "1" }; },
};

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(typeof detail === "string" ? detail : code);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...auth.headers(), ...headers }, credentials: "same-origin", signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const res = await fetch(path.startsWith("/") && !path.startsWith(API) ? API + path : path, init);
  if (res.status === 204) return null;
  let data = null;
  // A body that is not JSON reads as null; an aborted read (the page was left mid-request) is rethrown,
  // or a caller would take null for the answer.
  try { data = await res.json(); } catch (err) { if (err && err.name === "AbortError") throw err; data = null; }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.error_code) || "http_" + res.status, (data && data.detail) || res.statusText);
  }
  return data;
}

// Server-Sent Events over fetch (EventSource cannot send the Authorization header or POST a body).
export async function* sse(path, { method = "GET", body, headers = {}, signal, lastEventId } = {}) {
  const init = { method, headers: { Accept: "text/event-stream", ...auth.headers(), ...headers }, signal, credentials: "same-origin" };
  if (lastEventId) init.headers["Last-Event-ID"] = lastEventId;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const res = await fetch(path.startsWith(API) ? path : API + path, init);
  if (!res.ok || !res.body) {
    let data = null;
    // A body that is not JSON reads as null; an aborted read (the page was left mid-request) is rethrown,
  // or a caller would take null for the answer.
  try { data = await res.json(); } catch (err) { if (err && err.name === "AbortError") throw err; data = null; }
    throw new ApiError(res.status, (data && data.error_code) || "http_" + res.status, (data && data.detail) || "");
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const parsed = parseBlock(block);
        if (parsed) yield parsed;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function parseBlock(block) {
  let event = "message";
  let id = null;
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue; // comment / ping
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null;
  let parsed;
  try { parsed = JSON.parse(data.join("\n")); } catch { parsed = data.join("\n"); }
  return { event, data: parsed, id };
}

// --- i18n --------------------------------------------------------------------------------------------
const LANG_KEY = "kefu.lang";

// One table of labels, each key written once with its Chinese and English text (nested groups allowed),
// split into the { zh, en } messages that createI18n and the admin pages take.
export function bilingual(table) {
  const out = { zh: {}, en: {} };
  for (const [key, value] of Object.entries(table)) {
    const split = Array.isArray(value) ? { zh: value[0], en: value[1] } : bilingual(value);
    out.zh[key] = split.zh;
    out.en[key] = split.en;
  }
  return out;
}

export function createI18n(messages, fallback) {
  const listeners = [];
  const stored = localStorage.getItem(LANG_KEY);
  const page = (document.documentElement.lang || "").toLowerCase();
  let lang = stored || (page.startsWith("en") ? "en" : page.startsWith("zh") ? "zh" : fallback || "zh");
  if (!messages[lang]) lang = "zh";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  return {
    get lang() { return lang; },
    t(key, vars) {
      let s = (messages[lang] && messages[lang][key]) ?? (messages.en && messages.en[key]) ?? key;
      for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
      return s;
    },
    setLang(next) {
      if (!messages[next] || next === lang) return;
      lang = next;
      localStorage.setItem(LANG_KEY, lang);
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
      listeners.forEach((fn) => fn(lang));
    },
    onChange(fn) { listeners.push(fn); },
  };
}

// --- small helpers -----------------------------------------------------------------------------------
export function toast(text, kind = "info", ms = 3500) {
  let box = document.querySelector(".k-toasts");
  if (!box) {
    box = h("div", { class: "k-toasts", role: "status", "aria-live": "polite" });
    document.body.appendChild(box);
  }
  const item = h("div", { class: "k-toast " + kind, text });
  box.appendChild(item);
  setTimeout(() => item.remove(), ms);
}

export function formatWait(seconds, lang) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const hrs = Math.floor(m / 60);
  if (lang === "zh") {
    if (hrs) return hrs + "小时" + (m % 60) + "分";
    if (m) return m + "分" + (s % 60) + "秒";
    return s + "秒";
  }
  if (hrs) return hrs + "h " + (m % 60) + "m";
  if (m) return m + "m " + (s % 60) + "s";
  return s + "s";
}

export function formatTime(iso, lang) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
