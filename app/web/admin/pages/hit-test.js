// Hit-testing: a query against a KB version (the live one, the draft or any earlier one) → the ranked
// chunks with the fused score the ranking uses and the dense (cosine) and BM25 scores and ranks behind it.
import { bilingual } from "/static/kit/kit.js";

export default {
  group: "kb",
  order: 40,
  title: { zh: "命中测试", en: "Hit testing" },
  messages: bilingual({
    query: ["测试问题", "Question"],
    queryPlaceholder: ["输入客户可能会问的问题，如：如何申请信用卡分期？", "A question a customer might ask, e.g. How do I pay by instalments?"],
    run: ["测试", "Test"], version: ["版本", "Version"], active: ["线上版本", "Live version"], draft: ["草稿", "Draft"], k: ["返回条数", "Results"],
    rank: ["排名", "Rank"], passage: ["命中段落", "Passage"], fused: ["融合分", "Fused"], dense: ["向量分", "Dense"], bm25: ["BM25 分", "BM25"],
    good: ["可以作答：机器人会基于这些段落回答。", "Answerable: the bot would answer from these passages."],
    weak: ["相关度不足：机器人会回答“不知道”或转人工。", "Not relevant enough: the bot would say it doesn't know, or hand off."],
    elapsed: ["耗时 {ms} 毫秒 · 版本 {v}", "{ms} ms · version {v}"], empty: ["没有命中任何段落。", "No passage matched."], rankOf: ["第 {r} 名", "rank {r}"],
    lang: ["语言", "Language"], anyLang: ["不限", "Any"], noVersion: ["该版本不存在（还没有发布过？）", "No such version (nothing published yet?)"],
  }),
  async mount(root, ctx) {
    const { h, t } = ctx;
    const query = h("input", { class: "k-input", id: "hit-query", type: "search", maxlength: "1000", placeholder: t("queryPlaceholder"), value: ctx.params.q || "" });
    const version = h("select", { class: "k-select", id: "hit-version" },
      h("option", { value: "active", text: t("active") }), h("option", { value: "draft", text: t("draft") }));
    const lang = h("select", { class: "k-select", id: "hit-lang" }, [["", t("anyLang")], ["zh", "中文"], ["en", "English"]].map(([v, l]) => h("option", { value: v, text: l })));
    const k = h("select", { class: "k-select", id: "hit-k" }, [5, 10, 20].map((n) => h("option", { value: String(n), text: String(n) })));
    k.value = "10";
    const result = h("div", { class: "hit-result", "aria-live": "polite" });
    const form = h("form", { class: "k-card", id: "hit-form", onsubmit: (e) => { e.preventDefault(); run(); } },
      h("div", { class: "k-card-body hit-form" },
        h("div", { class: "k-field hit-q" }, h("label", { for: "hit-query", text: t("query") }), query),
        h("div", { class: "k-field" }, h("label", { for: "hit-version", text: t("version") }), version),
        h("div", { class: "k-field" }, h("label", { for: "hit-lang", text: t("lang") }), lang),
        h("div", { class: "k-field" }, h("label", { for: "hit-k", text: t("k") }), k),
        h("button", { class: "k-btn primary", type: "submit", text: t("run") })));
    root.append(form, result);

    try {
      const versions = await ctx.api("/admin/kb/versions", { signal: ctx.signal });
      for (const v of versions) {
        if (v.state === "previous") version.appendChild(h("option", { value: v.id, text: v.label }));
      }
      if (!versions.some((v) => v.state === "draft")) version.querySelector("option[value=draft]").disabled = true;
    } catch (err) { ctx.fail(err); }
    if (ctx.params.version && [...version.options].some((o) => o.value === ctx.params.version && !o.disabled)) version.value = ctx.params.version;
    if (query.value) run(); else query.focus();

    async function run() {
      const q = query.value.trim();
      if (!q) { query.focus(); return; }
      ctx.clear(result).appendChild(h("span", { class: "k-spinner", "aria-label": "…" }));
      let res;
      try {
        res = await ctx.api("/admin/kb/hit-test", { method: "POST", body: { query: q, version: version.value, k: Number(k.value), lang: lang.value || null }, signal: ctx.signal });
      } catch (err) {
        ctx.clear(result);
        if (err.status === 404) result.appendChild(h("p", { class: "notice error", text: t("noVersion") }));
        else ctx.fail(err);
        return;
      }
      render(res);
    }

    function score(v) { return v === null || v === undefined ? "—" : v.toFixed(3); }

    function render(res) {
      ctx.clear(result).append(
        h("p", { class: "notice " + (res.good_enough ? "ok" : "error"), id: "hit-verdict", text: res.good_enough ? t("good") : t("weak") }),
        h("p", { class: "k-small k-muted", text: t("elapsed", { ms: Math.round(res.elapsed_ms), v: res.version + " (" + res.version_state + ")" }) }));
      if (!res.hits.length) { result.appendChild(h("p", { class: "k-empty", text: t("empty") })); return; }
      result.appendChild(h("div", { class: "k-card table-wrap" }, h("table", { class: "k-table", id: "hit-table" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", class: "num", text: t("rank") }), h("th", { scope: "col", text: t("passage") }),
          h("th", { scope: "col", class: "num", text: t("fused") }), h("th", { scope: "col", class: "num", text: t("dense") }),
          h("th", { scope: "col", class: "num", text: t("bm25") }))),
        h("tbody", {}, res.hits.map((hit) => h("tr", { class: "hit", dataset: { chunk: hit.chunk_id, source: hit.source } },
          h("td", { class: "num", text: String(hit.rank) }),
          h("td", { class: "hit-passage" },
            h("div", { class: "k-small k-muted", text: [hit.source, hit.heading_path, hit.lang].filter(Boolean).join(" · ") }),
            h("div", { class: "passage", text: hit.text })),
          h("td", { class: "num" }, h("strong", { class: "score-fused", text: score(hit.score) }), h("div", { class: "score-bar" }, bar(hit.score))),
          h("td", { class: "num" }, h("span", { class: "score-dense", text: score(hit.dense_score) }),
            hit.dense_rank ? h("div", { class: "k-small k-muted", text: t("rankOf", { r: hit.dense_rank }) }) : null),
          h("td", { class: "num" }, h("span", { class: "score-bm25", text: score(hit.bm25_score) }),
            hit.bm25_rank ? h("div", { class: "k-small k-muted", text: t("rankOf", { r: hit.bm25_rank }) }) : null)))))));
    }

    function bar(v) {
      const span = h("span");
      span.style.width = Math.max(0, Math.min(1, v || 0)) * 100 + "%";
      return span;
    }
  },
};
