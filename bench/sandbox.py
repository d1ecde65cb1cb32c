#!/usr/bin/env python
"""Sandbox benchmark: how fast the fake kube-apiserver serves real clients at 10,000 pods.

    python bench/sandbox.py            # 10,000 pods in 100 namespaces (about a minute)
    python bench/sandbox.py --quick    # 1,000 pods, fewer patches: a fast check
    python bench/sandbox.py --pods 20000 --patches 4000

What it measures (a report, not a test: it always exits 0):
- seed time: `Sandbox.start()` in this process (clusters=1, tls=True);
- `python -m kstui sandbox --clusters 1 --pods N --kubeconfig F` from launch until F exists, and
  until the server first answers; every later figure talks to that separate process, so the
  client's work neither inflates the sandbox's RSS nor competes with its event loop;
- full list `/api/v1/pods` over httpx (median of 5, bytes) and its `json.loads` / `orjson.loads`;
- `kubectl get pods -A --no-headers` and `-o name` (median of 3, warm discovery cache);
- sequential merge-patches (pod status / labels) with one watcher attached: rate, p50, p95, and
  that the watcher saw every patch's resourceVersion exactly once, in order;
- 10 concurrent patchers + 5 watchers: patches/s, events/s delivered, none lost;
- the sandbox process's RSS after seeding and after the patch runs (/proc/<pid>/status).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import gc
import itertools
import json
import os
import platform
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MERGE = {"Content-Type": "application/merge-patch+json"}

# Targets on the 2-core reference machine, and the prototype's figures (../shared/SANDBOX.md).
TARGET_PATCH_RATE = 400.0
TARGET_KUBECTL_S = 2.5
TARGET_RSS_MIB = 150.0
TARGET_CLI_START_S = 5.0


# ------------------------------------------------------------------ reporting


@dataclass
class Row:
    what: str
    value: str
    target: str = ""
    verdict: str = ""
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(
        self, what: str, value: str, target: str = "", ok: bool | None = None, note: str = ""
    ) -> None:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        self.rows.append(Row(what, value, target, verdict, note))
        print(
            f"  {what}: {value}"
            + (f"  [{verdict} {target}]" if verdict else "")
            + (f"  ({note})" if note else ""),
            flush=True,
        )

    def table(self) -> str:
        head = ("what", "measured", "target", "", "notes")
        cells = [head] + [(r.what, r.value, r.target, r.verdict, r.note) for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        lines = []
        for index, row in enumerate(cells):
            lines.append("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(row)) + " |")
            if index == 0:
                lines.append("| " + " | ".join("-" * w for w in widths) + " |")
        return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def machine() -> dict[str, str]:
    mem_kib = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    kubectl = "not installed"
    if shutil.which("kubectl"):
        out = subprocess.run(
            ["kubectl", "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        with contextlib.suppress(ValueError, KeyError):
            kubectl = json.loads(out)["clientVersion"]["gitVersion"]
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "kubectl": kubectl,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MiB."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                found[key] = int(value.split()[0]) / 1024
    return found


# ------------------------------------------------------------------ the sandbox under test


def seed_in_process(pods: int) -> tuple[float, int]:
    """Wall time of Sandbox.start() (seed + TLS + listen) in this process, and pods stored."""
    from kstui.sandbox.runtime import Sandbox, SandboxOptions

    async def run() -> tuple[float, int]:
        sandbox = Sandbox(SandboxOptions(clusters=1, pods=pods, tls=True))
        started = time.perf_counter()
        await sandbox.start()
        elapsed = time.perf_counter() - started
        count = len(sandbox.cluster().store.bucket(("", "pods")))
        await sandbox.stop()
        return elapsed, count

    result = asyncio.run(run())
    gc.collect()
    return result


@dataclass
class Target:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    ca_pem: str
    kubeconfig: Path
    written_s: float
    answering_s: float

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            verify=self.ssl_context(),
            headers={"Authorization": f"Bearer {self.token}"},
            **kwargs,
        )

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url,
            verify=self.ssl_context(),
            headers={"Authorization": f"Bearer {self.token}"},
            **kwargs,
        )

    def rss(self) -> dict[str, float]:
        return proc_status(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_cli(pods: int, workdir: Path) -> Target:
    kubeconfig = workdir / "kubeconfig"
    log = open(workdir / "sandbox.log", "wb")  # noqa: SIM115 - lives as long as the process
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kstui",
            "sandbox",
            "--clusters",
            "1",
            "--pods",
            str(pods),
            "--kubeconfig",
            str(kubeconfig),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    config: dict[str, Any] | None = None
    while config is None:
        if process.poll() is not None:
            raise SystemExit(f"the sandbox exited early:\n{(workdir / 'sandbox.log').read_text()}")
        if kubeconfig.exists():
            with contextlib.suppress(yaml.YAMLError, OSError):
                loaded = yaml.safe_load(kubeconfig.read_text())
                if isinstance(loaded, dict) and loaded.get("users"):
                    config = loaded
                    break
        time.sleep(0.005)
    written = time.perf_counter() - started
    context = next(
        c["context"] for c in config["contexts"] if c["name"] == config["current-context"]
    )
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    target = Target(
        process,
        cluster["server"],
        user["token"],
        base64.b64decode(cluster["certificate-authority-data"]).decode(),
        kubeconfig,
        written,
        0.0,
    )
    with target.client(timeout=30) as client:
        while True:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.005)
    target.answering_s = time.perf_counter() - started
    return target


def wait_quiet(target: Target, settle: float = 0.02, rounds: int = 5) -> None:
    """Until the sandbox's loop answers promptly several times running (controllers drained)."""
    with target.client(timeout=30) as client:
        quick = 0
        deadline = time.monotonic() + 60
        while quick < rounds and time.monotonic() < deadline:
            began = time.perf_counter()
            client.get("/readyz")
            quick = quick + 1 if time.perf_counter() - began < settle else 0
            time.sleep(0.05)


