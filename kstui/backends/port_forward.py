"""Port-forward (`ctrl+k`): a local listener on 127.0.0.1 whose every accepted connection gets
its own WebSocket to the pod's `portforward` subresource, kubelet's `portforward.k8s.io`
protocol: `?ports=P`, the data on channel 0 and errors on channel 1, the first message of each
channel opening with the port as two little-endian bytes. No SPDY, no kubectl.

Forwards keep running until they are stopped (a Forwards registry, held by the app); each counts
its connections and bytes, and watches its pod: a pod that goes away is said (`gone`)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import ApiError, KstuiError
from kstui.backends.pod_exec import open_websocket

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

PROTOCOLS = ("portforward.k8s.io", "v4.channel.k8s.io")
DATA, ERROR = 0, 1
CHUNK = 64 * 1024
WATCH_EVERY = 2.0
"""Seconds between looks at whether the pod is still there."""
TRIES = 100
"""Local ports tried from the wanted one up before the system picks one."""
HALF_CLOSED = 1.0
"""Seconds an answer is still awaited after the local client has sent all (shut its write
side): the WebSocket protocol has no half-close to pass on."""


class ForwardError(KstuiError):
    """A forward that could not start (no local port, the pod not there)."""


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """One port a pod's container declares."""

    container: str
    port: int
    name: str = ""
    protocol: str = "TCP"

    @property
    def label(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"{self.port}/{self.protocol}{named} · {self.container}"


def container_ports(pod: dict[str, Any]) -> list[ContainerPort]:
    found = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("containerPort"):
                found.append(
                    ContainerPort(
                        container.get("name", ""),
                        int(port["containerPort"]),
                        port.get("name", ""),
                        port.get("protocol", "TCP"),
                    )
                )
    return found


def ready(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    conditions = status.get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pick_pod(pods: list[dict[str, Any]]) -> dict[str, Any] | None:
    """As kubectl does: a ready pod first (the oldest of them), else a running one."""
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    ordered = sorted(running, key=lambda p: (not ready(p), p["metadata"].get("creationTimestamp")))
    return ordered[0] if ordered else None


def service_target(service: dict[str, Any], pod: dict[str, Any], port: dict[str, Any]) -> int:
    """The pod's port behind a Service port: its targetPort, by number or by name."""
    target = port.get("targetPort", port.get("port")) or 0
    if isinstance(target, int) or str(target).isdigit():
        return int(target)
    for declared in container_ports(pod):
        if declared.name == target:
            return declared.port
    raise ForwardError(
        f"service {service['metadata'].get('name')} names port {target!r}",
        f"no container of pod {pod['metadata'].get('name')} declares a port named {target!r}",
        "choose the pod and one of its ports",
    )


@dataclass(eq=False)
class PortForward:
    """One forward: 127.0.0.1:local → the pod's port."""

    client: KubeClient
    namespace: str
    pod: str
    port: int
    wanted: int
    uid: str = ""
    label: str = ""
    """What the user forwarded (a service or a deployment), when not the pod itself."""
    selector: str = ""
    """The label selector of `label`'s pods: where a re-target looks."""
    local: int = 0
    connections: int = 0
    active: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    gone: str = ""
    """Why the forward no longer reaches its pod ("" while it does)."""
    last_error: str = ""
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/portforward"

    @property
    def where(self) -> str:
        return f"pod {self.namespace}/{self.pod} port {self.port}"

    @property
    def moved(self) -> bool:
        """The local port is not the one asked for (it was in use)."""
        return self.local != self.wanted

    async def start(self) -> None:
        for candidate in [*range(self.wanted, min(self.wanted + TRIES, 65536)), 0]:
            try:
                self._server = await asyncio.start_server(self._serve, "127.0.0.1", candidate)
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise ForwardError(f"cannot listen on 127.0.0.1:{candidate}", str(exc), "") from exc
            break
        assert self._server is not None
        self.local = self._server.sockets[0].getsockname()[1]
        self._watch(asyncio.ensure_future(self._watch_pod()))

    def _watch(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def retarget(self) -> str:
        """After the pod went away: a running pod of the same service or workload (or a new
        pod of the same name), watched from now on. What happened, in words."""
        base = f"/api/v1/namespaces/{self.namespace}/pods"
        try:
            if self.selector:
                listed = await self.client.get(base, {"labelSelector": self.selector})
                pod = pick_pod(listed.get("items") or [])
            else:
                pod = pick_pod([await self.client.get(f"{base}/{self.pod}")])
        except ApiError as error:
            if error.status_code != 404:
                raise
            pod = None
        if pod is None:
            return f"no running pod to re-target to{f' ({self.label})' if self.label else ''}"
        meta = pod.get("metadata") or {}
        self.pod, self.uid = str(meta.get("name", "")), str(meta.get("uid", ""))
        self.gone = self.last_error = ""
        self._watch(asyncio.ensure_future(self._watch_pod()))
        return f"127.0.0.1:{self.local} → {self.where}"

    async def _watch_pod(self) -> None:
        while not self.gone:
            await asyncio.sleep(WATCH_EVERY)
            await self.check_pod()

    async def check_pod(self) -> None:
        try:
            pod = await self.client.get(f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}")
        except ApiError as error:
            if error.status_code == 404:
                self.gone = f"pod {self.namespace}/{self.pod} is gone"
            return
        except KstuiError:
            return
        meta = pod.get("metadata") or {}
        if self.uid and meta.get("uid") and meta.get("uid") != self.uid:
            self.gone = f"pod {self.namespace}/{self.pod} was replaced (a new pod of that name)"
        elif meta.get("deletionTimestamp"):
            self.gone = f"pod {self.namespace}/{self.pod} is being deleted"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """asyncio's callback: the connection runs in a task of its own that stop() cancels
        (Python 3.11 logs the callback's own task when it is the one cancelled)."""
        inner = asyncio.ensure_future(self._connection(reader, writer))
        self._watch(inner)
        with contextlib.suppress(asyncio.CancelledError):
            await inner

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import aiohttp

        self.connections += 1
        self.active += 1
        try:
            await self._pipe(reader, writer)
        except KstuiError as error:
            self.last_error = f"{error.title}: {error.detail}" if error.detail else error.title
            if isinstance(error, ApiError) and error.status_code == 404:
                self.gone = f"pod {self.namespace}/{self.pod} is gone"
        except (OSError, aiohttp.ClientError) as exc:  # a reset local client, a cut stream
            self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            self.active -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        if not self.gone:
            await self.check_pod()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import aiohttp

        def refusal(code: int, message: str) -> KstuiError:
            if code == 404:
                return ApiError(404, f"pod {self.namespace}/{self.pod} is gone", message)
            return ApiError(code, f"port-forward to {self.where} was refused", message)

        query = [("ports", str(self.port))]
        async with open_websocket(
            self.client, self.path, query, PROTOCOLS, refusal, f"port-forward to {self.where}"
        ) as ws:

            async def upstream() -> None:
                while data := await reader.read(CHUNK):
                    self.bytes_out += len(data)
                    await ws.send_bytes(bytes([DATA]) + data)

            sending = asyncio.ensure_future(upstream())
            receiving: asyncio.Future[Any] | None = None
            opened = {DATA: False, ERROR: False}
            try:
                while True:
                    if receiving is None:
                        receiving = asyncio.ensure_future(ws.receive())
                    if not sending.done():
                        await asyncio.wait(
                            {receiving, sending}, return_when=asyncio.FIRST_COMPLETED
                        )
                        if not receiving.done():
                            continue
                    elif sending.cancelled() or sending.exception() is not None:
                        return
                    else:  # the local side has sent all: its answers may still be coming
                        done, _ = await asyncio.wait({receiving}, timeout=HALF_CLOSED)
                        if not done:
                            return
                    message, receiving = receiving.result(), None
                    if message.type != aiohttp.WSMsgType.BINARY:
                        if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.PING):
                            continue
                        return  # the server closed the stream
                    channel, data = message.data[0], bytes(message.data[1:])
                    if channel in opened and not opened[channel]:
                        opened[channel], data = True, data[2:]  # the port, little-endian
                    if not data:
                        continue
                    if channel == DATA:
                        self.bytes_in += len(data)
                        writer.write(data)
                        await writer.drain()
                    elif channel == ERROR:
                        self.last_error = data.decode(errors="replace")
                        return
            finally:
                for task in (sending, receiving):
                    if task is not None and not task.done():
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await task


class Forwards:
    """The running forwards of one app, kept across screens until stopped."""

    def __init__(self) -> None:
        self.items: list[PortForward] = []

    async def add(self, forward: PortForward) -> PortForward:
        await forward.start()
        self.items.append(forward)
        return forward

    async def stop(self, forward: PortForward) -> None:
        if forward in self.items:
            self.items.remove(forward)
        await forward.stop()

    async def stop_all(self) -> None:
        for forward in list(self.items):
            await self.stop(forward)
