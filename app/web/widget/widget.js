/* kefu chat widget. Embed with one tag:
 *   <script src="https://YOUR-KEFU/widget.js" data-key="PUBLIC_WIDGET_KEY" defer></script>
 * Optional: data-lang="zh|en" (default: the page's <html lang>, then the browser's language),
 *           data-title="..." (the header title), data-open="true" (open on load),
 *           data-customer-token="..." (a short-lived token the bank's page signs for a signed-in customer:
 *           the conversation starts verified, so the assistant can do things such as freeze a card).
 * Everything lives in a Shadow DOM (the page's CSS cannot reach it). Every text from the model, the
 * knowledge base or an agent is set as text (textContent / text nodes), never parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.KefuWidget) return;

  var KEY = script.getAttribute("data-key") || "";
  var CUSTOMER_TOKEN = script.getAttribute("data-customer-token") || "";
  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + "/api/v1/chat/conversations";
  var STORE = "kefu.widget." + KEY;
  var LANG = pickLang(script.getAttribute("data-lang"));

  var MESSAGES = {
    zh: {
      title: "海港银行在线客服", open: "打开在线客服", close: "最小化客服窗口", botName: "智能助手",
      agentName: "人工客服", statusBot: "智能助手 · 在线", statusWaiting: "正在为您转接人工客服…",
      statusAgent: "人工客服已接入", statusClosed: "对话已结束", human: "转人工", humanLabel: "转接人工客服",
      end: "结束", endLabel: "结束对话", input: "输入您的问题", placeholder: "请输入您的问题",
      send: "发送", welcome: "您好，我是海港银行智能助手，可以为您解答信用卡分期、挂失、转账、网点等问题。请问有什么可以帮您？",
      footnote: "Enter 发送，Shift+Enter 换行 · 请勿透露密码或验证码",
      sources: "参考来源", source: "来源", openSource: "查看来源 {n}：{title}", helpful: "有帮助", notHelpful: "没有帮助",
      thanks: "感谢您的反馈", handoffRequested: "已为您转接人工客服，请稍候，客服接入后会在这里回复您。",
      agentJoined: "人工客服{name}已接入，为您服务。", botResumed: "人工客服已将对话转回智能助手，您可以继续提问。",
      closedNote: "本次对话已结束。", csatTitle: "您对本次服务满意吗？", csatLabel: "服务满意度评分",
      star: "{n} 星", stars: ["非常不满意", "不满意", "一般", "满意", "非常满意"], submit: "提交评价",
      csatThanks: "感谢您的评价！", newChat: "开始新对话", error: "抱歉，服务暂时不可用，请稍后再试。",
      tooLong: "消息过长，请精简后再发送。", notAllowed: "此网站未获授权使用在线客服。", passageClose: "关闭",
      loadingPassage: "正在加载…", typing: "正在输入", reconnecting: "连接中断，正在重新连接…", you: "我",
      unread: "{n} 条新消息"
    },
    en: {
      title: "Harbor Bank online service", open: "Open customer service chat", close: "Minimise chat",
      botName: "Assistant", agentName: "Agent", statusBot: "Virtual assistant · online",
      statusWaiting: "Connecting you to an agent…", statusAgent: "An agent is with you", statusClosed: "Chat ended",
      human: "Agent", humanLabel: "Talk to a human agent", end: "End", endLabel: "End this chat",
      input: "Type your question", placeholder: "Type your question",
      send: "Send", welcome: "Hello, I am Harbor Bank's virtual assistant. I can help with card instalments, lost cards, transfers, branches and more. How can I help?",
      footnote: "Enter to send, Shift+Enter for a new line · Never share passwords or codes",
      sources: "Sources", source: "Source", openSource: "Open source {n}: {title}", helpful: "Helpful",
      notHelpful: "Not helpful", thanks: "Thanks for your feedback",
      handoffRequested: "We are connecting you to an agent. Please wait; they will reply here.",
      agentJoined: "Agent {name} has joined the chat.", botResumed: "The agent handed you back to the assistant. Ask away.",
      closedNote: "This chat has ended.", csatTitle: "How satisfied are you with our service?",
      csatLabel: "Satisfaction rating", star: "{n} star", stars: ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
      submit: "Submit rating", csatThanks: "Thank you for your rating!", newChat: "Start a new chat",
      error: "Sorry, the service is unavailable right now. Please try again later.",
      tooLong: "That message is too long. Please shorten it.", notAllowed: "This site is not allowed to use the chat service.",
      passageClose: "Close", loadingPassage: "Loading…", typing: "Typing", reconnecting: "Connection lost, reconnecting…",
      you: "You", unread: "{n} new messages"
    }
  };
  var T = MESSAGES[LANG];

  function pickLang(explicit) {
    var cands = [explicit, document.documentElement.getAttribute("lang"), navigator.language];
    for (var i = 0; i < cands.length; i++) {
      var v = (cands[i] || "").toLowerCase();
      if (v.indexOf("zh") === 0) return "zh";
      if (v.indexOf("en") === 0) return "en";
    }
    return "zh";
  }

  function t(key, vars) {
    var s = T[key];
    if (typeof s !== "string") return key;
    for (var k in vars || {}) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  }

  // --- element helpers: text only, never HTML ----------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else if (k === "class") node.className = v;
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  function icon(paths, size) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 20));
    svg.setAttribute("height", String(size || 20));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }
  var ICONS = {
    chat: ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"],
    close: ["M6 6l12 12M18 6L6 18"],
    send: ["M3 11l18-8-8 18-2-8-8-2z"],
    up: ["M7 11v9H4v-9h3zm2 9h8.2a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.4 10H14V6a2 2 0 0 0-2-2l-3 7v9z"],
    down: ["M17 13V4h3v9h-3zm-2-9H6.8a2 2 0 0 0-2 1.6l-1.2 6A2 2 0 0 0 5.6 14H10v4a2 2 0 0 0 2 2l3-7V4z"],
    person: ["M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 8a8 8 0 0 1 16 0"],
    end: ["M5 12h14"]
  };

  // --- state -------------------------------------------------------------------------------------------
  var conv = loadConv(); // {id, token}
  var mode = "bot";
  // Each mode change bumps modeSeq: a transcript snapshot requested before a change (sync()) is stale for the
  // mode and must not undo it (a first message's handoff reply can land before the live stream's catch-up).
  var modeSeq = 0;
  var rendered = {}; // message ids on screen
  var busy = false;
  var live = null; // AbortController of the live feed
  var unread = 0;
  var csatShown = false;

  function loadConv() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { return null; }
  }
  function saveConv(c) {
    conv = c;
    try { c ? sessionStorage.setItem(STORE, JSON.stringify(c)) : sessionStorage.removeItem(STORE); } catch (e) { /* private mode */ }
  }

  // --- DOM -----------------------------------------------------------------------------------------------
  var host = document.createElement("kefu-widget");
  host.setAttribute("data-kefu", "widget");
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: BASE + "/static/widget/widget.css" }));

  var badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  var launcher = el("button", {
    class: "launcher", type: "button", "aria-label": t("open"), "aria-expanded": "false", "aria-controls": "kefu-panel",
    onclick: function () { setOpen(panel.hidden); }
  }, [icon(ICONS.chat, 26), badge]);

  var statusLine = el("p", { class: "status", id: "kefu-status", text: t("statusBot") });
  var humanBtn = el("button", { class: "head-btn", type: "button", "aria-label": t("humanLabel"), title: t("humanLabel"), onclick: requestHuman },
    [icon(ICONS.person, 16), el("span", { text: t("human") })]);
  var endBtn = el("button", { class: "head-btn", type: "button", "aria-label": t("endLabel"), title: t("endLabel"), onclick: endChat },
    [el("span", { text: t("end") })]);
  var closeBtn = el("button", { class: "head-btn icon", type: "button", "aria-label": t("close"), title: t("close"), onclick: function () { setOpen(false); } },
    [icon(ICONS.close, 18)]);
  var header = el("header", { class: "head" }, [
    el("div", { class: "avatar", "aria-hidden": "true" }, [icon(ICONS.chat, 18)]),
    el("div", { class: "titles" }, [el("h2", { id: "kefu-title", text: script.getAttribute("data-title") || t("title") }), statusLine]),
    humanBtn, endBtn, closeBtn
  ]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t("title"), tabindex: "0" });
  var alertBox = el("div", { class: "alert", role: "alert", hidden: true });
  var input = el("textarea", { id: "kefu-input", rows: "1", maxlength: "4000", placeholder: t("placeholder"), "aria-describedby": "kefu-foot" });
  var sendBtn = el("button", { class: "send", type: "submit", "aria-label": t("send"), title: t("send") }, [icon(ICONS.send, 18)]);
  var form = el("form", { class: "composer", onsubmit: function (e) { e.preventDefault(); submit(); } }, [
    el("label", { class: "sr-only", for: "kefu-input", text: t("input") }), input, sendBtn
  ]);
  var foot = el("p", { class: "foot", id: "kefu-foot", text: t("footnote") });

  var sheetTitle = el("h3", { id: "kefu-sheet-title" });
  var sheetBody = el("div", { class: "sheet-body", tabindex: "0" });
  var sheetSource = el("p", { class: "sheet-source" });
  var sheetClose = el("button", { class: "head-btn icon", type: "button", "aria-label": t("passageClose"), title: t("passageClose"), onclick: closeSheet }, [icon(ICONS.close, 18)]);
  var sheet = el("div", { class: "overlay", hidden: true, onclick: function (e) { if (e.target === sheet) closeSheet(); } }, [
    el("div", { class: "sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "kefu-sheet-title" }, [
      el("div", { class: "sheet-head" }, [el("span", { class: "sheet-kicker", text: t("source") }), sheetTitle, sheetClose]),
      sheetBody, sheetSource
    ])
  ]);
  var sheetReturn = null;

  var panel = el("section", { class: "panel", id: "kefu-panel", role: "dialog", "aria-labelledby": "kefu-title", "aria-describedby": "kefu-status", hidden: true },
    [header, log, alertBox, form, foot, sheet]);
  root.appendChild(el("div", { class: "kw", lang: LANG === "zh" ? "zh-CN" : "en" }, [panel, launcher]));

  panel.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!sheet.hidden) closeSheet(); else setOpen(false);
    e.stopPropagation();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", autosize);

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  // The tenant's AI disclosure (that this is an AI assistant, how to reach a person): fetched once, shown
  // under the welcome before the customer writes; set as text, never as HTML.
  var disclosureText = null;
  function showDisclosure() {
    var shown = function (text) {
      if (!text || log.querySelector(".note.disclosure")) return;
      var welcome = log.querySelector(".note.welcome");
      var n = note(text, "disclosure");
      if (welcome && welcome.nextSibling) log.insertBefore(n, welcome.nextSibling); else log.appendChild(n);
    };
    if (disclosureText !== null) { shown(disclosureText); return; }
    fetch(API.replace(/\/conversations$/, "/disclosure") + "?lang=" + encodeURIComponent(LANG), { headers: { "X-Widget-Key": KEY }, credentials: "omit" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) { if (data && typeof data.text === "string") { disclosureText = data.text; shown(data.text); } })
      .catch(function () { /* the welcome alone; the next open tries again */ });
  }

  function mount() {
    document.body.appendChild(host);
    log.appendChild(note(t("welcome"), "welcome"));
    showDisclosure();
    if (conv) restore();
    if (script.getAttribute("data-open") === "true") setOpen(true);
  }

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.classList.toggle("is-open", open);
    if (open) {
      unread = 0;
      updateBadge();
      input.focus();
      scrollDown();
    } else {
      launcher.focus();
    }
  }

  function updateBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread ? String(unread) : "";
    launcher.setAttribute("aria-label", unread ? t("open") + " (" + t("unread", { n: unread }) + ")" : t("open"));
  }

  function setMode(next) {
    if (next !== mode) modeSeq += 1;
    mode = next;
    statusLine.textContent = t({ bot: "statusBot", waiting_agent: "statusWaiting", agent: "statusAgent", closed: "statusClosed" }[next] || "statusBot");
    panel.setAttribute("data-mode", next);
    humanBtn.disabled = next !== "bot";
    endBtn.disabled = next === "closed";
    input.disabled = next === "closed";
    sendBtn.disabled = next === "closed" || busy;
  }

  function showAlert(text) {
    alertBox.textContent = text || "";
    alertBox.hidden = !text;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // --- HTTP ----------------------------------------------------------------------------------------------
  function headers(extra) {
    var h = { "Content-Type": "application/json", Accept: "application/json" };
    if (conv) h["X-Conversation-Token"] = conv.token;
    for (var k in extra || {}) h[k] = extra[k];
    return h;
  }

  // The JSON body of a response; a failed one throws an Error carrying the API's status and error_code.
  function json(res) {
    return res.json().catch(function () { return null; }).then(function (data) {
      if (!res.ok) {
        var err = new Error((data && data.detail) || res.statusText);
        err.status = res.status;
        err.code = data && data.error_code;
        throw err;
      }
      return data;
    });
  }

  function call(method, path, body) {
    return fetch(API + path, { method: method, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" })
      .then(function (res) { return res.status === 204 ? null : json(res); });
  }

  function ensureConversation() {
    if (conv) return Promise.resolve(conv);
    return fetch(API, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(CUSTOMER_TOKEN ? { widget_key: KEY, lang: LANG, customer_token: CUSTOMER_TOKEN } : { widget_key: KEY, lang: LANG }), credentials: "omit" })
      .then(json)
      .then(function (data) {
        saveConv({ id: data.id, token: data.token });
        setMode("bot");
        connectLive();
        return conv;
      });
  }

  function failure(err) {
    if (err && err.code === "origin_not_allowed") return t("notAllowed");
    if (err && err.code === "message_too_long") return t("tooLong");
    return t("error");
  }

  // Server-Sent Events over fetch: calls onEvent(name, data) per event; resolves when the stream ends.
  function readSSE(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) return;
        buffer += decoder.decode(r.value, { stream: true }).replace(/\r\n/g, "\n");
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          var block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          var name = "message", data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (data.length) {
            var parsed;
            try { parsed = JSON.parse(data.join("\n")); } catch (e) { parsed = {}; }
            onEvent(name, parsed);
          }
        }
        return pump();
      });
    }
    return pump();
  }

  // --- rendering -----------------------------------------------------------------------------------------
  function note(text, kind) {
    return el("div", { class: "note" + (kind ? " " + kind : ""), text: text });
  }

  function addNote(text, kind) {
    log.appendChild(note(text, kind));
    scrollDown();
  }

  function userMessage(text, id) {
    var node = el("div", { class: "msg user" }, [
      el("span", { class: "sr-only", text: t("you") + ":" }),
      el("div", { class: "bubble", text: text })
    ]);
    if (id) { node.setAttribute("data-id", id); rendered[id] = true; }
    log.appendChild(node);
    scrollDown();
    return node;
  }

  function replyShell(kind, who) {
    var text = el("div", { class: "text" });
    var bubble = el("div", { class: "bubble" }, [text]);
    var node = el("div", { class: "msg " + kind }, [el("div", { class: "who", text: who }), bubble]);
    log.appendChild(node);
    scrollDown();
    return { node: node, bubble: bubble, text: text };
  }

  function typingDots() {
    return el("span", { class: "typing", role: "img", "aria-label": t("typing") }, [el("i"), el("i"), el("i")]);
  }

  // The answer as text nodes, each [n] that matches a citation as a button opening that passage.
  function renderAnswer(container, text, citations) {
    while (container.firstChild) container.removeChild(container.firstChild);
    var byN = {};
    (citations || []).forEach(function (c) { byN[String(c.n)] = c; });
    var re = /\[(\d{1,2})\]/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      var c = byN[m[1]];
      if (!c) continue;
      if (m.index > last) container.appendChild(document.createTextNode(text.slice(last, m.index)));
      container.appendChild(refButton(c, "ref", m[1]));
      last = m.index + m[0].length;
    }
    if (last < text.length) container.appendChild(document.createTextNode(text.slice(last)));
  }

  function refButton(c, cls, label) {
    return el("button", {
      class: cls, type: "button", "data-chunk": c.chunk_id,
      "aria-label": t("openSource", { n: c.n, title: c.title || "" }),
      onclick: function (e) { openPassage(c, e.currentTarget); }
    }, [label]);
  }

  function finishBot(shell, msg) {
    renderAnswer(shell.text, msg.text || "", msg.citations);
    if (msg.citations && msg.citations.length) {
      var list = el("ol", { class: "sources", "aria-label": t("sources") });
      msg.citations.forEach(function (c) {
        list.appendChild(el("li", {}, [refButton(c, "source", "")]));
        var btn = list.lastChild.firstChild;
        btn.appendChild(el("span", { class: "num", text: String(c.n) }));
        btn.appendChild(el("span", { class: "title", text: c.title || c.chunk_id }));
      });
      shell.bubble.appendChild(el("div", { class: "sources-label", text: t("sources") }));
      shell.bubble.appendChild(list);
    }
    if (msg.id) {
      shell.node.setAttribute("data-id", msg.id);
      rendered[msg.id] = true;
      if (msg.decision !== "handoff") shell.node.appendChild(feedbackRow(msg.id));
    }
    scrollDown();
  }

  function feedbackRow(messageId) {
    var status = el("span", { class: "fb-status", role: "status" });
    var up = el("button", { class: "fb", type: "button", "aria-label": t("helpful"), title: t("helpful"), "aria-pressed": "false" }, [icon(ICONS.up, 16)]);
    var down = el("button", { class: "fb", type: "button", "aria-label": t("notHelpful"), title: t("notHelpful"), "aria-pressed": "false" }, [icon(ICONS.down, 16)]);
    function vote(thumbs, btn, other) {
      if (btn.getAttribute("aria-pressed") === "true") return;
      call("POST", "/" + conv.id + "/feedback", { message_id: messageId, thumbs: thumbs }).then(function () {
        btn.setAttribute("aria-pressed", "true");
        other.setAttribute("aria-pressed", "false");
        status.textContent = t("thanks");
      }).catch(function (err) { showAlert(failure(err)); });
    }
    up.addEventListener("click", function () { vote("up", up, down); });
    down.addEventListener("click", function () { vote("down", down, up); });
    return el("div", { class: "feedback" }, [up, down, status]);
  }

  function renderStored(m) {
    if (m.id && rendered[m.id]) return;
    if (m.role === "user") return userMessage(m.text, m.id);
    var shell = replyShell(m.role === "agent" ? "agent" : "bot", m.role === "agent" ? t("agentName") : t("botName"));
    finishBot(shell, { id: m.role === "bot" ? m.id : null, text: m.text, citations: m.citations || [], decision: m.decision });
    if (m.role === "agent" && m.id) { shell.node.setAttribute("data-id", m.id); rendered[m.id] = true; }
  }

  // --- passage sheet ----------------------------------------------------------------------------------------
  function openPassage(c, from) {
    sheetReturn = from;
    sheetTitle.textContent = c.title || c.chunk_id;
    sheetBody.textContent = t("loadingPassage");
    sheetSource.textContent = "";
    sheet.hidden = false;
    sheetClose.focus();
    call("GET", "/" + conv.id + "/citations/" + encodeURIComponent(c.chunk_id)).then(function (p) {
      sheetTitle.textContent = p.title || c.title || c.chunk_id;
      sheetBody.textContent = p.text;
      // A web page's address helps the customer (a link to the page, a synced help-centre page); an
      // uploaded file's name ("faq.csv") does not.
      sheetSource.textContent = "";
      var page = webPage(p.source);
      if (page) {
        sheetSource.appendChild(document.createTextNode(t("source") + ": "));
        sheetSource.appendChild(el("a", { href: webPage(page), target: "_blank", rel: "noopener noreferrer", class: "sheet-link", text: page }));
      }
    }).catch(function (err) { sheetBody.textContent = failure(err); });
  }

  // The one way a link's address comes from data: an absolute http(s) URL, parsed, or nothing
  // (a javascript: or data: address never reaches an href).
  function webPage(address) {
    try {
      var u = new URL(String(address || ""));
      if (u.protocol === "http:" || u.protocol === "https:") return u.toString();
      return "";
    } catch (e) {
      return "";
    }
  }

  function closeSheet() {
    sheet.hidden = true;
    if (sheetReturn) sheetReturn.focus();
  }

  // --- the conversation -------------------------------------------------------------------------------------
  function submit() {
    var text = input.value.trim();
    if (!text || busy || mode === "closed") return;
    input.value = "";
    autosize();
    showAlert("");
    send(text, true);
  }

  function send(text, retry) {
    busy = true;
    sendBtn.disabled = true;
    var mine = userMessage(text);
    var shell = null;
    ensureConversation().then(function () {
      if (mode === "bot") {
        shell = replyShell("bot", t("botName"));
        shell.node.setAttribute("aria-busy", "true"); // streaming: screen readers wait for the whole answer
        shell.text.appendChild(typingDots());
      }
      return fetch(API + "/" + conv.id + "/messages/stream", {
        method: "POST", headers: headers({ Accept: "text/event-stream" }), body: JSON.stringify({ text: text }), credentials: "omit"
      });
    }).then(function (res) {
      if (!res.ok) return json(res); // throws the API's error
      var streamed = "";
      return readSSE(res, function (name, data) {
        if (name === "accepted") {
          mine.setAttribute("data-id", data.user_message_id);
          rendered[data.user_message_id] = true;
        } else if (name === "token" && shell) {
          if (!streamed) shell.text.textContent = "";
          streamed += data.text;
          shell.text.appendChild(document.createTextNode(data.text));
          scrollDown();
        } else if (name === "final") {
          onFinal(shell, data);
        } else if (name === "error" && shell) {
          shell.node.removeAttribute("aria-busy");
          shell.text.textContent = t("error");
        }
      });
    }).catch(function (err) {
      if (shell) shell.node.remove();
      if (retry && err && (err.code === "conversation_not_found" || err.code === "conversation_closed")) {
        mine.remove();
        saveConv(null);
        stopLive();
        setMode("bot");
        return send(text, false);
      }
      showAlert(failure(err));
    }).then(function () {
      busy = false;
      sendBtn.disabled = mode === "closed";
    });
  }

  function onFinal(shell, data) {
    var state = data.state || {};
    if (shell) shell.node.removeAttribute("aria-busy");
    if (data.decision === "with_agent" || !data.message_id) {
      if (shell) shell.node.remove();
    } else if (shell) {
      finishBot(shell, { id: data.message_id, text: data.text, citations: data.citations, decision: data.decision });
    }
    if (state.mode && state.mode !== mode) {
      setMode(state.mode);
      if (state.mode === "waiting_agent") addNote(t("handoffRequested"), "info");
    }
  }

  function requestHuman() {
    if (mode !== "bot") return;
    humanBtn.disabled = true;
    ensureConversation().then(function () {
      return call("POST", "/" + conv.id + "/handoff");
    }).then(function () {
      setMode("waiting_agent");
      addNote(t("handoffRequested"), "info");
    }).catch(function (err) {
      humanBtn.disabled = false;
      showAlert(failure(err));
    });
  }

  function endChat() {
    if (!conv || mode === "closed") { showCsat(); return; }
    call("POST", "/" + conv.id + "/close").then(function () { closed(); }).catch(function (err) { showAlert(failure(err)); });
  }

  function closed() {
    if (mode === "closed" && csatShown) return;
    setMode("closed");
    addNote(t("closedNote"));
    stopLive();
    showCsat();
  }

  function showCsat() {
    if (csatShown) return;
    csatShown = true;
    var chosen = 0;
    var stars = [];
    var group = el("div", { class: "stars", role: "radiogroup", "aria-label": t("csatLabel") });
    var submitBtn = el("button", { class: "primary", type: "button", disabled: true, text: t("submit") });
    var caption = el("p", { class: "star-caption", "aria-hidden": "true" });
    function pick(n, focus) {
      chosen = n;
      stars.forEach(function (s, i) {
        s.setAttribute("aria-checked", String(i + 1 === n));
        s.tabIndex = i + 1 === n ? 0 : -1;
        s.classList.toggle("on", i < n);
      });
      caption.textContent = T.stars[n - 1];
      submitBtn.disabled = false;
      if (focus) stars[n - 1].focus();
    }
    for (var i = 1; i <= 5; i++) {
      (function (n) {
        var b = el("button", { class: "star", type: "button", role: "radio", "aria-checked": "false", tabindex: n === 1 ? "0" : "-1",
          "aria-label": t("star", { n: n }) + " · " + T.stars[n - 1], text: "★" });
        b.addEventListener("click", function () { pick(n, false); });
        b.addEventListener("keydown", function (e) {
          if (e.key === "ArrowRight" || e.key === "ArrowUp") { e.preventDefault(); pick(Math.min(5, (chosen || 0) + 1), true); }
          if (e.key === "ArrowLeft" || e.key === "ArrowDown") { e.preventDefault(); pick(Math.max(1, (chosen || 2) - 1), true); }
        });
        stars.push(b);
        group.appendChild(b);
      })(i);
    }
    var card = el("div", { class: "csat" }, [el("p", { class: "csat-title", text: t("csatTitle") }), group, caption, submitBtn]);
    submitBtn.addEventListener("click", function () {
      if (!chosen || !conv) return;
      submitBtn.disabled = true;
      call("POST", "/" + conv.id + "/feedback", { csat: chosen }).then(function () {
        while (card.firstChild) card.removeChild(card.firstChild);
        card.appendChild(el("p", { class: "csat-title", role: "status", text: t("csatThanks") }));
        card.appendChild(el("button", { class: "primary", type: "button", text: t("newChat"), onclick: newChat }));
      }).catch(function (err) { submitBtn.disabled = false; showAlert(failure(err)); });
    });
    log.appendChild(card);
    scrollDown();
    if (!panel.hidden) stars[0].focus();
  }

  function newChat() {
    stopLive();
    saveConv(null);
    rendered = {};
    csatShown = false;
    while (log.firstChild) log.removeChild(log.firstChild);
    log.appendChild(note(t("welcome"), "welcome"));
    showDisclosure();
    setMode("bot");
    input.focus();
  }

  // --- restore and live events ---------------------------------------------------------------------------
  function restore() {
    call("GET", "/" + conv.id + "/messages").then(function (tr) {
      tr.messages.forEach(renderStored);
      setMode(tr.status);
      if (tr.status === "closed") { saveConv(null); return; }
      connectLive();
    }).catch(function () { saveConv(null); });
  }

  function sync() {
    if (!conv) return Promise.resolve();
    var asked = modeSeq;
    return call("GET", "/" + conv.id + "/messages").then(function (tr) {
      tr.messages.forEach(function (m) { if (m.role === "agent") renderStored(m); });
      if (tr.status !== mode && asked === modeSeq) {
        if (tr.status === "closed") closed(); else setMode(tr.status);
      }
    }).catch(function () { /* the next reconnect tries again */ });
  }

  function stopLive() {
    if (live) live.abort();
    live = null;
  }

  function connectLive() {
    if (!conv || live) return;
    var controller = new AbortController();
    live = controller;
    var delay = 1000;
    var id = conv.id;
    function loop() {
      if (live !== controller || !conv || conv.id !== id) return;
      fetch(API + "/" + id + "/events", { headers: headers({ Accept: "text/event-stream" }), signal: controller.signal, credentials: "omit" })
        .then(function (res) {
          if (res.status === 404 || res.status === 401 || res.status === 403) { live = null; return "stop"; }
          if (!res.ok) throw new Error("live " + res.status);
          return readSSE(res, function (name, data) {
            delay = 1000;
            onLive(name, data);
          });
        })
        .catch(function () { /* network error or aborted */ })
        .then(function (r) {
          if (r === "stop" || controller.signal.aborted || live !== controller) return;
          setTimeout(loop, delay);
          delay = Math.min(delay * 2, 15000);
        });
    }
    loop();
  }

  function onLive(name, data) {
    if (name === "ready") { sync(); return; }
    if (name === "message" && data.role === "agent") {
      if (data.message_id && rendered[data.message_id]) return;
      var shell = replyShell("agent", data.agent_name ? t("agentName") + " · " + data.agent_name : t("agentName"));
      finishBot(shell, { id: null, text: data.text, citations: [] });
      if (data.message_id) { shell.node.setAttribute("data-id", data.message_id); rendered[data.message_id] = true; }
      if (mode !== "agent") setMode("agent");
      if (panel.hidden) { unread += 1; updateBadge(); }
    } else if (name === "agent_joined") {
      setMode("agent");
      addNote(t("agentJoined", { name: data.agent_name ? " " + data.agent_name + " " : "" }), "info");
    } else if (name === "bot_resumed") {
      setMode("bot");
      addNote(t("botResumed"), "info");
    } else if (name === "handoff") {
      if (mode === "bot") setMode("waiting_agent");
    } else if (name === "closed") {
      closed();
    }
  }

  window.KefuWidget = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    lang: LANG
  };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
