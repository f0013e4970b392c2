// Agent console: login, the live queue, and wiring of the conversation workspace and the assist panels.
import { api, auth, clear, createI18n, debounce, formatWait, h, sse, toast, ApiError } from "/static/kit/kit.js";
import { bindSignIn, showApp, showSignIn, ssoLanding } from "/static/kit/staff.js";
import { MESSAGES } from "/static/console/messages.js";
import { Conversation } from "/static/console/conversation.js";
import { Assist } from "/static/console/assist.js";

const i18n = createI18n(MESSAGES);
const $ = (id) => document.getElementById(id);

export const app = {
  i18n,
  t: (k, v) => i18n.t(k, v),
  reason: (r) => (MESSAGES[i18n.lang].reasons || {})[r || "none"] || r || "—",
  me: null,
  queue: { waiting: [], assigned: [], bot: [] },
  tab: "waiting",
  selected: null,
  fail(err) {
    const code = err instanceof ApiError ? err.code : "";
    const known = { conflict: "conflict", conversation_closed: "closedConv", forbidden: "forbidden" };
    if (err instanceof ApiError && err.status === 401) { logout(); return; }
    toast(known[code] ? app.t(known[code]) : app.t("error", { e: (err && err.message) || code }), "error");
  },
};

const conversation = new Conversation(app);
const assist = new Assist(app, conversation);
conversation.onChange = () => { assist.refresh(); refreshQueue(); };

// --- static labels and language ----------------------------------------------------------------------
function applyLabels() {
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = app.t(el.dataset.t); });
  $("lang-toggle").textContent = app.t("lang");
  $("lang-toggle").setAttribute("lang", i18n.lang === "zh" ? "en" : "zh-CN");
  $("composer-text").placeholder = app.t("composerPlaceholder");
  document.title = app.t("product") + " · " + app.t("brand");
}
$("lang-toggle").addEventListener("click", () => i18n.setLang(i18n.lang === "zh" ? "en" : "zh"));
i18n.onChange(() => { applyLabels(); renderQueue(); conversation.render(); assist.render(); });

// --- login -------------------------------------------------------------------------------------------
bindSignIn({ t: app.t, start, signedOut: () => logout() });

function logout() {
  auth.set(null);
  stopLive();
  conversation.close();
  app.me = null;
  $("live-state").hidden = true;
  showSignIn();
}

async function start() {
  try {
    app.me = await api("/agent/me");
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) app.fail(err);
    logout();
    return;
  }
  showApp(app.me.email || app.me.user_id, app.me.email);
  await refreshQueue();
  startLive();
  assist.render();
}

// --- queue -------------------------------------------------------------------------------------------
const tabs = ["waiting", "assigned", "bot"];
tabs.forEach((name) => {
  const tab = $("tab-" + name);
  tab.addEventListener("click", () => selectTab(name));
  tab.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(name);
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      e.preventDefault();
      const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      selectTab(next);
      $("tab-" + next).focus();
    }
  });
});

function selectTab(name) {
  app.tab = name;
  tabs.forEach((n) => {
    const tab = $("tab-" + n);
    tab.setAttribute("aria-selected", String(n === name));
    tab.tabIndex = n === name ? 0 : -1;
  });
  $("queue-list").setAttribute("aria-labelledby", "tab-" + name);
  renderQueue();
}

async function refreshQueue() {
  if (!app.me) return;
  try {
    app.queue = await api("/agent/queue");
    app.queueAt = Date.now();
    renderQueue();
  } catch (err) {
    app.fail(err);
  }
}
const refreshSoon = debounce(refreshQueue, 250);

function renderQueue() {
  tabs.forEach((n) => { $("count-" + n).textContent = String((app.queue[n] || []).length); });
  const list = clear($("queue-list"));
  const items = app.queue[app.tab] || [];
  if (!items.length) {
    list.appendChild(h("li", { class: "k-empty", text: app.t({ waiting: "emptyWaiting", assigned: "emptyAssigned", bot: "emptyBot" }[app.tab]) }));
    return;
  }
  for (const item of items) list.appendChild(h("li", {}, queueItem(item)));
}

function queueItem(item) {
  const waitedS = item.waiting_s + (Date.now() - (app.queueAt || Date.now())) / 1000;
  const status = item.status === "bot" ? "bot" : item.status;
  const wait = item.status === "waiting"
    ? h("span", { class: "qi-wait" + (waitedS > 300 ? " long" : ""), dataset: { since: item.since }, text: app.t("waited", { t: formatWait(waitedS, i18n.lang) }) })
    : null;
  const label = item.status === "bot" ? app.t("statusBot") : app.reason(item.reason);
  const summary = item.open_question || item.last_question || item.summary;
  const mine = app.me && item.agent_id === app.me.user_id;
  return h("button", {
    class: "queue-item", type: "button", "aria-current": String(app.selected === item.conversation_id),
    dataset: { conversation: item.conversation_id },
    onclick: () => open(item.conversation_id),
  },
  h("span", { class: "qi-top" },
    h("span", { class: "k-badge " + status, text: label }),
    h("span", { class: "qi-id", text: "#" + item.conversation_id.slice(0, 8) }),
    wait),
  summary ? h("span", { class: "qi-summary", text: summary }) : null,
  h("span", { class: "qi-foot", text: [
    item.lang ? item.lang.toUpperCase() : "",
    item.intent && item.intent !== "out_of_scope" ? item.intent : "",
    item.agent_name || item.agent_id ? app.t("takenBy", { name: mine ? app.t("you") : item.agent_name || "—" }) : "",
  ].filter(Boolean).join(" · ") }));
}

function open(conversationId) {
  app.selected = conversationId;
  renderQueue();
  conversation.open(conversationId);
  assist.open(conversationId);
}

// Waiting times tick between refreshes.
setInterval(() => {
  document.querySelectorAll(".qi-wait").forEach((el) => {
    const item = (app.queue.waiting || []).find((i) => i.since === el.dataset.since);
    if (!item) return;
    const s = item.waiting_s + (Date.now() - app.queueAt) / 1000;
    el.textContent = app.t("waited", { t: formatWait(s, i18n.lang) });
    el.classList.toggle("long", s > 300);
  });
}, 1000);
// Bot conversations come and go without queue events: refresh now and then.
setInterval(() => { if (app.me) refreshQueue(); }, 20000);

// --- live queue events -------------------------------------------------------------------------------
let live = null;
function startLive() {
  stopLive();
  const controller = new AbortController();
  live = controller;
  let delay = 1000;
  const loop = async () => {
    while (live === controller) {
      try {
        for await (const ev of sse("/agent/events", { signal: controller.signal })) {
          delay = 1000;
          setLive(true);
          refreshSoon(); // ready (catch up after a gap), handoff, queue
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) { logout(); return; }
      }
      setLive(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  loop();
}
function stopLive() { if (live) live.abort(); live = null; }
function setLive(on) {
  const el = $("live-state");
  el.hidden = false;
  el.classList.toggle("off", !on);
  el.textContent = app.t(on ? "live" : "offline");
}

applyLabels();
const landing = ssoLanding(app.t);
if (auth.token || landing.signedIn) start(); else { logout(); if (landing.error) showSignIn(landing.error); }
