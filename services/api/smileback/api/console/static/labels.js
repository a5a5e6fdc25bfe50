// Labels that teach the model. Every mention the console shows (an element with data-mention-id,
// whichever view drew it) gets a "Label for the model" disclosure with three buttons: not a
// complaint, missed complaint, not for us. A click records the label as this session's responder
// (POST /v1/mentions/<id>/labels; the key says who) and confirms it beside the buttons.
// `smileback train --labels` learns from the export of these labels.

import { call, segment } from "./api.js";
import { h } from "./dom.js";

// Machine name, what the button says, and how the confirmation reads.
const LABELS = [
  ["not_a_complaint", "Not a complaint", "not a complaint"],
  ["missed_complaint", "Missed complaint", "a missed complaint"],
  ["not_for_us", "Not for us", "not for us"],
];

/**
 * Add label buttons to every mention under `root`, now and whenever a view draws more.
 * `run(action)` runs an API call the console's way (a refusal returns to the login form, other
 * failures show a message; undefined then); `asMe(body)` adds whom an admin key acts for;
 * `canLabel()` is false for a session that only reads, which gets no buttons.
 */
export function installLabels(root, { run, asMe, canLabel }) {
  const enhance = (node) => {
    if (!(node instanceof Element) || !canLabel()) return;
    const mentions = node.matches("[data-mention-id]") ? [node] : [];
    mentions.push(...node.querySelectorAll("[data-mention-id]"));
    for (const mention of mentions) {
      if (!mention.querySelector(":scope > .labels")) mention.append(labelBar(mention.dataset.mentionId, { run, asMe }));
    }
  };
  new MutationObserver((changes) => {
    for (const change of changes) change.addedNodes.forEach(enhance);
  }).observe(root, { childList: true, subtree: true });
  enhance(root);
}

/** The disclosure for one mention: closed until asked for, so a list stays quiet to read. */
function labelBar(mentionId, { run, asMe }) {
  const status = h("p", { class: "label-done", role: "status" });
  const buttons = LABELS.map(([label, text, reads]) => h("button", {
    type: "button",
    "data-label": label,
    "aria-pressed": "false",
    onclick: async (event) => {
      const button = event.currentTarget;
      buttons.forEach((other) => { other.disabled = true; });
      status.textContent = "Saving…";
      const saved = await run(() => call("POST", `/v1/mentions/${segment(mentionId)}/labels`, asMe({ label })));
      buttons.forEach((other) => { other.disabled = false; });
      if (!saved) {
        status.textContent = "";
        return;
      }
      button.setAttribute("aria-pressed", "true");
      status.textContent = `Labelled ${reads}, by ${saved.responder}. Thank you: the next training learns from it.`;
    },
  }, text));
  return h("details", { class: "labels" },
    h("summary", {}, "Label for the model"),
    h("div", { class: "label-buttons", role: "group", "aria-label": "Label this mention for the model" }, buttons),
    status);
}
