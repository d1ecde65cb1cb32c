"""What the Observe chart's title says of a row, and a workload's selector as `l` asks for its
pods (pure)."""

from __future__ import annotations

from kstui.backends.observe_levels import LevelRow, workload_target
from kstui.backends.observe_logs import selector_text
from kstui.backends.observe_place import Place, chart_title
from kstui.backends.prometheus_queries import Target
from kstui.widgets.usage_chart import baseline


def test_chart_titles_name_what_is_charted() -> None:
    cluster = Place("cluster", context="host", cluster="host")
    assert chart_title(Place("clusters"), LevelRow("m", "member", Target("cluster"))) == (
        "cluster member"
    )
    assert chart_title(cluster, LevelRow("nodes", "nodes", Target("cluster"))) == "cluster host"
    project = Place("namespace", context="host", namespace="shop")
    web = LevelRow("Deployment/web", "web", workload_target("shop", "Deployment", "web"))
    assert chart_title(project, web) == "deployment shop/web"
    job = LevelRow("Job/nightly", "nightly", workload_target("shop", "Job", "nightly"))
    job.extra = {"kind": "Job"}
    assert chart_title(project, job) == "job nightly: no job series, every pod of shop"
    space = Place("workspace", context="host", workspace="acme")
    ns = LevelRow("shop", "shop", Target("namespace", namespace="shop", workspace="acme"))
    assert chart_title(space, ns) == "project shop"


def test_selector_text_is_kubectls() -> None:
    assert selector_text({"matchLabels": {"b": "2", "a": "1"}}) == "a=1,b=2"
    assert (
        selector_text(
            {
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["a", "b"]},
                    {"key": "x", "operator": "NotIn", "values": ["c"]},
                    {"key": "y", "operator": "Exists"},
                    {"key": "z", "operator": "DoesNotExist"},
                ],
            }
        )
        == "app=web,tier in (a,b),x notin (c),y,!z"
    )
    assert selector_text(None) == ""


def test_an_empty_level_names_what_it_would_list() -> None:
    assert Place("namespace", namespace="shop").empty == "no workloads or pods in project shop"
    assert Place("node", node="n1").empty == "no pods on node n1"
    assert Place("workload", workload_kind="Deployment", workload="web").empty == (
        "no pods of deployment web"
    )
    assert Place("workspaces", vanilla=True).empty == "no projects"


def test_a_band_that_sits_high_starts_its_scale_under_its_lowest_value() -> None:
    """A CPU between 760m and 860m would be a full bar from 0: the scale starts under the
    lowest value, and only when every value sits high (a band near 0 keeps 0)."""
    assert baseline([0.76, 0.86, 0.80], 0.86) == 0.76 - 0.1 * 0.25
    assert baseline([0.1, 0.86], 0.86) == 0.0
    assert baseline([None, 0.0], 1.0) == 0.0


def test_the_history_column_holds_a_whole_sparkline_under_either_title() -> None:
    """Its title may be shorter than its sparkline ('CPU seen'): the title must not cap it."""
    from kstui.screens.observe import SPARK_WIDTH, columns

    for sampled in (False, True):
        history = columns(Place("nodes"), "1h", sampled=sampled)[3]
        assert history.max_width >= SPARK_WIDTH
