// The assist column: the handoff context package, the suggested reply (grounded in the KB, editable,
// sendable), KB search and canned responses. All text is rendered as text.
import { api, clear, h, toast } from "/static/kit/kit.js";

const $ = (id) => document.getElementById(id);
const TABS = ["context", "suggest", "kb", "canned"];
// The keys (chunk ids) of the passages open in ``panel`` right now, read before it is rebuilt.
const openKeys = (panel) => new Set([...panel.querySelectorAll("details.chunk[open][data-key]")].map((d) => d.dataset.key));

export class Assist {
  constructor(app, conversation) {
    this.app = app;
    this.conv = conversation;
    this.tab = "context";
    this.suggestion = null; // {for: conversation id, data}
    this.suggesting = false;
    this.hits = null;
    this.query = "";
    this.canned = null;
    TABS.forEach((name, i) => {
      const tab = $("atab-" + name);
      tab.addEventListener("click", () => this.select(name));
      tab.addEventListener("keydown", (e) => {
        if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
        e.preventDefault();
        const next = TABS[(i + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length];
        this.select(next);
        $("atab-" + next).focus();
      });
    });
  }

  get t() { return this.app.t; }

  select(name) {
    this.tab = name;
    TABS.forEach((n) => {
      $("atab-" + n).setAttribute("aria-selected", String(n === name));
      $("atab-" + n).tabIndex = n === name ? 0 : -1;
      $("apanel-" + n).hidden = n !== name;
    });
    if (name === "canned" && this.canned === null) this.loadCanned();
    this.render();
  }

  open(id) {
    if (!this.suggestion || this.suggestion.for !== id) this.suggestion = null;
    this.render();
  }

  refresh() { this.render(); }

  render() {
    this.renderContext();
    this.renderSuggest();
    this.renderKb();
    this.renderCanned();
  }

  // --- context ---------------------------------------------------------------------------------------
  renderContext() {
    // A re-render (the conversation's feed says ``ready`` on every (re)connect, or something changed) keeps
    // the passages the agent opened open: a rebuilt <details> would otherwise close under their click.
    const kept = this.contextFor === this.conv.id ? openKeys($("apanel-context")) : new Set();
    this.contextFor = this.conv.id;
    const panel = clear($("apanel-context"));
    const ctx = this.conv.context;
    if (!ctx) { panel.appendChild(h("p", { class: "k-empty", text: this.t("pick") })); return; }
    const p = ctx.package || {};
    const slots = Object.entries(p.slots || {});
    panel.appendChild(h("div", {},
      h("h3", { class: "section-title", text: this.t("summary") }),
      h("div", { class: "summary-box", text: p.summary || "—" })));
    panel.appendChild(h("dl", { class: "k-kv" },
      h("dt", { text: this.t("reason") }), h("dd", { text: this.app.reason(ctx.handoff ? ctx.handoff.reason : p.reason) }),
      h("dt", { text: this.t("intent") }), h("dd", { text: p.intent ? p.intent + " (" + Math.round((p.intent_confidence || 0) * 100) + "%)" : this.t("none") }),
      h("dt", { text: this.t("lastQuestion") }), h("dd", { text: p.open_question || p.last_question || "—" }),
      h("dt", { text: this.t("frustration") }), h("dd", { text: String(Math.round((p.frustration || 0) * 100)) + "%" }),
      h("dt", { text: this.t("unanswered") }), h("dd", { text: String(p.failed_retrievals || 0) })));
    panel.appendChild(h("div", {},
      h("h3", { class: "section-title", text: this.t("slots") }),
      slots.length
        ? h("dl", { class: "k-kv" }, slots.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]))
        : h("p", { class: "k-muted k-small", text: this.t("none") })));
    const cited = ctx.cited_chunks || [];
    panel.appendChild(h("div", {},
      h("h3", { class: "section-title", text: this.t("cited") }),
      cited.length ? cited.map((c) => this.chunk(c.title || c.chunk_id, c.text, null, c.chunk_id, kept)) : h("p", { class: "k-muted k-small", text: this.t("noCited") })));
  }

  // One passage, folded; ``key`` (its chunk id) in ``kept``: it was open before the re-render, so it stays open.
  chunk(title, text, actions, key, kept) {
    const open = key !== undefined && kept !== undefined && kept.has(String(key));
    return h("details", { class: "chunk", open, dataset: key !== undefined ? { key: String(key) } : undefined },
      h("summary", { text: title }),
      text ? h("p", { text }) : null,
      actions ? h("div", { class: "meta" }, actions) : null);
  }

  // --- suggested reply -------------------------------------------------------------------------------
  async suggest() {
    const id = this.conv.id;
    if (!id || this.suggesting) return;
    this.suggesting = true;
    this.renderSuggest();
    try {
      const data = await api("/agent/conversations/" + id + "/suggest", { method: "POST" });
      if (this.conv.id === id) this.suggestion = { for: id, data };
    } catch (err) {
      this.app.fail(err);
    } finally {
      this.suggesting = false;
      this.renderSuggest();
    }
  }

  renderSuggest() {
    const focused = document.activeElement && document.activeElement.id === "suggest-text";
    const kept = openKeys($("apanel-suggest"));
    const panel = clear($("apanel-suggest"));
    if (!this.conv.id) { panel.appendChild(h("p", { class: "k-empty", text: this.t("pick") })); return; }
    const s = this.suggestion && this.suggestion.data;
    panel.appendChild(h("div", { class: "k-btn-row" },
      h("button", { class: "k-btn primary sm", type: "button", id: "btn-suggest", disabled: this.suggesting, onclick: () => this.suggest() },
        this.suggesting ? h("span", { class: "k-spinner", "aria-hidden": "true" }) : null,
        this.t(s ? "regenerate" : "generate"))));
    if (this.suggesting) { panel.appendChild(h("p", { class: "k-muted", role: "status", text: this.t("generating") })); return; }
    if (!s) return;
    if (!s.question) { panel.appendChild(h("p", { class: "notice", text: this.t("noQuestion") })); return; }
    const open = this.conv.mode !== "closed";
    const box = h("textarea", { class: "k-textarea", id: "suggest-text", "aria-label": this.t("suggest"), rows: "7" });
    // The [n] markers point at the passages listed below; the customer gets the reply without them. The
    // agent's edits are kept as a draft, so a re-render (a live event on the conversation) never wipes them.
    const suggestion = this.suggestion;
    box.value = suggestion.draft !== undefined ? suggestion.draft : s.text.replace(/\s*\[\d{1,2}\]/g, "");
    box.addEventListener("input", () => { suggestion.draft = box.value; });
    panel.appendChild(h("div", { class: "suggest-box" },
      h("p", { class: "suggest-q", text: this.t("suggestionFor", { q: s.question }) }),
      s.grounded ? null : h("p", { class: "notice", role: "note", text: this.t("notGrounded") }),
      box));
    if (focused) box.focus();
    panel.appendChild(h("div", { class: "k-btn-row" },
      h("button", { class: "k-btn primary sm", type: "button", id: "btn-send-suggestion", disabled: !open,
        onclick: async () => { if (await this.conv.sendText(box.value)) this.suggestion = null; this.renderSuggest(); } }, this.t("sendSuggestion")),
      h("button", { class: "k-btn sm", type: "button", disabled: !open, onclick: () => this.conv.insert(box.value) }, this.t("useInComposer"))));
    if ((s.citations || []).length) {
      panel.appendChild(h("h3", { class: "section-title", text: this.t("cited") }));
      for (const c of s.citations) panel.appendChild(this.chunk("[" + c.n + "] " + (c.title || c.chunk_id), c.text, null, c.chunk_id, kept));
    }
  }

  // --- KB search -------------------------------------------------------------------------------------
  async search(q) {
    this.query = q.trim();
    if (!this.query) return;
    try {
      // POST, never ?q=: the query is often the customer's words, and URLs end up in logs
      this.hits = await api("/agent/kb/search", { method: "POST", body: { query: this.query } });
    } catch (err) {
      this.app.fail(err);
    }
    this.renderKb();
  }

  renderKb() {
    const kept = openKeys($("apanel-kb"));
    const panel = clear($("apanel-kb"));
    const input = h("input", { class: "k-input", type: "search", id: "kb-q", placeholder: this.t("searchPlaceholder"), "aria-label": this.t("kb") });
    input.value = this.query;
    panel.appendChild(h("form", { class: "search-row", role: "search", onsubmit: (e) => { e.preventDefault(); this.search(input.value); } },
      input, h("button", { class: "k-btn primary", type: "submit", text: this.t("search") })));
    if (!this.hits) return;
    if (!this.hits.hits.length) { panel.appendChild(h("p", { class: "k-empty", text: this.t("noHits") })); return; }
    const list = h("div", { class: "hits", "aria-live": "polite" });
    for (const hit of this.hits.hits) {
      list.appendChild(this.chunk(hit.rank + ". " + (hit.title || hit.chunk_id), hit.text, [
        h("span", { text: this.t("score", { s: hit.score.toFixed(3) }) }),
        hit.source ? h("span", { text: hit.source }) : null,
        h("button", { class: "k-btn sm", type: "button", disabled: !this.conv.id, onclick: () => this.conv.insert(hit.text) }, this.t("insert")),
      ], hit.chunk_id, kept));
    }
    panel.appendChild(list);
  }

  // --- canned responses ------------------------------------------------------------------------------
  async loadCanned() {
    try {
      this.canned = await api("/agent/canned");
    } catch (err) {
      this.canned = [];
      this.app.fail(err);
    }
    this.renderCanned();
  }

  renderCanned() {
    const panel = clear($("apanel-canned"));
    if (this.canned === null) return;
    const lang = this.conv.transcript ? this.conv.transcript.conversation.lang : "";
    const items = this.canned.filter((c) => !lang || !c.lang || c.lang === lang);
    if (!items.length) panel.appendChild(h("p", { class: "k-empty", text: this.t("cannedEmpty") }));
    const admin = this.app.me && this.app.me.role === "admin";
    for (const c of items) {
      panel.appendChild(h("div", { class: "canned-item" },
        h("div", { class: "row" },
          h("strong", { text: c.title }),
          c.lang ? h("span", { class: "k-badge", text: c.lang.toUpperCase() }) : null,
          h("button", { class: "k-btn sm", type: "button", disabled: !this.conv.id, onclick: () => this.conv.insert(c.text) }, this.t("insert")),
          admin ? h("button", { class: "k-btn danger sm", type: "button", onclick: () => this.deleteCanned(c) }, this.t("delete")) : null),
        h("p", { text: c.text })));
    }
    if (admin) panel.appendChild(this.cannedForm());
  }

  cannedForm() {
    const title = h("input", { class: "k-input", id: "canned-title", maxlength: "120", required: true });
    const text = h("textarea", { class: "k-textarea", id: "canned-text", rows: "3", maxlength: "2000", required: true });
    const lang = h("select", { class: "k-select", id: "canned-lang" },
      h("option", { value: "", text: this.t("anyLang") }), h("option", { value: "zh", text: "中文" }), h("option", { value: "en", text: "English" }));
    return h("details", { class: "chunk" },
      h("summary", { text: this.t("addCanned") }),
      h("form", { onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("/agent/canned", { method: "POST", body: { title: title.value, text: text.value, lang: lang.value } });
          toast(this.t("saved"), "success");
          await this.loadCanned();
        } catch (err) { this.app.fail(err); }
      } },
        h("div", { class: "k-field" }, h("label", { for: "canned-title", text: this.t("title") }), title),
        h("div", { class: "k-field" }, h("label", { for: "canned-text", text: this.t("text") }), text),
        h("div", { class: "k-field" }, h("label", { for: "canned-lang", text: this.t("langLabel") }), lang),
        h("button", { class: "k-btn primary sm", type: "submit", text: this.t("save") })));
  }

  async deleteCanned(c) {
    try {
      await api("/agent/canned/" + c.id, { method: "DELETE" });
      toast(this.t("deleted"));
      await this.loadCanned();
    } catch (err) {
      this.app.fail(err);
    }
  }
}
