// The staff shell's behaviour (templates/staff.html; the agent and admin consoles): the sign-in form, the
// sign-out button, and switching between the sign-in view and the app.
import { api, auth, ApiError } from "/static/kit/kit.js";

const $ = (id) => document.getElementById(id);

// Single sign-on: the SSO form sends the browser to /api/v1/auth/sso/start (the organisation's IdP); the
// server's callback sets the session cookie and lands back here on "#sso" (or "#sso_error=<reason>").
// The tab then works on that cookie (the api() calls send X-Kefu-CSRF with it) until sign-out.
const SSO_TAB = "kefu.console.sso";
const SSO_ORG = "kefu.sso.org";

// A good login stores the token and awaits start(); a refused one says why under the form. Sign-out ends
// the session on the server (when it is still there) and calls signedOut().
export function bindSignIn({ t, start, signedOut }) {
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("login-error").textContent = "";
    try {
      const res = await api("/auth/login", { method: "POST", body: { email: $("login-email").value.trim(), password: $("login-password").value } });
      auth.set(res.token);
      $("login-password").value = "";
      await start();
    } catch (err) {
      const why = err instanceof ApiError && err.status === 401 ? t("loginFailed")
        : err instanceof ApiError && err.code === "password_login_disabled" ? t("ssoOnly") : t("error", { e: err.message });
      $("login-error").textContent = why;
    }
  });
  $("sso-org").value = new URLSearchParams(location.search).get("org") || localStorage.getItem(SSO_ORG) || "";
  $("sso-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const org = $("sso-org").value.trim();
    if (!org) { $("sso-org").focus(); return; }
    localStorage.setItem(SSO_ORG, org);
    location.assign("/api/v1/auth/sso/start?" + new URLSearchParams({ org, next: location.pathname }));
  });
  $("logout").addEventListener("click", async () => {
    try { await api("/auth/logout", { method: "POST" }); } catch { /* gone already */ }
    signedOut();
  });
}

// Where this page load came from: back from a good SSO sign-in (or a tab signed in that way), or from a
// refused one ({ error } to show). Clears the "#sso..." marker from the address bar.
export function ssoLanding(t) {
  const hash = location.hash;
  const clean = () => history.replaceState(null, "", location.pathname + location.search);
  if (hash === "#sso") { clean(); sessionStorage.setItem(SSO_TAB, "1"); return { signedIn: true }; }
  if (hash.startsWith("#sso_error=")) {
    clean();
    const reason = decodeURIComponent(hash.slice("#sso_error=".length)).replace(/[^a-z_]/g, "");
    const known = { no_role: "ssoNoRole", not_configured: "ssoNotConfigured" };
    return { signedIn: false, error: known[reason] ? t(known[reason]) : t("ssoFailed", { r: reason }) };
  }
  return { signedIn: sessionStorage.getItem(SSO_TAB) === "1" };
}

// The sign-in view (the app hidden), with `message` under the form; focus on the e-mail field.
export function showSignIn(message = "") {
  sessionStorage.removeItem(SSO_TAB);
  $("app-view").hidden = true;
  $("user-box").hidden = true;
  $("logout").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message;
  $("login-email").focus();
}

// The app view, with the signed-in person's name and initial in the top bar.
export function showApp(name, email) {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("user-box").hidden = false;
  $("logout").hidden = false;
  $("user-name").textContent = name;
  $("user-avatar").textContent = (email || "?").slice(0, 1).toUpperCase();
}
