// Labels of the agent console, Chinese and English.
export const MESSAGES = {
  zh: {
    brand: "海港银行", product: "坐席工作台", login: "登录", loginTitle: "坐席登录", loginHint: "使用坐席或管理员账号登录。",
    email: "邮箱", password: "密码", logout: "退出", loginFailed: "邮箱或密码错误", lang: "English",
    ssoOr: "或通过本机构的统一身份认证登录：", ssoOrg: "机构代码", ssoButton: "统一身份认证（SSO）", ssoOnly: "本机构仅支持单点登录，请使用下方的单点登录。",
    ssoFailed: "单点登录失败（{r}）", ssoNoRole: "您的账号未被授权使用本系统，请联系管理员。", ssoNotConfigured: "该机构未开通单点登录。",
    queue: "会话队列", waiting: "等待中", assigned: "处理中", bot: "机器人", emptyWaiting: "暂无等待人工的会话",
    emptyAssigned: "暂无处理中的会话", emptyBot: "近 30 分钟没有机器人会话", waited: "已等待 {t}", since: "开始于 {t}",
    takenBy: "坐席：{name}", you: "我", pick: "从左侧队列选择一个会话", conversation: "会话",
    join: "接入会话", returnBot: "交还机器人", close: "结束会话", curate: "保存为精选答案",
    statusBot: "机器人", statusWaiting: "等待人工", statusAgent: "人工处理中", statusClosed: "已结束",
    customer: "客户", botName: "智能助手", agentName: "坐席", system: "系统",
    composer: "回复客户", composerPlaceholder: "输入回复，Ctrl+Enter 发送。客户的个人信息会自动脱敏。", send: "发送",
    sent: "已发送", joined: "已接入会话", returned: "已交还机器人", closedToast: "会话已结束",
    closeTitle: "结束会话", outcome: "处理结果", resolved: "已解决", notResolved: "未解决", confirm: "确认", cancel: "取消",
    context: "上下文", suggest: "建议回复", kb: "知识库", canned: "常用语",
    summary: "摘要", reason: "转人工原因", intent: "意图", confidence: "置信度", slots: "已知信息", lastQuestion: "客户最后的问题",
    cited: "机器人引用的资料", noCited: "机器人尚未引用资料", frustration: "情绪指数", unanswered: "连续未答出",
    none: "无", generate: "生成建议回复", regenerate: "重新生成", generating: "正在根据知识库生成建议…",
    suggestionFor: "针对：{q}", useInComposer: "放入输入框", sendSuggestion: "发送给客户",
    notGrounded: "知识库中没有找到可靠依据，请谨慎回复或搜索知识库。", noQuestion: "客户尚未提出问题。",
    search: "搜索", searchPlaceholder: "搜索知识库，如：信用卡分期手续费", noHits: "没有找到相关资料", insert: "插入",
    score: "相关度 {s}", cannedEmpty: "暂无常用语", addCanned: "新增常用语", title: "标题", text: "内容",
    langLabel: "语言", anyLang: "不限", save: "保存", delete: "删除", deleted: "已删除", saved: "已保存",
    curateTitle: "保存为精选答案", curateHint: "提交后将由管理员审核，通过后加入知识库。个人信息会被移除。",
    question: "问题", answer: "答案", submit: "提交审核", curated: "已提交审核", piiRemoved: "已移除个人信息：{n} 处",
    reveal: "查看原文", revealTitle: "查看个人信息", revealHint: "查看操作将记录审计日志（查看人、时间、占位符）。",
    revealReason: "查看原因", revealReasonPlaceholder: "例如：回拨客户核实身份", revealed: "已显示，30 秒后自动隐藏",
    placeholder: "个人信息占位符 {p}", live: "实时", offline: "连接中断", error: "操作失败：{e}",
    conflict: "该会话已由其他坐席处理", closedConv: "会话已结束", forbidden: "没有权限",
    actionLabel: "业务办理", actionBy: "操作人：{who}",
    actionSteps: {
      verified: "客户身份已验证", requested: "客户请求办理", read_back: "已向客户复述，待确认", confirmed: "客户已确认", cancelled: "已取消",
      outcomes: { executed: "已执行", failed: "执行失败", refused_unverified: "未验证身份，已拒绝", refused_locked: "验证码已锁定，已拒绝", rejected: "银行拒绝", not_found: "未找到" },
      reasons: { declined: "客户拒绝", changed: "客户更改了信息", expired: "确认超时", not_confirmed: "未明确确认", customer: "客户取消", new_request: "客户改办其他业务" }
    },
    reasons: {
      explicit_request: "客户要求人工", urgent_topic: "紧急/合规事项", frustration: "客户情绪不满",
      repeated_failure: "多次未答出", llm_unavailable: "模型不可用", agent_initiated: "坐席主动接入", none: "—"
    }
  },
  en: {
    brand: "Harbor Bank", product: "Agent console", login: "Log in", loginTitle: "Agent login", loginHint: "Use an agent or admin account.",
    email: "Email", password: "Password", logout: "Log out", loginFailed: "Wrong email or password", lang: "中文",
    ssoOr: "Or sign in through your organisation's identity provider:", ssoOrg: "Organisation", ssoButton: "Sign in with SSO", ssoOnly: "Your organisation signs in with SSO only: use single sign-on below.",
    ssoFailed: "Single sign-on failed ({r})", ssoNoRole: "Your account is not allowed to use this console: ask an admin.", ssoNotConfigured: "This organisation has no single sign-on.",
    queue: "Queue", waiting: "Waiting", assigned: "With agents", bot: "Bot", emptyWaiting: "No one is waiting for an agent",
    emptyAssigned: "No conversations with agents", emptyBot: "No bot conversations in the last 30 minutes",
    waited: "Waiting {t}", since: "Since {t}", takenBy: "Agent: {name}", you: "me", pick: "Pick a conversation from the queue",
    conversation: "Conversation", join: "Join", returnBot: "Return to bot", close: "Close", curate: "Save as curated answer",
    statusBot: "Bot", statusWaiting: "Waiting", statusAgent: "With agent", statusClosed: "Closed",
    customer: "Customer", botName: "Assistant", agentName: "Agent", system: "System",
    composer: "Reply to the customer", composerPlaceholder: "Type a reply, Ctrl+Enter to send. Personal data is masked automatically.",
    send: "Send", sent: "Sent", joined: "You joined the conversation", returned: "Returned to the bot", closedToast: "Conversation closed",
    closeTitle: "Close conversation", outcome: "Outcome", resolved: "Resolved", notResolved: "Not resolved", confirm: "Confirm", cancel: "Cancel",
    context: "Context", suggest: "Suggested reply", kb: "Knowledge", canned: "Canned",
    summary: "Summary", reason: "Handoff reason", intent: "Intent", confidence: "Confidence", slots: "Known details",
    lastQuestion: "Last question", cited: "Passages the bot cited", noCited: "The bot has cited nothing yet",
    frustration: "Frustration", unanswered: "Unanswered in a row", none: "none", generate: "Suggest a reply", regenerate: "Regenerate",
    generating: "Drafting a reply from the knowledge base…", suggestionFor: "For: {q}", useInComposer: "Use in reply box",
    sendSuggestion: "Send to customer", notGrounded: "Nothing reliable found in the knowledge base: reply with care or search it.",
    noQuestion: "The customer has not asked anything yet.", search: "Search", searchPlaceholder: "Search the knowledge base, e.g. instalment fee",
    noHits: "Nothing found", insert: "Insert", score: "score {s}", cannedEmpty: "No canned responses", addCanned: "Add canned response",
    title: "Title", text: "Text", langLabel: "Language", anyLang: "Any", save: "Save", delete: "Delete", deleted: "Deleted", saved: "Saved",
    curateTitle: "Save as curated answer", curateHint: "An admin reviews it before it joins the knowledge base. Personal data is removed.",
    question: "Question", answer: "Answer", submit: "Submit for review", curated: "Submitted for review", piiRemoved: "Personal data removed: {n}",
    reveal: "Reveal", revealTitle: "Reveal personal data", revealHint: "Every reveal is audited (who, when, which placeholder).",
    revealReason: "Reason", revealReasonPlaceholder: "e.g. call back to verify identity", revealed: "Shown; hidden again in 30 s",
    placeholder: "Personal data placeholder {p}", live: "Live", offline: "Disconnected", error: "Failed: {e}",
    conflict: "Another agent has this conversation", closedConv: "The conversation is closed", forbidden: "Not permitted",
    actionLabel: "Action", actionBy: "by {who}",
    actionSteps: {
      verified: "Customer verified", requested: "Requested by the customer", read_back: "Read back, awaiting confirmation", confirmed: "Confirmed by the customer", cancelled: "Cancelled",
      outcomes: { executed: "Executed", failed: "Failed", refused_unverified: "Refused: not verified", refused_locked: "Refused: code locked", rejected: "Rejected by the bank", not_found: "Not found" },
      reasons: { declined: "declined", changed: "a value changed", expired: "confirmation timed out", not_confirmed: "not confirmed", customer: "stopped by the customer", new_request: "another request" }
    },
    reasons: {
      explicit_request: "Asked for a person", urgent_topic: "Urgent / regulated", frustration: "Frustrated customer",
      repeated_failure: "Bot failed repeatedly", llm_unavailable: "Model unavailable", agent_initiated: "Agent stepped in", none: "—"
    }
  }
};
