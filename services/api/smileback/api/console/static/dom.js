// Small DOM helpers. Text always goes in as text nodes, never parsed as markup, so untrusted data stays inert.

/** An element with attributes/handlers from code and children as nodes or text. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** Append children; strings and numbers become text nodes. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Remove every child, then append `children`. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** `value` as an http(s) URL string, or null: other schemes (javascript:, data:) never become links. */
export function safeUrl(value) {
  if (typeof value !== "string" || !/^https?:\/\//i.test(value)) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A link that opens outside the console without telling the target where it came from. */
export function externalLink(url, text) {
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text);
}

const LABELS = {
  author_handle: "Handle",
  display_name: "Name",
  followers: "Followers",
  verified: "Verified",
  bot: "Bot",
  text: "Post",
  url: "Link",
  negativity: "Negativity",
  explanation: "Top terms",
  reach_tier: "Reach tier",
  thread_velocity: "Thread velocity",
  pile_on_risk: "Pile-on risk",
  mention_id: "Mention",
  mention_count: "Mentions",
  peak_velocity: "Peak velocity",
  paged_count: "Pages sent",
};

/** A readable label for a JSON key: "pile_on_risk" -> "Pile-on risk" (or a known label). */
export function label(key) {
  if (LABELS[key]) return LABELS[key];
  const words = String(key).replace(/[_-]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : String(key);
}

/** A number for people: counts with separators, fractions with two decimals. */
export function formatNumber(value) {
  if (Number.isInteger(value)) return value.toLocaleString("en");
  return value.toFixed(2);
}

/** A count for people: 1,234 up to ten thousand, then 12.3k, 4.5M. */
export function compact(value) {
  if (typeof value !== "number") return "?";
  return value.toLocaleString("en", { notation: value >= 10000 ? "compact" : "standard", maximumFractionDigits: 1 });
}

/** "3 min", "2 h", "4 d" since `iso`; "" when it is not a time. */
export function age(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  return duration((now - at) / 1000);
}

/** A number of seconds, roughly: "42 s", "5 min", "3 h", "2 d". */
export function duration(s) {
  const seconds = Math.max(0, Math.round(s));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

/** A <time> element showing the local date and time, with the ISO value in its attribute. */
export function timeEl(iso, text) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return h("span", { class: "muted" }, "unknown time");
  const local = new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  return h("time", { datetime: new Date(at).toISOString(), title: local }, text ?? local);
}

/** A handle shown with one leading "@". */
export function handle(value) {
  const text = String(value ?? "").trim().replace(/^@+/, "");
  return text ? `@${text}` : "";
}

/** A value safe to put in a class name. */
export function cssToken(value) {
  return String(value ?? "unknown").toLowerCase().replace(/[^a-z0-9-]/g, "-");
}
