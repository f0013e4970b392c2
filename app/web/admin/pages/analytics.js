// Analytics: one report per period (GET /admin/analytics) drawn as KPI tiles and our own SVG charts:
// conversations per day (resolved confirmed / assumed), resolution, hand-off reasons, "don't know"
// reasons, CSAT, handling time (bot-only vs agent-joined), latency per stage (p50/p95), top unanswered
// questions (masked text). The period lives in the hash (#/analytics?start=..&end=..&tz=..&window=..).
import { hBars, pairedBars, splitBar, stackedBars, svg } from "/static/admin/charts.js";
import { dateTime, duration, ms, pct, useStyles } from "/static/admin/insight.js";
import { bilingual } from "/static/kit/kit.js";

const ZONES = ["UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Europe/London", "America/New_York"];

export default {
  group: "insight",
  order: 10,
  title: { zh: "运营分析", en: "Analytics" },
  messages: bilingual({
    start: ["开始日期", "From"], end: ["结束日期", "To"], tz: ["时区", "Time zone"], window: ["假定解决窗口（分钟）", "Assumed-resolution window (min)"],
    apply: ["查询", "Show"], last7: ["近7天", "Last 7 days"], last30: ["近30天", "Last 30 days"], conversations: ["会话数", "Conversations"],
    resolution: ["解决率", "Resolution rate"], confirmed: ["确认解决", "Confirmed"], assumed: ["假定解决", "Assumed"],
    unresolved: ["未解决", "Unresolved"], pending: ["待定", "Pending"], handoffRate: ["转人工率", "Hand-off rate"],
    dontKnowRate: ["“不知道”比例", "\"Don't know\" rate"], csat: ["满意度 (CSAT)", "CSAT"], aht: ["平均处理时长", "Avg. handling time"],
    botOnly: ["仅机器人", "Bot only"], agentJoined: ["有坐席参与", "Agent joined"], perDay: ["每日会话", "Conversations per day"],
    other: ["其他", "Other"], resolutionTitle: ["解决情况", "Resolution"],
    resolutionNote: ["确认 = 客户点赞 / CSAT≥4 / 坐席标记已解决；假定 = 回答后 {w} 分钟内客户未再发消息。待定的会话不计入比例。", "Confirmed = thumbs-up / CSAT ≥ 4 / agent closed as resolved; assumed = no further customer message within {w} min of an answer. Pending conversations are left out of the rates."],
    handoffTitle: ["转人工原因", "Hand-off reasons"], dontKnowTitle: ["“不知道”原因", "\"Don't know\" reasons"],
    csatTitle: ["满意度分布", "CSAT distribution"], ahtTitle: ["平均处理时长", "Average handling time"], latencyTitle: ["各阶段延迟", "Latency per stage"],
    latencyNote: ["最近 {n} 条机器人回复的 p50 / p95（毫秒）。", "p50 / p95 over the most recent {n} bot replies (ms)."],
    unansweredTitle: ["未解答的高频问题", "Top unanswered questions"],
    unansweredNote: ["客户原话（已脱敏），相近的问法合并。", "The customers' words (masked); near-duplicates grouped."], question: ["问题", "Question"],
    times: ["次数", "Times"], last: ["最近", "Last asked"], reasons: ["原因", "Why"], asTable: ["以表格查看", "Show as a table"], day: ["日期", "Day"],
    handedOff: ["转人工", "Handed off"], none: ["该时段没有数据。", "No data in this period."], responses: ["{n} 份评价", "{n} ratings"],
    convs: ["{n} 个会话", "{n} conversations"], replies: ["{n}/{m} 条回复", "{n}/{m} replies"],
    thumbs: ["点赞 {u} · 点踩 {d}", "thumbs up {u} · down {d}"],
    empty: ["另有 {n} 个会话打开后未发言（不计入）。", "{n} more conversations were opened without a message (not counted)."],
    badRange: ["开始日期不能晚于结束日期", "The start is after the end"], generated: ["生成于 {t}（{tz}）", "Generated {t} ({tz})"],
    reasonNames: {
      explicit_request: ["客户要求", "Customer asked"], urgent_topic: ["紧急事项", "Urgent topic"], frustration: ["客户不满", "Frustration"],
      repeated_failure: ["多次未答出", "Repeated misses"], llm_unavailable: ["模型不可用", "Model unavailable"], policy: ["策略", "Policy"],
      no_answer: ["知识库无答案", "No answer in KB"], out_of_scope: ["超出范围", "Out of scope"],
      unsupported_language: ["不支持的语言", "Unsupported language"], conversation_closed: ["会话已结束", "Conversation closed"],
      none: ["未注明", "Unspecified"],
    },
    stages: {
      load_state: ["加载状态", "Load state"], mask: ["脱敏", "Mask"], track: ["理解", "Track"], persist_user: ["保存提问", "Save question"],
      retrieve: ["检索", "Retrieve"], policy: ["决策", "Policy"], generate: ["生成", "Generate"], check_output: ["输出检查", "Check output"],
      persist: ["保存回复", "Save reply"], first_token: ["首字", "First token"], total: ["合计", "Total"],
    },
  }),
  async mount(root, ctx) {
    useStyles();
    const { h, t, api } = ctx;
    const names = (group, key) => (t(group)[key] ?? key);
    const browserTz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    const zones = [...new Set([...ZONES, browserTz])];
    const today = new Date();
    const iso = (d) => d.toISOString().slice(0, 10);
    const p = ctx.params;

    const start = h("input", { class: "k-input", type: "date", id: "an-start", value: p.start || "" });
    const end = h("input", { class: "k-input", type: "date", id: "an-end", value: p.end || "" });
    const tz = h("select", { class: "k-select", id: "an-tz" }, zones.map((z) => h("option", { value: z, text: z })));
    tz.value = p.tz && zones.includes(p.tz) ? p.tz : browserTz;
    const win = h("input", { class: "k-input", type: "number", id: "an-window", min: 1, max: 10080, step: 1, value: p.window || "", placeholder: "30" });
    const err = h("p", { class: "k-error-text", role: "alert" });
    const out = h("div", { class: "page-root", id: "analytics-out", "aria-live": "polite" });

    const apply = (params) => {
      const next = { tz: tz.value, ...params };
      if (win.value) next.window = win.value;
      ctx.navigate("analytics", Object.fromEntries(Object.entries(next).filter(([, v]) => v)));
    };
    const lastDays = (n) => {
      const from = new Date(today.getTime() - (n - 1) * 86400000);
      apply({ start: iso(from), end: iso(today) });
    };
    root.append(
      h("form", { class: "k-card k-card-body filters", id: "analytics-filters", onsubmit: (e) => {
        e.preventDefault();
        err.textContent = "";
        if (start.value && end.value && start.value > end.value) { err.textContent = t("badRange"); return; }
        apply({ start: start.value, end: end.value });
      } },
        h("div", { class: "k-field" }, h("label", { for: "an-start", text: t("start") }), start),
        h("div", { class: "k-field" }, h("label", { for: "an-end", text: t("end") }), end),
        h("div", { class: "k-field" }, h("label", { for: "an-tz", text: t("tz") }), tz),
        h("div", { class: "k-field" }, h("label", { for: "an-window", text: t("window") }), win),
        h("button", { class: "k-btn primary", type: "submit", text: t("apply") }),
        h("button", { class: "k-btn", type: "button", onclick: () => lastDays(7), text: t("last7") }),
        h("button", { class: "k-btn", type: "button", onclick: () => lastDays(30), text: t("last30") }),
        err),
      out);

    const q = new URLSearchParams({ tz: tz.value });
    if (p.start) q.set("start", p.start);
    if (p.end) q.set("end", p.end);
    if (p.window) q.set("window_minutes", p.window);
    let r;
    try {
      r = await api("/admin/analytics?" + q.toString(), { signal: ctx.signal });
    } catch (e) {
      ctx.fail(e);
      out.appendChild(h("p", { class: "k-error-text", text: (e && e.detail) || String(e) }));
      return;
    }
    if (!p.start) start.value = r.start;
    if (!p.end) end.value = r.end;
    render(r);

    function card(title, note, ...body) {
      return h("section", { class: "k-card chart-card" }, h("div", { class: "k-card-body" },
        h("h2", { text: title }), note ? h("p", { class: "chart-note", text: note }) : null, ...body));
    }
    function legend(items) {
      return h("ul", { class: "legend" }, items.map((i) => h("li", {},
        svg("svg", { viewBox: "0 0 12 12", "aria-hidden": "true" }, svg("rect", { width: 12, height: 12, rx: 2, class: "bar " + i.cls })), i.label)));
    }
    function empty() { return h("p", { class: "k-empty", text: t("none") }); }

    function render(r) {
      const res = r.resolution;
      const kpi = (id, label, value, sub) => h("div", { class: "k-card kpi", id: "kpi-" + id },
        h("div", { class: "kpi-label", text: label }), h("div", { class: "kpi-value", text: value }), sub ? h("div", { class: "kpi-sub", text: sub }) : null);
      const ht = r.handling_time;
      out.append(
        h("div", { class: "kpis" },
          kpi("conversations", t("conversations"), String(r.conversations), r.empty_conversations ? t("empty", { n: r.empty_conversations }) : null),
          kpi("resolution", t("resolution"), pct(res.rate), `${t("confirmed")} ${pct(res.confirmed_rate)} · ${t("assumed")} ${pct(res.assumed_rate)}`),
          kpi("handoff", t("handoffRate"), pct(r.handoffs.rate), t("convs", { n: r.handoffs.conversations })),
          kpi("dontknow", t("dontKnowRate"), pct(r.dont_know.rate), t("replies", { n: r.dont_know.replies, m: r.dont_know.bot_replies })),
          kpi("csat", t("csat"), r.csat.average === null ? "—" : r.csat.average.toFixed(2) + " / 5", t("responses", { n: r.csat.responses })),
          kpi("aht", t("aht"), duration(ht.bot_only.average_s, ctx.lang), `${t("agentJoined")}: ${duration(ht.agent_joined.average_s, ctx.lang)}`)),
        h("p", { class: "chart-note", text: t("generated", { t: dateTime(r.generated_at, ctx.lang), tz: r.tz }) }));

      const perDaySeries = [{ label: t("confirmed"), cls: "confirmed" }, { label: t("assumed"), cls: "assumed" }, { label: t("other"), cls: "conversations" }];
      const days = r.per_day.map((d) => ({
        label: d.day.slice(5),
        values: [d.resolved_confirmed, d.resolved_assumed, d.conversations - d.resolved_confirmed - d.resolved_assumed],
      }));
      const total = r.per_day.reduce((a, d) => a + d.conversations, 0);
      const charts = h("div", { class: "charts" });
      charts.append(
        card(t("perDay"), null, legend(perDaySeries),
          stackedBars({ data: days, series: perDaySeries, label: `${t("perDay")}: ${total}` }),
          h("details", { class: "k-small" }, h("summary", { text: t("asTable") }),
            h("table", { class: "k-table", id: "per-day-table" },
              h("thead", {}, h("tr", {}, [t("day"), t("conversations"), t("confirmed"), t("assumed"), t("handedOff")].map((c, i) => h("th", { scope: "col", class: i ? "num" : null, text: c })))),
              h("tbody", {}, r.per_day.map((d) => h("tr", {},
                h("td", { text: d.day }), h("td", { class: "num", text: String(d.conversations) }),
                h("td", { class: "num", text: String(d.resolved_confirmed) }), h("td", { class: "num", text: String(d.resolved_assumed) }),
                h("td", { class: "num", text: String(d.handed_off) }))))))),
        card(t("resolutionTitle"), t("resolutionNote", { w: res.window_minutes }),
          legend([["confirmed", res.confirmed], ["assumed", res.assumed], ["unresolved", res.unresolved], ["pending", res.pending]]
            .map(([k, n]) => ({ cls: k, label: `${t(k)} ${n}` }))),
          splitBar({ label: `${t("resolution")} ${pct(res.rate)}`, parts: ["confirmed", "assumed", "unresolved", "pending"]
            .map((k) => ({ label: t(k), value: res[k], cls: k })) })),
        card(t("handoffTitle"), `${t("handoffRate")} ${pct(r.handoffs.rate)}`,
          r.handoffs.reasons.length ? hBars({ label: t("handoffTitle"), cls: "warn",
            rows: r.handoffs.reasons.map((c) => ({ label: names("reasonNames", c.key), value: c.count })) }) : empty()),
        card(t("dontKnowTitle"), `${t("dontKnowRate")} ${pct(r.dont_know.rate)}`,
          r.dont_know.reasons.length ? hBars({ label: t("dontKnowTitle"), cls: "s3",
            rows: r.dont_know.reasons.map((c) => ({ label: names("reasonNames", c.key), value: c.count })) }) : empty()),
        card(t("csatTitle"), `${t("responses", { n: r.csat.responses })} · ${t("thumbs", { u: r.csat.thumbs_up, d: r.csat.thumbs_down })}`,
          hBars({ label: t("csatTitle"), rows: ["5", "4", "3", "2", "1"].map((k) => ({
            label: "★".repeat(Number(k)), value: r.csat.distribution[k] || 0, cls: Number(k) >= 4 ? "confirmed" : Number(k) <= 2 ? "unresolved" : "pending" })) })),
        card(t("ahtTitle"), null,
          hBars({ label: t("ahtTitle"), rows: [
            { label: t("botOnly"), value: ht.bot_only.average_s || 0, cls: "s0", text: `${duration(ht.bot_only.average_s, ctx.lang)} · ${t("convs", { n: ht.bot_only.conversations })}` },
            { label: t("agentJoined"), value: ht.agent_joined.average_s || 0, cls: "s2", text: `${duration(ht.agent_joined.average_s, ctx.lang)} · ${t("convs", { n: ht.agent_joined.conversations })}` },
          ] })),
        card(t("latencyTitle"), t("latencyNote", { n: r.latency_sample }),
          legend([{ cls: "p50", label: "p50" }, { cls: "p95", label: "p95" }]),
          r.latency.length ? pairedBars({ label: t("latencyTitle"), format: ms,
            series: [{ label: "p50", cls: "p50" }, { label: "p95", cls: "p95" }],
            rows: r.latency.map((s) => ({ label: names("stages", s.stage), values: [s.p50_ms, s.p95_ms] })) }) : empty()),
      );
      out.appendChild(charts);
      out.appendChild(unansweredTable(r.unanswered));
    }

    function unansweredTable(groups) {
      const body = groups.length ? h("table", { class: "k-table questions", id: "unanswered-table" },
        h("thead", {}, h("tr", {}, [t("question"), t("times"), t("reasons"), t("last")].map((c, i) => h("th", { scope: "col", class: i === 1 ? "num" : null, text: c })))),
        h("tbody", {}, groups.map((g) => h("tr", {},
          h("td", {}, h("div", { class: "passage", text: g.text }),
            g.variants.length ? h("ul", { class: "variants" }, g.variants.map((v) => h("li", { text: v }))) : null),
          h("td", { class: "num", text: String(g.count) }),
          h("td", { class: "k-small", text: Object.entries(g.reasons).map(([k, n]) => `${names("reasonNames", k)} × ${n}`).join(", ") }),
          h("td", { class: "k-small", text: dateTime(g.last_asked_at, ctx.lang) }))))) : empty();
      return card(t("unansweredTitle"), t("unansweredNote"), h("div", { class: "table-wrap" }, body));
    }
  },
};
