// Compliance: the tenant's retention policy (and a purge now), the widget's AI disclosure, legal holds, and
// data-subject requests (export as a JSON file, erasure after a confirmation). Every change is audited by the
// server; everything from the API is set as text.
import { dateTime, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

const FIELDS = ["vault_days", "transcripts_days", "feedback_days", "handoff_packages_days", "uploaded_originals_days", "job_records_days", "audit_days"];

export default {
  group: "other",
  order: 10,
  title: { zh: "合规", en: "Compliance" },
  messages: bilingual({
    retention: ["数据保留期限（天）", "Retention (days)"], vault_days: ["客户敏感信息（保险库）", "Customer values (vault)"],
    transcripts_days: ["对话记录与事件", "Transcripts and events"], feedback_days: ["评价", "Feedback"],
    handoff_packages_days: ["转人工资料包", "Hand-off packages"], uploaded_originals_days: ["已删除文档的原件", "Originals of removed documents"],
    job_records_days: ["任务记录", "Job records"], audit_days: ["审计日志", "Audit log"], save: ["保存", "Save"], saved: ["已保存", "Saved"],
    purge: ["立即清理", "Purge now"], purged: ["清理完成：{c}（{s} 秒）", "Purged: {c} ({s} s)"], nothing: ["没有到期数据", "nothing had expired"],
    disclosure: ["AI 身份提示（挂件首屏）", "AI disclosure (shown first in the widget)"], zh: ["中文", "中文"], en: ["English", "English"],
    holds: ["法律保全", "Legal holds"], conversationId: ["会话 ID", "Conversation id"], customerId: ["客户 ID", "Customer id"],
    reason: ["原因", "Reason"], place: ["设置保全", "Place hold"], release: ["解除", "Release"], subject: ["对象", "Subject"],
    since: ["开始时间", "Since"], noHolds: ["当前没有法律保全。", "No active legal hold."], placed: ["已设置保全", "Hold placed"],
    released: ["已解除保全", "Hold released"], dsr: ["数据主体请求", "Data-subject requests"], export: ["导出 (JSON)", "Export (JSON)"],
    erase: ["删除全部数据", "Erase everything"], eraseTitle: ["删除该客户的全部数据", "Erase this customer's data"],
    eraseBody: ["将从数据库、Redis、保险库和缓存中永久删除，无法恢复。统计只保留计数。", "Deleted for good from the database, Redis, the vault and the caches. Figures keep counts only."],
    erased: ["已删除 {n} 个会话", "Erased {n} conversations"], requests: ["最近的请求", "Recent requests"], kind: ["类型", "Kind"],
    status: ["状态", "Status"], conversations: ["会话数", "Conversations"], when: ["时间", "When"],
    needSubject: ["请填写客户 ID 或会话 ID。", "Enter a customer id or a conversation id."],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const card = (id, title, ...kids) => h("section", { class: "k-card", id }, h("h2", { text: title }), ...kids);
    const input = (id, attrs = {}) => h("input", { class: "k-input", id, autocomplete: "off", ...attrs });
    const field = (id, label, control) => h("div", { class: "k-field" }, h("label", { for: id, text: label }), control);

    // --- retention ---
    const days = Object.fromEntries(FIELDS.map((f) => [f, input("ret-" + f, { type: "number", min: 1, max: 36500 })]));
    const purgeOut = h("p", { class: "k-small", id: "purge-report", role: "status" });
    const retention = card("compliance-retention", t("retention"),
      h("div", { class: "kpis" }, FIELDS.map((f) => field("ret-" + f, t(f), days[f]))),
      h("div", { class: "k-btn-row" },
        h("button", { class: "k-btn primary", type: "button", id: "retention-save", onclick: saveRetention, text: t("save") }),
        h("button", { class: "k-btn", type: "button", id: "purge-now", onclick: purgeNow, text: t("purge") })),
      purgeOut);

    // --- disclosure ---
    const zh = h("textarea", { class: "k-textarea", id: "disclosure-zh", rows: 2, maxlength: 500 });
    const en = h("textarea", { class: "k-textarea", id: "disclosure-en", rows: 2, maxlength: 500 });
    const disclosure = card("compliance-disclosure", t("disclosure"), field("disclosure-zh", t("zh"), zh), field("disclosure-en", t("en"), en),
      h("button", { class: "k-btn primary", type: "button", id: "disclosure-save", onclick: saveDisclosure, text: t("save") }));

    // --- holds ---
    const holdConv = input("hold-conversation", { maxlength: 32 });
    const holdCust = input("hold-customer", { maxlength: 200 });
    const holdReason = input("hold-reason", { maxlength: 1000 });
    const holdList = h("div", { class: "table-wrap" });
    const holds = card("compliance-holds", t("holds"),
      h("div", { class: "kpis" }, field("hold-conversation", t("conversationId"), holdConv), field("hold-customer", t("customerId"), holdCust), field("hold-reason", t("reason"), holdReason)),
      h("button", { class: "k-btn primary", type: "button", id: "hold-place", onclick: placeHold, text: t("place") }), holdList);

    // --- data-subject requests ---
    const dsrConv = input("dsr-conversation", { maxlength: 32 });
    const dsrCust = input("dsr-customer", { maxlength: 200 });
    const dsrOut = h("p", { class: "k-small", id: "dsr-result", role: "status" });
    const dsrList = h("div", { class: "table-wrap" });
    const dsr = card("compliance-dsr", t("dsr"),
      h("div", { class: "kpis" }, field("dsr-customer", t("customerId"), dsrCust), field("dsr-conversation", t("conversationId"), dsrConv)),
      h("div", { class: "k-btn-row" },
        h("button", { class: "k-btn", type: "button", id: "dsr-export", onclick: exportSubject, text: t("export") }),
        h("button", { class: "k-btn danger", type: "button", id: "dsr-erase", onclick: eraseSubject, text: t("erase") })),
      dsrOut, h("h3", { text: t("requests") }), dsrList);

    root.append(retention, disclosure, holds, dsr);

    const subject = () => {
      const c = dsrCust.value.trim(), v = dsrConv.value.trim();
      if (!c === !v) { ctx.toast(t("needSubject"), "error"); return null; }
      return c ? { customer_id: c } : { conversation_id: v };
    };

    async function load() {
      try {
        const [ret, dis, active, requests] = await Promise.all([
          api("/admin/compliance/retention", { signal: ctx.signal }), api("/admin/compliance/disclosure", { signal: ctx.signal }),
          api("/admin/compliance/holds", { signal: ctx.signal }), api("/admin/compliance/dsr", { signal: ctx.signal }),
        ]);
        FIELDS.forEach((f) => { days[f].value = String(ret.policy[f]); });
        zh.value = dis.text.zh; en.value = dis.text.en;
        ctx.clear(holdList);
        holdList.appendChild(active.length ? h("table", { class: "k-table", id: "holds-table" },
          h("thead", {}, h("tr", {}, [t("subject"), t("reason"), t("since"), ""].map((c) => h("th", { scope: "col", text: c })))),
          h("tbody", {}, active.map((x) => h("tr", { dataset: { hold: x.id } },
            h("td", { class: "mono", text: x.conversation_id ? t("conversationId") + " " + x.conversation_id : t("customerId") + " " + x.customer_id }),
            h("td", { text: x.reason }), h("td", { class: "k-small", text: dateTime(x.created_at, ctx.lang) }),
            h("td", {}, h("button", { class: "k-btn sm", type: "button", onclick: () => releaseHold(x.id), text: t("release") }))))))
          : h("p", { class: "k-empty", text: t("noHolds") }));
        ctx.clear(dsrList);
        dsrList.appendChild(h("table", { class: "k-table", id: "dsr-table" },
          h("thead", {}, h("tr", {}, [t("kind"), t("subject"), t("status"), t("conversations"), t("when")].map((c) => h("th", { scope: "col", text: c })))),
          h("tbody", {}, requests.map((r) => h("tr", {}, h("td", { text: r.kind }), h("td", { text: r.subject_type }), h("td", { text: r.status }),
            h("td", { text: String(r.conversations_done) }), h("td", { class: "k-small", text: dateTime(r.created_at, ctx.lang) }))))));
      } catch (err) { ctx.fail(err); }
    }

    async function saveRetention() {
      const body = Object.fromEntries(FIELDS.map((f) => [f, Number(days[f].value)]));
      try { await api("/admin/compliance/retention", { method: "PUT", body }); ctx.toast(t("saved"), "success"); } catch (err) { ctx.fail(err); }
    }

    async function purgeNow() {
      try {
        const r = await api("/admin/compliance/purge", { method: "POST" });
        const counts = Object.entries(r.counts).filter(([, n]) => n).map(([k, n]) => k + " " + n).join(", ");
        purgeOut.textContent = t("purged", { c: counts || t("nothing"), s: r.seconds });
      } catch (err) { ctx.fail(err); }
    }

    async function saveDisclosure() {
      try { await api("/admin/compliance/disclosure", { method: "PUT", body: { zh: zh.value.trim(), en: en.value.trim() } }); ctx.toast(t("saved"), "success"); } catch (err) { ctx.fail(err); }
    }

    async function placeHold() {
      const c = holdCust.value.trim(), v = holdConv.value.trim();
      if (!c === !v) { ctx.toast(t("needSubject"), "error"); return; }
      const body = { reason: holdReason.value.trim(), ...(c ? { customer_id: c } : { conversation_id: v }) };
      try { await api("/admin/compliance/holds", { method: "POST", body }); ctx.toast(t("placed"), "success"); holdReason.value = ""; } catch (err) { ctx.fail(err); }
      load();
    }

    async function releaseHold(id) {
      try { await api("/admin/compliance/holds/" + encodeURIComponent(id) + "/release", { method: "POST" }); ctx.toast(t("released"), "success"); } catch (err) { ctx.fail(err); }
      load();
    }

    async function exportSubject() {
      const s = subject();
      if (!s) return;
      try {
        const doc = await api("/admin/compliance/dsr/export", { method: "POST", body: s });
        const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
        const link = h("a", { href: URL.createObjectURL(blob), download: "dsr-export-" + doc.request_id + ".json" });
        document.body.appendChild(link); link.click(); link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      } catch (err) { ctx.fail(err); }
      load();
    }

    async function eraseSubject() {
      const s = subject();
      if (!s) return;
      if (!(await ctx.confirm({ title: t("eraseTitle"), body: [h("p", { text: t("eraseBody") })], ok: t("erase"), danger: true }))) return;
      try {
        const r = await api("/admin/compliance/dsr/erase", { method: "POST", body: s });
        dsrOut.textContent = t("erased", { n: r.conversations });
      } catch (err) { ctx.fail(err); }
      load();
    }

    await load();
  },
};
