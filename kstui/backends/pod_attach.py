"""Attach to a running container's main process (the pods/attach subresource over WebSocket,
the channels of exec: pod_exec.py): stdin and a TTY only when the container has them
(`stdin: true`, `tty: true` in its spec), otherwise its output read-only. Detaching
(ctrl+p ctrl+q, tty_bridge.py) closes the connection and leaves the process running."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import KstuiError
from kstui.backends.pod_exec import PROTOCOLS, ExecStream, ExecTarget, _refusal, open_websocket

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

DETACH = b"\x10\x11"
"""ctrl+p ctrl+q: the detach keys (as docker's); said on entry."""
DETACH_WORDS = "ctrl+p ctrl+q"


@dataclass(frozen=True, slots=True)
class AttachMode:
    """What the container's spec lets an attach do."""

    stdin: bool
    tty: bool


def attach_mode(pod: dict[str, Any], container: str) -> AttachMode:
    """stdin and tty as the container's spec declares them (both false: read-only output)."""
    for spec in (pod.get("spec") or {}).get("containers") or []:
        if spec.get("name") == container:
            stdin = bool(spec.get("stdin"))
            return AttachMode(stdin, stdin and bool(spec.get("tty")))
    return AttachMode(False, False)


def attach_path(target: ExecTarget) -> str:
    return target.path.removesuffix("/exec") + "/attach"


@asynccontextmanager
async def open_attach(
    client: KubeClient,
    target: ExecTarget,
    mode: AttachMode,
    *,
    protocols: tuple[str, ...] = PROTOCOLS,
) -> AsyncIterator[ExecStream]:
    """Connect to the container's main process; the stream is pod_exec's (send, resize, next).
    Leaving the block closes the connection: a detach, the process keeps running."""
    query = [("container", target.container), ("stdout", "true")]
    query += [] if mode.tty else [("stderr", "true")]
    if mode.stdin:
        query.append(("stdin", "true"))
    if mode.tty:
        query.append(("tty", "true"))

    def refusal(code: int, message: str) -> KstuiError:
        refused = _refusal(code, message, target)
        refused.title = refused.title.replace("exec into", "attach to")
        refused.hint = refused.hint.replace("pods/exec", "pods/attach")
        return refused

    async with open_websocket(
        client, attach_path(target), query, protocols, refusal, f"attach to {target.where}"
    ) as ws:
        yield ExecStream(ws, target, ["attach"])
