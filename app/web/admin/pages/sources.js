// Knowledge sources: a help-centre website or a server folder kept in sync with the knowledge base. Add a
// website source, sync now, follow the run live (SSE /admin/sources/syncs/{id}/events, polling if the
// stream breaks) and read each run's report: added, changed, removed, unchanged, failed (with the reason
// per URL or file), the time taken and the golden-question gate's result.
import { dateTime, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

const DONE = ["succeeded", "failed"];

export default {
  group: "kb",
  order: 15,
  title: { zh: "数据源同步", en: "Sources" },
  messages: bilingual({
    add: ["添加网站", "Add website"], name: ["名称", "Name"], kind: ["类型", "Kind"], where: ["地址", "Where"], schedule: ["计划", "Schedule"],
    items: ["页面/文件", "Pages/files"], last: ["上次同步", "Last sync"], actions: ["操作", "Actions"], sync: ["立即同步", "Sync now"],
    syncing: ["同步中…", "Syncing…"], history: ["同步记录", "Sync history"],
    empty: ["还没有数据源。添加帮助中心网站，或用 kefu source add folder 添加服务器目录。", "No sources yet. Add your help-centre website, or a server folder with kefu source add folder."],
    url: ["起始网址", "Start URL"], sitemap: ["站点地图 sitemap.xml", "Sitemap (sitemap.xml)"],
    include: ["包含（每行一个，如 /help/*）", "Include (one per line, e.g. /help/*)"], exclude: ["排除（每行一个）", "Exclude (one per line)"],
    maxPages: ["页面上限", "Page cap"], delay: ["请求间隔（秒）", "Seconds between requests"],
    every: ["每隔（分钟，0 = 仅手动）", "Every (minutes, 0 = only by hand)"],
    autoPublish: ["通过黄金问题检查后自动发布", "Publish by itself when the golden questions pass"],
    needUrl: ["请填写起始网址或站点地图。", "Enter a start URL or a sitemap."], manual: ["手动", "by hand"], everyN: ["每 {n} 分钟", "every {n} min"],
    added: ["新增", "Added"], changed: ["变更", "Changed"], removed: ["删除", "Removed"], unchanged: ["未变", "Unchanged"],
    failed: ["失败", "Failed"], took: ["耗时 {s} 秒", "took {s} s"], gatePassed: ["黄金问题检查通过", "Golden questions passed"],
    gateRefused: ["黄金问题检查未通过", "Golden questions refused it"], version: ["版本 {v}", "version {v}"], active: ["已生效", "active"],
    draft: ["草稿待发布", "draft waiting to be published"], stage: ["阶段：{s}", "Stage: {s}"], key: ["网址 / 文件", "URL / file"],
    outcome: ["结果", "Outcome"], reason: ["原因", "Reason"], started: ["开始于", "Started"], never: ["从未同步", "never synced"],
    privateNote: ["私有或本机地址只能由运维在命令行添加（--allow-private）。", "Private and loopback addresses are allowed by the operator only (kefu source add web --allow-private)."],
    report: ["报告", "Report"], capped: ["已达页面上限", "page cap reached"], disable: ["停用", "Disable"], enable: ["启用", "Enable"],
    remove: ["移除", "Remove"], removeTitle: ["移除数据源", "Remove source"],
    removeBody: ["移除「{n}」及其同步记录；已入库的文档默认保留。", "Removes “{n}” and its sync history; by default its documents stay in the knowledge base."],
    removeDocs: ["同时从知识库删除它的文档（生成不含这些文档的草稿）", "Also delete its documents from the knowledge base (a draft without them is built)"],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const list = h("div", { class: "k-card table-wrap", id: "sources-list" });
    const live = h("div", { class: "k-card", id: "sync-live", hidden: true });
    const history = h("div", { class: "k-card", id: "sync-history", hidden: true });
    root.append(h("div", { class: "toolbar" }, h("button", { class: "k-btn primary", type: "button", id: "source-add", onclick: () => add(), text: t("add") })),
      list, live, history);

    const counts = (c) => ["added", "changed", "removed", "unchanged", "failed"].map((k) => t(k) + " " + ((c || {})[k] || 0)).join(" · ");

    async function load() {
      let rows;
      try { rows = await api("/admin/sources", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(list);
      if (!rows.length) { list.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      list.appendChild(h("table", { class: "k-table", id: "sources-table" },
        h("thead", {}, h("tr", {}, [t("name"), t("kind"), t("where"), t("schedule"), t("items"), t("last"), t("actions")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, rows.map((s) => h("tr", { class: s.enabled ? null : "row-inactive", dataset: { source: s.id, name: s.name } },
          h("td", { text: s.name }),
          h("td", { text: s.kind }),
          h("td", { class: "mono k-small", text: s.config.path || s.config.url || s.config.sitemap || "" }),
          h("td", { class: "k-small", text: s.schedule_minutes ? t("everyN", { n: s.schedule_minutes }) : t("manual") }),
          h("td", { class: "num", text: String(s.items) }),
          h("td", { class: "k-small" }, s.last_sync ? [
            h("span", { class: "k-badge " + (s.last_sync.status === "succeeded" ? "ok" : s.last_sync.status === "failed" ? "failed" : "queued"), text: s.last_sync.status }),
            h("div", { text: counts(s.last_sync.counts) })] : t("never")),
          h("td", {}, h("div", { class: "k-btn-row" },
            h("button", { class: "k-btn sm primary", type: "button", dataset: { action: "sync" }, onclick: () => syncNow(s), text: t("sync") }),
            h("button", { class: "k-btn sm", type: "button", dataset: { action: "history" }, onclick: () => showHistory(s), text: t("history") }),
            h("button", { class: "k-btn sm", type: "button", onclick: () => setEnabled(s, !s.enabled), text: s.enabled ? t("disable") : t("enable") }),
            h("button", { class: "k-btn sm danger", type: "button", onclick: () => remove(s), text: t("remove") }))))))));
    }

    function report(run) {
      const pct = Math.round((run.progress || 0) * 100);
      const gate = run.gate || {};
      const failedOrChanged = (run.items || []);
      const bar = h("span");
      bar.style.width = pct + "%"; // CSSOM, not a style attribute: the page's CSP allows no inline styles
      return h("div", { class: "k-card-body sync-report", dataset: { status: run.status } },
        h("div", { class: "job-progress" },
          h("div", { class: "job-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) }, bar),
          h("span", { class: "k-small k-muted job-stage", text: pct + "% · " + t("stage", { s: run.stage }) + (run.current && !DONE.includes(run.status) ? " · " + run.current : "") })),
        h("p", { class: "sync-counts", text: counts(run.counts) + (run.counts && run.counts.capped ? " · " + t("capped") : "") + (DONE.includes(run.status) ? " · " + t("took", { s: (run.elapsed_s || 0).toFixed(1) }) : "") }),
        run.error_detail ? h("p", { class: "k-error-text", text: (run.error_code || "") + ": " + run.error_detail }) : null,
        gate.reason ? h("p", { class: gate.allowed ? "k-small" : "k-small k-error-text", text: (gate.allowed ? t("gatePassed") : t("gateRefused")) + ": " + gate.reason }) : null,
        run.version ? h("p", { class: "k-small", text: t("version", { v: run.version }) + " · " + (run.active ? t("active") : t("draft")) + (run.note ? " · " + run.note : "") }) : null,
        failedOrChanged.length ? h("table", { class: "k-table sync-items" },
          h("thead", {}, h("tr", {}, [t("key"), t("outcome"), t("reason")].map((c) => h("th", { scope: "col", text: c })))),
          h("tbody", {}, failedOrChanged.map((i) => h("tr", { dataset: { outcome: i.outcome } },
            h("td", { class: "mono k-small", text: i.key }),
            h("td", {}, h("span", { class: "k-badge " + (i.outcome === "failed" ? "failed" : i.outcome === "removed" ? "queued" : "ok"), text: t(i.outcome) })),
            h("td", { class: "k-small", text: [i.code, i.detail].filter(Boolean).join(": ") }))))) : null);
    }

    function showLive(run) {
      live.hidden = false;
      ctx.clear(live).append(h("div", { class: "k-card-header" }, h("h2", { text: t("report") })), report(run));
    }

    async function syncNow(s) {
      let started;
      try { started = await api("/admin/sources/" + encodeURIComponent(s.id) + "/sync", { method: "POST", signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      await follow(started.sync_id);
      load();
    }

    async function follow(syncId) {
      let last = null;
      try {
        for await (const ev of ctx.sse("/admin/sources/syncs/" + encodeURIComponent(syncId) + "/events", { signal: ctx.signal })) {
          if (ev.event !== "sync") continue;
          last = ev.data;
          showLive(last);
          if (DONE.includes(last.status)) return;
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
      }
      while (!ctx.signal.aborted && (!last || !DONE.includes(last.status))) { // stream cut: poll
        try { last = await api("/admin/sources/syncs/" + encodeURIComponent(syncId), { signal: ctx.signal }); showLive(last); } catch (err) { ctx.fail(err); return; }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }

    async function showHistory(s) {
      let runs;
      try { runs = await api("/admin/sources/" + encodeURIComponent(s.id) + "/syncs?limit=10", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      history.hidden = false;
      ctx.clear(history).append(h("div", { class: "k-card-header" }, h("h2", { text: t("history") + " · " + s.name })),
        ...runs.map((r) => h("details", { class: "sync-run" },
          h("summary", { text: dateTime(r.created_at, ctx.lang) + " · " + r.status + " · " + counts(r.counts) }), report(r))));
    }

    async function setEnabled(s, enabled) {
      try { await api("/admin/sources/" + encodeURIComponent(s.id), { method: "PATCH", body: { enabled } }); } catch (err) { ctx.fail(err); }
      load();
    }

    async function remove(s) {
      const docs = h("input", { type: "checkbox", id: "src-remove-docs" });
      const body = [h("p", { text: t("removeBody", { n: s.name }) }), h("label", { class: "k-check" }, docs, " " + t("removeDocs"))];
      if (!(await ctx.confirm({ title: t("removeTitle"), body, ok: t("remove"), danger: true }))) return;
      const query = docs.checked ? "?documents=delete" : "";
      try { await api("/admin/sources/" + encodeURIComponent(s.id) + query, { method: "DELETE" }); } catch (err) { ctx.fail(err); }
      load();
    }

    function add() {
      const field = (id, label, input) => h("div", { class: "k-field" }, h("label", { for: id, text: label }), input);
      const url = h("input", { class: "k-input", id: "src-url", type: "url", placeholder: "https://help.bank.example/" });
      const sitemap = h("input", { class: "k-input", id: "src-sitemap", type: "url", placeholder: "https://help.bank.example/sitemap.xml" });
      const include = h("textarea", { class: "k-textarea", id: "src-include", rows: 2 });
      const exclude = h("textarea", { class: "k-textarea", id: "src-exclude", rows: 2 });
      const maxPages = h("input", { class: "k-input", id: "src-max", type: "number", min: 1, value: 200 });
      const delay = h("input", { class: "k-input", id: "src-delay", type: "number", min: 0, max: 60, step: "0.1", value: 1 });
      const every = h("input", { class: "k-input", id: "src-every", type: "number", min: 0, value: 0 });
      const auto = h("input", { type: "checkbox", id: "src-auto", checked: true });
      const err = h("p", { class: "k-error-text", role: "alert" });
      const lines = (el) => el.value.split("\n").map((s) => s.trim()).filter(Boolean);
      ctx.form({
        title: t("add"),
        body: [field("src-url", t("url"), url), field("src-sitemap", t("sitemap"), sitemap), field("src-include", t("include"), include),
          field("src-exclude", t("exclude"), exclude), field("src-max", t("maxPages"), maxPages), field("src-delay", t("delay"), delay),
          field("src-every", t("every"), every), h("label", { class: "k-check" }, auto, " " + t("autoPublish")),
          h("p", { class: "k-hint", text: t("privateNote") }), err],
        validate: () => { const ok = Boolean(url.value.trim() || sitemap.value.trim()); err.textContent = ok ? "" : t("needUrl"); return ok; },
        onOk: async () => {
          const body = { kind: "web", url: url.value.trim(), sitemap: sitemap.value.trim(), include: lines(include), exclude: lines(exclude),
            max_pages: Number(maxPages.value) || null, delay_s: Number(delay.value), schedule_minutes: Number(every.value) || 0, auto_publish: auto.checked };
          try { await api("/admin/sources", { method: "POST", body }); } catch (e) {
            err.textContent = (e && typeof e.detail === "string" && e.detail) || String(e);
            throw e;
          }
          load();
        },
      });
    }

    await load();
  },
};
