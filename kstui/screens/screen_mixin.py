"""ScreenMixin: the base of a screen's mixins (the parts a screen is made of: writes in flight,
disabled keys explained, plugins on rows). To the type checker it is a Screen, so a mixin
uses the screen's API; at run time a plain class, since Textual builds every Screen subclass
(bindings, CSS names, handlers, typing's Generic: ~0.3 ms each, on the way to the first
frame), and a mixin needs none of it: handlers named `on_*` are found by name along the MRO.

A mixin declares no BINDINGS, DEFAULT_CSS or `@on` handlers (Textual reads those only from
its own classes), and comes before the Screen classes among a screen's bases."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

    ScreenMixin = Screen[None]
else:
    ScreenMixin = object

__all__ = ["ScreenMixin"]
