// The on-call console: log in, the incident queue, one incident's context and actions, the human
// queues (smile-back and triage, in queues.js).
// The address names the incident shown (<console>/incidents/<id>), so it is always a link to share.
// It triages itself: the queue and the open incident are polled with conditional GETs (ETag), so
// an unchanged answer costs nothing, and a redraw only touches what the API sent, never a field.

import { ApiFailure, AuthError, call, getFresh, pageOf, segment, session, withQuery } from "./api.js";
import { replace } from "./dom.js";
import { installLabels } from "./labels.js";
import { clearQueues, loadQueues, wireQueues } from "./queues.js";
import { figuresTable, incidentHeader, postUrl, replyLabel, responseGuide, similarList, threadList, whyLine } from "./incident.js";
import { incidentFacts, incidentRow, refreshAges, timelineItems, triageOrder } from "./render.js";

const POLL_MS = 5000; // the incident queue and the open incident
const REFRESH_MS = 30000; // the human queues
const QUEUE_PAGE = 100;
const TITLE = document.title;
const PHONE = window.matchMedia("(max-width: 600px)");
const $ = (id) => document.getElementById(id);
// Where the console lives ("/console/", under the app's root path): this script is in its static/.
const INCIDENTS_PATH = `${new URL("..", import.meta.url).pathname}incidents/`;

const state = { selected: null, incident: null, queue: [], queueNext: null, timers: [] };
// Who this session acts as, from the key (GET /v1/ping): its responder, or, for an admin key
// that belongs to no one, the responder it acts for (then `onBehalf`); null: it only reads.
const identity = { me: null, onBehalf: false, key: "" };

// Answers can come back in any order (a slow refresh, an action, a poll), so each request for the
// queue or the incident takes a number and only the newest one issued may change the page: an
// answer computed before an action must never draw over what the action's answer showed.
const issued = { queue: 0, incident: 0 };
let incidentLoads = 0; // detail requests in flight; the detail says it is busy meanwhile

/** Count a detail request in flight for as long as `promise` runs; resolves to its result. */
async function loadingDetail(promise) {
  incidentLoads += 1;
  $("detail").setAttribute("aria-busy", "true");
  try {
    return await promise;
  } finally {
    incidentLoads -= 1;
    if (incidentLoads === 0) $("detail").removeAttribute("aria-busy");
  }
}

function showLogin(message) {
  session.end();
  stopTimers();
  // Answers still on their way belong to the old session: none of them may draw any more.
  issued.queue += 1;
  // Nothing the last session saw stays in the page. The address stays: logging in again opens it.
  replace($("incident-rows"));
  clearQueues();
  state.queue = [];
  document.title = TITLE;
  closeIncident();
  $("app-view").hidden = true;
  $("session-bar").hidden = true;
  $("login-view").hidden = false;
  $("flash").hidden = true;
  $("login-error").hidden = !message;
  $("login-error").textContent = message || "";
  $("token").value = "";
  $("on-behalf-of").value = session.onBehalfOf();
  $("token").focus();
}

function showApp() {
  $("login-view").hidden = true;
  $("login-error").hidden = true;
  $("app-view").hidden = false;
  $("session-bar").hidden = false;
  $("whoami").textContent = whoami();
  stopTimers();
  state.timers = [
    setInterval(() => guarded(poll), POLL_MS),
    setInterval(() => guarded(loadQueues), REFRESH_MS),
  ];
}

function stopTimers() {
  state.timers.forEach(clearInterval);
  state.timers = [];
}

/** What the poll keeps fresh: the queue, the tab title's count, and the incident open. */
async function poll() {
  await loadQueue({ quiet: true });
  if (state.selected && state.incident && incidentLoads === 0) {
    const ticket = issued.incident;
    const { data, changed } = await getFresh(incidentPath(state.selected));
    if (changed) showIncident(data, ticket);
  }
}

function flash(message, kind = "info") {
  const node = $("flash");
  node.textContent = message;
  node.className = `flash ${kind}`;
  node.hidden = false;
}

