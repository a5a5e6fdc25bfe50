// The incident view, made to be read at three a.m.: who posted and to how many people, the post
// once in large type, one line on why it paged, the thread's figures now beside those at page
// time, a response guide for this rule and this owner, the thread newest first, similar complaints.

import { age, compact, cssToken, externalLink, formatNumber, h, handle, safeUrl, timeEl } from "./dom.js";

const RULE_NAMES = {
  large_audience_complaint: "Large-audience complaint",
  pile_on: "Pile-on forming",
  brand_surge: "Brand surge",
};

const PLATFORM_NAMES = { mastodon: "Mastodon", bluesky: "Bluesky", webhook: "the source", file: "the source" };

// What to do, by rule: the first thing that matters for this kind of page.
const RULE_GUIDE = {
  large_audience_complaint: [
    "Many people read this author: answer in public within the hour, in your own words, naming the problem.",
    "Offer to continue in a direct conversation, then follow up there yourself.",
  ],
  pile_on: [
    "Reply once, to the root post, not to each reply.",
    "Do not argue with the people joining in: fix what the root post names and say so.",
  ],
  brand_surge: [
    "Many people at once: check for an outage or a broken release first.",
    "Post one status update and point replies to it; no copy-paste answers.",
  ],
};
const GENERAL_GUIDE = ["No automated DMs, no boilerplate: a named person answers."];

/** Who owns the thread, as the guide and the lock speak of it: "none", "me", "other" or "resolved". */
export function ownership(incident, me) {
  if (incident.status === "resolved") return "resolved";
  if (incident.owner == null) return "none";
  return incident.owner === me ? "me" : "other";
}

/** "Reply on Mastodon ↗" (the source's own name for where the post lives). */
export function replyLabel(incident) {
  const platform = String(packetOf(incident).who?.platform ?? "");
  return `Reply on ${PLATFORM_NAMES[platform] || platform || "the source"} ↗`;
}

/** The post's address, when it has an http(s) one. */
export function postUrl(incident) {
  return safeUrl(packetOf(incident).what?.url);
}

/** The header: rule, severity and status; who, with audience and verification; the post. */
export function incidentHeader(incident) {
  const { who = {}, what = {} } = packetOf(incident);
  const author = handle(who.handle ?? incident.author_handle);
  const flags = [who.verified ? "verified" : null, who.bot ? "bot" : null].filter(Boolean);
  const text = what.text ?? "";
  return [
    h("p", { class: "badges" },
      h("span", { class: `badge sev-${cssToken(incident.severity)}` }, incident.severity || "unknown"),
      h("span", { class: `badge status-${cssToken(incident.status)}`, id: "detail-status" }, incident.status || "unknown"),
      h("span", { class: "badge" }, RULE_NAMES[incident.rule] || incident.rule || "rule"),
      incident.brand ? h("span", { class: "badge" }, incident.brand) : null),
    h("p", { class: "who", id: "detail-who" },
      h("strong", { class: "handle" }, author || (who.handle === "" ? "deleted post" : "unknown author")),
      who.display_name ? h("span", { class: "display-name" }, ` ${who.display_name}`) : null,
      h("span", { class: "audience", id: "detail-audience" },
        typeof who.followers === "number" ? `${formatNumber(who.followers)} followers` : "audience unknown"),
      flags.map((flag) => h("span", { class: `badge flag-${flag}` }, flag)),
      what.created_at ? timeEl(what.created_at, `${age(what.created_at)} ago`) : null),
    text
      ? h("blockquote", { class: "post", id: "detail-post", lang: what.lang || null }, text)
      : h("p", { class: "muted post-gone" }, "The post was deleted; its text is not shown."),
  ];
}

/** One plain sentence on why this paged, from the rule and its figures at page time. */
export function whyLine(incident) {
  const { who = {}, why = {} } = packetOf(incident);
  const author = handle(who.handle) || "the author";
  const negativity = typeof why.negativity === "number" ? why.negativity.toFixed(2) : "?";
  if (incident.rule === "large_audience_complaint") {
    const audience = typeof who.followers === "number" ? `${formatNumber(who.followers)} followers` : "a large audience";
    return `It paged because ${author}, with ${audience}${who.verified ? " (verified)" : ""}, posted a complaint about ${incident.brand} (negativity ${negativity}).`;
  }
  if (incident.rule === "pile_on") {
    return `It paged because a pile-on is forming: ${figure(why.thread_velocity, 1)} negative replies a minute in this thread, pile-on risk ${figure(why.pile_on_risk, 2)}.`;
  }
  if (incident.rule === "brand_surge") {
    return `It paged because complaints about ${incident.brand} surged: ${why.reason || "well above the usual volume"}.`;
  }
  return `It paged by the rule "${incident.rule}"${why.reason ? `: ${why.reason}` : ""}.`;
}

