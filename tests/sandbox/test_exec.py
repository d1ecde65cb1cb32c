"""exec, attach and port-forward over WebSocket, through a minimal channel client (real kubectl:
test_exec_kubectl.py)."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any

import aiohttp
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS, admin_env
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.exec_lab import viewer_token as viewer_token  # fixture
from tests.sandbox.test_kubectl import kubectl


class Channels:
    """What one exec said, per channel, and its Status."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.data: dict[int, bytes] = {}

    def text(self, channel: int) -> str:
        return self.data.get(channel, b"").decode()

    @property
    def status(self) -> dict[str, Any]:
        return json.loads(self.data[3])  # type: ignore[no-any-return]


async def _session(
    sandbox: RunningSandbox,
    path: str,
    query: list[tuple[str, str]],
    sends: list[bytes] = (),  # type: ignore[assignment]
    user: str = "admin",
    protocols: tuple[str, ...] = ("v5.channel.k8s.io", "v4.channel.k8s.io"),
) -> Channels:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    headers = {"Authorization": f"Bearer {sandbox.token('host', user)}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            sandbox.url() + path, params=query, protocols=protocols, ssl=context, headers=headers
        ) as ws,
    ):
        result = Channels(ws.protocol or "")
        for message in sends:
            await ws.send_bytes(message)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                channel = message.data[0]
                result.data[channel] = result.data.get(channel, b"") + message.data[1:]
        return result


def exec_(sandbox: RunningSandbox, pod: str, *command: str, **kwargs: Any) -> Channels:
    query = [("command", c) for c in command]
    query += [("stdout", "true"), ("stderr", "true"), *kwargs.pop("extra", [])]
    if kwargs.get("sends"):
        query.append(("stdin", "true"))
    path = f"/api/v1/namespaces/{NS}/pods/{pod}/exec"
    return asyncio.run(_session(sandbox, path, query, **kwargs))


async def _refused(sandbox: RunningSandbox, path: str, token: str = "") -> tuple[int, str]:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    headers = {"Authorization": f"Bearer {token or sandbox.token()}"}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(
                sandbox.url() + path, protocols=("v5.channel.k8s.io",), ssl=context, headers=headers
            )
        async with session.get(sandbox.url() + path, ssl=context, headers=headers) as plain:
            return caught.value.status, await plain.text()


def test_ls_root_and_os_release(lab: RunningSandbox) -> None:
    result = exec_(lab, "shell", "ls", "/")
    assert result.protocol == "v5.channel.k8s.io"
    assert {"bin", "etc", "proc", "tmp", "usr", "var"} <= set(result.text(1).split())
    assert result.status == {"metadata": {}, "status": "Success"}
    release = exec_(lab, "shell", "cat", "/etc/os-release")
    assert "ID=alpine" in release.text(1)
    debian = exec_(lab, "web", "cat", "/etc/os-release", extra=[("container", "nginx")])
    assert "Debian GNU/Linux 12 (bookworm)" in debian.text(1)


def test_v4_is_served_too(lab: RunningSandbox) -> None:
    result = exec_(lab, "shell", "hostname", protocols=("v4.channel.k8s.io",))
    assert result.protocol == "v4.channel.k8s.io"
    assert result.text(1) == "shell\n"


def test_env_and_mounted_config(lab: RunningSandbox) -> None:
    env = exec_(lab, "shell", "env").text(1)
    assert "GREETING=hello-from-env" in env.splitlines()
    assert "HOSTNAME=shell" in env.splitlines()
    assert exec_(lab, "shell", "cat", "/etc/app/app.yaml").text(1) == "greeting: hello\n"
    assert exec_(lab, "shell", "cat", "/etc/secret/password").text(1) == "s3cret"
    df = exec_(lab, "shell", "df").text(1)
    assert "/etc/app" in df
    assert "/etc/secret" in df


