"""kstui's footer: Textual's, compact, its keys shown once the screen's own content is drawn,
and without the removed keys Textual's keeps alive (one of two such leaks: textual_leaks.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from kstui.widgets.default_css import without_default_css_of


class Footer(TextualFooter):
    """Textual's Footer recomposes whenever the screen's bindings change (a screen coming back,
    the prompt taking focus) and binds each new key to its `compact` reactive. The removed keys
    stay in that reactive's watcher list until `compact` changes, which here is never: about 30
    widgets per recompose, for the life of the screen. Drop them before composing new ones."""

    # Textual's Footer CSS is left out (default_css.py): kstui's footers are compact, with no
    # key groups and no palette key, and only these of its rules apply to them.
    DEFAULT_CSS = """
    Footer {
        layout: horizontal;
        color: $footer-foreground;
        background: $footer-background;
        dock: bottom;
        height: 1;
        scrollbar-size: 0 0;
        &.-compact FooterKey { margin-right: 1; }
    }
    """

    _shown: tuple[object, ...] | None = None
    """What the keys composed last showed: a bindings change that shows the same keys (focus
    moving to the prompt and back, a modal closing) composes nothing again (issue 18: each
    recompose built ~30 widgets and restyled them, 30-50 ms of a modal's frame)."""

    def __init__(self, *args: Any, hold: asyncio.Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold = hold
        """Keys are shown once this is set: the screen's own content is drawn first (at the
        start: the first list's rows, which would otherwise wait for ~30 key widgets)."""
        self._held: asyncio.Task[None] | None = None
        self._widths: dict[FooterKey, int] = {}
        """Each key's cells with its margin, as laid out when all were shown."""

    def on_mount(self) -> None:
        super().on_mount()
        # Mounted after its screen published its bindings (the first list's footer comes after
        # the first frame): nothing else would tell it what they are.
        self.bindings_changed(self.screen)

    def _get_default_css(self) -> list[Any]:
        return without_default_css_of(super()._get_default_css(), TextualFooter)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            if self.hold is not None and not self.hold.is_set():
                if self._held is None:  # a task of its own: a callback waiting would hold up
                    self._held = asyncio.create_task(self._after_hold())  # the app's others
                return
            self.call_after_refresh(self._recompose_if_changed)

    async def _after_hold(self) -> None:
        assert self.hold is not None
        await self.hold.wait()
        self._held = None
        self.call_after_refresh(self._recompose_if_changed)  # the bindings as they are by then

    async def _recompose_if_changed(self) -> None:
        # Under a modal its screen's keys are not the footer's to show: the modal has its own.
        if not self.is_attached or self.screen is not self.app.screen:
            return
        if self._keys_shown() != self._shown:
            await self.recompose()

    def _keys_shown(self) -> tuple[object, ...]:
        app = self.app
        active = self.screen.active_bindings
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        shown = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip,
                binding.group,
            )
            for (_node, binding, enabled, tooltip) in active.values()
            if binding.show
        )
        palette_key = (palette.binding.key, palette.enabled) if palette is not None else None
        return (shown, palette_key, self.show_command_palette, self.compact)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys_shown()
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [
                (node, callback)
                for node, callback in watchers
                if not (node._closing or node._closed)
            ]
        yield from super().compose()
        self._widths = {}
        self.call_after_refresh(self._fit)

    # ------------------------------------------------------------------ fitting the width

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Too narrow for every key (80 columns, a screen with many), the screen's own keys
        give way from the last, so that the app's (`/`, `:`, `?`) stay in sight: `?` lists
        them all. Hidden keys are not composed again: they come back when there is room."""
        keys = list(self.query(FooterKey))
        if not keys or not self.size.width:
            return
        if not self._widths:
            if not all(key.display and key.outer_size.width for key in keys):
                self.call_after_refresh(self._fit)  # measured once all are laid out
                return
            self._widths = {key: key.outer_size.width + key.styles.margin.width for key in keys}
        app_actions = {
            binding.action
            for node, binding, _enabled, _tooltip in self.screen.active_bindings.values()
            if node is self.app
        }
        room = self.size.width - sum(
            self._widths.get(key, 0) for key in keys if key.action in app_actions
        )
        for key in keys:
            if key.action not in app_actions:
                room -= self._widths.get(key, 0)
                key.display = room >= 0
