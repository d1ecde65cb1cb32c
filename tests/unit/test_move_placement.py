"""Which workspaces a project may move into: those placed on its cluster (issue 10 item 7)."""

from __future__ import annotations

from kstui.backends.tenancy import SELECTOR_PLACEMENT, ProjectSummary, WorkspaceSummary
from kstui.screens.workspace_forms import misplaced

PAYMENTS = ProjectSummary("payments", "member-2", "member-2", "ops", "", "", "Active", 0, 0, "")


def workspace(
    clusters: tuple[str, ...], forbidden: frozenset[str] = frozenset()
) -> WorkspaceSummary:
    return WorkspaceSummary("dev-team", "", "", "", "", clusters, 0, 0, (), "", forbidden=forbidden)


def test_a_workspace_elsewhere_is_refused_naming_both_sides() -> None:
    assert misplaced(workspace(("host", "member-1")), PAYMENTS) == (
        "workspace dev-team is on clusters host, member-1; project payments is on member-2"
    )


def test_a_workspace_on_no_cluster_is_refused() -> None:
    assert misplaced(workspace(()), PAYMENTS) == (
        "workspace dev-team is placed on no cluster; project payments is on member-2"
    )


def test_a_workspace_on_the_cluster_takes_it() -> None:
    assert misplaced(workspace(("host", "member-2")), PAYMENTS) is None


def test_a_placement_that_cannot_be_told_is_not_refused() -> None:
    assert misplaced(workspace((SELECTOR_PLACEMENT,)), PAYMENTS) is None
    assert misplaced(workspace((), frozenset({"clusters"})), PAYMENTS) is None