def test_exit_code_on_the_error_channel(lab: RunningSandbox) -> None:
    status = exec_(lab, "shell", "sh", "-c", "exit 3").status
    assert status["status"] == "Failure"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


def test_unknown_command_127(lab: RunningSandbox) -> None:
    result = exec_(lab, "shell", "sh", "-c", "frobnicate --now")
    assert result.text(2) == "sh: frobnicate: not found\n"
    assert result.status["details"]["causes"][0]["message"] == "127"
    bash = exec_(lab, "web", "bash", "-c", "frobnicate", extra=[("container", "nginx")])
    assert bash.text(2) == "bash: frobnicate: command not found\n"


def test_bash_only_where_the_image_has_it(lab: RunningSandbox) -> None:
    refused = exec_(lab, "shell", "bash")
    assert refused.status["reason"] == "InternalError"
    assert 'exec: "bash": executable file not found in $PATH' in refused.status["message"]


def test_distroless_refuses_exec(lab: RunningSandbox) -> None:
    status = exec_(lab, "api", "sh").status
    assert status["code"] == 500
    assert status["message"].startswith("Internal error occurred: error executing command")
    assert "OCI runtime exec failed" in status["message"]


def test_interactive_tty_shell(lab: RunningSandbox) -> None:
    sends = [b"\x00cd /etc\r", b"\x00pwd\r", b"\x00echo $GREETING $TERM\r", b"\x00exit 4\r"]
    result = exec_(lab, "shell", "sh", sends=sends, extra=[("tty", "true")])
    screen = result.text(1)
    assert screen.startswith("/ # cd /etc\r\n/etc # pwd\r\n/etc\r\n/etc # ")
    assert "hello-from-env xterm\r\n" in screen
    assert result.status["details"]["causes"][0]["message"] == "4"
    assert 2 not in result.data  # a tty has one output stream


def test_stdin_script_without_tty_ends_at_close(lab: RunningSandbox) -> None:
    sends = [b"\x00echo one\nls /etc/app\n", b"\xff\x00"]
    result = exec_(lab, "shell", "sh", sends=sends)
    assert result.text(1) == "one\napp.yaml\n"
    assert result.status["status"] == "Success"


@pytest.mark.parametrize("subresource", ["exec", "attach", "portforward"])
def test_rbac_denied_before_upgrade(
    lab: RunningSandbox, viewer_token: str, subresource: str
) -> None:
    path = f"/api/v1/namespaces/{NS}/pods/shell/{subresource}?command=ls&stdout=true&ports=80"
    code, body = asyncio.run(_refused(lab, path, viewer_token))
    assert code == 403
    status = json.loads(body)
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        'pods "shell" is forbidden: User "system:serviceaccount:exec-lab:viewer" cannot create '
        f'resource "pods/{subresource}" in API group "" in the namespace "exec-lab"'
    )


def test_not_running_and_missing(lab: RunningSandbox) -> None:
    code, body = asyncio.run(
        _refused(lab, f"/api/v1/namespaces/{NS}/pods/starting/exec?command=ls&stdout=true")
    )
    assert (code, body) == (500, 'container not found ("slow")')
    code, body = asyncio.run(
        _refused(lab, f"/api/v1/namespaces/{NS}/pods/nope/exec?command=ls&stdout=true")
    )
    assert code == 404
    assert json.loads(body)["message"] == 'pods "nope" not found'
    for sub in ("exec?command=ls&stdout=true", "portforward?ports=80"):
        code, body = asyncio.run(_refused(lab, f"/api/v1/namespaces/{NS}/pods/homeless/{sub}"))
        assert code == 400
        assert json.loads(body)["message"] == "pod homeless does not have a host assigned"


