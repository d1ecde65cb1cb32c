#!/usr/bin/env python
"""kstui end to end: launch, load, keystrokes under churn, watch latency, memory; vs kubectl.

    python bench/tui.py                  # 10,000 pods, then 50,000 pods
    python bench/tui.py --pods 10000     # one size
    python bench/tui.py --samples 60     # fewer keystrokes per figure
    python bench/tui.py --pods 150000 --runs 0 --churn 50   # keystrokes and RSS only
    python bench/tui.py --sandbox KUBECONFIG --runs 0       # against a sandbox already up
    python bench/tui.py --pods 10000 --keys                 # the same as --runs 0
    python bench/tui.py --pods 10000 --sections             # warm section switches only

A report, not a test: it prints a table and always exits 0. For each size it starts the sandbox
in its own process (`kstui sandbox --clusters 1 --pods N --churn 200`: 200 pod status changes a
second for the whole run), then:

1. Launch (under a real pty, 160x48, like a terminal): `kstui -A` in a fresh process. Timed from
   the spawn to the first output containing the header (first frame), the first pod status word
   (first rows visible), and the breadcrumb count without its "…" (all rows loaded). The RSS of
   that process is read from /proc after the load. Each launch runs 3 times; the median is shown.
   The first launch also fills the discovery cache, as kubectl's first run does.
2. kubectl (`kubectl get pods -A`, same sandbox, same kubeconfig, warm discovery cache): time to
   the first line of output and to exit, median of 3.
3. Keystrokes (in process, headless, the same app): the app lists all pods while the churn runs;
   cursor down, page down and filter keystrokes (typed into the real `/` prompt) are timed from
   the key to the end of the first frame showing their effect (bench/table.py explains the method).
   Modals (help `?`, the `:` prompt, the delete confirmation) are opened and closed by their
   keys, each timed to the frame showing it open, then to the frame showing the list again
   (`--modals`: only these, no launches).
   Also timed: `G` and `g`, filter typing and erasing apart, sort changes (`>`, `=`); each
   with this process's CPU milliseconds over the same span (robust on a loaded machine), and
   its RSS after the load and after the keys under churn. At 100,000 pods and more the target
   is the issue's: every keystroke p95 ≤ 50 ms and RSS ≤ 400 MiB. `--runs 0` (or `--keys`):
   these keystroke figures alone, no launches.
   Sections (`--sections`, no launches; bench/tui_sections.py): each section opened once by its
   number key (warm-up), then switched to from the list and back, each switch timed to its
   frame with CPU ms; issue 18's target: a warm section switch ≤ 100 ms.
4. Watch event to screen: a visible pod is patched (a label change makes the server's Table row
   change only if a printed column changes, so the patch bumps the pod's restart count through
   the status subresource); timed from the PATCH to the end of the frame showing the new value.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch import (
    COLUMNS,
    KSTUI_MARKS,
    LINES,
    SandboxProcess,
    kstui_argv,
    kubectl_once,
    launch_once,
    rss_mib,
)
from table import FrameClock, p95, percentiles, send_key
from textual.constants import MAX_FPS
from tui_modals import MODAL_FIGURES, modals, report_modals
from tui_sections import report_sections, sections

from kstui.app import AppSettings, KstuiApp
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.resource_table import ResourceTable


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- launch (pty)


def launch(kubeconfig: Path, env: dict[str, str]) -> dict[str, float]:
    """`kstui -A` on a pty: first frame, first rows, all rows (and their count), RSS."""
    marks = launch_once(kstui_argv(kubeconfig), env, KSTUI_MARKS)
    if "value all rows" in marks:
        marks["rows"] = marks["value all rows"]
    return marks


# --------------------------------------------------------------------------- keystrokes


KEY_FIGURES = (
    "cursor",
    "page",
    "first",
    "last",
    "filter",
    "filter clear",
    "sort",
    "event",
)
"""Every keystroke kind on the list (plus the watch event), in the report's order."""


def own_rss() -> float:
    return rss_mib(os.getpid())


