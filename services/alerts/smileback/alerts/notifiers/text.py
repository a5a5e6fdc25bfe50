"""A notification as plain text: the console's output and the body of an email."""

from __future__ import annotations

from smileback.alerts.notifiers.base import Notification, NotificationKind

__all__ = ["render_text", "subject_line"]

_VERBS = {NotificationKind.ACKNOWLEDGE: "acknowledged", NotificationKind.RESOLVE: "resolved"}


def subject_line(notification: Notification) -> str:
    """A short first line: the kind, severity and incident."""
    n = notification
    if n.kind is NotificationKind.DIGEST:
        return "SMILE-BACK DIGEST"
    if n.kind is NotificationKind.TAKEN_OVER:
        return f"TAKEN OVER {n.incident_id} by {n.responder}"
    if n.kind is NotificationKind.TRIGGER:
        level = f" level {n.level}" if n.level else ""
        return f"PAGE [{n.severity}] {n.incident_id}{level}"
    by = f" by {n.responder}" if n.responder else ""
    return f"{_VERBS[n.kind].upper()} {n.incident_id}{by}"


def render_text(notification: Notification) -> str:
    """Every section of the context packet, as lines a person reads top to bottom."""
    n, p = notification, notification.packet
    lines = [subject_line(n), f"  {n.summary}"]
    if n.kind is NotificationKind.TAKEN_OVER:
        previous = ", ".join(r.label for r in n.responders)
        lines += [f"  {n.responder} took it over from {previous}: {n.reason}"]
        lines += [f"  incident: {n.link}"] if n.link else []
        return "\n".join(lines) + "\n"
    if n.kind is not NotificationKind.TRIGGER:
        return "\n".join(lines) + "\n"
    if n.responders:
        lines.append(f"  for: {', '.join(r.label for r in n.responders)}")
    if p is None:
        return "\n".join(lines) + "\n"
    who, what, why, thread, similar = p.who, p.what, p.why, p.thread, p.similar
    age = who.account_age_days
    flags = [f for f, on in (("verified", who.verified), ("bot", who.bot)) if on]
    lines += [
        f"  who: {who.handle or '?'} ({who.display_name or '-'}), {who.followers:,} followers"
        f"{', ' + ', '.join(flags) if flags else ''}"
        f", account {age if age is not None else '?'} days old, on {who.platform}",
    ]
    # The post once: the summary quotes it whole unless it is long; the thread's root is
    # named, not quoted again, when it is the post that paged.
    if what.text not in n.summary:
        lines.append(f"  what: {what.text}")
    if n.post_url:
        lines.append(f"  link: {n.post_url}")
    lines.append(
        f"  why: {(why.rule or n.rule).replace('_', ' ')}"
        f" ({why.reason or '-'}); negativity {why.negativity:.2f}, reach "
        f"{why.reach_tier}, velocity {why.thread_velocity:.2f}/min (peak "
        f"{why.peak_velocity:.2f}), pile-on risk {why.pile_on_risk:.2f}, "
        f"top terms {', '.join(why.top_terms) or '-'}"
    )
    root = thread.root
    if root is None:
        rooted = ""
    elif root.text == what.text:
        rooted = f"; root {root.handle}: the post above"
    else:
        rooted = f"; root {root.handle}: {root.text}"
    lines.append(f"  thread: {thread.reply_count:,} replies{rooted}")
    lines += [f"    {r.handle}: {r.text}" for r in thread.latest_replies]
    lines.append(
        f"  similar complaints in the last {similar.window_minutes} min: {similar.count:,}"
    )
    lines += [f"    {s.handle}: {s.text}" for s in similar.items]
    lines.append("  how to answer:")
    lines += [f"    - {g}" for g in p.guide]
    return "\n".join(lines) + "\n"
