// Renders API data into DOM nodes: the incident queue, the context packet, the timeline.
// The context packet's shape may grow, so unknown keys are shown too, generically.

import { age, externalLink, formatNumber, h, handle, label, safeUrl, timeEl } from "./dom.js";

const MAX_DEPTH = 4;

// Sections of the context packet, in the order a responder reads them; each takes these keys.
const SECTIONS = [
  ["Who", ["who", "author", "author_handle", "handle", "display_name", "followers", "verified", "bot",
    "account_age", "account_age_days", "author_created_at"]],
  ["What", ["what", "brand", "text", "url", "link", "platform", "mention_id", "created_at"]],
  ["Why", ["why", "rule", "negativity", "explanation", "reach_tier", "reach", "est_impressions",
    "thread_velocity", "pile_on_risk"]],
  ["Thread", ["thread"]],
  ["Similar complaints", ["similar", "similar_complaints"]],
  ["Humane response guide", ["guide", "response_guide", "humane_response", "humane_response_guide"]],
];

/** Who an incident is about: its headline post's author, or a muted note when unknown. */
function whoOf(incident) {
  const who = handle(incident.author_handle);
  if (who) return who;
  return h("span", { class: "muted" }, incident.author_handle === "" ? "deleted post" : "unknown");
}

/** One row of the incident queue; `onOpen(id)` opens it. */
export function incidentRow(incident, { selected, onOpen }) {
  const severity = String(incident.severity || "unknown");
  return h("tr", { "data-id": incident.id, "aria-current": selected ? "true" : false },
    h("td", {}, h("span", { class: `badge sev-${cssToken(severity)}` }, severity)),
    h("td", {}, incident.brand || ""),
    h("td", {}, whoOf(incident)),
    h("td", { class: "summary-cell" },
      h("button", { type: "button", class: "link", onclick: () => onOpen(incident.id) },
        incident.summary || incident.id)),
    h("td", { class: "num" }, incident.mention_count ?? ""),
    h("td", {}, timeEl(incident.opened_at, age(incident.opened_at))));
}

/** The facts list at the top of an incident's detail. */
export function incidentFacts(incident) {
  const owner = incident.owner ?? incident.assignee ?? incident.assigned_to;
  const facts = [
    ["Status", h("span", { class: `badge status-${cssToken(incident.status)}`, id: "detail-status" }, incident.status || "unknown")],
    ["Severity", h("span", { class: `badge sev-${cssToken(incident.severity)}` }, incident.severity || "unknown")],
    ["Owner", owner ? String(owner) : h("span", { class: "muted" }, "unassigned")],
    ["Brand", incident.brand || ""],
    ["Rule", incident.rule || ""],
    ["Opened", timeEl(incident.opened_at)],
    ["Last activity", timeEl(incident.last_event_at)],
    ["Mentions", valueNode(incident.mention_count, "mention_count", 0)],
    ["Peak velocity", valueNode(incident.peak_velocity, "peak_velocity", 0)],
  ];
  if (incident.acknowledged_by) facts.push(["Acknowledged", byWhen(incident.acknowledged_by, incident.acknowledged_at)]);
  if (incident.resolved_by) facts.push(["Resolved", byWhen(incident.resolved_by, incident.resolved_at)]);
  const paging = isObject(incident.paging) ? incident.paging : {};
  if (Array.isArray(paging.pages) && paging.pages.length) facts.push(["Paged", pagesList(paging.pages)]);
  if (paging.next_escalation_at) facts.push(["Next escalation", timeEl(paging.next_escalation_at)]);
  return facts.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]);
}

/** Each page: who it named, through which notifier and level, how it went, and when. */
function pagesList(pages) {
  return h("ul", { class: "pages", id: "detail-pages" }, pages.map((page) =>
    h("li", { class: `page page-${cssToken(page.outcome)}` },
      (page.responders || []).join(", ") || h("span", { class: "muted" }, "nobody named"),
      ` via ${page.notifier}`, page.level ? ` (level ${page.level})` : null, ": ",
      h("strong", {}, String(page.outcome).replace("_", " ")), ", ", timeEl(page.at))));
}

/** The context packet in sections (who, what, why, thread, similar, guide, then anything else). */
export function contextPacket(context, incident = {}) {
  if (!isObject(context) || Object.keys(context).length === 0) {
    return [h("p", { class: "muted" }, "This incident carries no context.")];
  }
  // What the facts list above already shows is not repeated.
  const left = new Map(Object.entries(context).filter(([key, value]) =>
    !(key === "incident_id" && value === incident.id) && !(key in incident && incident[key] === value)));
  const sections = [];
  for (const [title, keys] of SECTIONS) {
    const entries = keys.filter((key) => left.has(key)).map((key) => [key, left.get(key)]);
    keys.forEach((key) => left.delete(key));
    if (entries.length) sections.push(section(title, keys[0], entries));
  }
  const rest = [...left.entries()].filter(([, value]) => !isEmpty(value));
  if (rest.length) sections.push(section("More context", null, rest));
  return sections;
}

/** The timeline, oldest first; runs of routine updates fold into one expandable entry.
 * `hasOlder`: the API sent only the newest events (the detail's timeline_next_cursor). */
