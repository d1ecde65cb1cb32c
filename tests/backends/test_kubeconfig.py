"""Kubeconfig loading and credentials as kubectl does them, proven against the sandbox with real
kubeconfig files, the real KubeClient, a real CONNECT proxy and a real exec plugin."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from kstui.backends.credentials import KubeConnection, connect
from kstui.backends.errors import KubeconfigError, Unauthorized, Unreachable
from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.sandbox.clock import rfc3339
from tests.conftest import ROOT, RunningSandbox
from tests.fresh_python import fresh_python

Fresh = Callable[..., RunningSandbox]
MASTERS = ("system:masters",)
PLUGIN_SOURCE = Path(__file__).with_name("exec_plugin.py")


def write_kubeconfig(
    path: Path,
    clusters: dict[str, dict[str, Any]] | None = None,
    users: dict[str, dict[str, Any]] | None = None,
    contexts: dict[str, dict[str, Any]] | None = None,
    current: str | None = None,
) -> Path:
    document: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    for section, inner, entries in (
        ("clusters", "cluster", clusters),
        ("users", "user", users),
        ("contexts", "context", contexts),
    ):
        if entries is not None:
            document[section] = [{"name": n, inner: body} for n, body in entries.items()]
    if current is not None:
        document["current-context"] = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def tls_cluster(running: RunningSandbox, **extra: Any) -> dict[str, Any]:
    return {
        "server": running.url(),
        "certificate-authority-data": b64(running.sandbox.ca_pem),
        **extra,
    }


def single(path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    """A kubeconfig with one context `only` joining `cluster` and `user`."""
    return write_kubeconfig(
        path, {"c": cluster}, {"u": user}, {"only": {"cluster": "c", "user": "u"}}, "only"
    )


@asynccontextmanager
async def client_for(
    kubeconfig: Path, context: str | None = None, **options: Any
) -> AsyncIterator[KubeClient]:
    connection = await connect(load_kubeconfig(str(kubeconfig)), context, **options)
    client = KubeClient(connection, timeout=10)
    try:
        yield client
    finally:
        await client.aclose()


def client_certificate(
    running: RunningSandbox, user: str, groups: tuple[str, ...] = ()
) -> tuple[str, str]:
    return running.call(running.sandbox.client_certificate, user, groups)  # type: ignore


def issue(running: RunningSandbox, user: str, ttl: float | None = None) -> str:
    return running.call(running.sandbox.issue_token, "host", user, MASTERS, ttl)  # type: ignore


def advance(running: RunningSandbox, seconds: float) -> None:
    running.call(running.cluster().clock.advance, seconds)


def text_of(path: object) -> str:
    return Path(str(path)).read_text()


def failure(action: Callable[[], object]) -> KubeconfigError:
    with pytest.raises(KubeconfigError) as caught:
        action()
    error = caught.value
    assert error.title, str(error)
    assert error.detail, str(error)
    assert error.hint, str(error)
    return error


# ------------------------------------------------------------------ loading


def test_sandbox_kubeconfig_loads_in_under_5_ms_without_the_kubernetes_package(
    sandbox: RunningSandbox,
) -> None:
    config = load_kubeconfig(str(sandbox.kubeconfig))
    assert config.files == (sandbox.kubeconfig,)
    assert list(config.contexts) == ["host", "member", "tenant"]
    assert config.current_context == "host"
    host, tenant = config.context(None), config.context("tenant")
    assert (host.name, host.cluster, host.user, host.namespace, host.server, host.source) == (
        "host",
        "kstui-host",
        "host-admin",
        "default",
        sandbox.url("host"),
        sandbox.kubeconfig,
    )
    assert (tenant.namespace, tenant.server) == ("shop-prod", sandbox.url("host"))
    assert config.context("member").server == sandbox.url("member")
    assert config.raw["current-context"] == "host"
    assert len(config.raw["users"]) == 3

    timings = []
    for _ in range(30):
        started = time.perf_counter()
        load_kubeconfig(str(sandbox.kubeconfig))
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.005, timings

    probe = (
        "import sys; from kstui.backends.kubeconfig import load_kubeconfig; "
        f"load_kubeconfig({str(sandbox.kubeconfig)!r}).context('tenant'); "
        "print('kubernetes' in sys.modules)"
    )
    printed = fresh_python(probe, timeout=60, cwd=ROOT)
    assert printed.strip() == "False"


@pytest.mark.kubectl
def test_kubeconfig_list_merges_as_kubectl_merges(tmp_path: Path) -> None:
    first = write_kubeconfig(
        tmp_path / "a" / "config",
        {"shared": {"server": "https://first.example:6443", "certificate-authority": "ca.pem"}},
        {"alice": {"token": "from-first"}},
        {
            "one": {"cluster": "shared", "user": "alice"},
            "two": {"cluster": "shared", "user": "alice", "namespace": "team-a"},
        },
    )
    second = write_kubeconfig(
        tmp_path / "b" / "config",
        {
            "shared": {"server": "https://second.example:6443"},
            "extra": {"server": "https://extra.example:6443"},
        },
        {"alice": {"token": "from-second"}, "bob": {"tokenFile": "bob.token"}},
        {
            "two": {"cluster": "extra", "user": "bob"},
            "three": {"cluster": "extra", "user": "bob", "namespace": "team-b"},
        },
        current="three",
    )
    third = write_kubeconfig(tmp_path / "c" / "config", current="one")
    listed = os.pathsep.join(
        [str(first), str(tmp_path / "missing"), str(second), str(third), str(first)]
    )
    env = {"KUBECONFIG": listed, "HOME": str(tmp_path)}

    config = load_kubeconfig(None, env)
    assert config.files == (first, second, third)
    assert config.current_context == "three"  # the first file that sets it
    assert config.clusters["shared"].body["server"] == "https://first.example:6443"
    assert config.users["alice"].body == {"token": "from-first"}
    assert config.context("two").namespace == "team-a"
    assert config.context("three").source == second
    assert config.clusters["shared"].source == first
    assert config.users["bob"].source == second

    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed: .ci/run installs it")
    viewed = json.loads(
        subprocess.run(
            ["kubectl", "config", "view", "--raw", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
            timeout=30,
        ).stdout
    )
    assert viewed["current-context"] == config.current_context
    assert {c["name"]: c["cluster"]["server"] for c in viewed["clusters"]} == {
        name: entry.body["server"] for name, entry in config.clusters.items()
    }
    assert {u["name"]: u["user"] for u in viewed["users"]} == {
        name: entry.body for name, entry in config.users.items()
    }
    assert {
        c["name"]: (
            c["context"]["cluster"],
            c["context"]["user"],
            c["context"].get("namespace", "default"),
        )
        for c in viewed["contexts"]
    } == {name: (c.cluster, c.user, c.namespace) for name, c in config.contexts.items()}


async def test_relative_paths_resolve_against_the_file_that_sets_them(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    """The cluster (CA file) comes from one directory, the user (token file) from another."""
    clusters = write_kubeconfig(
        tmp_path / "clusters" / "config",
        {"sandbox": {"server": sandbox.url(), "certificate-authority": "pki/ca.pem"}},
        contexts={"mixed": {"cluster": "sandbox", "user": "admin"}},
    )
    (tmp_path / "clusters" / "pki").mkdir()
    (tmp_path / "clusters" / "pki" / "ca.pem").write_bytes(sandbox.sandbox.ca_pem)
    users = write_kubeconfig(
        tmp_path / "users" / "config",
        users={"admin": {"tokenFile": "admin.token"}},
        current="mixed",
    )
    (tmp_path / "users" / "admin.token").write_text(sandbox.token())
    config = load_kubeconfig(None, {"KUBECONFIG": f"{clusters}{os.pathsep}{users}"})
    assert config.current_context == "mixed"
    client = KubeClient(await connect(config), timeout=10)
    try:
        assert (await client.whoami())["username"] == "admin"
    finally:
        await client.aclose()


def test_explicit_file_wins_then_kubeconfig_then_home(tmp_path: Path) -> None:
    def one(path: Path, name: str) -> Path:
        return write_kubeconfig(
            path,
            {"c": {"server": "https://x:6443"}},
            {"u": {}},
            {name: {"cluster": "c", "user": "u"}},
            name,
        )

    home = one(tmp_path / "home" / ".kube" / "config", "from-home")
    listed = one(tmp_path / "env.yaml", "from-env")
    explicit = one(tmp_path / "explicit.yaml", "explicit")
    env = {"HOME": str(tmp_path / "home"), "KUBECONFIG": str(listed)}
    assert load_kubeconfig(None, {"HOME": env["HOME"]}).files == (home,)
    assert load_kubeconfig(None, {**env, "KUBECONFIG": ""}).current_context == "from-home"
    assert load_kubeconfig(None, env).current_context == "from-env"
    assert list(load_kubeconfig(str(explicit), env).contexts) == ["explicit"]


def test_bad_files_and_contexts_name_the_file_the_context_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    error = failure(lambda: load_kubeconfig(str(missing), {}))
    assert str(missing) in error.title
    assert "--kubeconfig" in error.hint

    error = failure(lambda: load_kubeconfig(None, {"HOME": str(tmp_path)}))
    assert error.title == "no kubeconfig found"
    assert "kstui demo" in error.hint
    assert str(tmp_path / ".kube" / "config") in error.detail

    error = failure(lambda: load_kubeconfig(None, {"KUBECONFIG": f"{missing}{os.pathsep}/x/y"}))
    assert "KUBECONFIG" in error.title
    assert str(missing) in error.detail
    assert "kstui demo" in error.hint

    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: x\ncontexts: []\n")
    error = failure(lambda: load_kubeconfig(str(broken)))
    assert str(broken) in error.title
    assert "line 5" in error.title
    assert "line 5" in error.hint

    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    error = failure(lambda: load_kubeconfig(str(listed)))
    assert str(listed) in error.title
    assert "list" in error.detail

    empty = write_kubeconfig(tmp_path / "empty.yaml", {"c": {"server": "https://x"}})
    error = failure(lambda: load_kubeconfig(str(empty)))
    assert error.title == f"no contexts in {empty}"
    assert "set-context" in error.hint

    path = write_kubeconfig(
        tmp_path / "contexts.yaml",
        {"ok": {"server": "https://x:6443"}, "serverless": {"insecure-skip-tls-verify": True}},
        {"u": {"token": "t"}},
        {
            "production": {"cluster": "ok", "user": "u"},
            "staging": {"cluster": "ok", "user": "u"},
            "dev": {"cluster": "ok", "user": "u"},
            "lost-cluster": {"cluster": "gone", "user": "u"},
            "lost-user": {"cluster": "ok", "user": "ghost"},
            "no-server": {"cluster": "serverless", "user": "u"},
        },
    )
    config = load_kubeconfig(str(path))
    error = failure(lambda: config.context("prodution"))
    assert '"prodution"' in error.title
    assert error.detail.startswith("known contexts: production, ")
    assert str(path) in error.detail
    assert 'did you mean "production"' in error.hint
    error = failure(lambda: config.context(None))
    assert error.title == "no current context"
    assert "production" in error.hint

    for context, words in (
        ("lost-cluster", 'cluster "gone"'),
        ("lost-user", 'user "ghost"'),
        ("no-server", 'cluster "serverless" has no server'),
    ):
        error = failure(lambda context=context: config.context(context))  # type: ignore[misc]
        assert words in error.title
        assert f'"{context}"' in error.title
        assert str(path) in error.title + error.detail
    with pytest.raises(KubeconfigError, match="lost-user"):
        KubeConnection(config, "lost-user")


# ------------------------------------------------------------------ credentials


async def test_tokens_of_the_sandbox_kubeconfig(sandbox: RunningSandbox) -> None:
    async with client_for(sandbox.kubeconfig) as admin:
        assert admin.connection.auth == "token"  # type: ignore[attr-defined]
        assert isinstance(admin.connection.verify, ssl.SSLContext)
        assert await admin.whoami() == {
            "username": "admin",
            "groups": ["system:masters", "system:authenticated"],
        }
        names = {n["metadata"]["name"] for n in (await admin.get("/api/v1/namespaces"))["items"]}
        assert {"payments", "storefront", "shop-prod"} <= names
    async with client_for(sandbox.kubeconfig, "member") as member:
        assert member.connection.server == sandbox.url("member")
        assert (await member.whoami())["username"] == "admin"
    async with client_for(sandbox.kubeconfig, "tenant") as tenant:
        assert tenant.connection.namespace == "shop-prod"  # type: ignore[attr-defined]
        assert (await tenant.whoami())["username"] == "alice"
        assert (await tenant.get("/api/v1/namespaces/shop-prod/pods"))["items"]


async def test_token_file_is_read_relative_and_reread_after_a_401(
    tmp_path: Path, fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    token_file = tmp_path / "secrets" / "token"
    token_file.parent.mkdir()
    token_file.write_text(issue(running, "file-one", ttl=60) + "\n")
    kubeconfig = single(
        tmp_path / "kubeconfig", tls_cluster(running), {"tokenFile": "secrets/token"}
    )
    async with client_for(kubeconfig) as client:
        assert client.connection.auth == "token file"  # type: ignore[attr-defined]
        assert (await client.whoami())["username"] == "file-one"
        token_file.write_text(issue(running, "file-two") + "\n")  # rotated, as a kubelet does
        advance(running, 60)  # the first token expires server-side: 401, re-read, retry
        assert (await client.whoami())["username"] == "file-two"
        running.call(running.cluster().authn.revoke, token_file.read_text().strip())
        with pytest.raises(Unauthorized):  # the file did not change: nothing to retry with
            await client.get("/api/v1/namespaces")
        token_file.unlink()
        error = await asyncio.wait_for(_raises(client.get("/api/v1/namespaces")), 10)
        assert isinstance(error, KubeconfigError)
        assert str(token_file) in error.detail


async def _raises(awaitable: Any) -> BaseException:
    try:
        await awaitable
    except BaseException as exc:
        return exc
    raise AssertionError("expected an error")


async def test_client_certificate_files_and_data(tmp_path: Path, sandbox: RunningSandbox) -> None:
    crt, key = client_certificate(sandbox, "carol", ("ops", *MASTERS))
    pki = tmp_path / "pki"
    pki.mkdir()
    shutil.copy(crt, pki / "carol.crt")
    shutil.copy(key, pki / "carol.key")
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {"c": tls_cluster(sandbox)},
        {
            "files": {"client-certificate": "pki/carol.crt", "client-key": "pki/carol.key"},
            "data": {
                "client-certificate-data": b64((pki / "carol.crt").read_bytes()),
                "client-key-data": b64((pki / "carol.key").read_bytes()),
            },
        },
        {"files": {"cluster": "c", "user": "files"}, "data": {"cluster": "c", "user": "data"}},
    )
    for context in ("files", "data"):
        async with client_for(kubeconfig, context) as client:
            assert client.connection.auth == "client certificate"  # type: ignore[attr-defined]
            assert await client.connection.auth_headers() == {}
            assert await client.whoami() == {
                "username": "carol",
                "groups": ["ops", "system:masters", "system:authenticated"],
            }
            assert (await client.get("/api/v1/namespaces"))["items"]


async def test_certificate_authority_file_data_and_insecure_skip(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    (tmp_path / "ca.pem").write_bytes(sandbox.sandbox.ca_pem)
    url, token = sandbox.url(), sandbox.token()
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "file": {"server": url, "certificate-authority": "ca.pem"},
            "data": {
                "server": url + "/",
                "certificate-authority-data": b64(sandbox.sandbox.ca_pem),
            },
            "insecure": {"server": url, "insecure-skip-tls-verify": True},
        },
        {"admin": {"token": token}},
        {name: {"cluster": name, "user": "admin"} for name in ("file", "data", "insecure")},
    )
    for context in ("file", "data", "insecure"):
        async with client_for(kubeconfig, context) as client:
            assert client.connection.server == url
            assert (client.connection.verify is False) == (context == "insecure")
            assert (await client.whoami())["username"] == "admin"


async def test_proxy_url_tunnels_through_a_connect_proxy(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    proxy = ConnectProxy()
    await proxy.start()
    try:
        proxied = tls_cluster(sandbox, **{"proxy-url": proxy.url})
        kubeconfig = single(tmp_path / "kubeconfig", proxied, {"token": sandbox.token()})
        async with client_for(kubeconfig) as client:
            assert client.connection.proxy == proxy.url
            for _ in range(3):
                assert (await client.whoami())["username"] == "admin"
        host = sandbox.url().removeprefix("https://")
        assert proxy.tunnels == [host]  # one tunnel, kept alive for the three requests
    finally:
        await proxy.stop()


class ConnectProxy:
    """An HTTP CONNECT proxy to loopback addresses only, counting the tunnels it opens."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self.url = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            method, target, _ = head.split("\r\n", 1)[0].split(" ")
            host, port = target.rsplit(":", 1)
            if method != "CONNECT" or host not in ("127.0.0.1", "localhost"):
                writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
            self.tunnels.append(target)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            writer.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def test_unreachable_server_and_wrong_certificate_authority(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    stranger = trustme.CA(organization_name="not the sandbox").cert_pem.bytes()
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "closed": tls_cluster(sandbox, server=f"https://127.0.0.1:{closed}"),
            "stranger": {"server": sandbox.url(), "certificate-authority-data": b64(stranger)},
        },
        {"admin": {"token": sandbox.token()}},
        {
            "closed": {"cluster": "closed", "user": "admin"},
            "stranger": {"cluster": "stranger", "user": "admin"},
        },
    )
    async with client_for(kubeconfig, "closed") as client:
        with pytest.raises(Unreachable) as refused:
            await client.get("/api/v1/namespaces")
    assert refused.value.title == f"cannot reach https://127.0.0.1:{closed} (context closed)"
    async with client_for(kubeconfig, "stranger") as client:
        with pytest.raises(Unreachable) as untrusted:
            await client.get("/api/v1/namespaces")
    text = str(untrusted.value)
    assert untrusted.value.title == (
        f"certificate signed by unknown authority: {sandbox.url()} (context stranger)"
    ), text
    assert f'certificate-authority-data of cluster "stranger" in {kubeconfig}' in text, text
    assert untrusted.value.hint == "check the CA or the server address"
    assert "insecure" not in text.lower(), text