/** The thread's figures now (from the API's `live`) beside those at page time (the packet's). */
export function figuresTable(incident) {
  const { why = {} } = packetOf(incident);
  const live = incident.live || {};
  const rows = [
    ["velocity", "Thread velocity (negative replies a minute)", figure(live.thread_velocity, 1), figure(why.thread_velocity, 1)],
    ["risk", "Pile-on risk", figure(live.pile_on_risk, 2), figure(why.pile_on_risk, 2)],
    ["mentions", "Mentions in the thread", figure(live.mentions, 0), figure(live.mentions_at_page_time, 0)],
    ["negatives", "Negative mentions", figure(live.negatives, 0), "—"],
  ];
  return [
    h("table", { class: "figures" },
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Figure"),
        h("th", { scope: "col" }, "Now"),
        h("th", { scope: "col" }, "At page time"))),
      h("tbody", {}, rows.map(([key, name, now, then]) =>
        h("tr", { "data-figure": key },
          h("th", { scope: "row" }, name),
          h("td", { class: "num now" }, now),
          h("td", { class: "num then" }, then))))),
    h("p", { class: "hint", id: "figures-as-of" },
      live.as_of ? ["Now: as of the thread's newest post, ", timeEl(live.as_of, `${age(live.as_of)} ago`), ". "] : "Now: no post of the thread is stored yet. ",
      "At page time: when it paged, ", timeEl(incident.opened_at, `${age(incident.opened_at)} ago`), "."),
  ];
}

/** A short guide for this rule and for who owns the thread, ownership first. */
export function responseGuide(incident, me) {
  const owner = incident.owner;
  const first = {
    none: "Nobody owns this thread yet: acknowledge first, so it is yours and nobody else answers too.",
    me: "You own this thread: you are the brand's one voice in it. Reply yourself, then note what you did.",
    other: `${owner} owns this thread: do not reply in it yourself (the brand would pile on). Talk to ${owner}, or take it over with a reason.`,
    resolved: "Resolved: if the thread flares up again, it opens as a new incident.",
  }[ownership(incident, me)];
  const lines = [first, ...(RULE_GUIDE[incident.rule] || []), ...GENERAL_GUIDE];
  return lines.map((line, i) => h("li", { "data-guide": i === 0 ? "owner" : "rule" }, line));
}

/** The thread, newest first, once: the post that paged is pointed at, not repeated. */
export function threadList(incident) {
  const headline = packetOf(incident).mention_id;
  const mentions = Array.isArray(incident.thread_mentions) ? [...incident.thread_mentions].reverse() : [];
  if (mentions.length === 0) return [h("li", { class: "muted" }, "No post of this thread is stored.")];
  return mentions.map((m) => {
    const url = safeUrl(m.url);
    const negative = m.is_negative === true;
    return h("li", { class: negative ? "negative" : null, "data-mention-id": m.id, "data-negative": negative ? "true" : "false" },
      h("div", { class: "post-head" },
        h("strong", {}, handle(m.author_handle) || "deleted post"),
        h("span", { class: "audience" }, `${compact(m.author_followers)} followers`),
        negative ? h("span", { class: "badge sev-critical" }, `negative ${formatNumber(m.negativity)}`) : null,
        url ? externalLink(url, "open ↗") : null,
        timeEl(m.created_at, `${age(m.created_at)} ago`)),
      m.id === headline
        ? h("p", { class: "muted" }, "The post that paged (above).")
        : h("p", { class: "thread-text" }, String(m.text ?? "")));
  });
}

/** Other complaints about the brand around the page. */
export function similarList(incident) {
  const similar = packetOf(incident).similar || {};
  const items = Array.isArray(similar.items) ? similar.items : [];
  if (items.length === 0) return [h("li", { class: "muted" }, "No similar complaints about the brand in the hour before it paged.")];
  return items.map((ref) => {
    const url = safeUrl(ref.url);
    return h("li", {},
      h("div", { class: "post-head" },
        h("strong", {}, handle(ref.handle) || "deleted post"),
        url ? externalLink(url, "open ↗") : null,
        ref.at ? timeEl(ref.at, `${age(ref.at)} ago`) : null),
      h("p", { class: "thread-text" }, String(ref.text ?? "")));
  });
}

function figure(value, digits) {
  if (typeof value !== "number") return "—";
  return digits === 0 ? formatNumber(value) : value.toFixed(digits);
}

function packetOf(incident) {
  const context = incident.context;
  return context !== null && typeof context === "object" && !Array.isArray(context) ? context : {};
}