# ------------------------------------------------------------------ reads


def bench_list(target: Target, report: Report) -> list[tuple[str, str]]:
    times, sizes = [], []
    body = b""
    with target.client(timeout=120) as client:
        for _ in range(5):
            began = time.perf_counter()
            response = client.get("/api/v1/pods")
            times.append(time.perf_counter() - began)
            response.raise_for_status()
            body = response.content
            sizes.append(len(body))
    json_times, orjson_times = [], []
    decoded: dict[str, Any] = {}
    for _ in range(3):
        began = time.perf_counter()
        decoded = json.loads(body)
        json_times.append(time.perf_counter() - began)
        del decoded
        gc.collect()
        began = time.perf_counter()
        decoded = orjson.loads(body)
        orjson_times.append(time.perf_counter() - began)
    pods = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in decoded["items"]]
    del decoded
    gc.collect()
    fetch = median(times)
    mib = sizes[-1] / 2**20
    report.add(
        "full list /api/v1/pods (httpx, median of 5)",
        f"{fetch * 1000:.0f} ms",
        note=f"{mib:.1f} MiB, {sizes[-1] / len(pods):.0f} B/pod, "
        f"{mib / fetch:.0f} MiB/s; min {min(times) * 1000:.0f} ms; "
        "prototype 130-180 ms for 4 MB",
    )
    report.add(
        "  json.loads of that list (median of 3)",
        f"{median(json_times) * 1000:.0f} ms",
        note=f"orjson.loads {median(orjson_times) * 1000:.0f} ms; "
        f"json.loads = {median(json_times) / fetch:.1f}x the fetch",
    )
    return pods


TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def bench_table_pages(target: Target, report: Report) -> None:
    """What the server spends on the Table pages kubectl asks for (limit=500, as kubectl does)."""
    totals = []
    with target.client(timeout=120) as client:
        for _ in range(3):
            token, pages, total, size = "", 0, 0.0, 0
            while True:
                params = {"limit": "500", **({"continue": token} if token else {})}
                began = time.perf_counter()
                response = client.get("/api/v1/pods", params=params, headers={"Accept": TABLE})
                total += time.perf_counter() - began
                pages += 1
                size += len(response.content)
                token = orjson.loads(response.content)["metadata"].get("continue", "")
                if not token:
                    break
            totals.append(total)
    report.add(
        "Table pages of 500 (what kubectl gets), all pages",
        f"{median(totals):.2f} s",
        note=f"median of 3 walks; {pages} pages, {size / 2**20:.1f} MiB, "
        f"{median(totals) / pages * 1000:.0f} ms/page",
    )


def run_kubectl(args: list[str], env: dict[str, str]) -> tuple[float, int, float, int]:
    """Wall seconds, output lines, max RSS (MiB) and exit code of one kubectl run."""
    began = time.perf_counter()
    process = subprocess.Popen(
        ["kubectl", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = process.communicate()
    elapsed = time.perf_counter() - began
    # communicate() reaped it; RUSAGE_CHILDREN's max RSS covers every child so far (an upper
    # bound of this run's RSS, as kubectl runs grow similarly).
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if process.returncode != 0:
        print(f"    kubectl {' '.join(args)} failed: {err.decode()[:400]}", flush=True)
    return elapsed, out.count(b"\n"), maxrss, process.returncode


def bench_kubectl(target: Target, pods: int, workdir: Path, report: Report) -> None:
    if shutil.which("kubectl") is None:
        report.add(
            "kubectl get pods -A", "kubectl not installed", f"<= {TARGET_KUBECTL_S} s", False
        )
        return
    cache = workdir / "kubecache"
    cache.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        {"KUBECONFIG": str(target.kubeconfig), "KUBECACHEDIR": str(cache), "HOME": str(workdir)}
    )
    run_kubectl(["get", "namespaces", "--no-headers"], env)  # warm the discovery cache
    results: dict[str, float] = {}
    for label, args in (
        ("kubectl get pods -A --no-headers", ["get", "pods", "-A", "--no-headers"]),
        ("kubectl get pods -A -o name", ["get", "pods", "-A", "-o", "name"]),
    ):
        runs = [run_kubectl(args, env) for _ in range(3)]
        wall = median([r[0] for r in runs])
        results[label] = wall
        lines = runs[-1][1]
        ok = all(r[3] == 0 for r in runs) and lines == pods
        note = (
            f"{lines} rows (store has {pods}); runs "
            + ", ".join(f"{r[0]:.2f}" for r in runs)
            + " s"
        )
        if label.endswith("--no-headers"):
            # client-go's default rate limiter (5 QPS, burst 10) spaces kubectl's pages of 500:
            # page k cannot start before (k - 10) / 5 s, however fast the server answers.
            pages = -(-pods // 500)
            if pages > 10:
                note += (
                    f"; {pages} pages: client-side throttle alone holds the last one "
                    f"until {(pages - 10) / 5:.1f} s"
                )
            note += "; prototype 2.44 s (20 pages)"
            report.add(
                f"{label} (median of 3)",
                f"{wall:.2f} s",
                f"<= {TARGET_KUBECTL_S} s",
                ok and wall <= TARGET_KUBECTL_S,
                note,
            )
        else:
            note += f"; {wall / results['kubectl get pods -A --no-headers']:.2f}x the Table get"
            report.add(f"{label} (median of 3)", f"{wall:.2f} s", note=note, ok=None)


# ------------------------------------------------------------------ writes and watches


def _patch_request(run: str, index: int, pod: tuple[str, str]) -> tuple[str, bytes]:
    """Odd patches change a label, even ones the status; each changes something (never a no-op
    that would keep the old resourceVersion and emit no event)."""
    namespace, name = pod
    if index % 2:
        return (
            f"/api/v1/namespaces/{namespace}/pods/{name}",
            orjson.dumps({"metadata": {"labels": {"bench.kstui.io/seq": f"{run}-{index}"}}}),
        )
    return (
        f"/api/v1/namespaces/{namespace}/pods/{name}/status",
        orjson.dumps({"status": {"message": f"bench {run} patch {index}"}}),
    )


class Watcher(threading.Thread):
    """A watch of every pod from `rv`, read in the background: types and resourceVersions."""

    def __init__(self, target: Target, rv: str) -> None:
        super().__init__(daemon=True)
        self.target = target
        self.rv = rv
        self.rvs: list[int] = []
        self.types: dict[str, int] = {}
        self.until = 0  # stop once an event at or past this rv arrived (set by the caller)
        self.done = threading.Event()
        self.error = ""
        self._response: httpx.Response | None = None

    def run(self) -> None:
        try:
            with (
                self.target.client(timeout=httpx.Timeout(30, read=None)) as client,
                client.stream(
                    "GET", "/api/v1/pods", params={"watch": "1", "resourceVersion": self.rv}
                ) as response,
            ):
                self._response = response
                for line in response.iter_lines():
                    if not line:
                        continue
                    event = orjson.loads(line)
                    kind = event["type"]
                    self.types[kind] = self.types.get(kind, 0) + 1
                    if kind == "ERROR":
                        self.error = str(event["object"].get("message"))
                        break
                    rv = int(event["object"]["metadata"]["resourceVersion"])
                    self.rvs.append(rv)
                    if self.until and rv >= self.until:
                        break
        except Exception as error:  # reported, not raised: the table still prints
            if not self.done.is_set():
                self.error = f"{type(error).__name__}: {error}"
        finally:
            self.done.set()

    def finish(self, until: int, timeout: float = 60) -> None:
        self.until = until
        if not self.done.wait(timeout):
            self.error = self.error or f"timed out waiting for rv {until}"
        if self._response is not None:
            with contextlib.suppress(Exception):
                self._response.close()


def check_watch(rvs: list[int], written: list[int]) -> tuple[int, str]:
    """Patches the watcher missed, and a word about order and duplicates."""
    seen = set(rvs)
    missed = sum(1 for rv in written if rv not in seen)
    ordered = all(a < b for a, b in itertools.pairwise(rvs))
    return missed, "in order, no duplicates" if ordered else "OUT OF ORDER or duplicated"


def list_rv(client: httpx.Client) -> str:
    response = client.get("/api/v1/pods", params={"limit": "1"})
    response.raise_for_status()
    return str(response.json()["metadata"]["resourceVersion"])


def bench_sequential(
    target: Target, pods: list[tuple[str, str]], count: int, report: Report
) -> float:
    with target.client(timeout=30) as client:
        rv = list_rv(client)
        watcher = Watcher(target, rv)
        watcher.start()
        time.sleep(0.2)  # let the watch connect before the clock starts
        latencies, written = [], []
        began = time.perf_counter()
        for index in range(count):
            path, body = _patch_request("seq", index, pods[index % len(pods)])
            sent = time.perf_counter()
            response = client.patch(path, content=body, headers=MERGE)
            latencies.append(time.perf_counter() - sent)
            if response.status_code != 200:
                print(f"    patch {path}: {response.status_code} {response.text[:300]}")
                continue
            written.append(int(orjson.loads(response.content)["metadata"]["resourceVersion"]))
        elapsed = time.perf_counter() - began
        watcher.until = max(written, default=0)
        # One more write wakes a watcher already past `until`, so it hangs up cleanly.
        path, body = _patch_request("sentinel", 0, pods[0])
        client.patch(path, content=body, headers=MERGE)
    watcher.finish(max(written, default=0))
    missed, order = check_watch(watcher.rvs, written)
    rate = len(written) / elapsed
    p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
    note = (
        f"{len(written)}/{count} ok in {elapsed:.2f} s; watcher got {len(watcher.rvs)} "
        f"events, missed {missed} of the patches, {order}"
        + (f"; watch error: {watcher.error}" if watcher.error else "")
        + "; prototype 436/s, p50 2.2 ms"
    )
    report.add(
        "sequential merge-patches, 1 watcher",
        f"{rate:.0f} patches/s",
        f">= {TARGET_PATCH_RATE:.0f}/s",
        rate >= TARGET_PATCH_RATE and missed == 0 and not watcher.error,
        note,
    )
    report.add(
        "  patch latency p50 / p95",
        f"{p50:.1f} / {p95:.1f} ms",
        note=f"max {max(latencies) * 1000:.1f} ms",
    )
    return rate


async def _concurrent(
    target: Target, pods: list[tuple[str, str]], patchers: int, watchers: int, per_patcher: int
) -> dict[str, Any]:
    with target.client(timeout=30) as sync_client:
        rv = list_rv(sync_client)
    received: list[list[int]] = [[] for _ in range(watchers)]
    arrived: list[list[float]] = [[] for _ in range(watchers)]
    errors: list[str] = []
    connected = asyncio.Event()
    opened = 0

    async def watch(index: int) -> None:
        nonlocal opened
        try:
            async with (
                target.async_client(timeout=httpx.Timeout(30, read=None)) as client,
                client.stream(
                    "GET", "/api/v1/pods", params={"watch": "1", "resourceVersion": rv}
                ) as response,
            ):
                opened += 1
                if opened == watchers:
                    connected.set()
                async for line in response.aiter_lines():
                    if not line:
                        continue
                    event = orjson.loads(line)
                    if event["type"] == "ERROR":
                        errors.append(str(event["object"].get("message")))
                        return
                    received[index].append(int(event["object"]["metadata"]["resourceVersion"]))
                    arrived[index].append(time.perf_counter())
        except Exception as error:
            errors.append(f"watcher {index}: {type(error).__name__}: {error}")

    written: list[int] = []
    latencies: list[float] = []

    async def patch(worker: int, client: httpx.AsyncClient) -> None:
        for step in range(per_patcher):
            index = worker * per_patcher + step
            path, body = _patch_request("conc", index, pods[(index * 7919) % len(pods)])
            sent = time.perf_counter()
            response = await client.patch(path, content=body, headers=MERGE)
            latencies.append(time.perf_counter() - sent)
            if response.status_code == 200:
                written.append(int(orjson.loads(response.content)["metadata"]["resourceVersion"]))
            else:
                errors.append(f"patch {path}: {response.status_code}")

    watch_tasks = [asyncio.create_task(watch(i)) for i in range(watchers)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(connected.wait(), 10)
    await asyncio.sleep(0.2)
    limits = httpx.Limits(max_connections=patchers, max_keepalive_connections=patchers)
    async with target.async_client(timeout=30, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(patch(w, client) for w in range(patchers)))
        patched_at = time.perf_counter()
    last = max(written, default=0)
    deadline = time.monotonic() + 60

    while time.monotonic() < deadline and not all(r and r[-1] >= last for r in received):  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    finished_at = []
    for index, numbers in enumerate(received):
        at = next((t for rv, t in zip(numbers, arrived[index], strict=True) if rv >= last), None)
        if at is None:
            errors.append(f"watcher {index} timed out before rv {last}")
        finished_at.append(at or time.perf_counter())
    for task in watch_tasks:
        task.cancel()
    await asyncio.gather(*watch_tasks, return_exceptions=True)
    delivered_at = max(finished_at)
    return {
        "written": written,
        "received": received,
        "errors": errors,
        "patch_s": patched_at - began,
        "deliver_s": delivered_at - began,
        "latencies": latencies,
    }


def bench_concurrent(
    target: Target, pods: list[tuple[str, str]], total: int, sequential_rate: float, report: Report
) -> None:
    patchers, watchers = 10, 5
    result = asyncio.run(_concurrent(target, pods, patchers, watchers, total // patchers))
    written = result["written"]
    rate = len(written) / result["patch_s"]
    events = sum(len(r) for r in result["received"])
    events_rate = events / result["deliver_s"]
    missed = [check_watch(r, written)[0] for r in result["received"]]
    orders = {check_watch(r, written)[1] for r in result["received"]}
    lag = max(0.0, result["deliver_s"] - result["patch_s"])
    note = (
        f"{len(written)} patches in {result['patch_s']:.2f} s "
        f"({rate / sequential_rate:.2f}x sequential); p50 "
        f"{percentile(result['latencies'], 0.5) * 1000:.1f} ms, p95 "
        f"{percentile(result['latencies'], 0.95) * 1000:.1f} ms; prototype 256/s"
    )
    report.add("10 concurrent patchers + 5 watchers", f"{rate:.0f} patches/s", note=note)
    note = (
        f"{events} events to 5 watchers, last delivered {lag:.2f} s after the last patch; "
        f"missed per watcher {missed}; {', '.join(sorted(orders))}"
        + (f"; errors: {result['errors'][:3]}" if result["errors"] else "")
        + f"; {events_rate / rate:.1f} events per patch/s; prototype 1,280/s"
    )
    report.add("  watch events delivered", f"{events_rate:.0f} events/s", note=note)


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=10_000, help="pods (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 pods and 500 patches")
    parser.add_argument(
        "--patches",
        type=int,
        default=0,
        help="sequential patches, and concurrent ones (default 2,000)",
    )
    parser.add_argument(
        "--skip-seed", action="store_true", help="skip the in-process Sandbox.start() timing"
    )
    args = parser.parse_args()
    pods = 1_000 if args.quick else args.pods
    patches = args.patches or (500 if args.quick else 2_000)
    info = machine()
    print(
        f"sandbox benchmark: {pods:,} pods, {patches:,} patches; "
        + ", ".join(f"{k} {v}" for k, v in info.items()),
        flush=True,
    )
    report = Report()

    if not args.skip_seed:
        seed_s, stored = seed_in_process(pods)
        report.add(
            "seed: Sandbox.start() in process",
            f"{seed_s:.2f} s",
            note=f"{stored:,} pods stored, {seed_s / stored * 1e6:.0f} us/pod",
        )

    workdir = Path(tempfile.mkdtemp(prefix="kstui-bench-"))
    target = start_cli(pods, workdir)
    try:
        report.add(
            "`kstui sandbox` launch until kubeconfig exists",
            f"{target.written_s:.2f} s",
            f"<= {TARGET_CLI_START_S:.0f} s",
            target.written_s <= TARGET_CLI_START_S,
            note=f"first API answer at {target.answering_s:.2f} s",
        )
        began = time.perf_counter()
        wait_quiet(target)
        settled = time.perf_counter() - began
        seeded = target.rss()
        report.add(
            "sandbox RSS after seeding",
            f"{seeded['VmRSS']:.0f} MiB",
            f"<= {TARGET_RSS_MIB:.0f} MiB",
            seeded["VmRSS"] <= TARGET_RSS_MIB,
            note=f"peak {seeded['VmHWM']:.0f} MiB; controllers settled "
            f"{settled:.2f} s after the first answer; "
            f"{seeded['VmRSS'] * 1024 / pods:.1f} KiB/pod; prototype 60-76 MiB",
        )

        pod_keys = bench_list(target, report)
        bench_table_pages(target, report)
        bench_kubectl(target, len(pod_keys), workdir, report)
        rate = bench_sequential(target, pod_keys, patches, report)
        bench_concurrent(target, pod_keys, patches, rate, report)
        wait_quiet(target)
        after = target.rss()
        report.add(
            "sandbox RSS after the patch runs",
            f"{after['VmRSS']:.0f} MiB",
            f"<= {TARGET_RSS_MIB:.0f} MiB",
            after["VmRSS"] <= TARGET_RSS_MIB,
            note=f"peak {after['VmHWM']:.0f} MiB; "
            f"{after['VmRSS'] / seeded['VmRSS']:.2f}x after seeding",
        )
    finally:
        target.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"Sandbox ({pods:,} pods), {info['date']}: {info['nproc']} cores ({info['cpu']}), "
        f"{info['ram']} RAM, Python {info['python']}, kubectl {info['kubectl']}"
    )
    print()
    print(report.table())
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a report: say what broke, exit 0 regardless
        import traceback

        traceback.print_exc()
        print(f"benchmark incomplete: {type(error).__name__}: {error}")
    sys.exit(0)
