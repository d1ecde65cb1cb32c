"""Exec into a container over WebSocket (the pods/exec subresource, `v5.channel.k8s.io` then
`v4.channel.k8s.io`), with the context's TLS and credentials (exec plugins included): no kubectl.

Each message is one channel byte and data: 0 stdin, 1 stdout, 2 stderr, 3 the error channel (a
metav1.Status: Success, or NonZeroExitCode with the exit code in its causes), 4 resize (JSON
`{"Width", "Height"}`), and in v5 255 to close a stream (`\\xff\\x00` ends stdin).

aiohttp's client is used: it is a dependency already (the sandbox serves with it), and it beat
`websockets` and `httpx-ws` on the sandbox's exec (bench/ws_clients.py: 2.8 ms against 3.7 and
5.0 ms per exec, 377 against 157 and 68 MB/s of output). `wsproto` has no I/O of its own."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import ApiError, KstuiError, Unreachable

if TYPE_CHECKING:
    import aiohttp

    from kstui.backends.kube import KubeClient

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
STDIN_CHUNK = 256 * 1024
SHELLS = ("bash", "sh")
"""The shells tried in turn, unless the config names others."""
_NOT_FOUND = "executable file not found"


@dataclass(frozen=True, slots=True)
class ExecTarget:
    """One container of one pod."""

    namespace: str
    pod: str
    container: str

    @property
    def where(self) -> str:
        return f'container "{self.container}" of pod {self.namespace}/{self.pod}'

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/exec"


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What a command without a TTY said, and how it ended."""

    exit_code: int
    stdout: bytes
    stderr: bytes


class ExecError(KstuiError):
    """An exec that could not start or did not end properly: its title names the container."""


class ExecDenied(ExecError):
    """RBAC denies `create pods/exec`: known before connecting (SelfSubjectAccessReview)."""


class NotRunning(ExecError):
    """The container is not running (waiting, terminated, or not there yet)."""


class NoProgram(ExecError):
    """The program (or every shell tried) is not in the image: a distroless image, say."""

    def __init__(self, title: str, detail: str, hint: str, program: str) -> None:
        super().__init__(title, detail, hint)
        self.program = program


class StreamLost(ExecError):
    """The connection closed before the error channel said how the command ended."""


def exit_code(status: dict[str, Any], target: ExecTarget, argv: list[str]) -> int:
    """The exit code a Status from the error channel carries; other failures raise."""
    if status.get("status") == "Success":
        return 0
    if status.get("reason") == "NonZeroExitCode":
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode":
                try:
                    return int(cause.get("message") or 1)
                except ValueError:
                    return 1
    message = str(status.get("message") or status)
    if _NOT_FOUND in message:
        raise NoProgram(
            f"{argv[0]} is not in the image of {target.where}",
            message,
            "run a program the image has; an image without a shell (distroless) takes no "
            "exec: use an ephemeral debug container (kubectl debug)",
            argv[0],
        )
    raise ExecError(f"exec into {target.where} failed", message, "")


async def preflight(
    client: KubeClient, target: ExecTarget, subresource: str = "exec"
) -> dict[str, Any]:
    """Before connecting: RBAC allows `create pods/exec` (or pods/attach: with its reason when
    not), and the container is running; both asked at once, the RBAC answer said first.
    Returns the pod."""
    doing = "exec into" if subresource == "exec" else f"{subresource} to"
    fetch = asyncio.ensure_future(
        client.get(f"/api/v1/namespaces/{target.namespace}/pods/{target.pod}")
    )
    try:
        allowed, reason = await client.can_i(
            "create", "pods", namespace=target.namespace, name=target.pod, subresource=subresource
        )
        if not allowed:
            raise ExecDenied(
                f"RBAC does not let you {doing} {target.where}",
                f"create pods/{subresource} in namespace {target.namespace}: "
                + (reason or "no Role or ClusterRole allows it"),
                f"ask for a Role with the verb create on pods/{subresource} in namespace "
                f"{target.namespace}",
            )
    except BaseException:
        fetch.cancel()
        fetch.add_done_callback(lambda done: done.cancelled() or done.exception())  # heard
        raise
    pod: dict[str, Any] = await fetch
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    state = next(
        ((s.get("state") or {}) for s in statuses if s.get("name") == target.container), None
    )
    if state is None or not state.get("running"):
        detail = "it has not started"
        for phase in ("waiting", "terminated"):
            if state and state.get(phase) is not None:
                told = state[phase]
                detail = f"{phase}: {told.get('reason') or 'no reason given'}"
                if told.get("message"):
                    detail += f" ({told['message']})"
        raise NotRunning(
            f"{target.where} is not running",
            detail,
            "wait until it runs; its logs (l) and describe (d) say why it does not",
        )
    return pod


