"""The alerts service: policy, incidents and their context packets, escalation, notifiers,
and a persisted outbox that delivers every page once.

Subpackages: `policy` (rules, YAML), `incidents` (grouping, building the packet, redaction),
`notifiers` (PagerDuty, Slack, webhook, email, console) and `outbox` (tables, store,
sender); `escalation` and `paging` follow the on-call file (`smileback.common.oncall`).
`service` ties them to the bus; `runner` is the process.
"""

__all__: list[str] = []
