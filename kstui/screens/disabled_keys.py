"""A pressed key whose action is disabled says why, instead of doing nothing (Textual skips a
disabled binding silently). One mechanism for every screen with actions shown disabled: the
Workspaces screens (RBAC, read-only mode) and the resource lists (read-only mode, an action the
row's kind does not take)."""

from __future__ import annotations

from textual import events
from textual.binding import ActiveBinding, Binding

from kstui.widgets.mixin_bases import ScreenMixin


def readonly_notice(action: str, why: str) -> str:
    """`read-only mode: delete is disabled (started with --readonly)`."""
    return f"read-only mode: {action} is disabled ({why})"


class ExplainsDisabledKeys(ScreenMixin):
    """A screen base. `why_disabled` names the reason ("" keeps Textual's silence);
    `say_disabled` shows it (a notification unless the screen has a better place)."""

    def why_disabled(self, binding: ActiveBinding) -> str:
        return ""

    def say_disabled(self, text: str) -> None:
        self.notify(text, severity="warning")

    def why_hidden(self, binding: Binding) -> str:
        """A key of this screen whose action is hidden where the user is (`check_action` said
        False: e.g. a member action while the projects pane shows); "" keeps the silence."""
        return ""

    def on_key(self, event: events.Key) -> None:
        active = self.active_bindings.get(event.key)
        if active is None:  # nothing answers the key here: is it one of ours, hidden?
            hidden = self._bindings.key_to_bindings.get(event.key, [])
            text = next(filter(None, map(self.why_hidden, hidden)), "")
        elif active.enabled or active.node is not self:
            return
        else:
            text = self.why_disabled(active)
        if text:
            event.stop()
            event.prevent_default()
            self.say_disabled(text)
            self.app.bell()
