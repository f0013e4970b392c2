// KB versions: what the draft changes, publishing it through the golden-question gate (the report is shown
// whether the gate lets it through or refuses it), discarding it, and rolling back to an earlier version.
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "kb",
  order: 30,
  title: { zh: "版本与发布", en: "Versions" },
  messages: bilingual({
    draftTitle: ["草稿", "Draft"],
    noDraft: ["没有待发布的草稿。上传、删除或重新索引文档都会生成草稿。", "No draft waiting. Uploading, deleting or re-indexing documents builds one."],
    added: ["新增", "Added"], replaced: ["替换", "Replaced"], removed: ["移除", "Removed"], publish: ["发布草稿", "Publish draft"],
    publishing: ["正在运行黄金问题集…", "Running the golden questions…"], discard: ["丢弃草稿", "Discard draft"],
    discardTitle: ["丢弃草稿", "Discard draft"],
    discardBody: ["草稿中的变更将被丢弃，线上版本不受影响。", "The draft's changes are dropped; the live version is untouched."],
    discarded: ["草稿已丢弃", "Draft discarded"], published: ["已发布 {v}", "Published {v}"], refused: ["发布被拒绝：{r}", "Publishing refused: {r}"],
    report: ["黄金问题报告", "Golden-question report"],
    recall: ["召回率@5：草稿 {c} / 线上 {a}（允许下降 {m}）", "Recall@5: draft {c} / live {a} (allowed drop {m})"], question: ["问题", "Question"],
    change: ["变化", "Change"], before: ["发布前", "Before"], after: ["发布后", "After"], worse: ["变差", "worse"], better: ["变好", "better"],
    reordered: ["排序变化", "reordered"], noChanges: ["所有黄金问题结果不变。", "Every golden question gives the same result."],
    versions: ["版本历史", "History"], label: ["版本", "Version"], state: ["状态", "State"], docs: ["文档", "Documents"], chunks: ["分块", "Chunks"],
    created: ["创建", "Created"], publishedAt: ["发布", "Published"], actions: ["操作", "Actions"], rollback: ["回滚到此版本", "Roll back to this"],
    rollbackTitle: ["回滚", "Roll back"], rollbackBody: ["将 {v} 重新设为线上版本（草稿保留）。", "Make {v} the live version again (the draft stays)."],
    rolledBack: ["已回滚到 {v}", "Rolled back to {v}"], active: ["线上", "Live"], draft: ["草稿", "Draft"], previous: ["历史", "Earlier"],
    discardedState: ["已丢弃", "Discarded"], golden: ["黄金问题", "Golden questions"], noGolden: ["未运行", "not run"],
    toGolden: ["管理黄金问题", "Golden questions"], expected: ["应命中", "Expected"], found: ["前5名命中（发布前 → 发布后）", "Top 5 found (before → after)"],
  }),
  async mount(root, ctx) {
    const { h, t } = ctx;
    const draftBox = h("section", { class: "k-card", "aria-labelledby": "draft-title" });
    const reportBox = h("section", { class: "k-card", id: "publish-report", hidden: true, "aria-live": "polite" });
    const history = h("section", { class: "k-card table-wrap", "aria-labelledby": "history-title" });
    root.append(draftBox, reportBox, history);
    const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
    const when = (iso) => (iso ? new Date(iso).toLocaleString(ctx.lang === "zh" ? "zh-CN" : "en-GB") : "—");

    async function load() {
      let versions;
      try { versions = await ctx.api("/admin/kb/versions", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      const draft = versions.find((v) => v.state === "draft");
      let detail = null;
      if (draft) {
        try { detail = await ctx.api("/admin/kb/versions/draft", { signal: ctx.signal }); } catch (err) { ctx.fail(err); }
      }
      renderDraft(draft, detail);
      renderHistory(versions);
    }

    function renderDraft(draft, detail) {
      ctx.clear(draftBox).appendChild(h("div", { class: "k-card-header" }, h("h2", { id: "draft-title", text: t("draftTitle") + (draft ? " · " + draft.label : "") }),
        h("a", { class: "k-btn ghost sm", href: "#/golden", text: t("toGolden") })));
      const body = h("div", { class: "k-card-body" });
      draftBox.appendChild(body);
      if (!draft) { body.appendChild(h("p", { class: "k-muted", text: t("noDraft") })); return; }
      if (detail) {
        body.appendChild(h("dl", { class: "k-kv draft-changes" },
          [["added", detail.added], ["replaced", detail.replaced], ["removed", detail.removed]].flatMap(([key, list]) => [
            h("dt", { text: t(key) + " (" + list.length + ")" }), h("dd", { text: list.join(", ") || "—" })])));
      }
      body.appendChild(h("p", { class: "k-small k-muted", text: draft.documents + " " + t("docs") + " · " + draft.chunk_count + " " + t("chunks") }));
      const publishBtn = h("button", { class: "k-btn primary", type: "button", id: "publish", text: t("publish"), onclick: () => publish(publishBtn) });
      body.appendChild(h("div", { class: "k-btn-row" }, publishBtn,
        h("button", { class: "k-btn danger", type: "button", text: t("discard"), onclick: () => discard() })));
    }

    async function publish(btn) {
      btn.disabled = true;
      btn.textContent = t("publishing");
      try {
        const res = await ctx.api("/admin/kb/versions/publish", { method: "POST", signal: ctx.signal });
        ctx.toast(t("published", { v: res.version.label }), "success");
        renderReport(res.report, null);
      } catch (err) {
        if (err.code === "publish_refused" && err.detail && typeof err.detail === "object") {
          renderReport(err.detail.report, err.detail.reason);
        } else ctx.fail(err);
      }
      await load();
    }

    function renderReport(report, refusedReason) {
      reportBox.hidden = false;
      ctx.clear(reportBox).appendChild(h("div", { class: "k-card-header" }, h("h2", { text: t("report") + (report && report.candidate ? " · " + report.candidate : "") })));
      const body = h("div", { class: "k-card-body" });
      reportBox.appendChild(body);
      body.appendChild(h("p", { class: "notice " + (refusedReason ? "error" : "ok"), id: "publish-outcome",
        text: refusedReason ? t("refused", { r: refusedReason }) : t("published", { v: report ? report.candidate : "" }) }));
      if (!report) return;
      body.appendChild(h("p", { text: t("recall", { c: pct(report.recall_at_5), a: pct(report.active_recall_at_5), m: pct(report.margin) }) }));
      body.appendChild(changesTable(report.changes || []));
    }

    function changesTable(changes) {
      if (!changes.length) return h("p", { class: "k-muted", text: t("noChanges") });
      return h("table", { class: "k-table golden-changes" },
        h("thead", {}, h("tr", {}, [t("question"), t("change"), t("before"), t("after")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, changes.map((c) => h("tr", {},
          h("td", {}, h("div", { text: c.question }),
            h("div", { class: "k-small k-muted", text: t("expected") + ": " + names(c.expected) }),
            c.direction === "worse" ? h("div", { class: "k-small k-muted", text: t("found") + ": " + names(c.found_before) + " → " + names(c.found_after) }) : null),
          h("td", {}, h("span", { class: "k-badge " + (c.direction === "worse" ? "failed" : c.direction === "better" ? "ok" : ""), text: t(c.direction) })),
          h("td", { class: "num", text: pct(c.before) }), h("td", { class: "num", text: pct(c.after) })))));
    }

    function names(found) { // the gate's report names documents by source (a re-upload keeps its source)
      const list = [...new Set(found || [])];
      return list.length ? list.join(", ") : "—";
    }

    async function discard() {
      if (!(await ctx.confirm({ title: t("discardTitle"), body: [h("p", { text: t("discardBody") })], ok: t("discard"), danger: true }))) return;
      try {
        await ctx.api("/admin/kb/versions/draft/discard", { method: "POST" });
        ctx.toast(t("discarded"), "success");
      } catch (err) { ctx.fail(err); }
      load();
    }

    async function rollback(v) {
      if (!(await ctx.confirm({ title: t("rollbackTitle"), body: [h("p", { text: t("rollbackBody", { v: v.label }) })], ok: t("rollback"), danger: true }))) return;
      try {
        await ctx.api("/admin/kb/versions/" + encodeURIComponent(v.id) + "/rollback", { method: "POST" });
        ctx.toast(t("rolledBack", { v: v.label }), "success");
      } catch (err) { ctx.fail(err); }
      load();
    }

    function renderHistory(versions) {
      const stateLabel = { active: t("active"), draft: t("draft"), previous: t("previous"), discarded: t("discardedState") };
      const badge = { active: "published", draft: "draft", previous: "", discarded: "closed" };
      ctx.clear(history).append(h("div", { class: "k-card-header" }, h("h2", { id: "history-title", text: t("versions") })),
        h("table", { class: "k-table", id: "versions-table" },
          h("thead", {}, h("tr", {}, [t("label"), t("state"), t("docs"), t("chunks"), t("golden"), t("created"), t("publishedAt"), t("actions")]
            .map((c, i) => h("th", { scope: "col", class: i === 2 || i === 3 ? "num" : null, text: c })))),
          h("tbody", {}, versions.map((v) => h("tr", { dataset: { version: v.id, state: v.state } },
            h("td", {}, h("strong", { text: v.label }), v.notes ? h("div", { class: "k-small k-muted", text: v.notes }) : null),
            h("td", {}, h("span", { class: "k-badge " + (badge[v.state] || ""), text: stateLabel[v.state] || v.state })),
            h("td", { class: "num", text: String(v.documents) }),
            h("td", { class: "num", text: String(v.chunk_count) }),
            h("td", {}, v.golden_report && v.golden_report.recall_at_5 !== undefined
              ? h("details", {}, h("summary", { text: pct(v.golden_report.recall_at_5) + (v.golden_report.allowed === false ? " ✗" : "") }), changesTable(v.golden_report.changes || []))
              : h("span", { class: "k-muted", text: t("noGolden") })),
            h("td", { class: "k-small", text: when(v.created_at) }),
            h("td", { class: "k-small", text: when(v.published_at) }),
            h("td", {}, v.state === "previous" && v.published_at
              ? h("button", { class: "k-btn sm", type: "button", text: t("rollback"), onclick: () => rollback(v) }) : null))))));
    }

    await load();
  },
};