async def _forward(sandbox: RunningSandbox, pod: str, port: int, payload: bytes) -> bytes:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    headers = {"Authorization": f"Bearer {sandbox.token()}"}
    path = f"/api/v1/namespaces/{NS}/pods/{pod}/portforward"
    received = b""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            sandbox.url() + path,
            params={"ports": str(port)},
            protocols=("portforward.k8s.io",),
            ssl=context,
            headers=headers,
        ) as ws,
    ):
        openings = [await ws.receive_bytes(), await ws.receive_bytes()]
        assert openings == [
            b"\x00" + port.to_bytes(2, "little"),
            b"\x01" + port.to_bytes(2, "little"),
        ]
        await ws.send_bytes(b"\x00" + payload)
        message = await ws.receive_bytes(timeout=5)
        received = message[1:] if message[0] == 0 else b"error: " + message[1:]
    return received


def test_port_forward_responders(lab: RunningSandbox) -> None:
    page = asyncio.run(_forward(lab, "web", 80, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert page.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"<h1>Welcome to nginx!</h1>" in page
    assert asyncio.run(_forward(lab, "web", 6379, b"PING\r\n")) == b"+PONG\r\n"
    metrics = asyncio.run(_forward(lab, "api", 9090, b"GET /metrics HTTP/1.1\r\n\r\n"))
    assert b"# TYPE http_requests_total counter" in metrics
    refused = asyncio.run(_forward(lab, "web", 81, b"GET / HTTP/1.1\r\n\r\n"))
    assert refused.startswith(b"error: error forwarding port 81")


def test_pod_deleted_during_a_shell(lab: RunningSandbox) -> None:
    async def scenario() -> Channels:
        context = ssl.create_default_context(cafile=lab.ca_file())
        headers = {"Authorization": f"Bearer {lab.token()}"}
        query = [("command", "sh"), ("stdin", "true"), ("stdout", "true"), ("tty", "true")]
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                lab.url() + f"/api/v1/namespaces/{NS}/pods/doomed/exec",
                params=query,
                protocols=("v5.channel.k8s.io",),
                ssl=context,
                headers=headers,
            ) as ws,
        ):
            result = Channels(ws.protocol or "")
            await ws.receive_bytes(timeout=5)  # the prompt
            kubectl(admin_env(lab), "delete", "pod", "-n", NS, "doomed", "--wait=false")
            async for message in ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    result.data[message.data[0]] = message.data[1:]
            return result

    kubectl(admin_env(lab), "run", "-n", NS, "doomed", "--image=busybox:1.36")
    deadline = time.monotonic() + 10
    while (lab.stored(("", "pods"), NS, "doomed") or {}).get("status", {}).get("phase") != (
        "Running"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    status = asyncio.run(scenario()).status
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "137"}]


def test_drop_streams_fault_cuts_a_shell_and_a_forward(lab: RunningSandbox) -> None:
    """`drop-streams` cuts open exec and forward connections with no close frame and no status
    (for clients' tests of a server that goes away)."""

    async def scenario() -> list[Any]:
        context = ssl.create_default_context(cafile=lab.ca_file())
        headers = {"Authorization": f"Bearer {lab.token()}"}
        base = lab.url() + f"/api/v1/namespaces/{NS}/pods"
        seen: list[Any] = []
        async with aiohttp.ClientSession() as session:
            shell = await session.ws_connect(
                base + "/shell/exec?command=sh&stdin=true&stdout=true&tty=true",
                protocols=("v5.channel.k8s.io",),
                ssl=context,
                headers=headers,
            )
            forward = await session.ws_connect(
                base + "/web/portforward?ports=80",
                protocols=("portforward.k8s.io",),
                ssl=context,
                headers=headers,
            )
            assert await shell.receive_bytes(timeout=5) == b"\x01/ # "
            await forward.receive_bytes(timeout=5)
            await forward.receive_bytes(timeout=5)
            lab.call(lab.cluster().faults.drop_streams)
            for ws in (shell, forward):
                message = await ws.receive(timeout=5)
                seen.append(message.type)
                await ws.close()
        return seen

    kinds = asyncio.run(scenario())
    assert kinds == [aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSED]  # cut, no close frame
