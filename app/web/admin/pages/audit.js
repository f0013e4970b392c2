// Audit log: who did what to which object (entity types and counts, never PII values), newest first,
// filtered by action and day range, paged with "load more" (GET /admin/audit; before_id cursor).
import { dateTime, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

const PAGE = 50;

export default {
  group: "access",
  order: 40,
  title: { zh: "审计日志", en: "Audit log" },
  messages: bilingual({
    action: ["操作", "Action"], all: ["全部", "All"], since: ["起始日期", "From"], until: ["截止日期", "To"], target: ["对象", "Object"],
    apply: ["筛选", "Filter"], time: ["时间", "Time"], actor: ["操作者", "Actor"], details: ["详情", "Details"], more: ["加载更多", "Load more"],
    empty: ["没有符合条件的记录。", "No matching entries."], end: ["已到最早记录。", "That is the oldest entry."], system: ["系统", "System"],
    widget: ["客户挂件", "Widget"], api_key: ["API 密钥", "API key"], user: ["用户", "User"],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const p = ctx.params;
    const action = h("select", { class: "k-select", id: "au-action" }, h("option", { value: "", text: t("all") }));
    const since = h("input", { class: "k-input", type: "date", id: "au-since", value: p.since || "" });
    const until = h("input", { class: "k-input", type: "date", id: "au-until", value: p.until || "" });
    const tbody = h("tbody", {});
    const table = h("table", { class: "k-table", id: "audit-table" },
      h("thead", {}, h("tr", {}, [t("time"), t("actor"), t("action"), t("target"), t("details")].map((c) => h("th", { scope: "col", text: c })))), tbody);
    const status = h("p", { class: "k-muted k-small", role: "status" });
    const more = h("button", { class: "k-btn", type: "button", id: "audit-more", hidden: true, onclick: () => load(cursor), text: t("more") });
    root.append(
      h("form", { class: "k-card k-card-body filters", id: "audit-filters", onsubmit: (e) => {
        e.preventDefault();
        ctx.navigate("audit", Object.fromEntries(Object.entries({ action: action.value, since: since.value, until: until.value }).filter(([, v]) => v)));
      } },
        h("div", { class: "k-field" }, h("label", { for: "au-action", text: t("action") }), action),
        h("div", { class: "k-field" }, h("label", { for: "au-since", text: t("since") }), since),
        h("div", { class: "k-field" }, h("label", { for: "au-until", text: t("until") }), until),
        h("button", { class: "k-btn primary", type: "submit", text: t("apply") })),
      h("div", { class: "k-card table-wrap" }, table), h("div", { class: "k-btn-row" }, more, status));

    // Local days -> the instants that bound them (the API takes ISO-8601 with a zone).
    const dayStart = (d, plus = 0) => { const [y, m, dd] = d.split("-").map(Number); return new Date(y, m - 1, dd + plus).toISOString(); };
    let cursor = null;
    let filled = false;

    async function load(before) {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (p.action) q.set("action", p.action);
      if (p.since) q.set("since", dayStart(p.since));
      if (p.until) q.set("until", dayStart(p.until, 1));
      if (before) q.set("before_id", String(before));
      let page;
      try { page = await api("/admin/audit?" + q.toString(), { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      if (!filled) {
        for (const a of page.actions) action.appendChild(h("option", { value: a, text: a }));
        if (p.action && !page.actions.includes(p.action)) action.appendChild(h("option", { value: p.action, text: p.action }));
        action.value = p.action || "";
        filled = true;
      }
      for (const e of page.items) tbody.appendChild(row(e));
      cursor = page.next_before_id;
      more.hidden = !cursor;
      status.textContent = !tbody.children.length ? t("empty") : cursor ? "" : t("end");
    }

    function row(e) {
      const who = e.actor_email || (e.actor_type === "user" ? e.actor_id : t(e.actor_type) + (e.actor_id ? " " + String(e.actor_id).slice(0, 8) : ""));
      const data = e.data && Object.keys(e.data).length ? JSON.stringify(e.data) : "";
      return h("tr", { dataset: { action: e.action } },
        h("td", { class: "k-small", text: dateTime(e.created_at, ctx.lang) }),
        h("td", { class: "k-small", text: who || "—" }),
        h("td", { class: "mono", text: e.action }),
        h("td", { class: "k-small" }, e.target_type ? h("span", { text: e.target_type + " " }) : null, e.target_id ? h("span", { class: "mono", text: String(e.target_id).slice(0, 12) }) : null),
        h("td", {}, data ? h("div", { class: "audit-data", text: data }) : null));
    }

    await load(null);
  },
};
