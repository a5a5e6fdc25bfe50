// The human queues: smile-back (kind mentions) and triage (negatives that paged nobody), as tabs
// with their counts, in the order the responder picks. Each item offers "Reply on <platform> ↗";
// once the post is open in its own tab the item asks for "Mark answered" right where it is, and
// keeps asking across refreshes until it is answered or dismissed.

import { AuthError, call, pageOf, segment, withQuery } from "./api.js";
import { age, append, duration, externalLink, formatNumber, h, handle, replace, safeUrl, timeEl } from "./dom.js";

const $ = (id) => document.getElementById(id);

// Per queue: its API path, its nodes, what "dismiss" is called there and what it asks.
const QUEUES = {
  smile: {
    path: "/v1/smile-back", list: "smile-list", empty: "smile-empty", more: "smile-more",
    count: "smile-count", tab: "tab-smile", panel: "smile-back",
    dismiss: "Not for us", ask: "Why is this not for us?",
  },
  triage: {
    path: "/v1/triage", list: "triage-list", empty: "triage-empty", more: "triage-more",
    count: "triage-count", tab: "tab-triage", panel: "triage",
    dismiss: "No reply needed", ask: "Why does this need no reply?",
  },
};

const PLATFORMS = { mastodon: "Mastodon", bluesky: "Bluesky" };

// The console lends its session helpers: `guarded` (auth and API failures), `flash` and `asMe`.
let host = null;
const next = { smile: null, triage: null };
const totals = { smile: 0, triage: 0 };
// Mentions whose post the responder opened to reply to: they offer "Mark answered" first.
const replying = new Set();
// A reload takes a number per queue; "More" is dropped if the list was reloaded meanwhile.
const issued = { smile: 0, triage: 0 };

/** Wire the tabs, the order and the "More" buttons; `lender` gives guarded, flash and asMe. */
export function wireQueues(lender) {
  host = lender;
  $("queue-sort").addEventListener("change", () => host.guarded(loadQueues));
  for (const [name, queue] of Object.entries(QUEUES)) {
    $(queue.tab).addEventListener("click", () => showTab(name));
    $(queue.tab).addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const other = name === "smile" ? "triage" : "smile";
      showTab(other);
      $(QUEUES[other].tab).focus();
    });
    $(queue.more).addEventListener("click", () => host.guarded(() => loadQueue(name, { more: true })));
  }
}

/** Reload both queues in the chosen order; one failing does not keep the other from showing. */
export async function loadQueues() {
  const failures = (await Promise.allSettled(Object.keys(QUEUES).map((name) => loadQueue(name))))
    .filter((result) => result.status === "rejected")
    .map((result) => result.reason);
  if (failures.length) throw failures.find((error) => error instanceof AuthError) || failures[0];
}

/** Empty both queues (logging out): nothing the last session saw stays in the page. */
export function clearQueues() {
  for (const [name, queue] of Object.entries(QUEUES)) {
    issued[name] += 1;
    replace($(queue.list));
    $(queue.count).textContent = "";
  }
  replying.clear();
}

async function loadQueue(name, { more = false } = {}) {
  const queue = QUEUES[name];
  const ticket = more ? issued[name] : ++issued[name];
  const sort = $("queue-sort").value;
  const data = await call("GET", withQuery(queue.path, { answered: "false", sort, cursor: more ? next[name] : null }));
  if (ticket !== issued[name]) return; // the order changed or the queue was reloaded meanwhile
  const { items, next: cursor } = pageOf(data);
  next[name] = cursor;
  const nodes = items.map((item) => queueItem(item, queue));
  if (more) append($(queue.list), nodes);
  else replace($(queue.list), nodes);
  if (typeof data?.total === "number") totals[name] = data.total;
  showCounts(name);
  $(queue.more).hidden = !cursor;
}

function showTab(name) {
  for (const [other, queue] of Object.entries(QUEUES)) {
    const shown = other === name;
    $(queue.tab).setAttribute("aria-selected", String(shown));
    $(queue.tab).tabIndex = shown ? 0 : -1;
    $(queue.panel).hidden = !shown;
  }
}

function showCounts(name) {
  const queue = QUEUES[name];
  $(queue.count).textContent = `(${totals[name]})`;
  $(queue.empty).hidden = $(queue.list).children.length > 0;
}

