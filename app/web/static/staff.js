// The staff shell's behaviour (templates/staff.html; the agent and admin consoles): the sign-in form, the
// sign-out button, and switching between the sign-in view and the app.
import { api, auth, ApiError } from "/static/kit/kit.js";

const $ = (id) => document.getElementById(id);

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
      $("login-error").textContent = err instanceof ApiError && err.status === 401 ? t("loginFailed") : t("error", { e: err.message });
    }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("/auth/logout", { method: "POST" }); } catch { /* gone already */ }
    signedOut();
  });
}

// The sign-in view (the app hidden), with `message` under the form; focus on the e-mail field.
export function showSignIn(message = "") {
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
