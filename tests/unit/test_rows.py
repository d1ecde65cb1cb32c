"""Projection of cached Table rows into widget rows: columns, namespace, age, tones."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kstui.backends.rows import project_row, projection
from kstui.model import Tone


@dataclass
class TableColumn:
    name: str
    type: str = "string"
    priority: int = 0


@dataclass
class Cached:
    key: str
    namespace: str
    created: str
    cells: tuple[str, ...]


POD_COLUMNS = [
    TableColumn("Name"),
    TableColumn("Ready"),
    TableColumn("Status"),
    TableColumn("Restarts", "string"),
    TableColumn("Age"),
    TableColumn("IP", priority=1),
    TableColumn("Node", priority=1),
]


def pod(status: str, ready: str = "1/1") -> Cached:
    return Cached(
        "uid-1",
        "payments",
        "2026-01-15T11:55:00Z",
        ("api-1", ready, status, "0", "5m", "10.0.0.1", "node-a"),
    )


def test_default_columns_drop_wide_ones_and_age_uses_creation_time() -> None:
    view = projection(POD_COLUMNS)
    assert [c.name for c in view.columns] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert view.columns[4].age
    assert view.columns[3].numeric
    row = project_row(pod("Running"), view)
    assert row.cells == ("api-1", "1/1", "Running", "0", "2026-01-15T11:55:00Z")
    assert row.key == "uid-1"


def test_wide_and_all_namespaces() -> None:
    view = projection(POD_COLUMNS, wide=True, with_namespace=True)
    assert [c.name for c in view.columns][:2] == ["NAMESPACE", "NAME"]
    assert [c.name for c in view.columns][-2:] == ["IP", "NODE"]
    assert project_row(pod("Running"), view).cells[0] == "payments"


@pytest.mark.parametrize(
    ("status", "ready", "tone"),
    [
        ("Running", "1/1", Tone.NORMAL),
        ("Running", "0/1", Tone.WARN),
        ("Pending", "0/1", Tone.WARN),
        ("ContainerCreating", "0/1", Tone.WARN),
        ("Init:0/2", "0/1", Tone.WARN),
        ("CrashLoopBackOff", "0/1", Tone.ERROR),
        ("Init:CrashLoopBackOff", "0/1", Tone.ERROR),
        ("ImagePullBackOff", "0/1", Tone.ERROR),
        ("Completed", "0/1", Tone.MUTED),
        ("Terminating", "1/1", Tone.WARN),
    ],
)
def test_tones(status: str, ready: str, tone: Tone) -> None:
    assert project_row(pod(status, ready), projection(POD_COLUMNS)).tone is tone


def test_deployment_ready_counts() -> None:
    columns = [
        TableColumn("Name"),
        TableColumn("Ready"),
        TableColumn("Up-to-date"),
        TableColumn("Available"),
        TableColumn("Age"),
    ]
    view = projection(columns)
    assert view.columns[2].numeric

    def deploy(ready: str) -> Cached:
        return Cached("d", "ns", "", ("web", ready, "1", "1", "1d"))

    assert project_row(deploy("3/3"), view).tone is Tone.NORMAL
    assert project_row(deploy("1/3"), view).tone is Tone.WARN
    assert project_row(deploy("0/0"), view).tone is Tone.MUTED
