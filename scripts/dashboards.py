"""The Grafana dashboards as code: deploy/grafana/dashboards/*.json, built with
grafana-foundation-sdk from the metrics the services serve (docs/operations.md, "Metrics").

    .venv/bin/python scripts/dashboards.py          # write the JSON files
    .venv/bin/python scripts/dashboards.py --check  # exit 1 when a file has drifted

Three dashboards: pipeline (the stages' throughput, lag, batches, errors, DLQ, dependencies),
brand health (volume, negativity, complaints by reach tier, surge ratio, incidents by rule)
and on-call (open incidents, time to page and to acknowledge, pages, outbox, smile-back
queue). Every panel queries the
Prometheus data source chosen in the `datasource` variable; its default is the one Grafana is
provisioned with (deploy/grafana/provisioning/datasources, uid `prometheus`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import units
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

__all__ = ["DASHBOARDS", "OUT", "brand_health", "main", "on_call", "pipeline", "render"]

OUT = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "dashboards"

# The provisioned data source (deploy/grafana/provisioning/datasources/prometheus.yml).
PROVISIONED_UID = "prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["smileback"]
RATE = "$__rate_interval"

Panel = board.Panel | timeseries.Panel | stat.Panel | bargauge.Panel


def _query(expr: str, legend: str = "__auto", *, heatmap: bool = False) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).legend_format(legend).datasource(DATASOURCE)
    return query.format(PromQueryFormat.HEATMAP) if heatmap else query


def _series(
    title: str, description: str, unit: str, *queries: prometheus.Dataquery, span: int = 12
) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).description(description).unit(unit)
    panel = panel.datasource(DATASOURCE).span(span).height(8).fill_opacity(10)
    for query in queries:
        panel = panel.with_target(query)
    return panel


def _stat(
    title: str, description: str, unit: str, *queries: prometheus.Dataquery, span: int = 6
) -> stat.Panel:
    panel = stat.Panel().title(title).description(description).unit(unit)
    panel = panel.datasource(DATASOURCE).span(span).height(5)
    panel = panel.reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
    for query in queries:
        panel = panel.with_target(query)
    return panel


def _quantiles(metric: str, *, by: str = "", legend: str = "") -> list[prometheus.Dataquery]:
    """p50 and p99 of a histogram over the rate interval, per `by` label when given."""
    group = f"{by}, le" if by else "le"
    prefix = f"{legend} " if legend else ""
    return [
        _query(
            f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket[{RATE}])))",
            f"{prefix}p{round(q * 100)}",
        )
        for q in (0.5, 0.99)
    ]


def _dashboard(uid: str, title: str, description: str) -> board.Dashboard:
    datasource = (
        board.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(VariableOption(selected=True, text="Prometheus", value=PROVISIONED_UID))
    )
    return (
        board.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .readonly()
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(datasource)
    )


def pipeline() -> board.Dashboard:
    """Each stage's flow: records in and out, consumer lag, batches, errors, DLQ, dependencies."""
    panels: list[Panel] = [
        _series(
            "Throughput by stage",
            "Records each stage handled per second, by outcome (ok, published, dlq, ...).",
            units.OpsPerSecond,
            _query(
                f"sum by (stage, outcome) (rate(smileback_records_total[{RATE}]))",
                "{{stage}} {{outcome}}",
            ),
        ),
        _series(
            "Consumer lag",
            "Records not consumed yet, per consumer group and topic (summed over partitions).",
            units.Short,
            _query("sum by (group, topic) (smileback_consumer_lag_records)", "{{group}} {{topic}}"),
            span=12,
        ),
        _series(
            "Batch time",
            "Time to handle one batch, by stage.",
            units.Seconds,
            *_quantiles("smileback_stage_batch_seconds", by="stage", legend="{{stage}}"),
            span=8,
        ),
        _series(
            "Batch size",
            "Records in one batch, by stage (mean).",
            units.Short,
            _query(
                f"sum by (stage) (rate(smileback_batch_records_sum[{RATE}]))"
                f" / sum by (stage) (rate(smileback_batch_records_count[{RATE}]))",
                "{{stage}}",
            ),
            span=8,
        ),
        _series(
            "Since the last batch",
            "Seconds since each stage last finished a batch: a stalled stage climbs.",
            units.Seconds,
            _query("time() - max by (stage) (smileback_last_batch_timestamp_seconds)", "{{stage}}"),
            span=8,
        ),
        _series(
            "Model scoring time",
            "One call of the negativity model over a batch's texts (scorer).",
            units.Seconds,
            *_quantiles("smileback_model_scoring_seconds"),
            span=8,
        ),
        _series(
            "Errors",
            "Records dead-lettered per stage, webhook requests refused by status and reason,"
            " and API answers 4xx/5xx by route.",
            units.OpsPerSecond,
            _query(
                f'sum by (stage) (rate(smileback_records_total{{outcome="dlq"}}[{RATE}]))',
                "dlq {{stage}}",
            ),
            _query(
                "sum by (status, reason)"
                f" (rate(smileback_ingest_webhook_rejected_requests_total[{RATE}]))",
                "webhook {{status}} {{reason}}",
            ),
            _query(
                "sum by (route, status)"
                f' (rate(smileback_api_requests_total{{status=~"[45].."}}[{RATE}]))',
                "api {{status}} {{route}}",
            ),
            span=16,
        ),
        _series(
            "HTTP request time",
            "99th percentile time to answer: the API by route, the ingest webhook's /v1/ingest.",
            units.Seconds,
            _query(
                "histogram_quantile(0.99, sum by (route, le)"
                f" (rate(smileback_api_request_seconds_bucket[{RATE}])))",
                "api {{route}} p99",
            ),
            _query(
                "histogram_quantile(0.99, sum by (le)"
                f" (rate(smileback_ingest_webhook_request_seconds_bucket[{RATE}])))",
                "webhook p99",
            ),
            span=24,
        ),
        _series(
            "DLQ records by reason",
            "Records sent to the dead-letter topic, by stage and reason code.",
            units.OpsPerSecond,
            _query(
                f"sum by (stage, reason) (rate(smileback_dlq_records_total[{RATE}]))",
                "{{stage}} {{reason}}",
            ),
            span=12,
        ),
        _series(
            "Dependencies up",
            "1 while a service's Kafka or database answers; `up` is Prometheus reaching it.",
            units.Number,
            _query("min by (job, dependency) (smileback_dependency_up)", "{{job}} {{dependency}}"),
            _query('up{job=~"smileback-.*"}', "{{job}} scraped"),
            span=12,
        )
        .min(0)
        .max(1),
    ]
    dash = _dashboard(
        "smileback-pipeline",
        "Smileback / Pipeline",
        "Ingest, scorer, alerts and the API projector: throughput, lag, batches, errors, DLQ.",
    )
    for panel in panels:
        dash = dash.with_panel(panel)
    return dash


