"""The alerts service: policy, incidents and their context packets, on-call and escalation,
notifiers, and a persisted outbox that delivers every page once.

Subpackages: `policy` (rules, YAML), `oncall` (schedules; used by the API too), `incidents`
(grouping, packet, redaction), `notifiers` (PagerDuty, Slack, webhook, email, console) and
`outbox` (tables, store, sender). `service` ties them to the bus; `runner` is the process.
"""

__all__: list[str] = []
