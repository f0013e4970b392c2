// Golden questions: the questions a new KB version must still answer from the right documents (publishing
// runs them on the draft and on the live version and refuses a drop in recall@5). Add, edit, delete.
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "kb",
  order: 50,
  title: { zh: "黄金问题", en: "Golden questions" },
  messages: bilingual({
    add: ["新增黄金问题", "Add golden question"], edit: ["编辑", "Edit"], question: ["问题", "Question"], lang: ["语言", "Language"],
    any: ["自动", "Auto"], expected: ["应命中的文档", "Documents that should answer it"],
    expectedHint: ["选择能回答该问题的文档（至少一个）。", "Pick the documents that answer the question (at least one)."],
    empty: ["还没有黄金问题。发布时将只检查知识库能否加载。", "No golden questions yet: publishing only checks that the KB loads."], saved: ["已保存", "Saved"],
    deleted: ["已删除", "Deleted"], deleteTitle: ["删除黄金问题", "Delete golden question"], deleteBody: ["删除“{q}”？", "Delete “{q}”?"],
    actions: ["操作", "Actions"], missing: ["文档已删除或失败", "document deleted or failed"], needDoc: ["请至少选择一个文档", "Pick at least one document"],
    needQuestion: ["请填写问题", "Write the question"], docsEmpty: ["知识库中还没有可选的文档。", "No documents to pick from yet."],
  }),
  async mount(root, ctx) {
    const { h, t } = ctx;
    const list = h("div", { class: "k-card table-wrap" });
    root.append(h("div", { class: "toolbar" }, h("button", { class: "k-btn primary", type: "button", id: "golden-add", text: t("add"), onclick: () => edit(null) })), list);

    async function load() {
      let rows;
      try { rows = await ctx.api("/admin/golden-questions", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(list);
      if (!rows.length) { list.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      list.appendChild(h("table", { class: "k-table", id: "golden-table" },
        h("thead", {}, h("tr", {}, [t("question"), t("lang"), t("expected"), t("actions")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, rows.map((g) => h("tr", { dataset: { golden: g.id } },
          h("td", { text: g.question }),
          h("td", { text: g.lang || t("any") }),
          h("td", {}, g.expected.map((d) => h("div", { class: d.status === "deleted" || d.status === "failed" ? "k-error-text k-small" : "k-small",
            text: d.source + (d.status === "deleted" || d.status === "failed" ? " (" + t("missing") + ")" : "") }))),
          h("td", {}, h("div", { class: "k-btn-row" },
            h("button", { class: "k-btn sm", type: "button", text: t("edit"), onclick: () => edit(g) }),
            h("button", { class: "k-btn sm danger", type: "button", text: t("delete"), onclick: () => remove(g) }))))))));
    }

    async function edit(g) {
      let docs = [];
      try { docs = (await ctx.api("/admin/kb/documents", { signal: ctx.signal })).filter((d) => d.status === "indexed"); } catch (err) { ctx.fail(err); return; }
      const chosen = new Set(g ? g.expected.map((d) => d.id) : []);
      const q = h("textarea", { class: "k-textarea", id: "golden-question", maxlength: "1000", rows: "2" });
      q.value = g ? g.question : "";
      const lang = h("select", { class: "k-select", id: "golden-lang" }, [["", t("any")], ["zh", "中文"], ["en", "English"]].map(([v, l]) => h("option", { value: v, text: l })));
      lang.value = g ? g.lang : "";
      const error = h("p", { class: "k-error-text", role: "alert" });
      const boxes = docs.map((d) => h("label", { class: "check-row" },
        h("input", { type: "checkbox", value: d.id, checked: chosen.has(d.id) }), h("span", { text: d.title && d.title !== d.source ? d.source + " · " + d.title : d.source })));
      ctx.form({
        title: g ? t("edit") : t("add"),
        body: [
          h("div", { class: "k-field" }, h("label", { for: "golden-question", text: t("question") }), q),
          h("div", { class: "k-field" }, h("label", { for: "golden-lang", text: t("lang") }), lang),
          h("fieldset", { class: "k-field check-list" }, h("legend", { class: "k-label", text: t("expected") }), h("p", { class: "k-hint", text: t("expectedHint") }),
            boxes.length ? boxes : h("p", { class: "k-muted", text: t("docsEmpty") })),
          error,
        ],
        validate: () => {
          const ids = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked);
          error.textContent = !q.value.trim() ? t("needQuestion") : !ids.length ? t("needDoc") : "";
          return !error.textContent;
        },
        onOk: async () => {
          const ids = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
          const body = { question: q.value.trim(), lang: lang.value, expected_document_ids: ids };
          await ctx.api("/admin/golden-questions" + (g ? "/" + encodeURIComponent(g.id) : ""), { method: g ? "PATCH" : "POST", body });
          ctx.toast(t("saved"), "success");
          load();
        },
      });
    }

    async function remove(g) {
      if (!(await ctx.confirm({ title: t("deleteTitle"), body: [h("p", { text: t("deleteBody", { q: g.question }) })], ok: t("delete"), danger: true }))) return;
      try { await ctx.api("/admin/golden-questions/" + encodeURIComponent(g.id), { method: "DELETE" }); ctx.toast(t("deleted"), "success"); } catch (err) { ctx.fail(err); }
      load();
    }

    await load();
  },
};
