// API keys for servers (kefu_sk_...): create with a role — the key is shown once, in a dialog, and only
// its hash is stored — list (prefix, role, last use) and revoke.
import { copyButton, dateTime, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "access",
  order: 20,
  title: { zh: "API 密钥", en: "API keys" },
  messages: bilingual({
    create: ["创建密钥", "Create key"], name: ["名称", "Name"], role: ["角色", "Role"], prefix: ["前缀", "Prefix"], created: ["创建时间", "Created"],
    lastUsed: ["最近使用", "Last used"], state: ["状态", "State"], actions: ["操作", "Actions"], admin: ["管理员", "Admin"], agent: ["坐席", "Agent"],
    live: ["有效", "Live"], revoked: ["已吊销", "Revoked"], revoke: ["吊销", "Revoke"], never: ["从未", "never"],
    empty: ["还没有 API 密钥。", "No API keys yet."],
    shownOnce: ["请立即复制并妥善保存：此密钥只显示这一次，服务器只保存其哈希。", "Copy it now and keep it safe: this key is shown only once; the server stores only its hash."],
    keyTitle: ["新的 API 密钥", "New API key"], done: ["我已保存", "I have saved it"], copy: ["复制", "Copy"], copied: ["已复制", "Copied"],
    copyFailed: ["请手动复制", "Copy it by hand"], revokeTitle: ["吊销密钥", "Revoke key"],
    revokeBody: ["使用「{n}」的服务器将立即无法访问。", "Servers using “{n}” lose access at once."], revokedToast: ["已吊销「{n}」", "Revoked “{n}”"],
    needName: ["请填写名称。", "Enter a name."], usage: ["用法：Authorization: Bearer <密钥>", "Use: Authorization: Bearer <key>"],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const body = h("div", { class: "k-card table-wrap" });
    root.append(h("div", { class: "toolbar" }, h("button", { class: "k-btn primary", type: "button", id: "api-key-create", onclick: create, text: t("create") }),
      h("span", { class: "k-hint", text: t("usage") })), body);

    async function load() {
      let keys;
      try { keys = await api("/admin/api-keys", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(body);
      if (!keys.length) { body.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      keys.sort((a, b) => (a.revoked_at ? 1 : 0) - (b.revoked_at ? 1 : 0) || b.created_at.localeCompare(a.created_at));
      body.appendChild(h("table", { class: "k-table", id: "api-keys-table" },
        h("thead", {}, h("tr", {}, [t("name"), t("prefix"), t("role"), t("state"), t("created"), t("lastUsed"), t("actions")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, keys.map((k) => h("tr", { class: k.revoked_at ? "row-inactive" : null, dataset: { key: k.id, name: k.name } },
          h("td", { text: k.name }),
          h("td", { class: "mono", text: "kefu_sk_" + k.prefix + "_…" }),
          h("td", { text: t(k.role) }),
          h("td", {}, h("span", { class: "k-badge " + (k.revoked_at ? "failed" : "ok"), text: k.revoked_at ? t("revoked") : t("live") })),
          h("td", { class: "k-small", text: dateTime(k.created_at, ctx.lang) }),
          h("td", { class: "k-small", text: k.last_used_at ? dateTime(k.last_used_at, ctx.lang) : t("never") }),
          h("td", {}, k.revoked_at ? null : h("button", { class: "k-btn sm danger", type: "button", dataset: { action: "revoke" }, onclick: () => revoke(k), text: t("revoke") })))))));
    }

    async function revoke(k) {
      if (!(await ctx.confirm({ title: t("revokeTitle"), body: [h("p", { text: t("revokeBody", { n: k.name }) })], ok: t("revoke"), danger: true }))) return;
      try {
        await api("/admin/api-keys/" + encodeURIComponent(k.id), { method: "DELETE" });
        ctx.toast(t("revokedToast", { n: k.name }), "success");
      } catch (err) { ctx.fail(err); }
      load();
    }

    function create() {
      const name = h("input", { class: "k-input", id: "ak-name", maxlength: 200, required: true, autocomplete: "off" });
      const role = h("select", { class: "k-select", id: "ak-role" }, h("option", { value: "agent", text: t("agent") }), h("option", { value: "admin", text: t("admin") }));
      const err = h("p", { class: "k-error-text", role: "alert" });
      ctx.form({
        title: t("create"),
        body: [
          h("div", { class: "k-field" }, h("label", { for: "ak-name", text: t("name") }), name),
          h("div", { class: "k-field" }, h("label", { for: "ak-role", text: t("role") }), role),
          err,
        ],
        validate: () => { const ok = name.value.trim().length > 0; err.textContent = ok ? "" : t("needName"); return ok; },
        onOk: async () => {
          const created = await api("/admin/api-keys", { method: "POST", body: { name: name.value.trim(), role: role.value } });
          load();
          // The dialog closes right after onOk: show the secret in it once it has.
          document.getElementById("dialog").addEventListener("close", () => showOnce(created), { once: true });
        },
      });
    }

    function showOnce(key) {
      ctx.form({
        title: t("keyTitle"),
        ok: t("done"),
        body: [h("div", { class: "secret-box", id: "api-key-secret" },
          h("p", { class: "k-small", text: t("shownOnce") }),
          h("code", { id: "api-key-value", text: key.key }),
          copyButton(key.key, { copy: t("copy"), copied: t("copied"), copyFailed: t("copyFailed") }))],
        onOk: async () => { ctx.clear(document.getElementById("dialog-body")); },
      });
      // Nothing of the secret stays in the page once the dialog is closed (Cancel and Escape too).
      document.getElementById("dialog").addEventListener("close", () => ctx.clear(document.getElementById("dialog-body")), { once: true });
    }

    await load();
  },
};
