// Widget keys: the public key a bank's site embeds (with its <script> snippet) and the origins allowed to
// use it; create, edit the origins, disable / re-enable (PATCH /admin/widget-keys/{id}; audited).
import { copyButton, dateTime, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "access",
  order: 30,
  title: { zh: "挂件密钥", en: "Widget keys" },
  messages: bilingual({
    create: ["创建挂件密钥", "Create widget key"], name: ["名称", "Name"], key: ["公钥", "Public key"], origins: ["允许的来源", "Allowed origins"],
    state: ["状态", "State"], created: ["创建时间", "Created"], actions: ["操作", "Actions"], active: ["启用", "Active"],
    disabled: ["已停用", "Disabled"], edit: ["编辑来源", "Edit origins"], disable: ["停用", "Disable"], enable: ["启用", "Enable"],
    empty: ["还没有挂件密钥。", "No widget keys yet."],
    originsHint: ["每行一个：https://www.bank.example（协议 + 域名 [+ 端口]）；* 表示任意网站（不建议）。", "One per line: https://www.bank.example (scheme + host [+ port]); * allows any site (not advised)."],
    snippet: ["嵌入代码", "Embed code"], copy: ["复制", "Copy"], copied: ["已复制", "Copied"], copyFailed: ["请手动复制", "Copy it by hand"],
    saved: ["已保存", "Saved"], disableTitle: ["停用挂件密钥", "Disable widget key"],
    disableBody: ["使用「{n}」的网站上的聊天挂件将立即停止工作（包括进行中的会话）。", "The chat widget on sites using “{n}” stops working at once (open conversations included)."],
    needOrigins: ["请至少填写一个来源。", "Enter at least one origin."], enabled: ["已启用「{n}」", "Enabled “{n}”"],
    disabledToast: ["已停用「{n}」", "Disabled “{n}”"],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const body = h("div", { class: "k-card table-wrap" });
    root.append(h("div", { class: "toolbar" }, h("button", { class: "k-btn primary", type: "button", id: "widget-key-create", onclick: () => edit(null), text: t("create") })), body);
    const snippetOf = (k) => `<script src="${location.origin}/widget.js" data-key="${k.public_key}" defer></script>`;

    async function load() {
      let keys;
      try { keys = await api("/admin/widget-keys", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(body);
      if (!keys.length) { body.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      body.appendChild(h("table", { class: "k-table", id: "widget-keys-table" },
        h("thead", {}, h("tr", {}, [t("name"), t("key"), t("origins"), t("state"), t("created"), t("actions")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, keys.map((k) => h("tr", { class: k.is_active ? null : "row-inactive", dataset: { key: k.id, name: k.name } },
          h("td", { text: k.name || "—" }),
          h("td", {}, h("div", { class: "mono", text: k.public_key }),
            h("details", {}, h("summary", { class: "k-small", text: t("snippet") }), h("pre", { class: "snippet", text: snippetOf(k) }),
              copyButton(snippetOf(k), { copy: t("copy"), copied: t("copied"), copyFailed: t("copyFailed") }))),
          h("td", {}, h("ul", { class: "variants origins" }, k.allowed_origins.map((o) => h("li", { class: "mono", text: o })))),
          h("td", {}, h("span", { class: "k-badge " + (k.is_active ? "ok" : "failed"), text: k.is_active ? t("active") : t("disabled") })),
          h("td", { class: "k-small", text: dateTime(k.created_at, ctx.lang) }),
          h("td", {}, h("div", { class: "k-btn-row" },
            h("button", { class: "k-btn sm", type: "button", dataset: { action: "edit" }, onclick: () => edit(k), text: t("edit") }),
            k.is_active
              ? h("button", { class: "k-btn sm danger", type: "button", dataset: { action: "disable" }, onclick: () => setActive(k, false), text: t("disable") })
              : h("button", { class: "k-btn sm", type: "button", dataset: { action: "enable" }, onclick: () => setActive(k, true), text: t("enable") }))))))));
    }

    async function setActive(k, active) {
      if (!active && !(await ctx.confirm({ title: t("disableTitle"), body: [h("p", { text: t("disableBody", { n: k.name || k.public_key }) })], ok: t("disable"), danger: true }))) return;
      try {
        await api("/admin/widget-keys/" + encodeURIComponent(k.id), { method: "PATCH", body: { is_active: active } });
        ctx.toast(t(active ? "enabled" : "disabledToast", { n: k.name || k.public_key }), "success");
      } catch (err) { ctx.fail(err); }
      load();
    }

    function edit(k) {
      const name = h("input", { class: "k-input", id: "wk-name", maxlength: 200, value: k ? k.name : "", autocomplete: "off" });
      const origins = h("textarea", { class: "k-textarea", id: "wk-origins", rows: 4, "aria-describedby": "wk-hint" });
      origins.value = k ? k.allowed_origins.join("\n") : "";
      const err = h("p", { class: "k-error-text", role: "alert" });
      const list = () => origins.value.split(/[\n,]/).map((o) => o.trim()).filter(Boolean);
      ctx.form({
        title: k ? t("edit") : t("create"),
        body: [
          h("div", { class: "k-field" }, h("label", { for: "wk-name", text: t("name") }), name),
          h("div", { class: "k-field" }, h("label", { for: "wk-origins", text: t("origins") }), origins, h("span", { class: "k-hint", id: "wk-hint", text: t("originsHint") })),
          err,
        ],
        validate: () => { const ok = list().length > 0; err.textContent = ok ? "" : t("needOrigins"); return ok; },
        onOk: async () => {
          const payload = { name: name.value.trim(), allowed_origins: list() };
          try {
            if (k) await api("/admin/widget-keys/" + encodeURIComponent(k.id), { method: "PATCH", body: payload });
            else await api("/admin/widget-keys", { method: "POST", body: payload });
          } catch (e) {
            err.textContent = (e && typeof e.detail === "string" && e.detail) || String(e);
            throw e;
          }
          ctx.toast(t("saved"), "success");
          load();
        },
      });
    }

    await load();
  },
};
