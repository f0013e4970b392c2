// Curated answers: question-and-answer pairs agents proposed from real conversations ("save as curated
// answer" in the console). Approving (optionally after editing) adds an FAQ entry to the KB draft; it goes
// live when the draft is published. Rejecting drops it.
import { bilingual } from "/static/kit/kit.js";
export default {
  group: "kb",
  order: 60,
  title: { zh: "精选答案审核", en: "Curated answers" },
  messages: bilingual({
    pending: ["待审核", "Pending"], approved: ["已通过", "Approved"], rejected: ["已拒绝", "Rejected"], question: ["问题", "Question"],
    answer: ["答案", "Answer"], approve: ["通过并加入草稿", "Approve into the draft"], reject: ["拒绝", "Reject"], rejectedToast: ["已拒绝", "Rejected"],
    approvedToast: ["已加入草稿（{s}），发布后生效", "Added to the draft ({s}); live once published"],
    empty: ["没有此状态的精选答案。", "No curated answers in this state."], from: ["来自会话 #{c} · {t}", "From conversation #{c} · {t}"],
    decidedAt: ["处理于 {t}", "Decided {t}"], publish: ["去发布", "Publish"], piiRemoved: ["已移除个人信息：{n} 处", "Personal data removed: {n}"],
  }),
  async mount(root, ctx) {
    const { h, t } = ctx;
    const states = ["pending", "approved", "rejected"];
    let state = states.includes(ctx.params.status) ? ctx.params.status : "pending";
    const tabs = h("div", { class: "k-tabs", role: "tablist" });
    const list = h("div", { class: "curated-list", role: "tabpanel" });
    root.append(h("div", { class: "k-card" }, tabs, list));
    const when = (iso) => (iso ? new Date(iso).toLocaleString(ctx.lang === "zh" ? "zh-CN" : "en-GB") : "");

    function select(s, focus) {
      state = s;
      renderTabs();
      if (focus) tabs.querySelector("[aria-selected=true]").focus();
      load();
    }

    function renderTabs() {  // arrow keys move between the tabs (WAI-ARIA tabs pattern)
      ctx.clear(tabs).append(...states.map((s, i) => h("button", { class: "k-tab", role: "tab", type: "button", "aria-selected": String(s === state), tabindex: s === state ? "0" : "-1",
        text: t(s), onclick: () => select(s, false),
        onkeydown: (e) => {
          if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
          e.preventDefault();
          select(states[(i + (e.key === "ArrowRight" ? 1 : states.length - 1)) % states.length], true);
        } })));
    }

    async function load() {
      let rows;
      try { rows = await ctx.api("/admin/curated?status=" + state, { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(list);
      if (!rows.length) { list.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      for (const c of rows) list.appendChild(item(c));
    }

    function item(c) {
      const meta = t("from", { c: (c.conversation_id || "—").slice(0, 8), t: when(c.created_at) }) + (c.decided_at ? " · " + t("decidedAt", { t: when(c.decided_at) }) : "");
      if (c.status !== "pending") {
        return h("article", { class: "curated-item", dataset: { curated: c.id } },
          h("h3", { text: c.question }), h("p", { class: "passage", text: c.answer }), h("p", { class: "k-small k-muted", text: meta }));
      }
      const qId = "cq-" + c.id, aId = "ca-" + c.id;
      const q = h("input", { class: "k-input", id: qId, maxlength: "500", value: c.question });
      const a = h("textarea", { class: "k-textarea", id: aId, maxlength: "4000", rows: "4" });
      a.value = c.answer;
      const approveBtn = h("button", { class: "k-btn success sm", type: "button", text: t("approve"), onclick: () => approve(c, q, a, approveBtn) });
      return h("article", { class: "curated-item", dataset: { curated: c.id } },
        h("div", { class: "k-field" }, h("label", { for: qId, text: t("question") }), q),
        h("div", { class: "k-field" }, h("label", { for: aId, text: t("answer") }), a),
        h("div", { class: "curated-foot" }, h("span", { class: "k-small k-muted", text: meta }), h("span", { class: "toolbar-spacer" }),
          approveBtn, h("button", { class: "k-btn danger sm", type: "button", text: t("reject"), onclick: () => reject(c) })));
    }

    async function approve(c, q, a, btn) {
      btn.disabled = true;
      const body = {};
      if (q.value.trim() !== c.question) body.question = q.value;
      if (a.value.trim() !== c.answer) body.answer = a.value;
      try {
        const res = await ctx.api("/admin/curated/" + encodeURIComponent(c.id) + "/approve", { method: "POST", body });
        const removed = Object.values(res.pii_removed || {}).reduce((x, y) => x + y, 0);
        ctx.toast(t("approvedToast", { s: res.source }) + (removed ? " · " + t("piiRemoved", { n: removed }) : ""), "success", 6000);
      } catch (err) { btn.disabled = false; ctx.fail(err); return; }
      load();
    }

    async function reject(c) {
      try { await ctx.api("/admin/curated/" + encodeURIComponent(c.id) + "/reject", { method: "POST" }); ctx.toast(t("rejectedToast"), "success"); } catch (err) { ctx.fail(err); }
      load();
    }

    renderTabs();
    await load();
  },
};
