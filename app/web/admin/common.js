// Helpers shared by the admin pages (labels of document states, formatting).
export const STATUS = {
  zh: { queued: "排队中", parsing: "解析中", embedding: "向量化中", indexed: "已索引", failed: "失败", deleted: "已删除" },
  en: { queued: "Queued", parsing: "Parsing", embedding: "Embedding", indexed: "Indexed", failed: "Failed", deleted: "Deleted" },
};

export function piiText(findings, lang) {
  const entries = Object.entries(findings || {}).filter(([, n]) => n > 0);
  if (!entries.length) return lang === "zh" ? "无" : "none";
  return entries.map(([kind, n]) => kind + " × " + n).join(", ");
}

export function formatBytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}

export const BUSY = new Set(["queued", "parsing", "embedding"]);
