"""Credentials stay put: nothing goes to a plain http server, no error quotes a credential, and
each connection failure names what failed (the kubeconfig, the CA, the proxy, the plugin).
Real servers throughout: the sandbox, a recording HTTP server, a CONNECT proxy, real plugins."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kstui.backends.credentials import KubeConnection
from kstui.backends.errors import KubeconfigError, Unreachable
from kstui.backends.kubeconfig import load_kubeconfig
from tests.backends.test_kubeconfig import (
    ConnectProxy,
    Fresh,
    Plugin,
    client_for,
    failure,
    single,
    tls_cluster,
    write_kubeconfig,
)
from tests.conftest import RunningSandbox

SECRET = "s3cr3t-TOKEN-value-0123456789"


class RecordingServer:
    """A plain http server on 127.0.0.1 that answers like an API server and keeps the headers
    of every request it gets."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        if request.method == "POST":  # a SelfSubjectReview
            return web.json_response(
                {
                    "kind": "SelfSubjectReview",
                    "status": {"userInfo": {"username": "system:anonymous"}},
                },
                status=201,
            )
        return web.json_response(
            {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {}, "items": []}
        )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------ item 7: no token over http


async def test_no_credential_of_any_kind_goes_to_a_plain_http_server(tmp_path: Path) -> None:
    recorder = RecordingServer()
    await recorder.start()
    plugin = Plugin(tmp_path)
    plugin.answer(token=SECRET)
    (tmp_path / "token").write_text(SECRET + "\n")
    users = {
        "token": {"token": SECRET},
        "token-file": {"tokenFile": "token"},
        "basic": {"username": "ann", "password": SECRET},
        "exec": {"exec": plugin.exec_entry()},
    }
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "plain": {"server": recorder.url},
            "bare": {"server": recorder.url.removeprefix("http://")},
        },
        users,
        {
            **{name: {"cluster": "plain", "user": name} for name in users},
            "bare": {"cluster": "bare"},
        },
    )
    try:
        for context in [*users, "bare"]:
            async with client_for(kubeconfig, context) as client:
                connection: Any = client.connection
                assert connection.server == recorder.url, context
                assert connection.auth == "none", context
                expected = "" if context == "bare" else "http: credentials not sent"
                assert connection.notice == expected, context
                assert await connection.auth_headers() == {}
                await client.get("/api/v1/namespaces")
                assert (await client.whoami())["username"] == "system:anonymous"
    finally:
        await recorder.stop()
    assert len(recorder.headers) == 2 * (len(users) + 1)
    for headers in recorder.headers:
        assert "Authorization" not in headers, headers
        assert SECRET not in json.dumps(headers)
    assert plugin.calls == []  # an exec plugin is not even run for an http server