def brand_health() -> board.Dashboard:
    """What people say about each configured brand, and what it led to."""
    brand = 'brand=~"$brand"'
    brands = (
        board.QueryVariable("brand")
        .label("Brand")
        .datasource(DATASOURCE)
        .query("label_values(smileback_mention_negativity_count, brand)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )
    panels: list[Panel] = [
        _series(
            "Mentions by brand",
            "Scored mentions per second, by configured brand (`other`: any other).",
            units.OpsPerSecond,
            _query(
                f"sum by (brand) (rate(smileback_mention_negativity_count{{{brand}}}[{RATE}]))",
                "{{brand}}",
            ),
        ),
        _series(
            "Negative share",
            "Share of scored mentions whose negativity is above 0.5, by brand.",
            units.PercentUnit,
            _query(
                f'1 - sum by (brand) (rate(smileback_mention_negativity_bucket{{{brand},le="0.5"}}'
                f"[{RATE}])) / sum by (brand)"
                f" (rate(smileback_mention_negativity_count{{{brand}}}[{RATE}]))",
                "{{brand}}",
            ),
        )
        .min(0)
        .max(1),
        bargauge.Panel()
        .title("Complaints by reach tier")
        .description(
            "Negative mentions in the time range by their author's reach tier (nano from 1k"
            " followers, micro from 10k, macro from 100k, mega from 1M)."
        )
        .datasource(DATASOURCE)
        .unit(units.Short)
        .span(12)
        .height(8)
        .with_target(
            _query(
                f"sum by (tier) (increase(smileback_complaints_total{{{brand}}}[$__range]))",
                "{{tier}}",
            ).instant()
        ),
        _series(
            "Surge ratio",
            "A brand's complaints in the last hour over its usual hour, as the brand-surge rule"
            " last read it (threads with an open incident left out); the rule pages from 3x.",
            units.Short,
            _query(f"max by (brand) (smileback_brand_surge_ratio{{{brand}}})", "{{brand}}"),
        ).min(0),
        _series(
            "Negativity by brand",
            "Median and 90th percentile negativity (0..1) of scored mentions.",
            units.PercentUnit,
            *[
                _query(
                    f"histogram_quantile({q}, sum by (brand, le)"
                    f" (rate(smileback_mention_negativity_bucket{{{brand}}}[{RATE}])))",
                    f"{{{{brand}}}} p{round(q * 100)}",
                )
                for q in (0.5, 0.9)
            ],
        )
        .min(0)
        .max(1),
        _series(
            "Incidents opened by rule",
            "Incidents opened per rule and severity (large-audience complaint, pile-on, brand"
            " surge), all brands.",
            units.Short,
            _query(
                f"sum by (rule, severity) (increase(smileback_incidents_opened_total[{RATE}]))",
                "{{rule}} {{severity}}",
            ),
        ),
        _series(
            "Alert decisions",
            "What the alert policy made of each scored mention: page, triage, smile_back, none.",
            units.OpsPerSecond,
            _query(
                f"sum by (action) (rate(smileback_alert_decisions_total[{RATE}]))", "{{action}}"
            ),
        ),
    ]
    dash = _dashboard(
        "smileback-brand-health",
        "Smileback / Brand health",
        "Per brand: mention volume, negativity, complaints by reach, surge ratio, incidents.",
    ).with_variable(brands)
    for panel in panels:
        dash = dash.with_panel(panel)
    return dash


def on_call() -> board.Dashboard:
    """What the responder on call owes: open incidents, pages, how fast, what waits."""
    panels: list[Panel] = [
        _stat(
            "Open incidents",
            "Open or acknowledged incidents, by severity.",
            units.Short,
            _query("sum by (severity) (smileback_open_incidents)", "{{severity}}"),
            span=8,
        ),
        _stat(
            "Outbox",
            "Notifications stored and not delivered yet.",
            units.Short,
            _query("sum(smileback_outbox_depth)", "waiting"),
            span=4,
        ),
        _stat(
            "Outbox oldest",
            "Age of the oldest notification not delivered yet (0 when none waits).",
            units.Seconds,
            _query("max(smileback_outbox_oldest_age_seconds)", "oldest"),
            span=4,
        ),
        _stat(
            "Smile-back queue",
            "Kind mentions waiting for a genuine reply.",
            units.Short,
            _query("max(smileback_smile_queue_depth)", "waiting"),
            span=4,
        ),
        _stat(
            "Smile-back oldest",
            "How long the oldest kind mention has waited (0 when none waits).",
            units.Seconds,
            _query("max(smileback_smile_queue_oldest_age_seconds)", "oldest"),
            span=4,
        ),
        _series(
            "Time to page",
            "From the triggering mention's ingest to its page's delivery, by notifier.",
            units.Seconds,
            *_quantiles("smileback_page_latency_seconds", by="notifier", legend="{{notifier}}"),
        ),
        _series(
            "Time to acknowledge",
            "From an incident's first page to its acknowledgement.",
            units.Seconds,
            *_quantiles("smileback_ack_latency_seconds"),
        ),
        _series(
            "Pages by notifier and outcome",
            "Notification attempts: delivered, retried, dead_lettered (given up on).",
            units.Short,
            _query(
                f"sum by (notifier, outcome) (increase(smileback_pages_total[{RATE}]))",
                "{{notifier}} {{outcome}}",
            ),
        ),
        _series(
            "Incident transitions",
            "Incidents opened, paged, escalated, acknowledged and resolved.",
            units.Short,
            _query(
                f"sum by (state) (increase(smileback_incident_transitions_total[{RATE}]))",
                "{{state}}",
            ),
        ),
        _series(
            "Outbox and smile-back queue",
            "Depth over time: the outbox drains within seconds; the smile-back queue waits for"
            " a person.",
            units.Short,
            _query("sum(smileback_outbox_depth)", "outbox"),
            _query("max(smileback_smile_queue_depth)", "smile-back queue"),
            span=24,
        ),
    ]
    dash = _dashboard(
        "smileback-on-call",
        "Smileback / On call",
        "Open incidents, time to page and to acknowledge, pages by notifier, what waits.",
    )
    for panel in panels:
        dash = dash.with_panel(panel)
    return dash


# File name (under OUT) -> the dashboard written there.
DASHBOARDS: dict[str, Callable[[], board.Dashboard]] = {
    "pipeline.json": pipeline,
    "brand-health.json": brand_health,
    "on-call.json": on_call,
}


def render(dashboard: board.Dashboard) -> str:
    """The dashboard's JSON as Grafana reads it, keys sorted so a diff shows what changed."""
    return json.dumps(dashboard.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a file has drifted")
    parser.add_argument("--out", type=Path, default=OUT, help="the dashboards folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    wanted = {name: render(build()) for name, build in DASHBOARDS.items()}
    if args.check:
        stray = sorted(p.name for p in out.glob("*.json") if p.name not in wanted)
        drifted = [
            name
            for name, text in wanted.items()
            if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != text
        ]
        for name in drifted + stray:
            print(f"{out / name} differs from scripts/dashboards.py: run it", file=sys.stderr)
        return 1 if drifted or stray else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        (out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