export function timelineItems(events, hasOlder = false) {
  if (!Array.isArray(events) || events.length === 0) {
    return [h("li", { class: "muted" }, "No events yet.")];
  }
  const items = hasOlder
    ? [h("li", { class: "muted" }, `Only the latest ${events.length} events are shown.`)]
    : [];
  let run = [];
  const flush = () => {
    if (run.length === 1) items.push(eventItem(run[0]));
    if (run.length > 1) {
      items.push(h("li", { class: "event event-updated" },
        h("details", {},
          h("summary", {}, `${run.length} updates: new mentions in the thread, `,
            timeEl(run[0].at), " to ", timeEl(run[run.length - 1].at)),
          h("ol", {}, run.map(eventItem)))));
    }
    run = [];
  };
  for (const event of events) {
    if (isRoutine(event)) {
      run.push(event);
    } else {
      flush();
      items.push(eventItem(event));
    }
  }
  flush();
  return items;
}

/** The latest mentions of the incident's thread, oldest first. */
export function threadPosts(mentions) {
  if (!Array.isArray(mentions) || mentions.length === 0) return [];
  return [h("section", { class: "ctx-section" },
    h("h4", {}, `Latest in the thread (${mentions.length})`),
    h("ol", { class: "thread" }, mentions.map((m) => {
      const url = safeUrl(m.url);
      return h("li", {},
        h("div", { class: "smile-head" },
          h("strong", {}, handle(m.author_handle) || "unknown author"),
          typeof m.negativity === "number" ? h("span", { class: "badge" }, `negativity ${formatNumber(m.negativity)}`) : null,
          url ? externalLink(url, "post") : null,
          timeEl(m.created_at, age(m.created_at))),
        h("blockquote", {}, String(m.text ?? "")));
    })))];
}

function byWhen(who, at) {
  return [String(who), at ? [", ", timeEl(at)] : null];
}

const TIMELINE_SHOWN = new Set(["event_id", "type", "at", "actor"]);
const ACTION_LABELS = { assign: "assigned", note: "note", take_over: "taken over" };
const ROUTINE_KEYS = new Set([...TIMELINE_SHOWN, "mention_id", "severity"]);

/** An update nobody made by hand and that carries nothing beyond the mention that caused it. */
function isRoutine(event) {
  return event.type === "updated" && !event.actor
    && Object.entries(event).every(([key, value]) => ROUTINE_KEYS.has(key) || isBlank(value));
}

/** One timeline entry: when, what, by whom, and its other fields (notes, owners). */
function eventItem(event) {
  const type = String(event.type || "event");
  // A human update ("assign", "note") reads better under its action than as "updated".
  const action = type === "updated" && typeof event.action === "string" && event.action ? event.action : null;
  const extras = Object.entries(event)
    .filter(([key, value]) => !TIMELINE_SHOWN.has(key) && !(action && key === "action") && !isBlank(value));
  return h("li", { class: `event event-${cssToken(type)}`, "data-type": type, "data-action": action },
    timeEl(event.at), " ",
    h("strong", {}, ACTION_LABELS[action] || action || type),
    event.actor ? [" by ", h("span", { class: "actor" }, String(event.actor))] : null,
    extras.length ? h("dl", { class: "inline" }, pairs(extras, 1)) : null);
}

/** A titled part of the packet; its own key (e.g. "who") is shown without a label of its own. */
function section(title, ownKey, entries) {
  const own = entries.find(([key]) => key === ownKey);
  const others = entries.filter(([key]) => key !== ownKey);
  const body = [];
  if (own && isObject(own[1])) others.unshift(...Object.entries(own[1]));
  else if (own) body.push(h("div", { class: "ctx-own" }, valueNode(own[1], ownKey, 1)));
  if (others.length) body.push(h("dl", {}, pairs(others, 1)));
  return h("section", { class: "ctx-section" }, h("h4", {}, title), body);
}

function pairs(entries, depth) {
  return entries.flatMap(([key, value]) => [h("dt", {}, label(key)), h("dd", {}, valueNode(value, key, depth))]);
}

/** Any JSON value as nodes: links only for http(s), nested objects as definition lists. */
function valueNode(value, key, depth) {
  if (isBlank(value)) return h("span", { class: "muted" }, "—");
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") {
    const url = safeUrl(value);
    if (url) return externalLink(url, value);
    if ((key === "at" || String(key).endsWith("_at")) && !Number.isNaN(Date.parse(value))) return timeEl(value);
    return key === "text" ? h("blockquote", {}, value) : value;
  }
  if (depth > MAX_DEPTH) return h("code", {}, JSON.stringify(value));
  if (Array.isArray(value) && value.length === 0) return h("span", { class: "muted" }, "none");
  if (Array.isArray(value)) {
    if (value.every((v) => !isObject(v) && !Array.isArray(v))) {
      // Short words (top terms) read as chips; sentences (a guide) as a list.
      const short = value.every((v) => String(v).length <= 40);
      return h("ul", { class: short ? "chips" : "plain" }, value.map((v) => h("li", {}, valueNode(v, key, depth + 1))));
    }
    return h("ol", { class: "nested" }, value.map((v) => h("li", {}, valueNode(v, key, depth + 1))));
  }
  if (isObject(value)) return h("dl", { class: "nested" }, pairs(Object.entries(value), depth + 1));
  return String(value);
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isEmpty(value) {
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return isBlank(value);
}

function isBlank(value) {
  return value === null || value === undefined || value === "";
}

/** A value safe to put in a class name. */
function cssToken(value) {
  return String(value ?? "unknown").toLowerCase().replace(/[^a-z0-9-]/g, "-");
}
