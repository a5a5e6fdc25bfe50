"""A notification as plain text: the console's output and the body of an email."""

from __future__ import annotations

from smileback.alerts.notifiers.base import Notification, NotificationKind

__all__ = ["render_text", "subject_line"]

_VERBS = {NotificationKind.ACKNOWLEDGE: "acknowledged", NotificationKind.RESOLVE: "resolved"}


def subject_line(notification: Notification) -> str:
    """A short first line: the kind, severity and incident."""
    n = notification
    if n.kind is NotificationKind.TRIGGER:
        level = f" level {n.level}" if n.level else ""
        return f"PAGE [{n.severity}] {n.incident_id}{level}"
    actor = f" by {n.actor}" if n.actor else ""
    return f"{_VERBS[n.kind].upper()} {n.incident_id}{actor}"


def render_text(notification: Notification) -> str:
    """Every section of the context packet, as lines a person reads top to bottom."""
    n, p = notification, notification.packet
    lines = [subject_line(n), f"  {n.summary}"]
    if n.kind is not NotificationKind.TRIGGER:
        return "\n".join(lines) + "\n"
    if n.responders:
        lines.append(f"  for: {', '.join(r.label for r in n.responders)}")
    who, what, why = n.section("who"), n.section("what"), n.section("why")
    thread, similar = n.section("thread"), n.section("similar")
    age = who.get("account_age_days")
    flags = [f for f, on in (("verified", who.get("verified")), ("bot", who.get("bot"))) if on]
    lines += [
        f"  who: {who.get('handle') or '?'} ({who.get('display_name') or '-'}), "
        f"{_int(who.get('followers'))} followers"
        f"{', ' + ', '.join(flags) if flags else ''}"
        f", account {age if age is not None else '?'} days old, on {who.get('platform', '?')}",
        f"  what: {what.get('text', '')}",
    ]
    if what.get("url"):
        lines.append(f"  link: {what['url']}")
    lines.append(
        f"  why: {str(why.get('rule') or n.rule).replace('_', ' ')}"
        f" ({why.get('reason') or '-'}); negativity {_num(why.get('negativity'))}, reach "
        f"{why.get('reach_tier', '?')}, velocity {_num(why.get('thread_velocity'))}/min (peak "
        f"{_num(why.get('peak_velocity'))}), pile-on risk {_num(why.get('pile_on_risk'))}, "
        f"top terms {', '.join(map(str, why.get('top_terms', []))) or '-'}"
    )
    root = thread.get("root")
    lines.append(
        f"  thread: {_int(thread.get('reply_count'))} replies"
        + (f"; root {root.get('handle')}: {root.get('text')}" if isinstance(root, dict) else "")
    )
    lines += [f"    {r.get('handle')}: {r.get('text')}" for r in thread.get("latest_replies", [])]
    lines.append(
        f"  similar complaints in the last {similar.get('window_minutes', 60)} min: "
        f"{_int(similar.get('count'))}"
    )
    lines += [f"    {s.get('handle')}: {s.get('text')}" for s in similar.get("items", [])]
    lines.append("  how to answer:")
    lines += [f"    - {g}" for g in p.get("guide", [])]
    return "\n".join(lines) + "\n"


def _num(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "?"


def _int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"
