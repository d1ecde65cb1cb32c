"""A real Prometheus per sandbox cluster (when `prometheus` and `promtool` are on PATH).

Each cluster gets a Service (`kubesphere-monitoring-system/prometheus-k8s`, port `web` 9090, as
KubeSphere 3.4 and 4.x install it; `monitoring/prometheus-k8s` on a vanilla cluster, as
kube-prometheus does) whose service proxy forwards to its own Prometheus process. At start the
exporter's 24 h of history is backfilled with `promtool tsdb create-blocks-from openmetrics`,
then Prometheus scrapes the live exporter (`/metrics/{cluster}` on a local port) every second.
The processes die with the sandbox: stopped by PID, and told by the kernel if it dies first.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.exporter import (
    MONITORING_NAMESPACE,
    Gathered,
    PodRefs,
    SeriesCache,
    Snapshot,
    built,
    gather,
    pod_families,
    snapshot,
)
from kstui.sandbox.exporter_istio import istio_families
from kstui.sandbox.exporter_nodes import node_families
from kstui.sandbox.exposition import Counters, Family, Memo, write_exposition, write_openmetrics

log = logging.getLogger("kstui.sandbox")

SERVICE, PORT_NAME, PORT = "prometheus-k8s", "web", 9090
VANILLA_NAMESPACE = "monitoring"
HISTORY_S, DENSE_S = 86_400, 3_600
STEP_OLD_S, STEP_RECENT_S = 120, 60
"""History samples: every 2 min for the older 23 h, every minute in the last hour (KubeSphere's
irate over 5 m needs two samples in each 5 m)."""
SCRAPE_INTERVAL = "1s"
SCRAPE_PODS = 1_000
"""Pods per second of scrape interval: 1 s up to 1,000 pods, 10 s at 10,000. A scrape is
written in ~0.1 ms of CPU per pod (and Prometheus reads ~16 series per pod): at 1 s, a big
cluster's scrapes would take a core of their own."""
AUTO_MAX_PODS = 1_000
"""`kstui sandbox`/`demo` start Prometheus by themselves up to this many pods per cluster (its
24 h backfill takes minutes beyond; `--prometheus` forces it)."""
MISSING = (
    "history needs the `prometheus` package (apt-get install prometheus): without it "
    "there is no Prometheus behind the clusters' service proxy; everything else works"
)


def scrape_interval(pods: int) -> str:
    return f"{max(1, -(-pods // SCRAPE_PODS))}s" if pods > SCRAPE_PODS else SCRAPE_INTERVAL


def binaries() -> tuple[str, str] | None:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    return (prometheus, promtool) if prometheus and promtool else None


def service_namespace(cluster: SandboxCluster) -> str:
    return MONITORING_NAMESPACE if cluster.kubesphere else VANILLA_NAMESPACE


def all_families(
    snap: Snapshot,
    memo: Memo,
    *,
    live: bool,
    span: tuple[float, float] | None = None,
    cache: SeriesCache | None = None,
) -> list[Family]:
    return [
        *pod_families(snap, memo, live=live, span=span, cache=cache),
        *node_families(snap, memo, live=live),
        *istio_families(snap.flows, memo),
    ]


