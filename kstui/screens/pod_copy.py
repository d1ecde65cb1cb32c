"""`ctrl+u` on a pod or a container row: copy files to or from the container (pod_copy.py, tar
over exec as kubectl cp). A form asks the direction, the path in the container and the local
path; the bytes so far are said in the form's status line while it copies. Read-only mode
copies down only (up is a write: it says why)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.pod_copy import download, upload
from kstui.backends.pod_exec import ExecTarget, preflight
from kstui.screens.disabled_keys import readonly_notice
from kstui.screens.failures import notify_failure
from kstui.screens.pod_operate import Host, pick_target
from kstui.widgets.form import FormModal, Values, Written
from kstui.widgets.form_fields import Field, radio, text

DOWN, UP = "down", "up"


def amount(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def progress_line(direction: str, done: int, total: int | None) -> str:
    verb = "copying from the container" if direction == DOWN else "copying to the container"
    return f"{verb}… {amount(done)}" + (f" of {amount(total)}" if total else "")


def local_path(values: Values) -> Path:
    return Path(os.path.expanduser(str(values.get("local") or "")))


class CopyForm(FormModal):
    """Direction, the path in the container, the local path; sending copies."""

    SEND_LABEL = "Copy"

    def __init__(self, backend: Backend, target: ExecTarget, readonly: str) -> None:
        super().__init__(
            f"copy files: {target.where}",
            detail="tar over exec, as kubectl cp; a directory is copied whole",
        )
        self.backend = backend
        self.target = target
        self.readonly = readonly

    def fields(self) -> Sequence[Field]:
        return [
            radio(
                "direction",
                "direction",
                [("from the container", DOWN), ("to the container", UP)],
                DOWN,
            ),
            text("remote", "container path", placeholder="/etc/app", required="name a path"),
            text("local", "local path", placeholder="./app", required="name a path"),
        ]

    def check(self, values: Values) -> dict[str, str]:
        if values.get("direction") == UP and self.readonly:
            return {"direction": readonly_notice("copying to a container", self.readonly)}
        return {}

    async def send(self, values: Values) -> tuple[str, Written]:
        direction = str(values.get("direction") or DOWN)
        remote = str(values.get("remote") or "")
        local = local_path(values)

        def said(done: int, total: int | None) -> None:
            self.show_outcome(progress_line(direction, done, total), error=False)

        client = await self.backend.open()
        if direction == UP:
            copied = await upload(client, self.target, local, remote, said)
            where = f"{local} → {remote}"
        else:
            copied = await download(client, self.target, remote, local, said)
            where = f"{remote} → {local}"
        files = f"{copied.files} file{'s' if copied.files != 1 else ''}"
        return f"copied {files} ({amount(copied.size)}): {where}", []


def readonly_of(app: Any, backend: Backend) -> str:
    session = getattr(app, "session", None)
    return str(session.readonly_reason(backend.name)) if session is not None else ""


async def copy_in(screen: Host, backend: Backend, pod: dict[str, Any], given: str | None) -> None:
    """`ctrl+u`: the form, once RBAC and the container's state allow an exec."""
    target = await pick_target(screen, pod, "copy", given)
    if target is None:
        return
    try:
        client = await backend.open()
        await preflight(client, target)
    except KstuiError as error:
        notify_failure(screen.app, error)
        return
    screen.app.push_screen(CopyForm(backend, target, readonly_of(screen.app, backend)))