/** Run an API action; a 401/403 returns to the login form, other failures show a message. */
async function guarded(action) {
  try {
    return await action();
  } catch (error) {
    if (error instanceof AuthError) showLogin(error.message);
    else if (error instanceof ApiFailure) flash(error.message, "error");
    else throw error;
    return undefined;
  }
}

/**
 * Load the queue of the chosen status and show it in triage order. `more` adds the next page;
 * `quiet` (the poll) redraws only when the API's answer changed.
 */
async function loadQueue({ more = false, quiet = false } = {}) {
  const status = $("status-filter").value;
  // "More" continues the current list: it is dropped if the list is reloaded meanwhile.
  const ticket = more ? issued.queue : ++issued.queue;
  // "unresolved" is every incident still to work on, acknowledged ones too (with their owner).
  const filter = status === "unresolved" ? { unresolved: "true" } : { status };
  const path = withQuery("/v1/incidents", { ...filter, limit: QUEUE_PAGE, cursor: more ? state.queueNext : null });
  // The unacknowledged are in this list itself unless it shows only acknowledged or resolved ones.
  const counted = status === "open" || status === "unresolved";
  const [{ data, changed }] = await Promise.all([getFresh(path), counted ? null : countOpen()]);
  if (ticket !== issued.queue) return; // the filter changed or the queue was reloaded meanwhile
  if (quiet && !changed && state.queue.length) {
    refreshAges($("incident-rows")); // the same incidents: only their waiting times grew
    return;
  }
  const { items, next } = pageOf(data);
  state.queueNext = next;
  state.queue = more ? [...state.queue, ...items] : items;
  if (counted) showOpenCount(state.queue.filter((incident) => incident.status === "open").length, Boolean(next));
  drawQueue();
  $("queue-caption").textContent = `${$("status-filter").selectedOptions[0].textContent} incidents`;
  $("queue-more").hidden = !next;
}

function drawQueue() {
  const now = Date.now();
  const rows = triageOrder(state.queue).map((incident) =>
    incidentRow(incident, { selected: incident.id === state.selected, onOpen: chooseIncident, now }));
  replace($("incident-rows"), rows);
  $("queue-empty").hidden = rows.length > 0;
}

/** The open incidents' count for the tab title, while the queue shows another status. */
async function countOpen() {
  const { data } = await getFresh(withQuery("/v1/incidents", { status: "open", limit: QUEUE_PAGE }));
  const { items, next } = pageOf(data);
  showOpenCount(items.length, Boolean(next));
}

/** "(2) Smileback on-call console": how many incidents nobody acknowledged yet. */
function showOpenCount(count, more) {
  document.title = count || more ? `(${count}${more ? "+" : ""}) ${TITLE}` : TITLE;
}

/** Reload the incidents and the human queues; one failing does not keep the others from showing. */
async function refreshQueues() {
  const failures = (await Promise.allSettled([loadQueue(), loadQueues()]))
    .filter((result) => result.status === "rejected")
    .map((result) => result.reason);
  if (failures.length) throw failures.find((error) => error instanceof AuthError) || failures[0];
}

/** The incident the address names, or null when it shows the queue alone. */
function incidentInAddress() {
  const { pathname } = window.location;
  if (!pathname.startsWith(INCIDENTS_PATH)) return null;
  const encoded = pathname.slice(INCIDENTS_PATH.length);
  try {
    return decodeURIComponent(encoded) || null;
  } catch {
    return encoded; // a malformed escape names no incident, and the detail will say so
  }
}

/** Show what the address names: on arrival, after logging in, and on back and forward. */
async function followAddress() {
  const id = incidentInAddress();
  if (id) await openIncident(id);
  else closeIncident();
}

/** Open an incident chosen in the page and put its deep link in the address bar and history. */
async function chooseIncident(id) {
  const address = `${INCIDENTS_PATH}${segment(id)}`;
  if (window.location.pathname !== address) window.history.pushState(null, "", address);
  await openIncident(id);
}

function markSelected(id) {
  for (const row of $("incident-rows").children) {
    if (row.dataset.id === id) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  }
}

async function openIncident(id) {
  state.selected = id;
  markSelected(id);
  const ticket = ++issued.incident;
  await guarded(async () => {
    let incident;
    try {
      incident = (await loadingDetail(getFresh(incidentPath(id)))).data;
    } catch (error) {
      if (!(error instanceof ApiFailure && error.status === 404)) throw error;
      showMissing(id, ticket);
      return;
    }
    showIncident(incident, ticket);
  });
}

