// Renders API data into DOM nodes: the incident queue in triage order, an incident's owner and
// paging facts, its timeline, smile-back items. (The incident view itself is incident.js.)

import { age, compact, cssToken, duration, externalLink, formatNumber, h, handle, label, safeUrl, timeEl } from "./dom.js";

const MAX_DEPTH = 4;
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };

/** Who an incident is about: its headline post's author, or a muted note when unknown. */
function whoOf(incident) {
  const who = handle(incident.author_handle);
  if (who) return who;
  return h("span", { class: "muted" }, incident.author_handle === "" ? "deleted post" : "unknown");
}

/**
 * The queue in the order a responder works it: unacknowledged before acknowledged, then by
 * severity (critical first), then the one waiting longest first.
 */
export function triageOrder(incidents) {
  const rank = (incident) => [
    incident.status === "open" ? 0 : 1,
    SEVERITY_RANK[incident.severity] ?? 3,
    Date.parse(incident.opened_at) || 0,
  ];
  return [...incidents].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || String(a.id).localeCompare(String(b.id));
  });
}

/** How long an incident went unacknowledged: until now while open, else until it was acknowledged. */
function unacknowledged(incident, now) {
  if (incident.status === "open") {
    return h("span", { class: "waiting", "data-since": incident.opened_at }, age(incident.opened_at, now));
  }
  const at = Date.parse(incident.acknowledged_at);
  const opened = Date.parse(incident.opened_at);
  if (Number.isNaN(at) || Number.isNaN(opened)) return h("span", { class: "muted" }, "—");
  return h("span", { class: "muted" }, `acked after ${duration((at - opened) / 1000)}`);
}

/** Let the waiting times under `node` grow, in place: the rows stay the same nodes. */
export function refreshAges(node, now = Date.now()) {
  for (const since of node.querySelectorAll("[data-since]")) since.textContent = age(since.dataset.since, now);
}

/** One row of the incident queue (a card on a phone); `onOpen(id)` opens it. */
export function incidentRow(incident, { selected, onOpen, now = Date.now() }) {
  const severity = String(incident.severity || "unknown");
  const excerpt = incident.excerpt || incident.summary || incident.id;
  return h("tr", { "data-id": incident.id, "data-status": incident.status, "aria-current": selected ? "true" : false },
    h("td", { "data-label": "Severity" },
      h("span", { class: `badge sev-${cssToken(severity)}` }, severity), " ",
      incident.brand ? h("span", { class: "brand" }, incident.brand) : null),
    h("td", { "data-label": "Who" }, whoOf(incident),
      h("div", { class: "audience" }, typeof incident.author_followers === "number"
        ? `${compact(incident.author_followers)} followers` : "")),
    h("td", { class: "summary-cell", "data-label": "Post" },
      h("button", { type: "button", class: "link", onclick: () => onOpen(incident.id) }, excerpt)),
    h("td", { "data-label": "Owner" }, incident.owner ? String(incident.owner) : h("span", { class: "muted" }, "nobody")),
    h("td", { "data-label": "Unacknowledged" }, unacknowledged(incident, now)));
}

/** The facts under the owner: who owns it, when it opened and moved, and its pages. */
export function incidentFacts(incident) {
  const facts = [
    ["Owner", incident.owner ? String(incident.owner) : h("span", { class: "muted" }, "nobody")],
    ["Opened", timeEl(incident.opened_at)],
    ["Last activity", timeEl(incident.last_event_at)],
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

function byWhen(who, at) {
  return [String(who), at ? [", ", timeEl(at)] : null];
}

const TIMELINE_SHOWN = new Set(["event_id", "type", "at", "responder"]);
const ACTION_LABELS = { assign: "assigned", note: "note", take_over: "taken over" };
const ROUTINE_KEYS = new Set([...TIMELINE_SHOWN, "mention_id", "severity"]);

/** An update nobody made by hand and that carries nothing beyond the mention that caused it. */
function isRoutine(event) {
  return event.type === "updated" && !event.responder
    && Object.entries(event).every(([key, value]) => ROUTINE_KEYS.has(key) || isUnset(value));
}

/** A timeline field with nothing to say: blank, or an empty list (nobody `paged`). */
function isUnset(value) {
  return isBlank(value) || (Array.isArray(value) && value.length === 0);
}

/** One timeline entry: when, what, by whom, and its other fields (notes, owners). */
function eventItem(event) {
  const type = String(event.type || "event");
  // A human update ("assign", "note") reads better under its action than as "updated".
  const action = type === "updated" && typeof event.action === "string" && event.action ? event.action : null;
  // The owner goes without saying when it is the responder who acted (an acknowledgement).
  const extras = Object.entries(event)
    .filter(([key, value]) => !TIMELINE_SHOWN.has(key) && !(action && key === "action") && !isUnset(value)
      && !(key === "owner" && value === event.responder));
  return h("li", { class: `event event-${cssToken(type)}`, "data-type": type, "data-action": action },
    timeEl(event.at), " ",
    h("strong", {}, ACTION_LABELS[action] || action || type),
    event.responder ? [" by ", h("span", { class: "responder" }, String(event.responder))] : null,
    extras.length ? h("dl", { class: "inline" }, pairs(extras, 1)) : null);
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

function isBlank(value) {
  return value === null || value === undefined || value === "";
}