async def test_a_plain_http_sandbox_stays_usable_when_its_tokens_change(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(tls=False, pods=0, kubesphere=False)
    assert running.url().startswith("http://")
    async with client_for(running.kubeconfig, "tenant") as tenant:
        # alice's token would name alice: the insecure server sees an anonymous request
        assert (await tenant.whoami())["username"] == "system:admin"
    async with client_for(running.kubeconfig, "host") as host:
        running.call(running.cluster().authn.revoke, running.token())
        assert (await host.get("/api/v1/namespaces"))["items"]


# ------------------------------------------------------------------ item 12: no scheme


async def test_a_server_without_a_scheme_is_a_kubeconfig_error_naming_the_fix(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    hostport = sandbox.url().removeprefix("https://")
    kubeconfig = single(
        tmp_path / "kubeconfig", tls_cluster(sandbox, server=hostport), {"token": SECRET}
    )
    config = load_kubeconfig(str(kubeconfig))
    error = failure(lambda: KubeConnection(config))
    text = str(error)
    assert error.title == (f'server of cluster "c" (context "only", {kubeconfig}) has no scheme'), (
        text
    )
    assert error.hint == f"write server: https://{hostport} in {kubeconfig}"
    assert "TLS" not in text
    assert "insecure" not in text
    assert SECRET not in text

    fixed = single(
        tmp_path / "fixed",
        tls_cluster(sandbox, server="HTTPS://" + hostport),
        {"token": sandbox.token()},
    )
    async with client_for(fixed) as client:
        assert client.connection.server == sandbox.url()
        assert (await client.whoami())["username"] == "admin"


# ------------------------------------------------------------------ item 20: the CA, by name


async def test_an_unknown_authority_names_the_ca_never_insecure(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    (tmp_path / "other-ca.pem").write_bytes(__import__("trustme").CA().cert_pem.bytes())
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "file": {"server": sandbox.url(), "certificate-authority": "other-ca.pem"},
            "system": {"server": sandbox.url()},
        },
        {"admin": {"token": sandbox.token()}},
        {name: {"cluster": name, "user": "admin"} for name in ("file", "system")},
    )
    expected = {
        "file": f'{tmp_path / "other-ca.pem"} (certificate-authority of cluster "file"',
        "system": f'the system\'s trusted CAs (cluster "system" in {kubeconfig}',
    }
    for context, origin in expected.items():
        async with client_for(kubeconfig, context) as client:
            with pytest.raises(Unreachable) as caught:
                await client.get("/api/v1/namespaces")
        text = str(caught.value)
        assert caught.value.title.startswith("certificate signed by unknown authority"), text
        assert origin in caught.value.detail, text
        assert "insecure" not in text.lower(), text


# ------------------------------------------------------------------ item 13: the proxy


async def test_an_unreachable_or_refusing_proxy_is_named_not_the_server(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    proxy = ConnectProxy()  # refuses tunnels to anything but loopback
    await proxy.start()
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "dead": tls_cluster(sandbox, **{"proxy-url": dead}),
            "far": tls_cluster(
                sandbox, server="https://192.0.2.10:6443", **{"proxy-url": proxy.url}
            ),
        },
        {"admin": {"token": sandbox.token()}},
        {name: {"cluster": name, "user": "admin"} for name in ("dead", "far")},
    )
    try:
        async with client_for(kubeconfig, "dead") as client:
            with pytest.raises(Unreachable) as unreachable:
                await client.get("/api/v1/namespaces")
        async with client_for(kubeconfig, "far") as client:
            with pytest.raises(Unreachable) as refused:
                await client.get("/api/v1/namespaces")
    finally:
        await proxy.stop()
    assert unreachable.value.title == f"cannot reach proxy {dead} (context dead)"
    assert "proxy-url" in unreachable.value.hint
    assert refused.value.title == (
        f"proxy {proxy.url} refused the tunnel to https://192.0.2.10:6443 (context far)"
    )
    assert "403" in refused.value.detail


# ------------------------------------------------------------------ item 17: control characters


async def test_a_token_with_control_characters_is_named_with_its_file_never_shown(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    good = sandbox.token()
    broken = good[:10] + "\r" + good[10:]
    (tmp_path / "token").write_text(broken + "\n")
    plugin = Plugin(tmp_path)
    plugin.answer(token=good[:5] + "\x1b" + good[5:])
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {"c": tls_cluster(sandbox)},
        {
            "inline": {"token": broken},
            "file": {"tokenFile": "token"},
            "exec": {"exec": plugin.exec_entry()},
        },
        {name: {"cluster": "c", "user": name} for name in ("inline", "file", "exec")},
    )
    config = load_kubeconfig(str(kubeconfig))
    expected = {
        "inline": ("a carriage return (\\r), at character 11", str(kubeconfig)),
        "file": ("a carriage return (\\r), at character 11", str(tmp_path / "token")),
        "exec": ("U+001B, at character 6", "exec plugin"),
    }
    for context, (what, where) in expected.items():
        error = failure(lambda context=context: KubeConnection(config, context))  # type: ignore
        text = str(error)
        assert what in text, text
        assert where in text, text
        assert "control character" in text, text
        assert good[:10] not in text, text
        assert good[-10:] not in text, text

    # Rotated into the file later: the re-read says so too, and keeps no token in its words.
    (tmp_path / "token").write_text(good + "\n")
    async with client_for(kubeconfig, "file") as client:
        assert (await client.whoami())["username"] == "admin"
        (tmp_path / "token").write_text(broken)
        running_token = client.connection
        with pytest.raises(KubeconfigError) as caught:
            await running_token.refresh()
    assert str(tmp_path / "token") in str(caught.value)
    assert good[:10] not in str(caught.value)


# ------------------------------------------------------------------ item 9: output never echoed


