// Documents of the knowledge base: status (with the failure reason), chunks, language, PII findings, whether
// the live version or the draft holds it; delete and re-index (each builds a new draft).
import { BUSY, STATUS, formatBytes, piiText } from "/static/admin/common.js";
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "kb",
  order: 20,
  title: { zh: "文档", en: "Documents" },
  messages: bilingual({
    upload: ["上传文件", "Upload files"], refresh: ["刷新", "Refresh"], current: ["当前文档", "Current"], all: ["含历史", "With history"],
    document: ["文档", "Document"], status: ["状态", "Status"], chunks: ["分块", "Chunks"], language: ["语言", "Language"],
    pii: ["个人信息", "Personal data"], where: ["所在版本", "Version"], actions: ["操作", "Actions"], live: ["线上", "Live"], draft: ["草稿", "Draft"],
    reindex: ["重新索引", "Re-index"], empty: ["知识库还没有文档。", "The knowledge base has no documents yet."],
    deleteTitle: ["删除文档", "Delete document"],
    deleteBody: ["将生成不含《{t}》的新草稿；线上版本在发布前仍包含它。", "A new draft without “{t}” is built; the live version keeps it until you publish."],
    reindexed: ["已开始重新索引", "Re-indexing started"], deleted: ["已删除，发布草稿后生效", "Deleted: publish the draft to take it live"],
    nothing: ["无需重建", "Nothing to rebuild"], publishHint: ["草稿有未发布的变更。", "The draft has unpublished changes."],
    toVersions: ["去发布", "Publish"],
  }),
  async mount(root, ctx) {
    const { h, t, api } = ctx;
    let view = ctx.params.view === "all" ? "all" : "current";
    let timer = null;
    const viewSelect = h("select", { class: "k-select", "aria-label": t("status"), onchange: () => { view = viewSelect.value; load(); } },
      h("option", { value: "current", text: t("current") }), h("option", { value: "all", text: t("all") }));
    viewSelect.value = view;
    const notice = h("div", { class: "notice", hidden: true });
    const body = h("div", { class: "k-card table-wrap" });
    root.append(
      h("div", { class: "toolbar" },
        h("a", { class: "k-btn primary", href: "#/upload", text: t("upload") }),
        viewSelect,
        h("span", { class: "toolbar-spacer" }),
        h("button", { class: "k-btn", type: "button", onclick: () => load(), text: t("refresh") })),
      notice, body);

    async function load() {
      clearTimeout(timer);
      let docs, versions;
      try {
        [docs, versions] = await Promise.all([
          api("/admin/kb/documents?view=" + view, { signal: ctx.signal }),
          api("/admin/kb/versions", { signal: ctx.signal }),
        ]);
      } catch (err) { ctx.fail(err); return; }
      notice.hidden = !versions.some((v) => v.state === "draft");
      render(docs);
      if (docs.some((d) => BUSY.has(d.status))) timer = setTimeout(load, 1500);
    }

    function render(docs) {
      ctx.clear(body);
      ctx.clear(notice).append(t("publishHint") + " ", h("a", { href: "#/versions", text: t("toVersions") }));
      if (!docs.length) { body.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      const status = STATUS[ctx.lang] || STATUS.en;
      body.appendChild(h("table", { class: "k-table", id: "documents-table" },
        h("thead", {}, h("tr", {}, [t("document"), t("status"), t("chunks"), t("language"), t("pii"), t("where"), t("actions")]
          .map((c, i) => h("th", { scope: "col", class: i === 2 ? "num" : null, text: c })))),
        h("tbody", {}, docs.map((d) => h("tr", { dataset: { document: d.id, source: d.source } },
          h("td", {}, h("div", { text: d.title || d.source }), h("div", { class: "k-muted k-small", text: d.source + " · " + formatBytes(d.size_bytes) })),
          h("td", {}, h("span", { class: "k-badge " + d.status, text: status[d.status] || d.status }),
            d.status === "failed" ? h("div", { class: "k-error-text k-small", text: d.error_detail || d.error_code || "" }) : null),
          h("td", { class: "num", text: String(d.chunk_count) }),
          h("td", { text: d.lang || "—" }),
          h("td", { class: "k-small", text: piiText(d.pii_findings, ctx.lang) }),
          h("td", {}, d.in_active ? h("span", { class: "k-badge published", text: t("live") }) : null, " ",
            d.in_draft ? h("span", { class: "k-badge draft", text: t("draft") }) : null),
          h("td", {}, d.status === "deleted" ? null : h("div", { class: "k-btn-row" },
            h("button", { class: "k-btn sm", type: "button", disabled: BUSY.has(d.status), onclick: () => reindex(d), text: t("reindex") }),
            h("button", { class: "k-btn sm danger", type: "button", onclick: () => remove(d), text: t("delete") }))))))));
    }

    // A delete or re-index answers at once with the job that rebuilds the draft: reload when it is done.
    async function afterJob(jobId) {
      await load();
      while (jobId && !ctx.signal.aborted) {
        await new Promise((r) => setTimeout(r, 1000));
        let job;
        try { job = await api("/admin/kb/jobs/" + encodeURIComponent(jobId), { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
        if (job.status === "succeeded" || job.status === "failed") {
          if (job.status === "failed") ctx.toast(job.error_detail || job.error_code || "failed", "error", 6000);
          await load();
          return;
        }
      }
    }

    async function reindex(d) {
      let jobId = null;
      try {
        const r = await api("/admin/kb/documents/" + encodeURIComponent(d.id) + "/reindex", { method: "POST" });
        jobId = r.job_id;
        ctx.toast(r.job_id ? t("reindexed") : t("nothing"), "success");
      } catch (err) { ctx.fail(err); }
      afterJob(jobId);
    }

    async function remove(d) {
      const ok = await ctx.confirm({ title: t("deleteTitle"), body: [h("p", { text: t("deleteBody", { t: d.title || d.source }) })], ok: t("delete"), danger: true });
      if (!ok) return;
      let jobId = null;
      try {
        jobId = (await api("/admin/kb/documents/" + encodeURIComponent(d.id), { method: "DELETE" })).job_id;
        ctx.toast(t("deleted"), "success");
      } catch (err) { ctx.fail(err); }
      afterJob(jobId);
    }

    await load();
    return () => clearTimeout(timer);
  },
};