class ExecStream:
    """One open exec: send stdin and resizes, read (channel, bytes) until the Status."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, target: ExecTarget, argv: list[str]):
        self.ws = ws
        self.target = target
        self.argv = argv
        self.protocol = ws.protocol or ""
        self.status: dict[str, Any] | None = None
        self._pending: list[tuple[int, bytes]] = []

    async def send(self, data: bytes) -> None:
        await self.ws.send_bytes(bytes([STDIN]) + data)

    async def close_stdin(self) -> None:
        """v5 ends stdin with a close message; v4 has none (the command reads on)."""
        if self.protocol.startswith("v5"):
            await self.ws.send_bytes(bytes([CLOSE, STDIN]))

    async def resize(self, columns: int, rows: int) -> None:
        size = json.dumps({"Width": columns, "Height": rows}).encode()
        await self.ws.send_bytes(bytes([RESIZE]) + size)

    async def next(self) -> tuple[int, bytes] | None:
        """The next output (STDOUT or STDERR, data), or None once the Status came; a
        connection that ends without one raises StreamLost."""
        import aiohttp

        if self._pending:
            return self._pending.pop(0)
        if self.status is not None:
            return None
        while True:
            message = await self.ws.receive()
            if message.type == aiohttp.WSMsgType.BINARY and message.data:
                channel, data = message.data[0], message.data[1:]
                if channel == ERROR:
                    try:
                        self.status = json.loads(data)
                    except ValueError:
                        self.status = {"status": "Failure", "message": data.decode("replace")}
                    return None
                if channel in (STDOUT, STDERR) and data:
                    return channel, bytes(data)
                continue
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.PING):
                continue
            raise StreamLost(
                f"the connection to {self.target.where} was cut",
                "the server closed it before the command ended (no exit status came)",
                "the command may still run in the container; open it again to look",
            )

    def push_back(self, output: tuple[int, bytes]) -> None:
        self._pending.insert(0, output)

    def exit_code(self) -> int:
        return exit_code(self.status or {}, self.target, self.argv)


def _ssl(verify: ssl.SSLContext | bool) -> ssl.SSLContext | bool:
    return verify if isinstance(verify, ssl.SSLContext) else False


@asynccontextmanager
async def open_exec(
    client: KubeClient,
    target: ExecTarget,
    argv: list[str],
    *,
    stdin: bool = False,
    tty: bool = False,
    protocols: tuple[str, ...] = PROTOCOLS,
) -> AsyncIterator[ExecStream]:
    """Connect (the credentials refreshed once after a 401, as every request) and yield the
    stream; the handshake's refusals are typed (403 RBAC, 404 no pod, 500 not running)."""
    query = [("command", part) for part in argv] + [("container", target.container)]
    query += [("stdout", "true")] + ([] if tty else [("stderr", "true")])
    if stdin:
        query.append(("stdin", "true"))
    if tty:
        query.append(("tty", "true"))

    def refusal(code: int, message: str) -> KstuiError:
        return _refusal(code, message, target)

    async with open_websocket(
        client, target.path, query, protocols, refusal, f"exec into {target.where}"
    ) as ws:
        yield ExecStream(ws, target, argv)


@asynccontextmanager
async def open_websocket(
    client: KubeClient,
    path: str,
    query: list[tuple[str, str]],
    protocols: tuple[str, ...],
    refusal: Callable[[int, str], KstuiError],
    what: str,
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A WebSocket to the API server with the context's TLS, proxy and credentials (refreshed
    once after a 401); `refusal` names a refused handshake. Closed on the way out."""
    import aiohttp

    connection = client.connection
    url = connection.server + path
    async with aiohttp.ClientSession() as session:
        for attempt in (0, 1):
            headers = {"User-Agent": "kstui", **(await connection.auth_headers())}
            try:
                ws = await session.ws_connect(
                    url,
                    params=query,
                    protocols=protocols,
                    ssl=_ssl(connection.verify),
                    proxy=connection.proxy,
                    headers=headers,
                    max_msg_size=0,
                    autoping=True,
                )
            except aiohttp.WSServerHandshakeError as refused:
                if refused.status == 401 and attempt == 0 and await connection.refresh():
                    continue
                raise refusal(refused.status, refused.message) from refused
            except (aiohttp.ClientError, OSError) as exc:
                raise Unreachable(
                    f"cannot reach {connection.server} (context {connection.context_name})",
                    f"{what}: {type(exc).__name__}: {exc}",
                    "check that the cluster is running and the server address is right",
                ) from exc
            break
        try:
            yield ws
        finally:
            await ws.close()


def _refusal(code: int, message: str, target: ExecTarget) -> KstuiError:
    if code == 403:
        return ExecDenied(
            f"RBAC does not let you exec into {target.where}",
            f"HTTP 403 {message}",
            f"ask for a Role with the verb create on pods/exec in namespace {target.namespace}",
        )
    if code == 500:
        return NotRunning(f"{target.where} is not running", f"HTTP 500 {message}", "")
    if code == 404:
        return ApiError(404, f"pod {target.namespace}/{target.pod} is gone", message, "")
    return ApiError(code, f"exec into {target.where} was refused", f"HTTP {code} {message}", "")


async def run_command(
    client: KubeClient, target: ExecTarget, argv: list[str], *, stdin: bytes | None = None
) -> ExecResult:
    """A command without a TTY, to its end: its output and exit code."""
    out, err = bytearray(), bytearray()
    async with open_exec(client, target, argv, stdin=stdin is not None) as stream:
        if stdin is not None:
            for start in range(0, len(stdin), STDIN_CHUNK):  # a server caps a message's size
                await stream.send(stdin[start : start + STDIN_CHUNK])
            await stream.close_stdin()
        while (output := await stream.next()) is not None:
            (out if output[0] == STDOUT else err).extend(output[1])
        code = stream.exit_code()
    return ExecResult(code, bytes(out), bytes(err))


@asynccontextmanager
async def open_shell(
    client: KubeClient, target: ExecTarget, shells: tuple[str, ...] = SHELLS
) -> AsyncIterator[ExecStream]:
    """An interactive TTY shell: each of `shells` in turn until the image has one."""
    missing: list[str] = []
    for shell in shells:
        async with open_exec(client, target, [shell], stdin=True, tty=True) as stream:
            first = await stream.next()
            if first is None:
                try:
                    stream.exit_code()
                except NoProgram:
                    missing.append(shell)
                    continue
            else:
                stream.push_back(first)
            yield stream
            return
    raise NoProgram(
        f"no shell in the image of {target.where}",
        "tried " + ", ".join(missing) + ": executable file not found in $PATH",
        "a distroless image has no shell: use an ephemeral debug container "
        "(kubectl debug), or set `shells:` in the config",
        missing[-1] if missing else "",
    )
