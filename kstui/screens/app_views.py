"""What the app store's views share (the Apps section beside its Helm releases): a polled
list with the context bar, crumbs, a status line and the prompt, permission-gated keys, and
the keys that go from any view of the section to any other (S store, R app releases, P repos,
H Helm releases: the same letter in every view of the section)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding
from textual.screen import Screen

from kstui.backends.app_service import AppStore
from kstui.screens.env import ScreenEnv
from kstui.screens.section_view import SectionView
from kstui.screens.sections import FIRST_VIEW

VIEWS = ("store", "releases", "repos", "helm")
VIEW_SCREENS: dict[str, Callable[[ScreenEnv, AppStore], StoreView]] = {}
"""Each view's screen, registered by its module (apps.py imports them all)."""


def view_bindings(scope: str) -> list[Binding]:
    """The section's views, one key each, the same in every view of the section."""
    return [
        Binding("S", "view('store')", "store", id=f"{scope}.store"),
        Binding("R", "view('releases')", "releases", id=f"{scope}.app_releases"),
        Binding("P", "view('repos')", "repos", id=f"{scope}.repos"),
        Binding("H", "view('helm')", "helm", id=f"{scope}.helm_releases"),
    ]


def open_view(screen: Screen[Any], env: ScreenEnv, store: AppStore, view: str) -> None:
    """Show one of the section's views. From the section's first view (Helm releases) it is
    pushed; from another store view it takes that view's place, so esc goes back to the first."""
    if view == "helm":
        while len(screen.app.screen_stack) > 2 and isinstance(screen.app.screen, StoreView):
            screen.app.pop_screen()
        if isinstance(screen.app.screen, StoreView) and len(screen.app.screen_stack) > 1:
            screen.app.pop_screen()
        return
    if isinstance(screen, StoreView) and view == screen.VIEW:
        return
    made = VIEW_SCREENS[view](env, store)
    if isinstance(screen, StoreView) and screen.VIEW:
        screen.app.switch_screen(made)
    else:
        screen.app.push_screen(made)


class StoreView(SectionView):
    """A polled view of the app store; subclasses compose `compose_body()`, fetch and show."""

    SCOPE = "(app store)"  # its objects are cluster-scoped, on the host
    VIEW: ClassVar[str] = ""
    """Its name among VIEWS ("" for a view opened from another: an app's versions)."""
    CRUMB: ClassVar[str] = ""
    service: AppStore

    def __init__(self, env: ScreenEnv, store: AppStore) -> None:
        super().__init__(env, store)
        self.store = store

    def crumbs(self) -> str:
        return f"apps › {self.CRUMB}"

    # ------------------------------------------------------------------ permissions

    def permission_requests(self) -> dict[str, dict[str, str]]:
        return {pid: {} for pid in set(self.GATED.values())}

    # ------------------------------------------------------------------ keys

    def action_view(self, view: str) -> None:
        open_view(self, self.env, self.store, view)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.notify(FIRST_VIEW, timeout=3)
