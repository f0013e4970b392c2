// Users and roles: list the tenant's admins and agents, add one, change a role, deactivate / reactivate
// (PATCH /admin/users/{id}; audited; the last active admin is refused by the server with 409).
import { dateTime, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "access",
  order: 10,
  title: { zh: "用户与角色", en: "Users & roles" },
  messages: bilingual({
    add: ["添加用户", "Add user"], user: ["用户", "User"], role: ["角色", "Role"], state: ["状态", "State"], lastLogin: ["最近登录", "Last login"],
    created: ["创建时间", "Created"], actions: ["操作", "Actions"], admin: ["管理员", "Admin"], agent: ["坐席", "Agent"], active: ["启用", "Active"],
    inactive: ["已停用", "Deactivated"], deactivate: ["停用", "Deactivate"], reactivate: ["启用", "Reactivate"], never: ["从未", "never"],
    you: ["（你）", " (you)"], email: ["邮箱", "Email"], name: ["显示名", "Display name"],
    password: ["初始密码（至少 10 位）", "Initial password (10+ characters)"], makeAdmin: ["设为管理员", "Make admin"], makeAgent: ["设为坐席", "Make agent"],
    added: ["已添加 {e}", "Added {e}"], roleChanged: ["{e} 现在是{r}", "{e} is now {r}"],
    deactivated: ["已停用 {e}，其登录已失效", "{e} deactivated; their sessions ended"], reactivated: ["已启用 {e}", "{e} reactivated"],
    deactivateTitle: ["停用账号", "Deactivate account"],
    deactivateBody: ["{e} 将立即退出登录，且无法再登录。", "{e} is logged out at once and cannot log in again."], roleTitle: ["更改角色", "Change role"],
    roleBody: ["将 {e} 的角色改为{r}？", "Change {e}'s role to {r}?"], lastAdmin: ["不能移除最后一位启用的管理员。", "The last active admin cannot be removed."],
    invalid: ["请填写有效的邮箱和至少 10 位的密码。", "Enter a valid email and a password of at least 10 characters."], empty: ["暂无用户。", "No users."],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const body = h("div", { class: "k-card table-wrap" });
    root.append(h("div", { class: "toolbar" }, h("button", { class: "k-btn primary", type: "button", id: "user-add", onclick: add, text: t("add") })), body);

    const failLastAdmin = (err) => {
      if (err && err.code === "conflict") ctx.toast(t("lastAdmin"), "error", 6000); else ctx.fail(err);
    };

    async function load() {
      let users;
      try { users = await api("/admin/users", { signal: ctx.signal }); } catch (err) { ctx.fail(err); return; }
      ctx.clear(body);
      if (!users.length) { body.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      body.appendChild(h("table", { class: "k-table", id: "users-table" },
        h("thead", {}, h("tr", {}, [t("user"), t("role"), t("state"), t("lastLogin"), t("created"), t("actions")].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, users.map((u) => {
          const self = u.id === ctx.me.actor_id;
          return h("tr", { class: u.is_active ? null : "row-inactive", dataset: { user: u.id, email: u.email } },
            h("td", {}, h("div", { text: u.email + (self ? t("you") : "") }), u.display_name ? h("div", { class: "k-muted k-small", text: u.display_name }) : null),
            h("td", {}, h("span", { class: "k-badge" + (u.role === "admin" ? " published" : ""), text: t(u.role) })),
            h("td", {}, h("span", { class: "k-badge" + (u.is_active ? " ok" : " failed"), text: u.is_active ? t("active") : t("inactive") })),
            h("td", { class: "k-small", text: u.last_login_at ? dateTime(u.last_login_at, ctx.lang) : t("never") }),
            h("td", { class: "k-small", text: dateTime(u.created_at, ctx.lang) }),
            h("td", {}, h("div", { class: "k-btn-row" },
              h("button", { class: "k-btn sm", type: "button", dataset: { action: "role" }, onclick: () => changeRole(u), text: u.role === "admin" ? t("makeAgent") : t("makeAdmin") }),
              u.is_active
                ? h("button", { class: "k-btn sm danger", type: "button", dataset: { action: "deactivate" }, onclick: () => setActive(u, false), text: t("deactivate") })
                : h("button", { class: "k-btn sm", type: "button", dataset: { action: "reactivate" }, onclick: () => setActive(u, true), text: t("reactivate") }))));
        }))));
    }

    async function changeRole(u) {
      const role = u.role === "admin" ? "agent" : "admin";
      if (!(await ctx.confirm({ title: t("roleTitle"), body: [h("p", { text: t("roleBody", { e: u.email, r: t(role) }) })] }))) return;
      try {
        await api("/admin/users/" + encodeURIComponent(u.id), { method: "PATCH", body: { role } });
        ctx.toast(t("roleChanged", { e: u.email, r: t(role) }), "success");
      } catch (err) { failLastAdmin(err); }
      load();
    }

    async function setActive(u, active) {
      if (!active && !(await ctx.confirm({ title: t("deactivateTitle"), body: [h("p", { text: t("deactivateBody", { e: u.email }) })], ok: t("deactivate"), danger: true }))) return;
      try {
        await api("/admin/users/" + encodeURIComponent(u.id), { method: "PATCH", body: { is_active: active } });
        ctx.toast(t(active ? "reactivated" : "deactivated", { e: u.email }), "success");
      } catch (err) { failLastAdmin(err); }
      load();
    }

    function add() {
      const email = h("input", { class: "k-input", id: "nu-email", type: "email", required: true, maxlength: 320, autocomplete: "off" });
      const name = h("input", { class: "k-input", id: "nu-name", maxlength: 200, autocomplete: "off" });
      const role = h("select", { class: "k-select", id: "nu-role" }, h("option", { value: "agent", text: t("agent") }), h("option", { value: "admin", text: t("admin") }));
      const password = h("input", { class: "k-input", id: "nu-password", type: "password", minlength: 10, maxlength: 200, autocomplete: "new-password", required: true });
      const err = h("p", { class: "k-error-text", role: "alert" });
      ctx.form({
        title: t("add"),
        body: [
          h("div", { class: "k-field" }, h("label", { for: "nu-email", text: t("email") }), email),
          h("div", { class: "k-field" }, h("label", { for: "nu-name", text: t("name") }), name),
          h("div", { class: "k-field" }, h("label", { for: "nu-role", text: t("role") }), role),
          h("div", { class: "k-field" }, h("label", { for: "nu-password", text: t("password") }), password),
          err,
        ],
        validate: () => {
          const ok = email.value.includes("@") && password.value.length >= 10;
          err.textContent = ok ? "" : t("invalid");
          return ok;
        },
        onOk: async () => {
          await api("/admin/users", { method: "POST", body: { email: email.value.trim(), display_name: name.value.trim(), role: role.value, password: password.value } });
          ctx.toast(t("added", { e: email.value.trim() }), "success");
          load();
        },
      });
    }

    await load();
  },
};
