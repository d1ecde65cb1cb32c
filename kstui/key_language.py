"""One key, one meaning: what each binding id means, so a key can be checked to mean the same
thing in every view (`q` is back everywhere, `g` the first line everywhere). The meaning is the
id's last part unless named here; help lists it beside the id."""

from __future__ import annotations

# Ids whose last part names the same meaning another way (a pager's `g` and a table's `g`).
_SAME_AS = {
    "cancel": "back",
    "close": "back",
    "cursor_down": "down",
    "cursor_up": "up",
    "page_down": "page down",
    "page_up": "page up",
    "first": "first line",
    "last": "last line",
    "bottom": "last line",
    "filter": "search",
    "find": "search",
    "new": "add",
    "add_member": "add",
    "create_project": "add project",
    "change_role": "edit",
    "remove_member": "delete",
    "set_quota": "quota",
    "next_pane": "next pane",
    "scroll_left": "left",  # a table's columns, a chart's time cursor: the view moves left
    "scroll_right": "right",
    "cursor_left": "left",
    "cursor_right": "right",
    "previous_pane": "previous pane",
}

PER_ROW_KIND = (frozenset({"scale", "shell"}),)
"""Meanings one key may share because each applies to its own kinds of rows, never both to one
row: `s` is a shell on a pod or a container and scale on a workload (k9s's keys)."""

ANSWER_SCOPES = frozenset({"confirm", "prompt"})
"""Scopes whose keys answer a question (y/n) or edit a line of text: there a key is its letter."""


def meaning(binding_id: str) -> str:
    """What a binding does, in words shared by every view: `view.back` and `help.close` both
    mean "back"; `table.first` and `view.first` both "first line"."""
    if binding_id.startswith("app.section."):
        return f"section {binding_id.removeprefix('app.section.')}"
    last = binding_id.rsplit(".", 1)[-1]
    return _SAME_AS.get(last, last.replace("_", " "))


def scope(binding_id: str) -> str:
    return binding_id.split(".", 1)[0]