async def keystrokes(
    kubeconfig: Path, samples: int, cache_dir: Path, *, only: str = ""
) -> dict[str, Any]:
    """Keystrokes (and modals, and the watch event) timed to their frame; `cpu <label>` holds
    this process's CPU milliseconds over the same spans, `rss …` its memory in MiB."""
    config = load_kubeconfig(str(kubeconfig))
    app = KstuiApp(AppSettings(config, "host", "", cache_dir=cache_dir))
    results: dict[str, Any] = {label: [] for label in (*KEY_FIGURES, *MODAL_FIGURES)}
    started = time.perf_counter()
    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        while not (isinstance(app.screen, ResourcesScreen) and app.screen.loaded):
            await pilot.pause(0.05)
        results["load"] = time.perf_counter() - started
        screen = app.screen
        table = screen.query_one(ResourceTable)
        await asyncio.sleep(2)  # the heap settles after a big load
        results["rows"] = table.row_count
        results["rss load"] = own_rss()
        rows, load = results["rows"], results["load"]
        report(f"  ({rows:,} rows in {load:.0f} s, {results['rss load']:.0f} MiB)")
        churn_from = time.perf_counter()
        clock = FrameClock(app)
        clock.timeout = 120
        key = partial(send_key, app)

        async def timed(label: str, act: Any, condition: Any) -> None:
            try:
                results[label].append(await clock.time(act, condition))
            except TimeoutError:  # said in the report; the other figures still count
                results.setdefault("timed out", []).append(label)
                return
            results.setdefault(f"cpu {label}", []).append(clock.last_cpu)
            if len(results[label]) == 1:
                report(f"  ({label}: first sample {results[label][0]:.1f} ms)")

        if only == "sections":
            await sections(app, clock, min(samples, 20), results)
            await app.session.aclose()
            return results
        await modals(app, clock, min(samples, 30), results)
        if only == "modals":
            await app.session.aclose()
            return results

        page = table.scrollable_content_region.height - 1
        for label, name, step in (("cursor", "down", 1), ("page", "pagedown", page)):
            table.action_cursor_first()
            await asyncio.sleep(0.05)
            for _ in range(samples):
                if table.cursor_index + step >= table.visible_count:
                    table.action_cursor_first()
                    await asyncio.sleep(0.02)
                expected = table.cursor_index + step
                await timed(
                    label,
                    lambda name=name: key(name),
                    lambda expected=expected: table.cursor_index == expected,
                )
                await asyncio.sleep(0.02)

        # first / last: G to the bottom, g back to the top
        for _ in range(max(1, samples // 4)):
            await timed(
                "last",
                lambda: key("G", "G"),
                lambda: table.cursor_index == table.visible_count - 1,
            )
            await asyncio.sleep(0.02)
            await timed("first", lambda: key("g", "g"), lambda: table.cursor_index == 0)
            await asyncio.sleep(0.02)

        key("slash", "/")
        await asyncio.sleep(0.1)
        typed = ""
        words = ["apps-0", "running", "crash", "pending", "worker"]
        sequence = []
        for word in words:
            sequence += list(word) + ["backspace"] * len(word)
        for step in sequence[: max(samples, 2 * len(words[0]))]:
            if step == "backspace":
                typed = typed[:-1]
                label = "filter clear"

                def act() -> Any:
                    return key("backspace")
            else:
                typed += step
                label = "filter"

                def act(step: str = step) -> Any:
                    return key("minus" if step == "-" else step, step)

            await timed(label, act, lambda typed=typed: table.filter_text == typed)
            await asyncio.sleep(0.02)
        key("escape")
        await asyncio.sleep(0.2)

        # sort: `>` to the next column, through every column, and `=` to reverse
        columns = len(table.columns)
        for index in range(min(max(2, samples // 5), 2 * columns)):
            if index % 3 == 2:
                want = (table.sort_column, not table.sort_reverse)
                act = partial(key, "equals_sign", "=")
            else:
                want = ((table.sort_column + 1) % columns, False)
                act = partial(key, "greater_than_sign", ">")
            await timed(
                "sort", act, lambda want=want: (table.sort_column, table.sort_reverse) == want
            )
            await asyncio.sleep(0.05)
        while (table.sort_column, table.sort_reverse) != (0, False):
            table.sort_by(0, reverse=False)
            await asyncio.sleep(0.05)

        # watch event → screen: bump restarts of a visible pod through the status subresource
        backend = screen.backend
        client = await backend.open()
        for _ in range(min(samples, 30)):
            top = round(table.scroll_y)
            visible = table.visible_keys[top : top + 10]
            target = visible[len(visible) // 2]
            namespace, name = screen.names[target]
            path = f"/api/v1/namespaces/{namespace}/pods/{name}/status"
            pod = await client.get(path)
            statuses = (pod.get("status") or {}).get("containerStatuses") or []
            if not statuses:
                continue
            restarts = int(statuses[0].get("restartCount") or 0) + 1
            statuses[0]["restartCount"] = restarts
            before = table.row(target)

            def changed(target: str = target, before: Any = before) -> bool:
                row = table.row(target)
                return row is not None and row is not before and row.cells != before.cells

            # The clock starts when the PATCH is sent and stops at the frame showing it.
            await timed(
                "event",
                lambda path=path, statuses=statuses: asyncio.ensure_future(
                    client.patch(path, {"status": {"containerStatuses": statuses}}, "merge")
                ),
                changed,
            )
            await asyncio.sleep(0.05)
        results["rss churn"] = own_rss()
        results["churn seconds"] = time.perf_counter() - churn_from
        await app.session.aclose()
    return results


# --------------------------------------------------------------------------- report


def run(
    pods: int,
    samples: int,
    runs: int,
    churn: float,
    only: str = "",
    sandbox_kubeconfig: Path | None = None,
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kstui-bench-"))
    report(f"\n## {pods:,} pods (sandbox churning {churn:g} pod updates/s), {COLUMNS}x{LINES}")
    started = time.perf_counter()
    sandbox = None
    if sandbox_kubeconfig is None:
        sandbox = SandboxProcess(pods, churn, workdir)
        kubeconfig = sandbox.kubeconfig
        report(f"sandbox ready in {time.perf_counter() - started:.1f} s")
    else:
        kubeconfig = sandbox_kubeconfig
        report(f"sandbox already running ({kubeconfig}): its own --pods and --churn")
    report(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(f"frames: at most {MAX_FPS} a second (kstui's Textual frame cap)")
    env = dict(
        os.environ,
        TERM="xterm-256color",
        COLORTERM="truecolor",
        XDG_CACHE_HOME=str(workdir / "cache"),
        XDG_CONFIG_HOME=str(workdir / "config"),
    )
    env.pop("NO_COLOR", None)
    empty: dict[str, Any] = {label: [] for label in (*KEY_FIGURES, *MODAL_FIGURES)}
    try:
        launches = (
            [] if only or runs < 1 else [launch(kubeconfig, env) for _ in range(runs + 1)][1:]
        )
        kubectl: list[dict[str, float]] = []
        if shutil.which("kubectl") and not only and runs >= 1:
            kubectl_once(kubeconfig, workdir / "kube")  # warm its discovery cache
            kubectl = [kubectl_once(kubeconfig, workdir / "kube") for _ in range(runs)]
        keys = (
            asyncio.run(keystrokes(kubeconfig, samples, workdir / "cache", only=only))
            if samples
            else empty
        )
    finally:
        if sandbox is not None:
            sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds tokens
    report(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")

    if only == "modals":
        report_modals(keys)
        return
    if only == "sections":
        report_sections(keys)
        return

    def m(items: list[dict[str, float]], key: str) -> float:
        return median([item[key] for item in items if key in item])

    def verdict(ok: bool) -> str:
        return "pass" if ok else "MISS"

    big = pods >= 100_000
    if launches:
        first_frame, first_rows = m(launches, "first frame"), m(launches, "first rows")
        all_rows, rss = m(launches, "all rows"), m(launches, "rss")
        k_first, k_all = m(kubectl, "first rows"), m(kubectl, "all rows")
        report(f"rows listed: kstui {m(launches, 'rows'):.0f}, kubectl {m(kubectl, 'rows'):.0f}")
        report("| figure | kstui | kubectl | ratio | target | |")
        report("| --- | --- | --- | --- | --- | --- |")
        report(
            f"| launch → first frame | {first_frame * 1000:.0f} ms | | | ≤ 400 ms | "
            f"{verdict(first_frame <= 0.4)} |"
        )
        report(
            f"| launch → first rows | {first_rows * 1000:.0f} ms | {k_first * 1000:.0f} ms | "
            f"{first_rows / k_first:.2f}x | ≤ 0.5x | {verdict(first_rows <= 0.5 * k_first)} |"
        )
        report(
            f"| launch → all rows | {all_rows * 1000:.0f} ms | {k_all * 1000:.0f} ms | "
            f"{all_rows / k_all:.2f}x | ≤ 1.0x | {verdict(all_rows <= k_all)} |"
        )
        report(f"| RSS after load (pty) | {rss:.0f} MiB | | | ≤ 150 MiB | {verdict(rss <= 150)} |")
    if "rows" in keys:
        report(
            f"keystrokes: {keys['rows']:,} rows listed in process in {keys['load']:.1f} s; "
            f"RSS {keys['rss load']:.0f} MiB after load, {keys['rss churn']:.0f} MiB after "
            f"{keys['churn seconds']:.0f} s of keys under churn"
        )
    limit = 50 if big else None
    report("| keystroke, under churn | p50 / p95 / max | CPU p50 / p95 | target | |")
    report("| --- | --- | --- | --- | --- |")
    # issue 18 at 10k pods under 200 events/s: every key within a frame (60 fps: 16.7 ms)
    targets = {"cursor": 16, "page": 20, "filter": 30, "filter clear": 30, "event": 1000}
    for label in KEY_FIGURES:
        values = keys[label]
        if not values:
            continue
        target = limit if limit and label != "event" else targets.get(label)
        cpu = keys.get(f"cpu {label}") or [float("nan")]
        report(
            f"| {label} | {statistics.median(values):.1f} / {p95(values):.1f} / "
            f"{max(values):.1f} ms | {statistics.median(cpu):.1f} / {p95(cpu):.1f} ms | "
            + (f"p95 ≤ {target} ms | {verdict(p95(values) <= target)} |" if target else "| |")
        )
    if keys.get("timed out"):
        report(f"timed out (no frame within {120} s): {', '.join(keys['timed out'])}")
    if "rss load" in keys:
        rss_limit = 400 if big else 150
        for label in ("rss load", "rss churn"):
            report(
                f"| {label.replace('rss', 'RSS after')} | {keys[label]:.0f} MiB | | "
                f"≤ {rss_limit} MiB | {verdict(keys[label] <= rss_limit)} |"
            )
    for label in KEY_FIGURES:
        if keys[label]:
            report(f"  {label:<12} {percentiles(keys[label])}")
    report_modals(keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pods",
        type=int,
        action="append",
        help="pods in the sandbox (repeatable; default 10000 and 50000)",
    )
    parser.add_argument("--samples", type=int, default=100, help="keystrokes per figure")
    parser.add_argument(
        "--runs", type=int, default=3, help="launches and kubectl runs (0: keystrokes only)"
    )
    parser.add_argument(
        "--sandbox",
        type=Path,
        metavar="KUBECONFIG",
        help="use a sandbox already running (its kubeconfig) instead of starting one",
    )
    parser.add_argument("--churn", type=float, default=200.0, help="pod updates/s (default 200)")
    parser.add_argument(
        "--modals", action="store_true", help="only the modals' open and close (no launches)"
    )
    parser.add_argument(
        "--keys", action="store_true", help="the keystroke figures alone: the same as --runs 0"
    )
    parser.add_argument(
        "--sections",
        action="store_true",
        help="only switching sections by number key, warm (no launches)",
    )
    args = parser.parse_args()
    only = "sections" if args.sections else "modals" if args.modals else ""
    runs = 0 if args.keys else args.runs
    report(f"kstui bench/tui.py · python {sys.version.split()[0]} · {os.cpu_count()} cores")
    for pods in args.pods or [10_000, 50_000]:
        run(pods, args.samples, runs, args.churn, only, args.sandbox)


if __name__ == "__main__":
    main()