/** One entry: who, their audience, how long it has waited, the post, and what to do with it. */
function queueItem(item, queue) {
  const mention = item.mention && typeof item.mention === "object" ? item.mention : {};
  const id = item.mention_id;
  const who = handle(mention.author_handle);
  const url = safeUrl(mention.url);
  const platform = PLATFORMS[mention.platform] || mention.platform || "";
  const followers = Number.isInteger(mention.author_followers) ? mention.author_followers : null;
  const answer = h("button", { type: "button", class: "answer", "aria-label": `Mark ${who || id} answered`,
    onclick: (e) => close(id, e.currentTarget, queue, "answered", host.asMe(), `Marked ${id} answered.`) },
  "Mark answered");
  const node = h("li", { class: "smile-item", "data-mention-id": id },
    h("div", { class: "smile-head" },
      who ? h("strong", {}, who) : null,
      followers !== null ? h("span", { class: "badge audience" }, `${formatNumber(followers)} followers`) : null,
      item.brand ? h("span", { class: "badge" }, item.brand) : null,
      typeof item.waiting_s === "number"
        ? h("span", { class: "badge waiting", title: "how long it has waited for a reply" }, `waiting ${duration(item.waiting_s)}`)
        : null,
      timeEl(item.at, age(item.at))),
    mention.text ? h("blockquote", {}, String(mention.text)) : h("p", { class: "muted" }, `Mention ${id}`),
    item.reason ? h("p", { class: "hint" }, String(item.reason)) : null,
    h("p", { class: "replied-hint", role: "status" }),
    h("div", { class: "smile-actions" },
      url ? replyLink(url, platform, id, who) : null,
      answer,
      h("button", { type: "button", "aria-label": `${queue.dismiss}: ${who || id}`,
        onclick: (e) => dismiss(id, e.currentTarget, queue) }, queue.dismiss)));
  if (replying.has(id)) offerAnswer(node, platform);
  return node;
}

/** "Reply on <platform> ↗": the post opens in its own tab, and the item then asks to be marked. */
function replyLink(url, platform, id, who) {
  const link = externalLink(url, platform ? `Reply on ${platform} ↗` : "Open post ↗");
  link.setAttribute("aria-label", `Reply to ${who || id} on ${platform || "its platform"} (opens a new tab)`);
  link.addEventListener("click", () => {
    replying.add(id);
    offerAnswer(link.closest("li"), platform);
    link.closest("li").querySelector("button.answer").focus({ preventScroll: true });
  });
  return link;
}

/** The item after its post was opened: "Mark answered" first, with a word on why (a redraw
 * keeps this, but never moves the focus: the responder may be typing elsewhere). */
function offerAnswer(node, platform) {
  node.classList.add("replying");
  node.querySelector("button.answer").classList.add("primary");
  node.querySelector(".replied-hint").textContent = `Replied on ${platform || "its platform"}? Mark it answered.`;
}

async function dismiss(id, button, queue) {
  const reason = window.prompt(queue.ask)?.trim();
  if (!reason) return;
  await close(id, button, queue, "dismiss", host.asMe({ reason }), `Dismissed ${id}: ${reason}`);
}

/** Post one closure (`answered` or `dismiss`) and take the entry off its list (the list keeps
 * its place and its pages). */
async function close(id, button, queue, closure, body, done) {
  const name = Object.keys(QUEUES).find((key) => QUEUES[key] === queue);
  const buttons = [...button.closest("li").querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; }); // no double submits
  // A reload asked for before the closure was done may answer after it: its list still holds
  // the item, so it must not draw (see loadQueue's ticket).
  issued[name] += 1;
  const ok = await host.guarded(async () => {
    await call("POST", `${queue.path}/${segment(id)}/${closure}`, body);
    return true;
  });
  if (!ok) {
    buttons.forEach((b) => { b.disabled = false; });
    return;
  }
  issued[name] += 1;
  replying.delete(id);
  // The item as drawn now, which a reload that came in meanwhile may have replaced.
  for (const item of [...$(queue.list).children]) {
    if (item.dataset.mentionId === id) item.remove();
  }
  totals[name] = Math.max(0, totals[name] - 1);
  showCounts(name);
  host.flash(done);
}