const incidentPath = (id) => `/v1/incidents/${segment(id)}`;

/** The detail with no incident in it; answers still on their way for one are dropped. */
function closeIncident() {
  state.selected = state.incident = null;
  issued.incident += 1;
  markSelected(null);
  $("detail-body").hidden = true;
  $("detail-missing").hidden = true;
  $("detail-empty").hidden = false;
  $("detail-title").textContent = "Incident";
}

/** Say plainly that the incident a link named does not exist, unless a newer request was issued. */
function showMissing(id, ticket) {
  if (ticket !== issued.incident || state.selected !== id) return;
  state.incident = null;
  $("detail-body").hidden = true;
  $("detail-empty").hidden = true;
  $("detail-title").textContent = "No such incident";
  $("detail-missing").textContent = `No such incident: ${id}. Check the link, or choose an incident in the queue.`;
  $("detail-missing").hidden = false;
}

/** Show `incident` unless a newer request for the detail was issued after this one. */
function showIncident(incident, ticket) {
  if (ticket !== issued.incident || state.selected !== incident.id) return;
  state.incident = incident;
  renderIncident(incident);
}

/** Draw the incident; only what the API sent is redrawn, so fields keep what is typed in them. */
function renderIncident(incident) {
  const wasHidden = $("detail-body").hidden;
  $("detail-empty").hidden = true;
  $("detail-missing").hidden = true;
  $("detail-body").hidden = false;
  $("detail-title").textContent = `Incident ${incident.id}`;
  replace($("incident-head"), incidentHeader(incident));
  $("why").textContent = whyLine(incident);
  replace($("figures"), figuresTable(incident));
  replace($("guide"), responseGuide(incident, identity.me));
  replace($("thread"), threadList(incident));
  replace($("similar"), similarList(incident));
  replace($("detail-facts"), incidentFacts(incident));
  replace($("timeline"), timelineItems(incident.timeline, incident.timeline_next_cursor != null));
  const url = postUrl(incident);
  const link = $("open-post");
  link.hidden = !url;
  link.textContent = replyLabel(incident);
  if (url) link.href = url;
  setActionStates(incident);
  // On a phone the queue is above: bring a newly opened incident into view.
  if (wasHidden && PHONE.matches) $("detail").scrollIntoView({ block: "start" });
}

/** Who the session is, as the session bar says it. */
function whoami() {
  if (!identity.me) return `${identity.key} (this key belongs to no responder: it can only read)`;
  return identity.onBehalf ? `${identity.me} (admin key ${identity.key}, on their behalf)` : identity.me;
}

/** An action's body: the key says who acts; an admin key also names whom it acts for. */
function asMe(body = {}) {
  return identity.onBehalf ? { ...body, on_behalf_of: identity.me } : body;
}

/** The lock: the owner holds an unresolved incident; only they act on it, others take it over. */
function setActionStates(incident) {
  const resolved = incident.status === "resolved";
  const owner = resolved ? null : incident.owner;
  const mine = owner != null && owner === identity.me;
  const theirs = owner != null && !mine;
  $("ack").disabled = resolved || theirs || (mine && incident.status === "acknowledged");
  $("resolve").disabled = resolved || theirs;
  $("assign").disabled = resolved || theirs;
  $("takeover-form").hidden = !theirs;
  $("lock").textContent = mine ? `Claimed by ${owner} — you`
    : theirs ? `Claimed by ${owner}: take it over (with a reason) to act on it.`
      : resolved ? "Released: the incident is resolved."
        : "Unclaimed: acknowledging claims it for you.";
  $("lock").dataset.owner = owner ?? "";
}

// The fields of an action's answer that are the incident's state after it (the answer also
// carries the event it recorded): the whole incident is read again after the action.
const STATE_FIELDS = ["status", "owner", "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at", "last_event_at"];

/**
 * POST an action on the open incident, show its state as the answer returns it, then read the
 * incident again; `onDone` runs as soon as the API has taken the action. A refused action shows
 * the incident as it is now.
 */
