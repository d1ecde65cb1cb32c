"""The write actions of a resource list: delete, scale, restart and edit, and when each is
allowed. Reads come before writes as a view's do (scale reads the replicas, edit the object):
esc, `/` or another row drop a slow read, so no modal opens over keys meant for the prompt.
Writes are sent in app workers (resource host `send`), so leaving the screen cancels none.
The modals load on the first write, not with the first screen (test_start_imports)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kstui.backends import actions
from kstui.backends.kinds import ResourceKind
from kstui.screens.disabled_keys import readonly_notice

if TYPE_CHECKING:
    from kstui.screens.resource_target import ResourceHost

WRITE_ACTIONS = frozenset({"edit", "delete", "scale", "restart"})


def write_denial(action: str, kind: ResourceKind | None, readonly: str) -> str:
    """Why `action` is disabled on this list ("" when it is not): the context is read-only
    (`readonly` says why) or the kind cannot take this write. The key then shows disabled and,
    pressed, says this. Unknown kinds (still resolving) are not held back."""
    if readonly:
        return readonly_notice(action, readonly)
    if kind is None:
        return ""
    plural = kind.resource
    if action == "scale" and not actions.scalable(kind):
        if plural == "pods":
            return "scale: pods cannot be scaled; scale their deployment or statefulset"
        return f"scale: {plural} cannot be scaled (they have no scale subresource)"
    if action == "restart" and plural not in actions.RESTARTABLE:
        if plural == "pods":
            return "restart: pods cannot be restarted; restart their deployment or statefulset"
        return f"restart: only deployments, statefulsets and daemonsets restart, not {plural}"
    if action == "delete" and not kind.can("delete"):
        return f"delete: {plural} cannot be deleted (the API offers no delete)"
    if action == "edit" and not kind.can("update"):
        return f"edit: {plural} cannot be edited (the API offers no update)"
    return ""


class ResourceWrites:
    """The write actions of one ResourcesScreen (its `host`)."""

    def __init__(self, host: ResourceHost) -> None:
        self.host = host

    async def delete(self) -> None:
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        from kstui.screens.confirm import ConfirmModal

        confirmed = await host.app.push_screen_wait(
            ConfirmModal(
                f"Delete {picked.label} on {host.context}?",
                "Dependents are removed by the garbage collector (propagation: Background).",
            )
        )
        if not confirmed:
            return
        client = await host.backend.open()
        host.send(
            picked.key,
            f"deleting {picked.label}…",
            f"delete of {picked.label}",
            lambda: actions.delete(client, picked.kind, picked.namespace, picked.name),
        )

    async def scale(self) -> None:
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        client = await host.backend.open()
        current = await host.readings.read(  # esc, `/`... drop it
            f"scale {picked.label}",
            picked,
            lambda: actions.replicas(client, picked.kind, picked.namespace, picked.name),
        )
        if current is None:
            return
        from kstui.screens.scale import ScaleModal

        count = await host.app.push_screen_wait(ScaleModal(picked.label, current))
        if count is None or count == current:
            return
        host.send(
            picked.key,
            f"scaling {picked.label} to {count}…",
            f"scale of {picked.label}",
            lambda: actions.scale(client, picked.kind, picked.namespace, picked.name, count),
        )

    async def restart(self) -> None:
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        from kstui.screens.confirm import ConfirmModal

        confirmed = await host.app.push_screen_wait(
            ConfirmModal(
                f"Restart {picked.label} on {host.context}?",
                "Pods are replaced by a rolling update.",
                yes="Restart",
                dangerous=False,
            )
        )
        if not confirmed:
            return
        client = await host.backend.open()
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        host.send(
            picked.key,
            f"restarting {picked.label}…",
            f"restart of {picked.label}",
            lambda: actions.restart(client, picked.kind, picked.namespace, picked.name, at),
        )

    async def edit(self) -> None:
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        client = await host.backend.open()
        # Read first, as a view does: esc, `/` or another row drop a slow read, so the
        # editor never opens over the prompt's keys.
        server_copy = await host.readings.read(
            f"edit {picked.label}",
            picked,
            lambda: actions.fetch(client, picked.kind, picked.namespace, picked.name),
        )
        if server_copy is None:
            return
        app = host.app
        from kstui.screens.editing import ObjectEditor  # yaml, describe: when first editing
        from kstui.screens.sending import reported

        editor = ObjectEditor(
            app, client, picked.kind, picked.label, context=host.context, key=picked.key, host=host
        )
        # An app worker: the save is not cancelled by the next key or by leaving the screen.
        edit = editor.edit(picked.namespace, picked.name, server_copy=server_copy)
        app.run_worker(reported(app, edit), group="write-send", exit_on_error=False)