def test_malformed_plugin_output_is_described_by_its_shape_never_echoed(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    plugin = Plugin(tmp_path)
    v1 = "client.authentication.k8s.io/v1"
    outputs = {
        SECRET: "not JSON (29 bytes",
        json.dumps([SECRET]): "a JSON list",
        json.dumps({"kind": "Token", "token": SECRET}): "got keys: kind,token",
        json.dumps(
            {"apiVersion": SECRET, "kind": "ExecCredential"}
        ): "apiVersion a string that is no API version",
        json.dumps(
            {
                "apiVersion": v1,
                "kind": "ExecCredential",
                "status": {"tokn": SECRET, "expirationTimestamp": "soon"},
            }
        ): "(got keys: apiVersion,kind,status{expirationTimestamp,tokn})",
        json.dumps(
            {"apiVersion": v1, "kind": "ExecCredential", "status": {"token": {"value": SECRET}}}
        ): "status.token is a JSON object, not a string",
        json.dumps(
            {
                "apiVersion": v1,
                "kind": "ExecCredential",
                "status": {"token": "fine", "expirationTimestamp": SECRET},
            }
        ): "expirationTimestamp is not an RFC 3339 time",
        json.dumps(
            {"apiVersion": v1, "kind": "ExecCredential", "status": {SECRET: 1}}
        ): "status{?}",
    }
    kubeconfig = single(
        tmp_path / "kubeconfig", tls_cluster(sandbox), {"exec": plugin.exec_entry()}
    )
    config = load_kubeconfig(str(kubeconfig))
    for output, words in outputs.items():
        plugin.answer(output=output)
        error = failure(lambda: KubeConnection(config))
        text = str(error)
        assert words in text, (words, text)
        assert SECRET[:12] not in text, text
        assert "printed no usable ExecCredential" in error.title


# ------------------------------------------------------------------ item 18: a hanging plugin


HANGING = """#!{python}
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open({pids!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
while not os.path.exists({release!r}):  # an interactive login, waiting for a terminal
    time.sleep(0.05)
child.kill()
print('{{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", '
      '"status": {{"token": "%s"}}}}' % open({release!r}).read().strip())
"""


def hanging_plugin(tmp_path: Path) -> tuple[Path, Path, Path]:
    command, pids, release = (
        tmp_path / "bin" / "login-plugin",
        tmp_path / "pids",
        tmp_path / "release",
    )
    command.parent.mkdir(exist_ok=True)
    command.write_text(HANGING.format(python=sys.executable, pids=str(pids), release=str(release)))
    command.chmod(0o755)
    return command, pids, release


def gone(pid: int) -> bool:
    """Ended: no such process, or a zombie nobody reaped yet (its parent was killed)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


async def test_a_hanging_plugin_is_stopped_in_time_named_with_its_user_and_fix(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    command, pids, _ = hanging_plugin(tmp_path)
    kubeconfig = single(
        tmp_path / "kubeconfig",
        tls_cluster(sandbox),
        {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": str(command),
                "interactiveMode": "IfAvailable",
            }
        },
    )
    config = load_kubeconfig(str(kubeconfig))
    assert config.exec_waiting() == f'waiting for exec plugin {command} (user "u")…'
    started = time.monotonic()
    loop_ticks = 0

    async def tick() -> None:  # the event loop keeps running while the plugin hangs
        nonlocal loop_ticks
        while True:
            await asyncio.sleep(0.05)
            loop_ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        with pytest.raises(KubeconfigError) as caught:
            async with client_for(kubeconfig, exec_timeout=2.0):
                pass
    finally:
        ticker.cancel()
        survivors = [int(p) for p in pids.read_text().split()] if pids.exists() else []
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 20, elapsed
    assert loop_ticks >= 10
    error = caught.value
    assert error.title == (
        f'exec plugin of user "u" (context "only", {kubeconfig}): `{command}` did not answer in 2 s'
    )
    assert error.hint == f"run `{command}` once in a shell to log in, then reopen the context"
    deadline = time.monotonic() + 10
    while not all(map(gone, survivors)) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    stopped = all(map(gone, survivors))
    for pid in survivors:  # only this test's own processes, by id
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)
    assert len(survivors) == 2
    assert stopped, "the plugin's process group was not stopped"
