"""Shared fixtures: a real sandbox (real HTTP, real TLS, a real kubeconfig) for every level."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
import pytest_textual_snapshot
from keyring.backend import KeyringBackend

from kstui.sandbox import prometheus as sandbox_prometheus
from kstui.sandbox.runtime import Sandbox, SandboxOptions, SandboxThread

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


class TopLevelSVG(pytest_textual_snapshot.SVGImageExtension):
    """Snapshots live in the top-level `snapshots/`, one folder per test module."""

    @classmethod
    def dirname(cls, *, test_location) -> str:  # type: ignore[no-untyped-def]
        rel = Path(test_location.filepath).parent.relative_to(TESTS)
        return str(ROOT / "snapshots" / rel / test_location.basename)


COLLECTED = pytest.StashKey[list[str]]()
"""Every test id this process collected, before -k/-m deselection (each xdist worker collects
the whole run): test_snapshot_files.py reads it."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    session.stash[COLLECTED] = [item.nodeid for item in items]


@pytest.fixture(autouse=True)
def _snapshots_at_top_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", TopLevelSVG)


class RunningSandbox:
    """A sandbox in a background thread, its kubeconfig on disk, and helpers to reach it."""

    def __init__(self, thread: SandboxThread, kubeconfig: Path) -> None:
        self.thread = thread
        self.sandbox: Sandbox = thread.sandbox
        self.kubeconfig = kubeconfig

    def url(self, cluster: str = "host") -> str:
        return self.sandbox.url(cluster)

    def token(self, cluster: str = "host", user: str = "admin") -> str:
        return self.sandbox.token(cluster, user)

    def ca_file(self) -> str:
        path = self.kubeconfig.parent / "ca.pem"
        if not path.exists():
            # Whole or not at all: a test's threads may ask at once, and one must never read
            # a file the other has only begun to write.
            partial = path.with_name(f"ca.pem.{threading.get_ident()}")
            partial.write_bytes(self.sandbox.ca_pem)
            partial.replace(path)
        return str(path)

    def call(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        return self.thread.call(fn, *args, **kwargs)

    def cluster(self, name: str = "host"):  # type: ignore[no-untyped-def]
        return self.sandbox.cluster(name)

    def stored(self, key: tuple[str, str], namespace: str, name: str) -> dict | None:
        """What the sandbox holds right now, read on its own loop."""
        return self.call(self.cluster().store.get, key, namespace, name)  # type: ignore[return-value]

    def stop(self) -> None:
        """Stop serving (the port is free, connections drop); `restart()` serves again."""
        self.thread.stop()

    def restart(self) -> None:
        """A new server on the same port(s) with the same CA and tokens (the state directory)
        but a fresh store: its resourceVersion is back where seeding left it."""
        sandbox = self.sandbox
        ports = [int(sandbox.url(name).rsplit(":", 1)[1]) for name in sandbox.handles]
        assert ports == list(range(ports[0], ports[0] + len(ports))), "restart needs N ports"
        if self.thread._thread.is_alive():
            self.thread.stop()
        options = dataclasses.replace(sandbox.options, port=ports[0])
        self.thread = SandboxThread(options)
        self.sandbox = self.thread.start()
        self.sandbox.write_kubeconfig(self.kubeconfig)


def _ports_a_restart_finds_free(count: int) -> int:
    """The first of `count` free consecutive ports below the kernel's ephemeral range (0 if
    none is found). A sandbox restarted on its ports (RunningSandbox.restart) must find them
    free, and a port the kernel handed out may meanwhile be any outgoing connection's local
    port, or another server's that asked for port 0 (CI: "address already in use")."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(100):
        first = random.SystemRandom().randrange(10_000, max(10_001, low - count))
        if all(_free(port) for port in range(first, first + count)):
            return first
    return 0


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start(tmp: Path, options: SandboxOptions) -> RunningSandbox:
    if options.state_dir is None:
        options.state_dir = str(tmp / "state")
    thread = SandboxThread(options)
    sandbox = thread.start()
    kubeconfig = sandbox.write_kubeconfig(tmp / "kubeconfig")
    return RunningSandbox(thread, kubeconfig)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One shared https sandbox (host + member, 120 pods each). Tests use their own namespaces."""
    running = _start(
        tmp_path_factory.mktemp("sandbox"), SandboxOptions(pods=120, bookmark_interval=5.0)
    )
    yield running
    running.thread.stop()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[Callable[..., RunningSandbox]]:
    """A sandbox of one's own, for tests that inject faults or need a frozen clock."""
    started: list[RunningSandbox] = []

    def make(**overrides: object) -> RunningSandbox:
        options = SandboxOptions(clusters=1, pods=20)
        for key, value in overrides.items():
            setattr(options, key, value)
        if not options.port:  # the clusters' ports, then the chart repository's
            options.port = _ports_a_restart_finds_free(options.clusters + 1)
        running = _start(tmp_path / f"sandbox{len(started)}", options)
        started.append(running)
        return running

    yield make
    for running in started:
        running.thread.stop()


@pytest.fixture(scope="session")
def kubectl_env(
    sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed: .ci/run installs it")
    cache = tmp_path_factory.mktemp("kubecache")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        {"KUBECONFIG": str(sandbox.kubeconfig), "KUBECACHEDIR": str(cache), "HOME": str(cache)}
    )
    return env


def _need_prometheus() -> None:
    if sandbox_prometheus.binaries() is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("prometheus/promtool are not installed: .ci/run installs them (CI=true)")
    pytest.skip("needs the `prometheus` package (apt-get install prometheus) for a real Prometheus")


@pytest.fixture(scope="session")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One cluster with 30 pods and its own Prometheus (24 h of history, live scrapes), shared by
    every test that needs history: the backend, UI and snapshot tests alike."""
    _need_prometheus()
    running = _start(
        tmp_path_factory.mktemp("prom"), SandboxOptions(clusters=1, pods=30, prometheus=True)
    )
    started = time.perf_counter()
    error = running.thread.wait_prometheus(180)
    assert error == "", error
    print(f"prometheus ready {time.perf_counter() - started:.1f}s after the sandbox")  # noqa: T201
    yield running
    running.thread.stop()


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only: nothing on disk."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)
