// Single sign-on: the tenant's OpenID Connect identity provider (GET/PUT/PATCH/DELETE /admin/sso; audited).
// The client secret is write-only: the page never sees it, and leaving the field empty keeps it.
import { copyButton, dateTime, useStyles } from "/static/admin/insight.js";
import { ApiError, bilingual } from "/static/kit/kit.js";

export default {
  group: "access",
  order: 40,
  title: { zh: "单点登录", en: "Single sign-on" },
  messages: bilingual({
    intro: ["员工通过本机构的身份认证系统（OpenID Connect）登录；首次登录时按所属组自动创建账号。", "Staff sign in through your organisation's identity provider (OpenID Connect); accounts are made at the first sign-in from the person's groups."],
    notSet: ["尚未配置单点登录。", "Single sign-on is not set up."], issuer: ["Issuer（颁发者 URL）", "Issuer URL"], clientId: ["Client ID", "Client ID"],
    clientSecret: ["Client secret", "Client secret"], secretKept: ["已保存（留空则不变）", "Stored (leave empty to keep it)"],
    scopes: ["Scopes", "Scopes"], roleClaim: ["角色声明（claim）", "Role claim"], roleMap: ["组 → 角色", "Group → role"],
    roleMapHint: ["每行一个：组名 = admin 或 agent", "One per line: group = admin or agent"], checkS: ["重新校验间隔（秒）", "Re-check every (seconds)"],
    enabled: ["启用单点登录", "Single sign-on enabled"],
    noPasswords: ["禁止本地密码登录（仅单点登录；API 密钥仍可用）", "Refuse local passwords (SSO only; API keys still work)"], save: ["保存", "Save"],
    remove: ["删除配置", "Remove"], removeTitle: ["删除单点登录配置", "Remove single sign-on"],
    removeBody: ["所有通过单点登录的会话将立即结束，本地密码登录恢复可用。", "Every SSO login ends at once; local password logins work again."],
    redirect: ["回调地址（在身份认证系统中登记）", "Redirect URI (register it at the IdP)"], signIn: ["员工登录链接", "Staff sign-in link"],
    updated: ["更新时间", "Updated"], saved: ["已保存", "Saved"], removed: ["已删除", "Removed"], badMap: ["组映射格式错误：{l}", "Not a mapping line: {l}"],
    copy: ["复制", "Copy"], copied: ["已复制", "Copied"], copyFailed: ["请手动复制", "Copy it by hand"],
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const body = h("div", { class: "k-card" }, h("div", { class: "k-card-body" }));
    root.append(h("p", { class: "k-muted", text: t("intro") }), body);
    const labels = { copy: t("copy"), copied: t("copied"), copyFailed: t("copyFailed") };

    async function load() {
      let cfg = null;
      try { cfg = await api("/admin/sso", { signal: ctx.signal }); } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) { ctx.fail(err); return; }
      }
      render(cfg);
    }

    function field(id, label, input, hint) {
      input.id = id;
      return h("div", { class: "k-field" }, h("label", { for: id, text: label }), input, hint ? h("span", { class: "k-hint", text: hint }) : null);
    }

    function render(cfg) {
      const card = ctx.clear(body.firstChild);
      const inp = (value, extra) => h("input", { class: "k-input", value: value ?? "", autocomplete: "off", ...extra });
      const issuer = inp(cfg && cfg.issuer, { maxlength: 500, placeholder: "https://idp.bank.example/realms/staff" });
      const clientId = inp(cfg && cfg.client_id, { maxlength: 200 });
      const secret = inp("", { type: "password", maxlength: 1000, placeholder: cfg ? t("secretKept") : "" });
      const scopes = inp(cfg ? cfg.scopes : "openid email profile", { maxlength: 500 });
      const claim = inp(cfg ? cfg.role_claim : "groups", { maxlength: 100 });
      const map = h("textarea", { class: "k-textarea", rows: 3 });
      map.value = Object.entries(cfg ? cfg.role_map : { "kefu-admins": "admin", "kefu-agents": "agent" }).map(([g, r]) => g + " = " + r).join("\n");
      const checkS = inp(String(cfg ? cfg.session_check_s : 900), { type: "number", min: 60, max: 86400 });
      const enabled = h("input", { type: "checkbox", checked: cfg ? cfg.enabled : true });
      const noPw = h("input", { type: "checkbox", checked: cfg ? cfg.password_login_disabled : false });
      const err = h("p", { class: "k-error-text", role: "alert" });
      if (!cfg) card.appendChild(h("p", { class: "k-empty", text: t("notSet") }));
      else card.append(
        h("div", { class: "k-field" }, h("span", { class: "k-label", text: t("redirect") }), h("div", { class: "k-btn-row" }, h("span", { class: "mono", text: cfg.redirect_uri }), copyButton(cfg.redirect_uri, labels))),
        h("div", { class: "k-field" }, h("span", { class: "k-label", text: t("signIn") }), h("div", { class: "k-btn-row" }, h("span", { class: "mono", text: location.origin + cfg.sign_in_url }), copyButton(location.origin + cfg.sign_in_url, labels))),
        h("p", { class: "k-small k-muted", text: t("updated") + " " + dateTime(cfg.updated_at, ctx.lang) }));
      card.append(
        field("sso-issuer", t("issuer"), issuer), field("sso-client-id", t("clientId"), clientId),
        field("sso-secret", t("clientSecret"), secret), field("sso-scopes", t("scopes"), scopes),
        field("sso-claim", t("roleClaim"), claim), field("sso-map", t("roleMap"), map, t("roleMapHint")),
        field("sso-check", t("checkS"), checkS),
        h("label", { class: "k-check" }, enabled, " ", t("enabled")), h("label", { class: "k-check" }, noPw, " ", t("noPasswords")),
        err,
        h("div", { class: "k-btn-row" },
          h("button", { class: "k-btn primary", type: "button", id: "sso-save", onclick: () => save(cfg), text: t("save") }),
          cfg ? h("button", { class: "k-btn danger", type: "button", id: "sso-remove", onclick: remove, text: t("remove") }) : null));

      async function save(existing) {
        err.textContent = "";
        const roleMap = {};
        for (const line of map.value.split("\n").map((l) => l.trim()).filter(Boolean)) {
          const [group, role] = line.split("=").map((p) => (p || "").trim());
          if (!group || !["admin", "agent"].includes(role)) { err.textContent = t("badMap", { l: line }); return; }
          roleMap[group] = role;
        }
        const payload = { issuer: issuer.value.trim(), client_id: clientId.value.trim(), scopes: scopes.value.trim(), role_claim: claim.value.trim(),
          role_map: roleMap, session_check_s: Number(checkS.value), enabled: enabled.checked, password_login_disabled: noPw.checked };
        if (secret.value) payload.client_secret = secret.value;
        try {
          await api("/admin/sso", { method: existing ? "PATCH" : "PUT", body: payload });
        } catch (e) { err.textContent = (e && typeof e.detail === "string" && e.detail) || (e && e.message) || String(e); return; }
        ctx.toast(t("saved"), "success");
        load();
      }
    }

    async function remove() {
      if (!(await ctx.confirm({ title: t("removeTitle"), body: [h("p", { text: t("removeBody") })], ok: t("remove"), danger: true }))) return;
      try { await api("/admin/sso", { method: "DELETE" }); ctx.toast(t("removed"), "success"); } catch (err) { ctx.fail(err); }
      load();
    }

    await load();
  },
};
