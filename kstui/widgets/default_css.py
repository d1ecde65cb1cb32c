"""Leaving a Textual base's DEFAULT_CSS out of a subclass's: the first frame parses the default
CSS of every widget class in it, and Textual's Input and Footer bring rules kstui's prompt and
footer never use (bordered, compact and invalid states, key groups, the palette key: 2,900
characters). The subclass copies the rules it does use into its own DEFAULT_CSS. Unlike
`inherit_css=False`, the base's type names (selectors naming `Input` or `Widget` still match)
and component classes stay. Overrides DOMNode._get_default_css (Textual is pinned)."""

from __future__ import annotations

from inspect import getfile
from typing import Any


def without_default_css_of(entries: list[Any], *bases: type) -> list[Any]:
    """`entries` (DOMNode._get_default_css's: location, css, tie breaker, scope) minus the
    DEFAULT_CSS that `bases` declare themselves."""
    skipped = {(getfile(base), f"{base.__name__}.DEFAULT_CSS") for base in bases}
    return [entry for entry in entries if entry[0] not in skipped]
