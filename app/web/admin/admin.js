// Admin console shell: admin login, the navigation, and hash routing (#/<page>?a=b) between page modules.
//
// A page is an ES module in /static/admin/pages/<id>.js (the server lists that folder into data-pages, so
// adding a page never means editing the shell) whose default export is:
//   { id: "documents",                       // the hash route, equal to the file name
//     group: "kb" | "dialog" | "insight" | "access",   // nav section (GROUPS below)
//     order: 20,                             // position in its section
//     title: { zh: "文档", en: "Documents" },
//     messages: { zh: {...}, en: {...} },    // optional: the page's labels for ctx.t (bilingual() from the kit
//                                            //   builds them from one table of [zh, en] pairs)
//     mount(root, ctx) }                     // render into root; may be async; may return a cleanup fn
// ctx: t(key, vars), lang, me ({tenant_id, role, email}), params (the hash query), signal (aborted when the
// page is left), navigate(id, params), fail(err) (toast + logout on 401), confirm({title, body, ok,
// danger}) -> Promise<boolean>, form({title, body, ok, validate, onOk}) (the shared modal dialog),
// and the kit: api, sse, h, clear, toast, formatTime.
// Text from the API (documents, chunks, answers) is only ever set as text (h({text}) / textContent).
import { api, auth, clear, createI18n, formatTime, h, sse, toast, ApiError, bilingual } from "/static/kit/kit.js";
import { bindSignIn, showApp, showSignIn, ssoLanding } from "/static/kit/staff.js";
import { openDialog } from "/static/console/dialog.js";

const SHELL = bilingual({
  brand: ["海港银行", "Harbor Bank"], product: ["管理后台", "Admin console"], login: ["登录", "Log in"], loginTitle: ["管理员登录", "Admin login"],
  loginHint: ["使用管理员账号登录。", "Use an admin account."], email: ["邮箱", "Email"], password: ["密码", "Password"], logout: ["退出", "Log out"],
  loginFailed: ["邮箱或密码错误", "Wrong email or password"], lang: ["English", "中文"],
  notAdmin: ["该账号不是管理员，无法进入管理后台。", "This account is not an admin: the admin console is closed to it."], error: ["操作失败：{e}", "Failed: {e}"],
  forbidden: ["没有权限", "Not permitted"], conflict: ["与当前状态冲突，请刷新后重试", "Conflicts with the current state: reload and try again"],
  notFound: ["对象不存在或已被删除", "Not found (deleted?)"], noPages: ["暂无可用页面", "No pages"], loadFailed: ["页面加载失败", "The page failed to load"],
  confirm: ["确认", "Confirm"], cancel: ["取消", "Cancel"], save: ["保存", "Save"], delete: ["删除", "Delete"],
  groups: {
    kb: ["知识库", "Knowledge base"], dialog: ["对话", "Dialog"], insight: ["运营分析", "Insights"], access: ["账号与权限", "Access"],
    other: ["其他", "Other"],
  },
  ssoOr: ["或通过本机构的统一身份认证登录：", "Or sign in through your organisation's identity provider:"], ssoOrg: ["机构代码", "Organisation"],
  ssoButton: ["统一身份认证（SSO）", "Sign in with SSO"],
  ssoOnly: ["本机构仅支持单点登录，请使用下方的单点登录。", "Your organisation signs in with SSO only: use single sign-on below."],
  ssoFailed: ["单点登录失败（{r}）", "Single sign-on failed ({r})"],
  ssoNoRole: ["您的账号未被授权使用本系统，请联系管理员。", "Your account is not allowed to use this console: ask an admin."],
  ssoNotConfigured: ["该机构未开通单点登录。", "This organisation has no single sign-on."],
});
const GROUPS = ["kb", "dialog", "insight", "access", "other"];

const i18n = createI18n(SHELL);
const $ = (id) => document.getElementById(id);
const t = (k, v) => i18n.t(k, v);

let me = null;
let pages = [];
let current = null; // { page, controller, cleanup }

function applyLabels() {
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang-toggle").textContent = t("lang");
  $("lang-toggle").setAttribute("lang", i18n.lang === "zh" ? "en" : "zh-CN");
  document.title = t("product") + " · " + t("brand");
}
$("lang-toggle").addEventListener("click", () => i18n.setLang(i18n.lang === "zh" ? "en" : "zh"));
i18n.onChange(() => { applyLabels(); renderNav(); if (me) route(); });

export function fail(err) {
  if (err instanceof ApiError && err.status === 401) { logout(); return; }
  if (err && err.name === "AbortError") return;
  const known = { forbidden: "forbidden", conflict: "conflict", not_found: "notFound" };
  const code = err instanceof ApiError ? err.code : "";
  const detail = err instanceof ApiError && typeof err.detail === "string" ? err.detail : (err && err.message) || code;
  toast(known[code] && !detail ? t(known[code]) : t("error", { e: detail }), "error", 6000);
}

// --- login -------------------------------------------------------------------------------------------
bindSignIn({ t, start, signedOut: () => logout() });

function logout(message) {
  auth.set(null);
  unmount();
  me = null;
  showSignIn(message);
}

