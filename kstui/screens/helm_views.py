"""The text views of a Helm revision (values, notes, manifest, a diff with the revision before),
shared by the release list and a release's history: every one a TextViewScreen, values
hidden until `x`."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.screen import Screen

from kstui.backends.helm_releases import Revision
from kstui.backends.helm_text import diff_text, manifest_has_secrets, manifest_text, values_text
from kstui.model import Column
from kstui.screens.text_view import TextViewScreen

REVISION_COLUMNS = (
    Column("REVISION", numeric=True),
    Column("STATUS", max_width=18),
    Column("CHART", max_width=40),
    Column("APP VERSION", max_width=20),
    Column("DESCRIPTION", max_width=60),
    Column("UPDATED", age=True, max_width=12),
)


def revision_bindings(scope: str) -> list[Binding]:
    """The same keys, meaning the same, on the list (newest revision) and in a history."""
    return [
        Binding("v", "values", "values", id=f"{scope}.values"),
        Binding("t", "notes", "notes", id=f"{scope}.notes"),
        Binding("M", "manifest", "manifest", id=f"{scope}.manifest"),
        Binding("D", "diff", "diff", id=f"{scope}.diff"),
        Binding("y", "yaml", "secret yaml", show=False, id=f"{scope}.yaml"),
    ]


def _refused(revision: Revision) -> str:
    return f"{revision.label}: {revision.error}"


def values_view(revision: Revision) -> Screen[Any]:
    return TextViewScreen(
        f"values {revision.label} ({revision.chart_label})",
        lambda revealed: revision.error or values_text(revision, revealed=revealed),
        language="yaml",
        has_secrets=not revision.error,
    )


def notes_view(revision: Revision) -> Screen[Any]:
    return TextViewScreen(
        f"notes {revision.label}",
        lambda _revealed: revision.error or revision.notes or "(the chart has no NOTES.txt)",
    )


def manifest_view(revision: Revision) -> Screen[Any]:
    return TextViewScreen(
        f"manifest {revision.label}",
        lambda revealed: (
            revision.error
            or manifest_text(revision.manifest, revealed=revealed)
            or "(empty manifest)"
        ),
        language="yaml",
        has_secrets=manifest_has_secrets(revision.manifest),
    )


def diff_view(before: Revision, after: Revision) -> Screen[Any]:
    def render(revealed: bool) -> str:
        if before.error or after.error:
            return "\n".join(_refused(r) for r in (before, after) if r.error)
        return diff_text(before, after, revealed=revealed)

    return TextViewScreen(
        f"diff {after.namespace}/{after.release} revision {before.revision} → {after.revision}",
        render,
        language="diff",
        has_secrets=True,
    )
