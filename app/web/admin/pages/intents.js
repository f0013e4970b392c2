// Intents: what the bot recognises in a customer's message (examples train the tenant's tracker), which
// ones go straight to a person (handoff), the details a request needs (required slots). Saving retrains the
// tracker in the background; the status line says when the new one serves.
import { bilingual } from "/static/kit/kit.js";
export default {
  group: "dialog",
  order: 10,
  title: { zh: "意图", en: "Intents" },
  messages: bilingual({
    add: ["新增意图", "Add intent"], importStd: ["导入标准意图集", "Import the standard set"], imported: ["已导入标准意图集", "Standard set imported"],
    edit: ["编辑", "Edit"], name: ["名称", "Name"], nameHint: ["小写字母、数字、下划线，如 card_lost", "lower case, digits, underscores, e.g. card_lost"],
    description: ["说明", "Description"], examples: ["示例问法", "Example messages"],
    examplesHint: ["每行一句，中英文均可", "One per line, Chinese or English"], handoff: ["直接转人工", "Hand off to a person"],
    slots: ["必需信息", "Required details"], slotsHint: ["逗号分隔，如 card_last4, amount", "comma-separated, e.g. card_last4, amount"],
    topicZh: ["主题（中文）", "Topic (Chinese)"], topicEn: ["主题（英文）", "Topic (English)"], count: ["{n} 句", "{n} examples"],
    actions: ["操作", "Actions"], empty: ["本租户还没有自定义意图，正在使用标准意图集。", "No intents of this tenant yet: the standard set is in use."],
    saved: ["已保存，正在重新训练…", "Saved; retraining…"], deleted: ["已删除", "Deleted"], deleteTitle: ["删除意图", "Delete intent"],
    deleteBody: ["删除意图 {n}？", "Delete the intent {n}?"], yes: ["是", "yes"], no: ["否", "no"],
    statusDefault: ["识别模型：标准意图集", "Tracker: the standard intent set"],
    statusTenant: ["识别模型：本租户的 {n} 个意图", "Tracker: this tenant's {n} intents"],
    training: ["训练中（旧模型继续服务）", "training (the previous one serves)"], ready: ["已生效", "live"],
    statusError: ["意图集有问题，继续使用上一个模型：{e}", "The intents have a problem; the previous tracker keeps serving: {e}"],
    needExamples: ["请至少填写一句示例", "Write at least one example"], needName: ["名称格式不正确", "The name is not valid"],
  }),
  async mount(root, ctx) {
    const { h, t } = ctx;
    const status = h("p", { class: "notice", id: "intent-status", role: "status" });
    const list = h("div", { class: "k-card table-wrap" });
    let timer = null;
    root.append(h("div", { class: "toolbar" },
      h("button", { class: "k-btn primary", type: "button", id: "intent-add", text: t("add"), onclick: () => edit(null) }),
      h("button", { class: "k-btn", type: "button", text: t("importStd"), onclick: () => importStd() })), status, list);

    async function loadStatus() {
      clearTimeout(timer);
      let s;
      try { s = await ctx.api("/admin/intents/status", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      const base = s.source === "tenant" ? t("statusTenant", { n: s.intents }) : t("statusDefault");
      status.textContent = s.error ? t("statusError", { e: s.error }) : base + " · " + (s.ready ? t("ready") : t("training"));
      status.className = "notice " + (s.error ? "error" : s.ready ? "ok" : "");
      if (!s.ready && !s.error) timer = setTimeout(loadStatus, 1500);
    }

    async function load() {
      let rows;
      try { rows = await ctx.api("/admin/intents", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(list);
      if (!rows.length) list.appendChild(h("p", { class: "k-empty", text: t("empty") }));
      else list.appendChild(h("table", { class: "k-table", id: "intents-table" },
        h("thead", {}, h("tr", {}, [t("name"), t("description"), t("examples"), t("handoff"), t("slots"), t("actions")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, rows.map((i) => h("tr", { dataset: { intent: i.name } },
          h("td", {}, h("code", { class: "k-mono", text: i.name }), i.topic && (i.topic[ctx.lang] || i.topic.en) ? h("div", { class: "k-small k-muted", text: i.topic[ctx.lang] || i.topic.en }) : null),
          h("td", { class: "k-small", text: i.description }),
          h("td", { class: "k-small" }, h("details", {}, h("summary", { text: t("count", { n: i.examples.length }) }), h("div", { class: "passage", text: i.examples.join("\n") }))),
          h("td", {}, i.handoff ? h("span", { class: "k-badge waiting", text: t("yes") }) : h("span", { class: "k-muted", text: t("no") })),
          h("td", { class: "k-small k-mono", text: i.required_slots.join(", ") }),
          h("td", {}, h("div", { class: "k-btn-row" },
            h("button", { class: "k-btn sm", type: "button", text: t("edit"), onclick: () => edit(i) }),
            h("button", { class: "k-btn sm danger", type: "button", text: t("delete"), onclick: () => remove(i) }))))))));
      loadStatus();
    }

    function field(id, label, control, hint) {
      return h("div", { class: "k-field" }, h("label", { for: id, text: label }), control, hint ? h("span", { class: "k-hint", text: hint }) : null);
    }

    function edit(i) {
      const name = h("input", { class: "k-input k-mono", id: "intent-name", maxlength: "64", value: i ? i.name : "" });
      const description = h("input", { class: "k-input", id: "intent-description", maxlength: "500", value: i ? i.description : "" });
      const examples = h("textarea", { class: "k-textarea", id: "intent-examples", rows: "6" });
      examples.value = i ? i.examples.join("\n") : "";
      const handoff = h("input", { type: "checkbox", id: "intent-handoff", checked: i ? i.handoff : false });
      const slots = h("input", { class: "k-input k-mono", id: "intent-slots", value: i ? i.required_slots.join(", ") : "" });
      const topicZh = h("input", { class: "k-input", id: "intent-topic-zh", value: i && i.topic ? i.topic.zh || "" : "" });
      const topicEn = h("input", { class: "k-input", id: "intent-topic-en", value: i && i.topic ? i.topic.en || "" : "" });
      const error = h("p", { class: "k-error-text", role: "alert" });
      ctx.form({
        title: i ? t("edit") + " · " + i.name : t("add"),
        body: [field("intent-name", t("name"), name, t("nameHint")), field("intent-description", t("description"), description),
          field("intent-examples", t("examples"), examples, t("examplesHint")),
          h("label", { class: "check-row" }, handoff, h("span", { text: t("handoff") })),
          field("intent-slots", t("slots"), slots, t("slotsHint")), field("intent-topic-zh", t("topicZh"), topicZh), field("intent-topic-en", t("topicEn"), topicEn), error],
        validate: () => {
          const lines = examples.value.split("\n").map((s) => s.trim()).filter(Boolean);
          error.textContent = !/^[a-z][a-z0-9_]{0,63}$/.test(name.value.trim()) ? t("needName") : !lines.length ? t("needExamples") : "";
          return !error.textContent;
        },
        onOk: async () => {
          const topic = {};
          if (topicZh.value.trim()) topic.zh = topicZh.value.trim();
          if (topicEn.value.trim()) topic.en = topicEn.value.trim();
          const body = {
            name: name.value.trim(), description: description.value.trim(),
            examples: examples.value.split("\n").map((s) => s.trim()).filter(Boolean), handoff: handoff.checked,
            required_slots: slots.value.split(",").map((s) => s.trim()).filter(Boolean), topic,
          };
          try {
            await ctx.api("/admin/intents" + (i ? "/" + encodeURIComponent(i.id) : ""), { method: i ? "PUT" : "POST", body });
          } catch (err) {
            error.textContent = typeof err.detail === "string" ? err.detail : err.message;
            throw err;
          }
          ctx.toast(t("saved"), "success");
          load();
        },
      });
    }

    async function remove(i) {
      if (!(await ctx.confirm({ title: t("deleteTitle"), body: [h("p", { text: t("deleteBody", { n: i.name }) })], ok: t("delete"), danger: true }))) return;
      try { await ctx.api("/admin/intents/" + encodeURIComponent(i.id), { method: "DELETE" }); ctx.toast(t("deleted"), "success"); } catch (err) { ctx.fail(err); }
      load();
    }

    async function importStd() {
      try { await ctx.api("/admin/intents/import-default", { method: "POST" }); ctx.toast(t("imported"), "success"); } catch (err) { ctx.fail(err); }
      load();
    }

    await load();
    return () => clearTimeout(timer);
  },
};
