"""ScreenMixin and AppMixin: the bases of a screen's or the app's mixins (the parts they are
made of: writes in flight, disabled keys explained, plugins on rows; the key gate, the prompt's
routing, the commands). To the type checker each is a Screen or an App, so a mixin uses their
API; at run time a plain class, since Textual builds every Screen and App subclass (bindings,
CSS names, `@on` handlers, typing's Generic: ~0.3 ms each, on the way to the first frame), and
a mixin needs none of it: handlers named `on_*` are found by name along the MRO.

So a mixin declares no BINDINGS, DEFAULT_CSS or `@on` handlers (Textual reads those only from
its own classes: the class built on the mixins declares them), and comes before the Screen or
App classes among the bases."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    ScreenMixin = Screen[None]
    AppMixin = App[None]
else:
    ScreenMixin = object
    AppMixin = object

__all__ = ["AppMixin", "ScreenMixin"]