async def test_an_expired_static_token_is_unauthorized(
    tmp_path: Path, fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    kubeconfig = single(
        tmp_path / "kubeconfig", tls_cluster(running), {"token": issue(running, "brief", ttl=30)}
    )
    async with client_for(kubeconfig) as client:
        assert (await client.whoami())["username"] == "brief"
        advance(running, 30)
        assert await client.connection.refresh() is False
        with pytest.raises(Unauthorized) as refused:
            await client.get("/api/v1/namespaces")
    assert refused.value.status_code == 401
    assert refused.value.title == "GET /api/v1/namespaces on only: Unauthorized"


def test_basic_auth_and_broken_tls_material_name_context_and_file(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    url = sandbox.url()
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    crt, key = client_certificate(sandbox, "dave")
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "good": tls_cluster(sandbox),
            "bad-ca": {"server": url, "certificate-authority": "garbage.pem"},
            "no-ca": {"server": url, "certificate-authority": "missing/ca.pem"},
            "bad-b64": {"server": url, "certificate-authority-data": "%%% not base64"},
            "both": tls_cluster(sandbox, **{"insecure-skip-tls-verify": True}),
        },
        {
            "basic": {"username": "ann", "password": "s3cret"},
            "bad-cert": {"client-certificate": "garbage.pem", "client-key": key},
            "half-cert": {"client-certificate": crt},
        },
        {
            "basic": {"cluster": "good", "user": "basic"},
            "bad-ca": {"cluster": "bad-ca", "user": "basic"},
            "no-ca": {"cluster": "no-ca", "user": "basic"},
            "bad-b64": {"cluster": "bad-b64", "user": "basic"},
            "both": {"cluster": "both", "user": "basic"},
            "bad-cert": {"cluster": "good", "user": "bad-cert"},
            "half-cert": {"cluster": "good", "user": "half-cert"},
        },
    )
    config = load_kubeconfig(str(kubeconfig))
    basic = KubeConnection(config, "basic")
    assert basic.auth == "basic"
    assert asyncio.run(basic.auth_headers()) == {"Authorization": f"Basic {b64(b'ann:s3cret')}"}

    expected = {
        "bad-ca": ("certificate authority", str(tmp_path / "garbage.pem")),
        "no-ca": ("certificate-authority", str(tmp_path / "missing" / "ca.pem")),
        "bad-b64": ("not valid base64", str(kubeconfig)),
        "both": ("insecure-skip-tls-verify", str(kubeconfig)),
        "bad-cert": ("client certificate", str(tmp_path / "garbage.pem")),
        "half-cert": ("no client-key", str(kubeconfig)),
    }
    for context, (words, file) in expected.items():
        error = failure(lambda context=context: KubeConnection(config, context))  # type: ignore
        assert f'context "{context}"' in error.title, str(error)
        assert words in error.title, str(error)
        assert file in error.detail, str(error)


