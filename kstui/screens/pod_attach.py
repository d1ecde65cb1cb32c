"""`ctrl+a` on a pod or a container row: attach to the container's main process
(pod_attach.py). The app is suspended and the terminal joined to it (tty_bridge.py) with keys
and a TTY when the container has stdin and a tty, its output read-only otherwise; ctrl+p ctrl+q
(said on entry) detaches and leaves the process running, back where the user was."""

from __future__ import annotations

from typing import Any

from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.pod_attach import DETACH, DETACH_WORDS, attach_mode, open_attach
from kstui.backends.pod_exec import ExecTarget, preflight
from kstui.backends.tty_bridge import Detached
from kstui.safe_text import inert
from kstui.screens.failures import notify_failure
from kstui.screens.pod_operate import Host, handed_over, pick_target


def entry_banner(target: ExecTarget, keys: bool) -> bytes:
    """What the terminal says first: where it is attached, and the way out."""
    way_out = DETACH_WORDS if keys else f"{DETACH_WORDS} or ctrl+c"
    told = "" if keys else " (read-only: the container has no stdin)"
    return (
        f"attached to {target.where}{told}; {way_out} detaches, the process runs on\r\n"
    ).encode(errors="replace")


async def attach_in(screen: Host, backend: Backend, pod: dict[str, Any], given: str | None) -> None:
    """`ctrl+a`: attach to the container's main process until the user detaches or it ends."""
    from textual.app import SuspendNotSupported

    target = await pick_target(screen, pod, "attach", given)
    if target is None:
        return
    app = screen.app
    try:
        client = await backend.open()
        fresh = await preflight(client, target, "attach")
        mode = attach_mode(fresh, target.container)
        async with open_attach(client, target, mode) as stream:
            code = await handed_over(
                app,
                stream,
                detach=DETACH,
                keys=mode.stdin,
                banner=entry_banner(target, mode.stdin),
                remote_tty=mode.tty,
            )
    except Detached:
        app.notify(
            inert(f"{target.where} runs on"), title="detached", severity="information", timeout=6
        )
        return
    except KstuiError as error:
        notify_failure(app, error)
        return
    except SuspendNotSupported:
        app.notify("attaching needs a terminal of its own", severity="warning")
        return
    app.notify(
        inert(f"{target.where}: its main process ended"),
        title=f"attach ended: exit {code}",
        severity="information" if code == 0 else "warning",
        timeout=10,
    )