def history_times(end: float) -> list[float]:
    """Sample times of the history, oldest first, ending at `end` (a whole minute). Every
    4 minutes falls on a sample, where the steady families are sampled too."""
    first = int(-(-(end - HISTORY_S) // 240) * 240)
    dense_from = int((end - DENSE_S) // 240 * 240)
    old = range(first, dense_from, STEP_OLD_S)
    recent = range(dense_from, int(end) + 1, STEP_RECENT_S)
    return [float(t) for t in (*old, *recent)]


def write_history(path: Path, snap: Snapshot, counters: Counters, end: float) -> int:
    """24 h of OpenMetrics for one cluster; the counters end where the live exporter goes on."""
    memo, times = Memo(), history_times(end)
    with path.open("w", buffering=1 << 20) as out:
        return write_openmetrics(
            out,
            all_families(snap, memo, live=False, span=(times[0], times[-1])),
            counters,
            times,
        )


def generate_apart(directory: Path, snap: Snapshot, end: float) -> tuple[int, Counters]:
    """write_history in a child process (`python -m kstui.sandbox.prometheus DIR`): off the
    sandbox's loop and its GIL, the clusters' histories in parallel. Returns the samples
    written and where the counters ended."""
    (directory / "history.job").write_bytes(pickle.dumps((snap, end)))
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    subprocess.run(
        [sys.executable, "-m", "kstui.sandbox.prometheus", str(directory)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root},
        preexec_fn=_die_with_parent,
    )
    samples, counters = pickle.loads((directory / "history.done").read_bytes())
    for name in ("history.job", "history.done"):
        (directory / name).unlink()
    return int(samples), counters


def _generate_here(directory: Path) -> None:
    snap, end = pickle.loads((directory / "history.job").read_bytes())
    counters = Counters()
    samples = write_history(directory / "history.om", snap, counters, end)
    (directory / "history.done").write_bytes(pickle.dumps((samples, counters)))


class LiveExporter:
    """`/metrics` of one cluster, as a scrape of kubelet, kube-state-metrics and node-exporter
    would read them together (one target; the series carry their own `job`).

    A scrape reads the store where it lives (`gather`: a few lists of entries, on the
    sandbox's loop) and writes the text elsewhere (`write`: in the fleet's exporter thread,
    so the API keeps answering while a big cluster's scrape is written). Pods whose entry did
    not change keep their decoded form and their series' labels from the scrape before."""

    def __init__(self, cluster: SandboxCluster) -> None:
        self.cluster = cluster
        self.counters = Counters()
        self._memo = Memo()
        self._window = -1.0
        self._refs: PodRefs = {}
        self._series: SeriesCache = {}
        self._writing = threading.Lock()

    def render(self, now: float | None = None) -> str:
        return self.write(*self.gather(now))

    def gather(self, now: float | None = None) -> tuple[float, Gathered]:
        t = self.cluster.clock.now().timestamp() if now is None else now
        return t, gather(self.cluster.store)

    def write(self, t: float, found: Gathered) -> str:
        with self._writing:  # one scrape at a time: the counters advance in order
            window = t // 15
            if window != self._window:  # the model's values hold for one 15 s window
                self._memo.clear()
                self._window = window
            out = io.StringIO()
            snap = built(found, self._refs)
            families = all_families(snap, self._memo, live=True, cache=self._series)
            write_exposition(out, families, self.counters, t)
            return out.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the Prometheus child before exec: SIGTERM when the sandbox goes, however it goes."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


@dataclass(slots=True)
class Instance:
    """One cluster's Prometheus."""

    cluster: SandboxCluster
    exporter: LiveExporter
    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class PrometheusFleet:
    """The Prometheus processes of a sandbox, the live exporter server they scrape, and the
    Services that lead to them."""

    def __init__(self, clusters: list[SandboxCluster], workdir: Path) -> None:
        self.workdir = workdir
        self.instances = {
            c.name: Instance(c, LiveExporter(c), workdir / f"prometheus-{c.name}") for c in clusters
        }
        self.ready = asyncio.Event()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="kstui-exporter")
        """Where scrapes are written: off the loop that answers the API."""
        self.error = ""
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self.metrics_url = ""
        self.on_ready: Callable[[str], None] | None = None
        """Told once, in a line, when every Prometheus serves (or why none does)."""

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Services and the exporter now; history and Prometheus in the background (`ready`)."""
        for instance in self.instances.values():
            ensure_service(instance.cluster)
        app = web.Application()
        app.router.add_get("/metrics/{cluster}", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.metrics_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._task = asyncio.ensure_future(self._bring_up())

    async def _metrics(self, request: web.Request) -> web.Response:
        instance = self.instances.get(request.match_info["cluster"])
        if instance is None:
            raise web.HTTPNotFound()
        exporter = instance.exporter
        found = exporter.gather()
        text = await asyncio.get_running_loop().run_in_executor(
            self._writer, exporter.write, *found
        )
        return web.Response(text=text, content_type="text/plain", charset="utf-8")

    async def _bring_up(self) -> None:
        found, started = binaries(), time.perf_counter()
        said = ""
        try:
            if found is None:
                raise RuntimeError(MISSING)
            await asyncio.gather(*(self._one(i, *found) for i in self.instances.values()))
            slowest = max(self.instances.values(), key=lambda i: sum(i.timings.values()))
            said = (
                "24 h of history behind each cluster's service proxy "
                f"(ready in {time.perf_counter() - started:.1f}s: {_spent(slowest.timings)})"
            )
        except Exception as error:  # said once, in the log and on `error`
            self.error = said = str(error)
            log.warning("prometheus: %s", error)
        finally:
            self.ready.set()
        if self.on_ready is not None:
            self.on_ready(said)

    async def _one(self, instance: Instance, prometheus: str, promtool: str) -> None:
        cluster = instance.cluster
        instance.directory.mkdir(parents=True, exist_ok=True)
        data = instance.directory / "data"
        started = time.perf_counter()
        end = cluster.clock.now().timestamp() // 60 * 60 - 60  # never into the future
        history = instance.directory / "history.om"
        samples, counters = await asyncio.to_thread(
            generate_apart, instance.directory, snapshot(cluster.store), end
        )
        generated = time.perf_counter()
        await asyncio.to_thread(
            subprocess.run,
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                # promtool reads the whole file once per block: one block, one read (3x faster)
                "--max-block-duration=48h",
                "--quiet",
                str(history),
                str(data),
            ],
            check=True,
            capture_output=True,
        )
        history.unlink()
        instance.exporter.counters = counters
        backfilled = time.perf_counter()
        config = instance.directory / "prometheus.yml"
        interval = scrape_interval(len(cluster.store.bucket(("", "pods"))))
        config.write_text(
            "global:\n"
            f"  scrape_interval: {interval}\n"
            f"  scrape_timeout: {interval}\n"
            "scrape_configs:\n"
            "- job_name: sandbox\n"
            "  honor_labels: true\n"
            f"  metrics_path: /metrics/{cluster.name}\n"
            "  static_configs:\n"
            f"  - targets: ['{self.metrics_url.removeprefix('http://')}']\n"
        )
        instance.port = _free_port()
        instance.process = _spawn(prometheus, config, data, instance)
        await _until_ready(instance)
        cluster.register_proxy(service_namespace(cluster), SERVICE, PORT, instance.url)
        instance.timings = {
            "samples": float(samples),
            "generate_s": generated - started,
            "backfill_s": backfilled - generated,
            "start_s": time.perf_counter() - backfilled,
        }
        log.info("prometheus for %s ready: %s", cluster.name, instance.timings)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        for instance in self.instances.values():
            stop_process(instance.process)
            with contextlib.suppress(KeyError):
                instance.cluster.unregister_proxy(
                    service_namespace(instance.cluster), SERVICE, PORT
                )
        if self._runner is not None:
            await self._runner.cleanup()
        self._writer.shutdown(wait=False, cancel_futures=True)


def _spent(timings: dict[str, float]) -> str:
    """Where a backfill's time went, for the line that says it is ready."""
    return (
        f"{timings.get('samples', 0):,.0f} samples written in {timings.get('generate_s', 0):.1f}s, "
        f"promtool {timings.get('backfill_s', 0):.1f}s, start {timings.get('start_s', 0):.1f}s"
    )


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM by PID, then SIGKILL after 5 s; always waited for (no zombie, no orphan)."""
    if process is None or process.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
            return


def _spawn(
    prometheus: str, config: Path, data: Path, instance: Instance
) -> subprocess.Popen[bytes]:
    with (instance.directory / "prometheus.log").open("wb") as output:
        return subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{instance.port}",
                "--storage.tsdb.retention.time=8d",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )


async def _until_ready(instance: Instance, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            process = instance.process
            if process is not None and process.poll() is not None:
                tail = (instance.directory / "prometheus.log").read_text(errors="replace")
                raise RuntimeError(f"prometheus exited ({process.returncode}): {tail[-500:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{instance.url}/-/ready") as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not ready in {timeout:.0f}s")
            await asyncio.sleep(0.05)


def ensure_service(cluster: SandboxCluster) -> None:
    """The monitoring namespace and the Prometheus Service, as an installer would leave them."""
    namespace = service_namespace(cluster)
    found: Callable[[tuple[str, str], str, str], Any] = cluster.store.get
    if found(("", "namespaces"), "", namespace) is None:
        labels = {"kubesphere.io/workspace": "system-workspace"} if cluster.kubesphere else {}
        cluster.create(
            cluster.kind_of({"apiVersion": "v1", "kind": "Namespace"}),
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": labels},
            },
        )
    if found(("", "services"), namespace, SERVICE) is None:
        cluster.create(
            cluster.kind_of({"apiVersion": "v1", "kind": "Service"}),
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": SERVICE,
                    "namespace": namespace,
                    "labels": {"app.kubernetes.io/name": "prometheus"},
                },
                "spec": {
                    "selector": {"operator.prometheus.io/name": "k8s"},
                    "ports": [{"name": PORT_NAME, "port": PORT, "targetPort": PORT_NAME}],
                },
            },
        )


if __name__ == "__main__":  # the history writer's child process (generate_apart)
    _generate_here(Path(sys.argv[1]))
