// The conversation workspace: masked transcript (placeholders as chips; reveal with the permission),
// actions (join, return to bot, close with an outcome, save as curated answer) and the reply composer.
// Live: the conversation's event feed refreshes it as the customer, the bot or another agent writes.
import { api, clear, debounce, formatTime, h, sse, toast, ApiError } from "/static/kit/kit.js";
import { openDialog } from "/static/console/dialog.js";

const $ = (id) => document.getElementById(id);
const PLACEHOLDER = /<([A-Z][A-Z_]*_\d+)>/g;
const REVEAL_MS = 30000;

export class Conversation {
  constructor(app) {
    this.app = app;
    this.id = null;
    this.transcript = null; // {conversation, messages}
    this.context = null; // the context package (from /context)
    this.live = null;
    this.revealed = {}; // placeholder -> value, for REVEAL_MS
    this.onChange = () => {};
    this.reload = debounce(() => this.load(), 200);
    $("btn-join").addEventListener("click", () => this.act("join"));
    $("btn-return").addEventListener("click", () => this.act("return"));
    $("btn-close").addEventListener("click", () => this.closeDialog());
    $("btn-curate").addEventListener("click", () => this.curateDialog());
    $("composer").addEventListener("submit", (e) => { e.preventDefault(); this.sendText($("composer-text").value); });
    $("composer-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); this.sendText($("composer-text").value); }
    });
  }

  get t() { return this.app.t; }
  get mode() { return this.context ? this.context.mode : null; }

  async open(id) {
    if (this.id !== id) {
      this.close();
      this.id = id;
      this.revealed = {};
      $("composer-text").value = "";
      $("composer-note").textContent = "";
      this.follow(id);
    }
    await this.load();
    $("conversation").hidden = false;
    $("workspace-empty").hidden = true;
  }

  close() {
    if (this.live) this.live.abort();
    this.live = null;
    this.id = null;
    this.transcript = null;
    this.context = null;
    this.seen = null;
    $("conversation").hidden = true;
    $("workspace-empty").hidden = false;
  }

  async load() {
    const id = this.id;
    if (!id) return;
    try {
      const [transcript, context] = await Promise.all([
        api("/agent/conversations/" + id),
        api("/agent/conversations/" + id + "/context"),
      ]);
      if (this.id !== id) return;
      // The feed says ``ready`` on every (re)connect, and the console re-reads then; when nothing changed,
      // the workspace and the assist panels are left as the agent has them (no re-render under a click).
      const seen = JSON.stringify([transcript, context]);
      if (seen === this.seen && this.transcript && this.context) return;
      this.seen = seen;
      this.transcript = transcript;
      this.context = context;
      this.render();
      this.onChange();
    } catch (err) {
      this.app.fail(err);
    }
  }

  follow(id) {
    const controller = new AbortController();
    this.live = controller;
    (async () => {
      let delay = 1000;
      while (this.live === controller) {
        try {
          for await (const ev of sse("/agent/conversations/" + id + "/events", { signal: controller.signal })) {
            delay = 1000;
            if (ev.event !== "feedback") this.reload();
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && (err.status === 404 || err.status === 401)) return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 15000);
      }
    })();
  }

  // --- rendering -------------------------------------------------------------------------------------
  render() {
    if (!this.transcript || !this.context) return;
    const conv = this.transcript.conversation;
    const ctx = this.context;
    const me = this.app.me || {};
    $("conv-title").textContent = this.t("conversation") + " #" + conv.id.slice(0, 8);
    const badge = $("conv-status");
    badge.className = "k-badge " + { bot: "bot", waiting_agent: "waiting", agent: "agent", closed: "closed" }[ctx.mode];
    badge.textContent = this.t({ bot: "statusBot", waiting_agent: "statusWaiting", agent: "statusAgent", closed: "statusClosed" }[ctx.mode]);
    const meta = [conv.lang ? conv.lang.toUpperCase() : "", conv.channel];
    if (ctx.handoff) meta.push(this.app.reason(ctx.handoff.reason));
    if (ctx.agent_name) meta.push(this.t("takenBy", { name: ctx.agent_id === me.user_id ? this.t("you") : ctx.agent_name }));
    if (ctx.outcome) meta.push(ctx.outcome === "resolved" ? this.t("resolved") : ctx.outcome === "not_resolved" ? this.t("notResolved") : ctx.outcome);
    $("conv-meta").textContent = meta.filter(Boolean).join(" · ");

    const mine = ctx.mode === "agent" && ctx.agent_id === me.user_id;
    const open = ctx.mode !== "closed";
    $("btn-join").hidden = !open || mine;
    $("btn-join").disabled = ctx.mode === "agent" && !mine;
    $("btn-return").hidden = !(open && ctx.mode !== "bot");
    $("btn-close").hidden = !open;
    const composer = $("composer");
    composer.setAttribute("aria-disabled", String(!open));
    $("composer-text").disabled = !open || (ctx.mode === "agent" && !mine);
    composer.querySelector("button[type=submit]").disabled = $("composer-text").disabled;

    const box = $("transcript");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    clear(box);
    for (const item of this.timeline()) box.appendChild(item.step ? this.actionLine(item) : this.line(item));
    if (ctx.mode === "closed") box.appendChild(h("div", { class: "sys-note", text: this.t("statusClosed") }));
    if (atBottom || !this.rendered) box.scrollTop = box.scrollHeight;
    this.rendered = true;
  }

  line(m) {
    const who = { user: this.t("customer"), bot: this.t("botName"), agent: this.t("agentName") }[m.role] || this.t("system");
    const cites = (m.citations || []).length
      ? h("div", { class: "cites", text: m.citations.map((c) => "[" + c.n + "] " + (c.title || c.chunk_id)).join("  ") })
      : null;
    return h("div", { class: "line " + m.role, dataset: { id: m.id, role: m.role } },
      h("div", { class: "who" }, h("span", { text: who }), h("span", { text: formatTime(m.created_at, this.app.i18n.lang) })),
      h("div", { class: "bubble" }, this.withChips(m.text)),
      cites);
  }

  // Messages with the action steps between them: the customer's own steps (requested, confirmed, cancelled)
  // right after the message that took them, the assistant's (read back, finished) right before its reply
  // (each the message of its side nearest in time: a step and its message are written in one turn), the
  // verification at the start (the token came with the conversation).
  timeline() {
    const msgs = this.transcript.messages;
    const ms = (iso) => Date.parse(iso);
    const head = [], tail = [], before = msgs.map(() => []), after = msgs.map(() => []);
    // The message written in the same turn: the nearest in time of the right side (customer / assistant).
    const nearest = (at, mine) => {
      let best = -1;
      msgs.forEach((m, n) => {
        if (mine(m) && (best < 0 || Math.abs(ms(m.created_at) - at) < Math.abs(ms(msgs[best].created_at) - at))) best = n;
      });
      return best;
    };
    for (const a of this.transcript.actions || []) {
      const at = ms(a.at);
      if (a.step === "verified") { head.push(a); continue; }
      if (["requested", "confirmed", "cancelled"].includes(a.step)) {
        const i = nearest(at, (m) => m.role === "user");
        (i >= 0 ? after[i] : head).push(a);
      } else {
        const i = nearest(at, (m) => m.role !== "user" && ms(m.created_at) >= at - 1000);
        (i >= 0 ? before[i] : tail).push(a);
      }
    }
    const out = [...head];
    msgs.forEach((m, n) => out.push(...before[n], m, ...after[n]));
    return out.concat(tail);
  }

  // One step of an action: what (the action's name), which step, its detail (the outcome, masked values), by whom.
  actionLine(a) {
    const steps = this.t("actionSteps");
    const label = a.step === "finished" ? (steps.outcomes[a.detail] || a.detail) : steps[a.step] || a.step;
    const detail = a.step === "finished" ? "" : a.step === "cancelled" ? (steps.reasons[a.detail] || a.detail) : a.detail;
    const by = a.by ? a.by.replace(/^customer:/, this.t("customer") + " ") : a.step === "verified" ? "" : this.t("botName");
    const outcome = a.step === "finished" ? a.detail : "";
    return h("div", { class: "action-step " + a.step + (outcome ? " " + outcome : ""), role: "note",
      dataset: { seq: String(a.seq), step: a.step, action: a.action, outcome } },
      h("span", { class: "action-tag", text: this.t("actionLabel") }),
      a.action ? h("code", { class: "action-name", text: a.action }) : null,
      h("span", { class: "action-what", text: label }),
      detail ? h("span", { class: "action-detail", text: detail }) : null,
      by ? h("span", { class: "action-by", text: this.t("actionBy", { who: by }) }) : null,
      h("span", { class: "action-at", text: formatTime(a.at, this.app.i18n.lang) }));
  }

  // Masked text with each placeholder as a chip (a button that reveals it, for those allowed).
  withChips(text) {
    const out = [];
    let last = 0;
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (match.index > last) out.push(text.slice(last, match.index));
      out.push(this.chip(match[0]));
      last = match.index + match[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  chip(placeholder) {
    const value = this.revealed[placeholder];
    if (value !== undefined) return h("span", { class: "k-chip revealed", title: placeholder, text: value });
    const label = this.t("placeholder", { p: placeholder });
    if (!(this.app.me && this.app.me.can_reveal)) return h("span", { class: "k-chip", title: label, text: placeholder });
    return h("button", { class: "k-chip", type: "button", title: this.t("reveal"), "aria-label": label + " · " + this.t("reveal"),
      onclick: () => this.revealDialog(placeholder) }, placeholder);
  }

  // --- actions ---------------------------------------------------------------------------------------
  async act(what) {
    if (!this.id) return;
    try {
      await api("/agent/conversations/" + this.id + "/" + what, { method: "POST" });
      toast(this.t(what === "join" ? "joined" : "returned"), "success");
      await this.load();
    } catch (err) {
      this.app.fail(err);
    }
  }

  async sendText(text) {
    text = (text || "").trim();
    if (!text || !this.id) return;
    try {
      const sent = await api("/agent/conversations/" + this.id + "/messages", { method: "POST", body: { text } });
      if ($("composer-text").value.trim() === text) $("composer-text").value = "";
      const pii = Object.values(sent.pii || {}).reduce((a, b) => a + b, 0);
      $("composer-note").textContent = this.t("sent") + (pii ? " · " + this.t("piiRemoved", { n: pii }) : "");
      await this.load();
      return true;
    } catch (err) {
      this.app.fail(err);
      return false;
    }
  }

  insert(text) {
    const box = $("composer-text");
    box.value = box.value.trim() ? box.value.trimEnd() + "\n" + text : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  closeDialog() {
    const resolved = h("input", { type: "radio", name: "outcome", value: "resolved", id: "outcome-resolved", checked: true });
    const notResolved = h("input", { type: "radio", name: "outcome", value: "not_resolved", id: "outcome-not" });
    openDialog({
      title: this.t("closeTitle"), ok: this.t("confirm"), cancel: this.t("cancel"),
      body: [h("fieldset", { class: "radio-row" },
        h("legend", { class: "k-label", text: this.t("outcome") }),
        h("label", { for: "outcome-resolved" }, resolved, this.t("resolved")),
        h("label", { for: "outcome-not" }, notResolved, this.t("notResolved")))],
      onOk: async () => {
        const outcome = notResolved.checked ? "not_resolved" : "resolved";
        await api("/agent/conversations/" + this.id + "/close", { method: "POST", body: { outcome } });
        toast(this.t("closedToast"), "success");
        await this.load();
      },
      onError: (err) => this.app.fail(err),
    });
  }

  curateDialog() {
    const messages = (this.transcript && this.transcript.messages) || [];
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const lastReply = [...messages].reverse().find((m) => m.role === "agent") || [...messages].reverse().find((m) => m.role === "bot");
    const question = h("textarea", { class: "k-textarea", id: "curate-q", rows: "2", maxlength: "500" });
    const answer = h("textarea", { class: "k-textarea", id: "curate-a", rows: "5", maxlength: "4000" });
    const pkg = (this.context && this.context.package) || {};
    question.value = pkg.open_question || pkg.last_question || (lastUser ? lastUser.text : "");
    answer.value = $("composer-text").value.trim() || (lastReply ? lastReply.text : "");
    openDialog({
      title: this.t("curateTitle"), ok: this.t("submit"), cancel: this.t("cancel"),
      body: [
        h("p", { class: "k-hint", text: this.t("curateHint") }),
        h("div", { class: "k-field" }, h("label", { for: "curate-q", text: this.t("question") }), question),
        h("div", { class: "k-field" }, h("label", { for: "curate-a", text: this.t("answer") }), answer),
      ],
      onOk: async () => {
        const got = await api("/agent/conversations/" + this.id + "/curated", {
          method: "POST", body: { question: question.value, answer: answer.value },
        });
        const n = Object.values(got.pii_removed || {}).reduce((a, b) => a + b, 0);
        toast(this.t("curated") + (n ? " · " + this.t("piiRemoved", { n }) : ""), "success");
      },
      onError: (err) => this.app.fail(err),
    });
  }

  revealDialog(placeholder) {
    const reason = h("input", { class: "k-input", id: "reveal-reason", maxlength: "200", required: true, placeholder: this.t("revealReasonPlaceholder") });
    openDialog({
      title: this.t("revealTitle"), ok: this.t("reveal"), cancel: this.t("cancel"),
      body: [
        h("p", {}, h("span", { class: "k-chip", text: placeholder })),
        h("p", { class: "k-hint", text: this.t("revealHint") }),
        h("div", { class: "k-field" }, h("label", { for: "reveal-reason", text: this.t("revealReason") }), reason),
      ],
      validate: () => reason.value.trim().length > 0,
      onOk: async () => {
        const got = await api("/agent/conversations/" + this.id + "/reveal", { method: "POST", body: { placeholder, reason: reason.value.trim() } });
        this.revealed[placeholder] = got.value;
        toast(this.t("revealed"));
        this.render();
        setTimeout(() => { delete this.revealed[placeholder]; this.render(); }, REVEAL_MS);
      },
      onError: (err) => this.app.fail(err),
    });
  }
}