async function start() {
  try {
    me = await api("/auth/me");
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) fail(err);
    logout();
    return;
  }
  if (me.role !== "admin") { logout(t("notAdmin")); return; }
  showApp(me.email || me.actor_id, me.email);
  await loadPages();
  renderNav();
  route();
}

// --- pages and navigation ----------------------------------------------------------------------------
async function loadPages() {
  if (pages.length) return;
  const names = ($("app-view").dataset.pages || "").split(/\s+/).filter((n) => /^[a-z0-9_-]+$/.test(n));
  const loaded = await Promise.allSettled(names.map((n) => import("/static/admin/pages/" + n + ".js")));
  loaded.forEach((r, i) => {
    if (r.status === "fulfilled" && r.value.default && r.value.default.mount) pages.push({ ...r.value.default, id: names[i] });
    else console.error("admin page " + names[i] + " failed to load", r.reason);
  });
  pages.sort((a, b) => GROUPS.indexOf(groupOf(a)) - GROUPS.indexOf(groupOf(b)) || (a.order ?? 100) - (b.order ?? 100));
}
const groupOf = (p) => (GROUPS.includes(p.group) ? p.group : "other");
const titleOf = (p) => (p.title && (p.title[i18n.lang] || p.title.en)) || p.id;

function renderNav() {
  const nav = clear($("admin-nav"));
  if (!me) return;
  const active = parseHash().id;
  for (const g of GROUPS) {
    const inGroup = pages.filter((p) => groupOf(p) === g);
    if (!inGroup.length) continue;
    nav.appendChild(h("div", { class: "nav-group" },
      h("div", { class: "nav-group-title", id: "nav-" + g, text: t("groups")[g] }),
      h("ul", { "aria-labelledby": "nav-" + g }, inGroup.map((p) => h("li", {},
        h("a", { href: "#/" + p.id, class: "nav-link", "aria-current": p.id === active ? "page" : null, dataset: { page: p.id }, text: titleOf(p) }))))));
  }
  if (!pages.length) nav.appendChild(h("p", { class: "k-empty", text: t("noPages") }));
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [id, query] = raw.split("?");
  return { id: id || "", params: Object.fromEntries(new URLSearchParams(query || "")) };
}

export function navigate(id, params) {
  const q = params && Object.keys(params).length ? "?" + new URLSearchParams(params).toString() : "";
  const next = "#/" + id + q;
  if (location.hash === next) route(); else location.hash = next;
}

window.addEventListener("hashchange", () => { if (me) route(); });

function unmount() {
  if (!current) return;
  current.controller.abort();
  if (typeof current.cleanup === "function") {
    try { current.cleanup(); } catch (err) { console.error(err); }
  }
  current = null;
}

async function route() {
  const { id, params } = parseHash();
  const page = pages.find((p) => p.id === id) || pages[0];
  unmount();
  renderNav();
  const root = clear($("page-root"));
  if (!page) { $("page-title").textContent = ""; return; }
  if (page.id !== id) { history.replaceState(null, "", "#/" + page.id); renderNav(); }
  $("page-title").textContent = titleOf(page);
  document.title = titleOf(page) + " · " + t("product");
  const controller = new AbortController();
  const entry = { page, controller, cleanup: null };
  current = entry;
  const pageT = (k, v) => {
    const own = page.messages && ((page.messages[i18n.lang] || {})[k] ?? (page.messages.en || {})[k]);
    let s = own ?? i18n.t(k, v);
    if (own !== undefined) for (const [key, val] of Object.entries(v || {})) s = s.split("{" + key + "}").join(String(val));
    return s;
  };
  const ctx = {
    t: pageT, lang: i18n.lang, me, params, signal: controller.signal, navigate, fail,
    api, sse, h, clear, toast, formatTime: (iso) => formatTime(iso, i18n.lang),
    confirm: (opts) => confirmDialog(opts),
    form: (opts) => openDialog({ cancel: t("cancel"), ok: t("save"), onError: fail, ...opts }),
  };
  try {
    const cleanup = await page.mount(root, ctx);
    if (current === entry) entry.cleanup = cleanup; else if (typeof cleanup === "function") cleanup();
  } catch (err) {
    if (current !== entry) return;
    root.appendChild(h("p", { class: "k-error-text", role: "alert", text: t("loadFailed") + ": " + ((err && err.message) || err) }));
    fail(err);
  }
}

function confirmDialog({ title, body = [], ok, danger = false }) {
  return new Promise((resolve) => {
    let accepted = false;
    openDialog({ title, body, ok: ok || t("confirm"), cancel: t("cancel"), onOk: async () => { accepted = true; } });
    $("dialog-ok").classList.toggle("danger", danger);
    $("dialog-ok").classList.toggle("primary", !danger);
    $("dialog").addEventListener("close", () => {
      $("dialog-ok").classList.remove("danger");
      $("dialog-ok").classList.add("primary");
      resolve(accepted);
    }, { once: true });
  });
}

applyLabels();
const landing = ssoLanding(t);
if (auth.token || landing.signedIn) start(); else logout(landing.error);
