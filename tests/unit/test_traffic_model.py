"""The Traffic section's pure parts: splits read from objects, the guard, the journal."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kstui.backends.traffic_guard import GuardSettings, judge
from kstui.backends.traffic_health import Health, Selector, VersionHealth, errors_expr, p95_expr
from kstui.backends.traffic_journal import Entry, Journal, journal_path
from kstui.backends.traffic_model import (
    StrategyType,
    http_route_split,
    last_written,
    port_protocol,
    route_weights,
    virtual_service_split,
)
from kstui.backends.traffic_writes import pruned_matchers


def test_port_names_decide_the_protocol() -> None:
    assert [port_protocol(n) for n in ("http", "http-web", "grpc-x", "http2", "tcp-db", "web")] == [
        "http",
        "http",
        "http",
        "http",
        "tcp",
        "tcp",
    ]


def test_weights_come_from_the_catch_all_rule() -> None:
    rules = [
        {
            "match": [{"headers": {"x": {"exact": "1"}}}],
            "route": [{"destination": {"subset": "v2"}}],
        },
        {"match": [{"port": 9080}], "route": [{"destination": {"subset": "v1"}}]},
    ]
    assert route_weights(rules) == (("v1", 100),)


def test_a_virtual_service_without_a_split_is_not_listed() -> None:
    vs = {
        "metadata": {"name": "a"},
        "spec": {"http": [{"route": [{"destination": {"host": "a"}}]}]},
    }
    assert virtual_service_split(vs, context="c", cluster="c") is None


def test_an_httproute_weights_are_shares_of_their_sum() -> None:
    route = {
        "metadata": {"name": "r", "namespace": "n", "resourceVersion": "7"},
        "spec": {
            "rules": [{"backendRefs": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]}]
        },
    }
    split = http_route_split(route, context="c", cluster="c")
    assert split is not None
    assert split.weights == (("a", 50), ("b", 50))
    assert split.type is StrategyType.CANARY


def test_the_time_at_a_weight_is_the_newest_spec_write_in_managed_fields() -> None:
    obj = {
        "metadata": {
            "managedFields": [
                {"operation": "Update", "time": "2026-01-01T10:00:00Z", "fieldsV1": {"f:spec": {}}},
                {
                    "operation": "Update",
                    "time": "2026-01-01T11:00:00Z",
                    "fieldsV1": {"f:metadata": {}},
                },
                {"operation": "Apply", "time": "2026-01-01T10:30:00Z", "fieldsV1": {"f:spec": {}}},
            ]
        }
    }
    assert last_written(obj) == 1767263400.0  # 10:30, the metadata-only write does not count
    assert last_written({"metadata": {}}) is None


def test_a_pruned_matcher_is_said() -> None:
    pruned = {"spec": {"template": {"spec": {"http": [{"match": [{"headers": {"cookie": {}}}]}]}}}}
    assert "pruned the cookie matcher" in pruned_matchers(pruned)


def _health(new_errors: float, new_p95: float) -> Health:
    return Health(
        "15m",
        0.0,
        {
            "v1": VersionHealth("v1", 10.0, 0.001, 100.0),
            "v2": VersionHealth("v2", 2.0, new_errors, new_p95),
        },
    )


def test_the_guard_stops_raising_a_worse_version_and_says_why() -> None:
    verdict = judge("v1", "v2", 20, 40, _health(0.05, 100.0), GuardSettings(1.0, 20.0))
    assert verdict.blocked
    assert verdict.reasons == ("5xx ratio of v2 is 5.00%, v1's 0.10%: worse by more than 1 points",)
    slow = judge("v1", "v2", 20, 40, _health(0.001, 130.0), GuardSettings(1.0, 20.0))
    assert slow.reasons == ("p95 of v2 is 130ms, v1's 100ms: slower by more than 20%",)


def test_the_guard_lets_traffic_move_off_a_worse_version_and_within_the_margin() -> None:
    assert not judge("v1", "v2", 40, 20, _health(0.05, 500.0), GuardSettings()).blocked
    assert not judge("v1", "v2", 20, 40, _health(0.009, 119.0), GuardSettings(1.0, 20.0)).blocked


def test_the_guard_without_figures_says_it_cannot_judge() -> None:
    verdict = judge(
        "v1", "v2", 20, 40, Health("15m", 0.0, problem="Prometheus absent"), GuardSettings()
    )
    assert not verdict.blocked
    assert verdict.unknown == "guard cannot judge: Prometheus absent"


def test_the_journal_is_private_under_the_state_dir(tmp_path: Path) -> None:
    path = journal_path({"XDG_STATE_HOME": str(tmp_path)})
    assert path == tmp_path / "kstui" / "traffic-journal.jsonl"
    journal = Journal(path)
    journal.record(Entry(1.0, "host", "ns", "s", "weight 20 → 60", ("why",), {"v2": {"p95_ms": 9}}))
    journal.record(Entry(2.0, "host", "ns", "s", "weight 60 → 80", ("why",), {}))
    assert [e.action for e in journal.entries()] == ["weight 60 → 80", "weight 20 → 60"]
    assert journal.entries()[1].figures == {"v2": {"p95_ms": 9}}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_health_queries_read_the_destination_reporter() -> None:
    selector = Selector("shop", ("reviews",))
    every = (
        'sum by (destination_version) (rate(istio_requests_total{reporter="destination", '
        'destination_service_namespace="shop", destination_service_name="reviews"}[5m]))'
    )
    assert errors_expr(selector, "5m") == (
        '(sum by (destination_version) (rate(istio_requests_total{reporter="destination", '
        'destination_service_namespace="shop", destination_service_name="reviews", '
        f'response_code=~"5.."}}[5m])) or {every} * 0) / {every}'
    )
    assert p95_expr(selector, "5m").startswith(
        "histogram_quantile(0.95, sum by (destination_version, le)"
    )


def test_the_slider_fills_the_value_and_marks_the_weight_in_force() -> None:
    from kstui.widgets.slider import layout

    parts = layout(25, 20, 60, "v2", "v1")
    line = "".join(text for text, _ in parts)
    assert line.startswith("v2  25% ")
    assert line.endswith("  75% v1")
    bar = [part for _, part in parts[1:-1]]
    assert bar.index("knob") == round(0.25 * (len(bar) - 1))
    assert bar.index("mark") == round(0.20 * (len(bar) - 1))
    assert set(bar[: bar.index("mark")]) == {"bar-left"}
    assert layout(20, 20, 60, "v2", "v1").count(("┃", "mark")) == 0  # at rest: no mark
