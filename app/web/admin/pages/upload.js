// Upload several files at once and watch each one live: queued → parsing → embedding → indexed, or failed
// with the reason. The job is followed over SSE (/admin/kb/jobs/{id}/events), with a poll as fallback.
import { BUSY, STATUS, formatBytes } from "/static/admin/common.js";
import { auth, ApiError, bilingual } from "/static/kit/kit.js";

const ACCEPT = ".pdf,.docx,.html,.htm,.md,.markdown,.txt,.csv,.tsv,.xlsx";

export default {
  group: "kb",
  order: 10,
  title: { zh: "上传文件", en: "Upload" },
  messages: bilingual({
    pick: ["选择文件", "Choose files"], drop: ["拖放文件到这里，或点击选择（可多选）", "Drop files here, or click to choose (several at once)"],
    formats: ["支持 PDF、Word、HTML、Markdown、文本、CSV/Excel 问答表", "PDF, Word, HTML, Markdown, text, CSV/Excel FAQ tables"],
    start: ["开始上传", "Upload"], uploading: ["上传中…", "Uploading…"], chosen: ["已选择 {n} 个文件", "{n} files chosen"],
    none: ["尚未选择文件", "No files chosen"], clearFiles: ["清空", "Clear"], file: ["文件", "File"], status: ["状态", "Status"],
    detail: ["说明", "Detail"], chunks: ["分块", "Chunks"], progress: ["总进度", "Progress"], stage: ["阶段：{s}", "Stage: {s}"],
    skipped: ["内容重复，已跳过：{names}", "Same content already in the knowledge base, skipped: {names}"],
    done: ["处理完成：{ok} 个已索引，{failed} 个失败。", "Done: {ok} indexed, {failed} failed."],
    inDraft: ["新内容在草稿中，发布后对客户生效。", "The new content is in the draft; customers see it once you publish."],
    hitTest: ["命中测试草稿", "Hit-test the draft"], publish: ["去发布", "Publish"], recent: ["最近任务", "Recent jobs"], job: ["任务", "Job"],
    when: ["时间", "When"], kind: ["类型", "Kind"], uploadingState: ["上传中", "Uploading"], pii: ["PII 策略", "PII policy"],
    piiDefault: ["默认", "Default"], piiFlag: ["标记", "Flag"], piiMask: ["脱敏", "Mask"], piiReject: ["拒收", "Reject"],
    jobFailed: ["任务失败：{e}", "The job failed: {e}"],
  }),
  async mount(root, ctx) {
    const { h, t } = ctx;
    let chosen = [];
    const status = STATUS[ctx.lang] || STATUS.en;
    const input = h("input", { type: "file", id: "upload-input", multiple: true, accept: ACCEPT, class: "k-sr-only", onchange: () => choose([...input.files]) });
    const dropLabel = h("label", { for: "upload-input", class: "dropzone", id: "dropzone" },
      h("strong", { text: t("drop") }), h("span", { class: "k-hint", text: t("formats") }));
    const chosenText = h("span", { class: "k-muted", role: "status", text: t("none") });
    const policy = h("select", { class: "k-select", id: "upload-pii", "aria-label": t("pii") },
      ["", "flag", "mask", "reject"].map((v) => h("option", { value: v, text: t("pii") + ": " + t({ "": "piiDefault", flag: "piiFlag", mask: "piiMask", reject: "piiReject" }[v]) })));
    const startBtn = h("button", { class: "k-btn primary", type: "button", id: "upload-start", disabled: true, onclick: () => send(), text: t("start") });
    const progress = h("div", { class: "job-progress", hidden: true },
      h("div", { class: "job-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": t("progress") }, h("span")),
      h("span", { class: "k-small k-muted job-stage" }));
    const files = h("div", { class: "k-card table-wrap", hidden: true });
    const summary = h("div", { class: "notice", role: "status", hidden: true });
    const recent = h("div", { class: "k-card" });
    root.append(
      h("div", { class: "k-card" }, h("div", { class: "k-card-body upload-box" }, input, dropLabel,
        h("div", { class: "toolbar" }, startBtn, policy, chosenText, h("span", { class: "toolbar-spacer" }),
          h("button", { class: "k-btn ghost sm", type: "button", onclick: () => choose([]), text: t("clearFiles") })))),
      progress, files, summary, recent);

    for (const ev of ["dragenter", "dragover"]) dropLabel.addEventListener(ev, (e) => { e.preventDefault(); dropLabel.classList.add("over"); });
    for (const ev of ["dragleave", "drop"]) dropLabel.addEventListener(ev, () => dropLabel.classList.remove("over"));
    dropLabel.addEventListener("drop", (e) => { e.preventDefault(); choose([...e.dataTransfer.files]); });

    function choose(list) {
      chosen = list;
      if (!list.length) input.value = "";
      chosenText.textContent = list.length ? t("chosen", { n: list.length }) : t("none");
      startBtn.disabled = !list.length;
      renderFiles(list.map((f) => ({ source: f.name, size_bytes: f.size, status: "pending" })));
    }

    function renderFiles(rows) {
      files.hidden = !rows.length;
      ctx.clear(files);
      if (!rows.length) return;
      files.appendChild(h("table", { class: "k-table", id: "upload-files" },
        h("thead", {}, h("tr", {}, [t("file"), t("status"), t("chunks"), t("detail")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, rows.map((d) => h("tr", { dataset: { source: d.source, status: d.status } },
          h("td", {}, h("div", { text: d.source }), h("div", { class: "k-small k-muted", text: formatBytes(d.size_bytes || 0) })),
          h("td", {}, h("span", { class: "k-badge file-status " + d.status, text: d.status === "pending" ? "—" : d.status === "uploading" ? t("uploadingState") : status[d.status] || d.status },
            BUSY.has(d.status) || d.status === "uploading" ? h("span", { class: "k-spinner", "aria-hidden": "true" }) : null)),
          h("td", { class: "num", text: d.status === "indexed" ? String(d.chunk_count) : "" }),
          h("td", { class: d.status === "failed" ? "k-error-text k-small" : "k-small k-muted", text: d.status === "failed" ? [d.error_code, d.error_detail].filter(Boolean).join(": ") : "" }))))));
    }

    async function send() {
      if (!chosen.length) return;
      startBtn.disabled = true;
      startBtn.textContent = t("uploading");
      summary.hidden = true;
      renderFiles(chosen.map((f) => ({ source: f.name, size_bytes: f.size, status: "uploading" })));
      const form = new FormData();
      for (const f of chosen) form.append("files", f, f.name);
      const q = policy.value ? "?pii_policy=" + encodeURIComponent(policy.value) : "";
      let accepted;
      try {
        const res = await fetch("/api/v1/admin/kb/uploads" + q, { method: "POST", body: form, headers: { Accept: "application/json", ...auth.headers() }, credentials: "same-origin", signal: ctx.signal });
        const data = await res.json().catch(() => null);
        if (!res.ok) throw new ApiError(res.status, (data && data.error_code) || "http_" + res.status, (data && data.detail) || res.statusText);
        accepted = data;
      } catch (err) {
        startBtn.textContent = t("start");
        startBtn.disabled = false;
        renderFiles(chosen.map((f) => ({ source: f.name, size_bytes: f.size, status: "failed", error_detail: err.message })));
        ctx.fail(err);
        return;
      }
      chosen = [];
      input.value = "";
      chosenText.textContent = t("none");
      startBtn.textContent = t("start");
      show(accepted.job);
      await follow(accepted.job_id);
      loadRecent();
    }

    function show(job) {
      progress.hidden = false;
      const pct = Math.round((job.progress || 0) * 100);
      progress.querySelector(".job-bar span").style.width = pct + "%";
      progress.querySelector(".job-bar").setAttribute("aria-valuenow", String(pct));
      progress.querySelector(".job-stage").textContent = pct + "% · " + t("stage", { s: job.stage || job.status });
      renderFiles(job.documents);
      const skipped = job.skipped_duplicates || [];
      if (job.status === "succeeded" || job.status === "failed") {
        const ok = job.documents.filter((d) => d.status === "indexed").length;
        const failed = job.documents.filter((d) => d.status === "failed").length;
        ctx.clear(summary).appendChild(h("div", {},
          h("p", { text: t("done", { ok, failed }) + (ok ? " " + t("inDraft") : "") }),
          job.status === "failed" && job.error_detail ? h("p", { text: t("jobFailed", { e: job.error_detail }) }) : null,
          skipped.length ? h("p", { text: t("skipped", { names: skipped.join(", ") }) }) : null,
          ok ? h("div", { class: "k-btn-row" },
            h("a", { class: "k-btn sm", href: "#/hit-test?version=draft", text: t("hitTest") }),
            h("a", { class: "k-btn sm primary", href: "#/versions", text: t("publish") })) : null));
        summary.className = "notice " + (failed || job.status === "failed" ? "error" : "ok");
        summary.hidden = false;
      }
    }

    // The job's live progress. A stream cut before the job ends (a server restart, a proxy timeout) is
    // resumed with Last-Event-ID (the server sends only what changed since); polling is the last resort.
    async function follow(jobId) {
      let last = null;
      let lastId = null;
      const done = () => last && (last.status === "succeeded" || last.status === "failed");
      for (let attempt = 0; attempt < 6 && !ctx.signal.aborted && !done(); attempt++) {
        if (attempt) await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
        try {
          for await (const ev of ctx.sse("/admin/kb/jobs/" + encodeURIComponent(jobId) + "/events", { signal: ctx.signal, lastEventId: lastId })) {
            if (ev.event !== "job") continue;
            last = ev.data;
            if (ev.id) lastId = ev.id;
            attempt = 0;
            show(last);
            if (done()) return;
          }
        } catch (err) {
          if (ctx.signal.aborted) return;
        }
      }
      while (!ctx.signal.aborted && !done()) { // the stream keeps failing: poll
        try { last = await ctx.api("/admin/kb/jobs/" + encodeURIComponent(jobId), { signal: ctx.signal }); show(last); } catch (err) { ctx.fail(err); return; }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }

    async function loadRecent() {
      let jobs;
      try { jobs = await ctx.api("/admin/kb/jobs?limit=10", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(recent).append(h("div", { class: "k-card-header" }, h("h2", { text: t("recent") })),
        jobs.length ? h("table", { class: "k-table" },
          h("thead", {}, h("tr", {}, [t("when"), t("kind"), t("status"), t("file")].map((c) => h("th", { scope: "col", text: c })))),
          h("tbody", {}, jobs.map((j) => h("tr", {},
            h("td", { text: new Date(j.created_at).toLocaleString(ctx.lang === "zh" ? "zh-CN" : "en-GB") }),
            h("td", { text: j.kind }),
            h("td", {}, h("span", { class: "k-badge " + (j.status === "succeeded" ? "ok" : j.status === "failed" ? "failed" : "queued"), text: j.status }),
              j.error_detail ? h("div", { class: "k-small k-error-text", text: j.error_detail }) : null),
            h("td", { class: "num", text: j.documents_done + " / " + j.documents_total }))))) : h("p", { class: "k-empty", text: "—" }));
    }

    choose([]);
    loadRecent();
  },
};