async function act(action, body, done, onDone = () => {}) {
  const incident = state.incident;
  if (!incident) return;
  const buttons = [...$("detail-body").querySelectorAll("button")];
  buttons.forEach((button) => { button.disabled = true; }); // no double submits
  // Taken before the POST: an answer asked for before the action never draws over it.
  const ticket = ++issued.incident;
  const ok = await guarded(async () => {
    const result = await loadingDetail(call("POST", `/v1/incidents/${segment(incident.id)}/${action}`, body));
    onDone();
    flash(done);
    if (!result || result.id !== incident.id || ticket !== issued.incident) return true;
    const now = Object.fromEntries(STATE_FIELDS.map((key) => [key, result[key]]));
    showIncident({ ...state.incident, ...now }, ticket);
    // The action is committed before its answer: this read already shows it (and its event).
    const { data } = await loadingDetail(getFresh(incidentPath(incident.id)));
    showIncident(data, ticket);
    return true;
  });
  buttons.forEach((button) => { button.disabled = false; });
  if (state.incident) setActionStates(state.incident);
  if (!session.token()) return; // refused: back at the login form
  // A 409 means someone else changed it first: show what it is now.
  await Promise.all([ok === true ? null : openIncident(incident.id), guarded(loadQueue)]);
}

/** Empty a form field after its action went through, unless it was edited again meanwhile. */
function clearIfUnchanged(field, submitted) {
  if (field.value.trim() === submitted) field.value = "";
}

async function logIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  session.start(token, $("on-behalf-of").value.trim());
  $("token").value = "";
  await enter(true);
}

/** Ask the API whose key this is: the key, not the person typing, decides who acts. */
async function identify() {
  const ping = await call("GET", "/v1/ping");
  const onBehalfOf = session.onBehalfOf();
  identity.key = ping.name;
  identity.onBehalf = !ping.responder && ping.scope === "admin" && onBehalfOf !== "";
  identity.me = ping.responder || (identity.onBehalf ? onBehalfOf : null);
}

/** Show the console unless the API refuses the token; other failures show as a message. */
async function enter(greet) {
  let failure = null;
  try {
    await identify();
    await refreshQueues();
  } catch (error) {
    if (error instanceof AuthError) {
      showLogin(error.message);
      return;
    }
    failure = error;
  }
  showApp();
  if (failure) flash(failure.message, "error");
  else if (greet) flash(`Logged in as ${whoami()}.`);
  await followAddress(); // a deep link opens its incident once the session is known
}

function wire() {
  installLabels($("app-view"), { run: guarded, asMe, canLabel: () => identity.me !== null });
  $("login-form").addEventListener("submit", logIn);
  // Logged out, the address waits: logging in follows it.
  window.addEventListener("popstate", () => (session.token() ? followAddress() : undefined));
  $("logout").addEventListener("click", () => showLogin(""));
  $("refresh").addEventListener("click", () => guarded(async () => {
    await refreshQueues();
    if (state.selected) await openIncident(state.selected);
  }));
  $("status-filter").addEventListener("change", () => guarded(loadQueue));
  $("queue-more").addEventListener("click", () => guarded(() => loadQueue({ more: true })));
  wireQueues({ guarded, flash, asMe });
  $("ack").addEventListener("click", () => act("acknowledge", asMe(), "Acknowledged."));
  $("resolve").addEventListener("click", () => act("resolve", asMe(), "Resolved."));
  $("assign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const owner = $("owner").value.trim();
    if (owner) act("assign", asMe({ owner }), `Assigned to ${owner}.`, () => clearIfUnchanged($("owner"), owner));
  });
  $("takeover-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("takeover-reason").value.trim();
    const from = state.incident?.owner;
    if (reason) act("take-over", asMe({ reason }), `Taken over from ${from}.`, () => clearIfUnchanged($("takeover-reason"), reason));
  });
  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("note").value.trim();
    if (text) act("notes", asMe({ text }), "Note added.", () => clearIfUnchanged($("note"), text));
  });
}

async function start() {
  wire();
  if (!session.token()) {
    showLogin("");
    return;
  }
  await enter(false);
}

start();