# ------------------------------------------------------------------ exec plugins


class Plugin:
    """The exec plugin installed in tmp_path/bin and the state file it answers from."""

    def __init__(self, tmp_path: Path) -> None:
        self.command = tmp_path / "bin" / "kstui-credentials"
        self.command.parent.mkdir(exist_ok=True)
        self.command.write_text(f"#!{sys.executable}\n" + PLUGIN_SOURCE.read_text())
        self.command.chmod(0o755)
        self.state = tmp_path / "plugin-state.json"
        self.calls_file = self.state.with_suffix(".calls")

    def answer(self, **state: Any) -> None:
        self.state.write_text(json.dumps(state))

    @property
    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    def exec_entry(
        self, api_version: str = "client.authentication.k8s.io/v1", **extra: Any
    ) -> dict[str, Any]:
        entry = {
            "apiVersion": api_version,
            "command": "./bin/kstui-credentials",
            "args": [str(self.state)],
            "interactiveMode": "IfAvailable",
        }
        return {**entry, **extra}


async def test_exec_plugin_runs_once_until_expiry_and_again_after_a_401(
    tmp_path: Path, fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    now = running.sandbox.clock.now
    plugin = Plugin(tmp_path)
    kubeconfig = single(
        tmp_path / "kubeconfig",
        tls_cluster(running),
        {"exec": plugin.exec_entry(provideClusterInfo=True)},
    )
    plugin.answer(
        token=issue(running, "exec-one", ttl=600),
        expirationTimestamp=rfc3339(now() + timedelta(seconds=600)),
    )
    async with client_for(kubeconfig, clock=now) as client:
        assert client.connection.auth == "exec"  # type: ignore[attr-defined]
        users = await asyncio.gather(*(client.whoami() for _ in range(10)))
        assert {u["username"] for u in users} == {"exec-one"}
        assert len(plugin.calls) == 1
        spec = plugin.calls[0]
        assert spec["apiVersion"] == "client.authentication.k8s.io/v1"
        assert spec["spec"]["interactive"] is False
        assert spec["spec"]["cluster"]["server"] == running.url()
        assert (
            base64.b64decode(spec["spec"]["cluster"]["certificate-authority-data"])
            == running.sandbox.ca_pem
        )

        # Expired by its expirationTimestamp: the next requests share one run of the plugin.
        # The plugin claims an hour, but the server lets the token live 60 s.
        plugin.answer(
            token=issue(running, "exec-two", ttl=600 + 60),
            expirationTimestamp=rfc3339(now() + timedelta(seconds=600 + 3600)),
        )
        advance(running, 600)
        users = await asyncio.gather(*(client.whoami() for _ in range(10)))
        assert {u["username"] for u in users} == {"exec-two"}
        assert len(plugin.calls) == 2

        # Refused server-side before its claimed expiry: 401, the plugin runs, the retry passes.
        plugin.answer(token=issue(running, "exec-three"))
        advance(running, 60)
        assert (await client.whoami())["username"] == "exec-three"
        assert len(plugin.calls) == 3
        for _ in range(5):  # no expiry now: cached for good
            await client.get("/api/v1/namespaces/default")
        assert len(plugin.calls) == 3

        # A 401 the plugin cannot fix (same token again) surfaces as Unauthorized.
        running.call(running.cluster().authn.revoke, json.loads(plugin.state.read_text())["token"])
        with pytest.raises(Unauthorized):
            await client.get("/api/v1/namespaces")
        assert len(plugin.calls) == 4


async def test_exec_plugin_with_a_past_expiry_runs_for_every_request(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    plugin = Plugin(tmp_path)
    plugin.answer(token=sandbox.token(), expirationTimestamp="2020-01-01T00:00:00Z")
    kubeconfig = single(
        tmp_path / "kubeconfig",
        tls_cluster(sandbox),
        {"exec": plugin.exec_entry("client.authentication.k8s.io/v1beta1")},
    )
    async with client_for(kubeconfig) as client:
        for _ in range(3):
            assert (await client.whoami())["username"] == "admin"
    assert len(plugin.calls) == 4  # connect, then once per request
    assert plugin.calls[0]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert "cluster" not in plugin.calls[0]["spec"]


async def test_exec_plugin_client_certificate(tmp_path: Path, sandbox: RunningSandbox) -> None:
    crt, key = client_certificate(sandbox, "erin", ("dev", "ops"))
    plugin = Plugin(tmp_path)
    plugin.answer(
        clientCertificateData=text_of(crt),
        clientKeyData=text_of(key),
        expirationTimestamp=rfc3339(datetime.now().astimezone() + timedelta(hours=1)),
    )
    kubeconfig = single(
        tmp_path / "kubeconfig", tls_cluster(sandbox), {"exec": plugin.exec_entry()}
    )
    async with client_for(kubeconfig) as client:
        assert await client.connection.auth_headers() == {}
        assert await client.whoami() == {
            "username": "erin",
            "groups": ["dev", "ops", "system:authenticated"],
        }
    assert len(plugin.calls) == 1


def test_exec_plugin_failures_name_command_exit_code_and_stderr(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    plugin = Plugin(tmp_path)
    cluster = tls_cluster(sandbox)
    command = str(plugin.command)
    cases: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
        (
            {"exit": 3, "stderr": "starting login\nerror: refresh token expired\n"},
            plugin.exec_entry(),
            [command, "exit code 3", "stderr: error: refresh token expired"],
        ),
        ({"output": "hello"}, plugin.exec_entry(), ["not JSON (5 bytes"]),
        (
            {
                "output": json.dumps(
                    {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "kind": "ExecCredential",
                        "status": {"token": "t"},
                    }
                )
            },
            plugin.exec_entry(),
            ["client.authentication.k8s.io/v1beta1"],
        ),
        ({}, plugin.exec_entry(), ["neither a token"]),
        ({"token": "t"}, plugin.exec_entry(interactiveMode=None), ["interactiveMode"]),
        ({"token": "t"}, plugin.exec_entry("client.authentication.k8s.io/v1alpha1"), ["v1alpha1"]),
        (
            {"token": "t"},
            plugin.exec_entry(
                command="kstui-no-such-plugin", installHint="brew install kstui-no-such-plugin"
            ),
            ["kstui-no-such-plugin", "brew install kstui-no-such-plugin"],
        ),
    ]
    for state, entry, words in cases:
        plugin.answer(**state)
        entry = {k: v for k, v in entry.items() if v is not None}
        kubeconfig = single(tmp_path / "kubeconfig", cluster, {"exec": entry})
        config = load_kubeconfig(str(kubeconfig))
        error = failure(lambda config=config: KubeConnection(config))  # type: ignore[misc]
        text = str(error)
        assert 'context "only"' in error.title, text
        assert str(kubeconfig) in error.title, text
        for word in words:
            assert word in text, (word, text)
