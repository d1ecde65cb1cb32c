"""The section registry: each section of the app is one `Section` here.

The app reads the registry for its modes and number keys, `--screen`, the palette and help,
the `:NAME` commands, keymap validation and what a context switch resets; adding a section
changes nothing in the app shell. Nothing here imports Textual or a section's screens: they
are imported when the section first opens (or when a keymap is checked).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen

    from kstui.backends.session import Session
    from kstui.config import Config
    from kstui.screens.env import ScreenEnv


class Section(NamedTuple):
    name: str
    """Its mode, `--screen NAME` and `:NAME`."""
    key: str
    """The number key that switches to it, on every screen."""
    title: str
    """One line for the palette and help."""
    screen: str
    """"module:callable" of its first screen, called as callable(env, service)."""
    service: Callable[[Session, Config], Any] | None = None
    """Makes the section's service when the section first opens; a context switch drops it."""
    views: tuple[tuple[str, str], ...] = ()
    """(word, view): `:word` opens the section at that view, by its screens' `view` action."""

    def screen_module(self) -> str:
        return self.screen.partition(":")[0]

    def make_screen(self, env: ScreenEnv, service: Any) -> Screen[Any]:
        module, _, attribute = self.screen.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
        return factory(env, service)


FIRST_VIEW = "nothing to go back to: this is the section's first view (:q quits)"
"""What `q`/esc says where there is no view behind (a key never does nothing silently)."""

SECTIONS: dict[str, Section] = {}
"""By name, in key order."""


def register(section: Section) -> Section:
    """Add a section (or replace one of the same name); its key must be its own."""
    for other in SECTIONS.values():
        if other.key == section.key and other.name != section.name:
            raise ValueError(f"section key {section.key} is taken by {other.name!r}")
    SECTIONS[section.name] = section
    return section


def section_views() -> dict[str, tuple[str, str]]:
    """Every section's view words: word → (section, view)."""
    return {word: (s.name, view) for s in SECTIONS.values() for word, view in s.views}


def unregister(name: str) -> None:
    SECTIONS.pop(name, None)


def _workspace_service(session: Session, config: Config) -> Any:
    from kstui.backends.workspaces import WorkspaceService

    return WorkspaceService(session, other_identities=config.allows_other_identity)


def _helm_service(session: Session, _config: Config) -> Any:
    from kstui.backends.helm_service import HelmReleases

    return HelmReleases(session)


def _observe_service(session: Session, config: Config) -> Any:
    from kstui.backends.observe_service import ObserveService

    return ObserveService(
        session, other_identities=config.allows_other_identity, endpoints=config.prometheus
    )


def _traffic_service(session: Session, config: Config) -> Any:
    from kstui.backends.traffic_service import TrafficService

    return TrafficService(
        session,
        other_identities=config.allows_other_identity,
        endpoints=config.prometheus,
        guard=config.traffic,
    )


def _pipeline_service(session: Session, config: Config) -> Any:
    from kstui.backends.pipelines_service import PipelineService

    return PipelineService(
        session, other_identities=config.allows_other_identity, endpoints=config.devops
    )


register(
    Section(
        "resources",
        "1",
        "browse any kind of object (k9s-style)",
        screen="kstui.screens.resources:browser",
    )
)
register(
    Section(
        "workspaces",
        "2",
        "KubeSphere workspaces, projects, members, quotas",
        screen="kstui.screens.workspaces:WorkspacesScreen",
        service=_workspace_service,
    )
)
register(
    Section(
        "apps",
        "3",
        "apps: Helm releases on any cluster; the app store (S store, R releases, P repos)",
        screen="kstui.screens.apps:AppsScreen",
        service=_helm_service,
        views=(("appstore", "store"), ("repos", "repos")),
    )
)
register(
    Section(
        "pipelines",
        "4",
        "pipelines: KubeSphere DevOps projects, pipelines, runs, stage graphs and step logs",
        screen="kstui.screens.pipelines:PipelinesScreen",
        service=_pipeline_service,
        views=(("s2i", "s2i"), ("s2itemplates", "s2itemplates")),
    )
)
register(
    Section(
        "observe",
        "5",
        "observe: usage, history and problems from cluster down to container",
        screen="kstui.screens.observe:ObserveScreen",
        service=_observe_service,
    )
)
register(
    Section(
        "traffic",
        "6",
        "traffic: canary, blue-green and mirror weights, per-version health, the guard",
        screen="kstui.screens.traffic:TrafficScreen",
        service=_traffic_service,
    )
)
# Later sections (triage) join here as they are built.


def section_bindings() -> list[Binding]:
    """Each section's number key, from the registry (Textual imported only when asked)."""
    from textual.binding import Binding

    return [
        Binding(
            section.key,
            f"section({section.name!r})",
            section.name,
            show=False,
            id=f"app.section.{section.name}",
        )
        for section in SECTIONS.values()
    ]
