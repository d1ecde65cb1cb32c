#!/usr/bin/env python
"""kstui end to end: launch, load, keystrokes under churn, watch latency, memory; vs kubectl.

    python bench/tui.py                  # 10,000 pods, then 50,000 pods
    python bench/tui.py --pods 10000     # one size
    python bench/tui.py --samples 60     # fewer keystrokes per figure

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
   Sections (`--sections`, no launches): each section opened once by its number key, then
   switched to from the list and back, warm, each switch timed to its frame.
   Each figure also gets the CPU time of this process from key to frame (load-robust).
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
from collections.abc import Callable
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
)
from table import FrameClock, p95, percentiles, send_key

from kstui.app import AppSettings, KstuiApp
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.confirm import ConfirmModal
from kstui.screens.help import HelpModal
from kstui.screens.resources import ResourcesScreen
from kstui.screens.sections import SECTIONS
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

WARM_SECONDS = 3.0
"""What a section's first open gets for its data to arrive before its switches are timed."""
MODAL_FIGURES = tuple(
    f"{m} {way}" for m in ("help", "prompt", "confirm") for way in ("open", "close")
)
CPU: dict[str, list[float]] = {}
"""CPU milliseconds (time.process_time) of this process from each key to its frame, by figure:
load-robust where wall clock is not (a shared machine); churn batches in between count."""


async def timed(
    clock: FrameClock,
    results: dict[str, list[float]],
    label: str,
    act: Callable[[], object],
    condition: Callable[[], bool],
) -> None:
    """`clock.time` for one figure, its wall and CPU milliseconds recorded under `label`."""
    started = time.process_time()
    results.setdefault(label, []).append(await clock.time(act, condition))
    CPU.setdefault(label, []).append((time.process_time() - started) * 1000)


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


MODALS = (
    # (label, key, its character, the modal's test, the key that closes it)
    ("help", "question_mark", "?", lambda app: isinstance(app.screen, HelpModal), "escape"),
    ("prompt", "colon", ":", lambda app: prompt_open(app), "escape"),
    ("confirm", "ctrl+d", None, lambda app: isinstance(app.screen, ConfirmModal), "escape"),
)


def prompt_open(app: Any) -> bool:
    prompts = app.screen.query(Prompt)
    return bool(prompts) and prompts.first().has_class("-open")


async def modals(
    app: Any, clock: FrameClock, samples: int, results: dict[str, list[float]]
) -> None:
    """Each modal opened and closed by its keys, timed to the frame that shows it open, then
    to the frame that shows the list again (the `:` prompt is inline, not a screen)."""
    base = app.screen
    key = partial(send_key, app)
    for label, name, character, shown, close in MODALS:
        for _ in range(samples):
            await timed(
                clock,
                results,
                f"{label} open",
                lambda name=name, character=character: key(name, character),
                lambda shown=shown: shown(app),
            )
            await asyncio.sleep(0.05)
            await timed(
                clock,
                results,
                f"{label} close",
                lambda close=close: key(close),
                lambda shown=shown: app.screen is base and not shown(app),
            )
            await asyncio.sleep(0.05)


async def sections(
    app: Any, clock: FrameClock, samples: int, results: dict[str, list[float]]
) -> None:
    """Each section is opened once by its number key (its first screen built, its data asked
    for, WARM_SECONDS to arrive), then, warm, switched to from the resources list and back:
    each switch timed to the frame drawn with the section's screen on top, then the list's."""
    key = partial(send_key, app)
    base = app.screen

    async def until(condition: Callable[[], bool]) -> None:
        while not condition():  # noqa: ASYNC110 (a state, not an event)
            await asyncio.sleep(0.02)

    names = [name for name in SECTIONS if name != "resources"]
    screens = {}
    for name in names:
        key(SECTIONS[name].key, SECTIONS[name].key)
        await until(lambda name=name: app.current_mode == name)
        screens[name] = app.screen
        await asyncio.sleep(WARM_SECONDS)
        key("1", "1")
        await until(lambda: app.screen is base)
        await asyncio.sleep(0.2)
    for _ in range(samples):
        for name in names:
            number = SECTIONS[name].key
            await timed(
                clock,
                results,
                f"{name} switch",
                lambda number=number: key(number, number),
                lambda name=name: app.screen is screens[name],
            )
            await asyncio.sleep(0.05)
            await timed(
                clock, results, "back to list", lambda: key("1", "1"), lambda: app.screen is base
            )
            await asyncio.sleep(0.05)


async def keystrokes(
    kubeconfig: Path, samples: int, cache_dir: Path, *, only: str = ""
) -> dict[str, list[float]]:
    config = load_kubeconfig(str(kubeconfig))
    app = KstuiApp(AppSettings(config, "host", "", cache_dir=cache_dir))
    results: dict[str, list[float]] = {
        label: [] for label in ("cursor", "page", "filter", "event", *MODAL_FIGURES)
    }
    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        while not (isinstance(app.screen, ResourcesScreen) and app.screen.loaded):
            await pilot.pause(0.05)
        screen = app.screen
        table = screen.query_one(ResourceTable)
        clock = FrameClock(app)
        key = partial(send_key, app)
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
                    clock,
                    results,
                    label,
                    lambda name=name: key(name),
                    lambda expected=expected: table.cursor_index == expected,
                )
                await asyncio.sleep(0.02)

        key("slash", "/")
        await asyncio.sleep(0.1)
        typed = ""
        words = ["apps-0", "running", "crash", "pending", "worker"]
        sequence = []
        for word in words:
            sequence += list(word) + ["backspace"] * len(word)
        for step in sequence[:samples]:
            if step == "backspace":
                typed = typed[:-1]

                def act() -> Any:
                    return key("backspace")
            else:
                typed += step

                def act(step: str = step) -> Any:
                    return key("minus" if step == "-" else step, step)

            await timed(
                clock, results, "filter", act, lambda typed=typed: table.filter_text == typed
            )
            await asyncio.sleep(0.02)
        key("escape")
        await asyncio.sleep(0.2)

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
            patched = clock.time(
                lambda path=path, statuses=statuses: asyncio.ensure_future(
                    client.patch(path, {"status": {"containerStatuses": statuses}}, "merge")
                ),
                changed,
            )
            results["event"].append(await patched)
            await asyncio.sleep(0.05)
        await app.session.aclose()
    return results


# --------------------------------------------------------------------------- report


def run(pods: int, samples: int, runs: int, churn: float, only: str = "") -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kstui-bench-"))
    report(f"\n## {pods:,} pods (sandbox churning {churn:g} pod updates/s), {COLUMNS}x{LINES}")
    started = time.perf_counter()
    sandbox = SandboxProcess(pods, churn, workdir)
    report(f"sandbox ready in {time.perf_counter() - started:.1f} s")
    env = dict(
        os.environ,
        TERM="xterm-256color",
        COLORTERM="truecolor",
        XDG_CACHE_HOME=str(workdir / "cache"),
        XDG_CONFIG_HOME=str(workdir / "config"),
    )
    env.pop("NO_COLOR", None)
    try:
        launches = [] if only else [launch(sandbox.kubeconfig, env) for _ in range(runs + 1)][1:]
        kubectl: list[dict[str, float]] = []
        if shutil.which("kubectl") and not only:
            kubectl_once(sandbox.kubeconfig, workdir / "kube")  # warm its discovery cache
            kubectl = [kubectl_once(sandbox.kubeconfig, workdir / "kube") for _ in range(runs)]
        keys = (
            asyncio.run(keystrokes(sandbox.kubeconfig, samples, workdir / "cache", only=only))
            if samples
            else {label: [] for label in ("cursor", "page", "filter", "event", *MODAL_FIGURES)}
        )
    finally:
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds tokens

    if only == "modals":
        report_modals(keys)
        report_cpu()
        return
    if only == "sections":
        report_sections(keys)
        report_cpu()
        return
    if only == "keys":
        for label in ("cursor", "page", "filter", "event"):
            if keys[label]:
                report(f"  {label:<7} {percentiles(keys[label])}")
        report_modals(keys)
        report_cpu()
        return

    def m(items: list[dict[str, float]], key: str) -> float:
        return median([item[key] for item in items if key in item])

    first_frame, first_rows = m(launches, "first frame"), m(launches, "first rows")
    all_rows, rss = m(launches, "all rows"), m(launches, "rss")
    k_first, k_all = m(kubectl, "first rows"), m(kubectl, "all rows")

    def verdict(ok: bool) -> str:
        return "pass" if ok else "MISS"

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
    for label, name, target in (
        ("cursor", "cursor down", 30),
        ("page", "page down", 30),
        ("filter", "filter keystroke", 50),
    ):
        samples_ms = keys[label]
        if not samples_ms:
            continue
        report(
            f"| {name}, under churn | p50 {statistics.median(samples_ms):.1f} / "
            f"p95 {p95(samples_ms):.1f} ms | | | p95 ≤ {target} ms | "
            f"{verdict(p95(samples_ms) <= target)} |"
        )
    event = keys["event"]
    if event:
        report(
            f"| watch event → screen | p50 {statistics.median(event):.0f} / "
            f"p95 {p95(event):.0f} ms | | | p95 ≤ 1000 ms | {verdict(p95(event) <= 1000)} |"
        )
    report(f"| RSS after load | {rss:.0f} MiB | | | ≤ 150 MiB | {verdict(rss <= 150)} |")
    for label in ("cursor", "page", "filter", "event"):
        if keys[label]:
            report(f"  {label:<7} {percentiles(keys[label])}")
    report_modals(keys)
    report_cpu()


def report_sections(keys: dict[str, list[float]]) -> None:
    report("| switch, warm, under churn | p50 / p95 / max | target | |")
    report("| --- | --- | --- | --- |")
    for label, values in keys.items():
        if label.endswith(" switch") or label == "back to list":
            report(
                f"| {label} | {statistics.median(values):.0f} / {p95(values):.0f} / "
                f"{max(values):.0f} ms | p95 ≤ 100 ms | "
                f"{'pass' if p95(values) <= 100 else 'MISS'} |"
            )


def report_cpu() -> None:
    """CPU per figure: what the key cost this process, whatever the machine's load."""
    report(f"CPU ms per key, this process (load average {os.getloadavg()[0]:.2f}):")
    for label, values in CPU.items():
        report(
            f"  {label:<16} p50 {statistics.median(values):6.1f}  p95 {p95(values):6.1f}  "
            f"max {max(values):6.1f}  (n={len(values)})"
        )


def report_modals(keys: dict[str, list[float]]) -> None:
    report("| modal, under churn | p50 / p95 / max | target | |")
    report("| --- | --- | --- | --- |")
    for label in MODAL_FIGURES:
        values = keys[label]
        if values:
            report(
                f"| {label} | {statistics.median(values):.0f} / {p95(values):.0f} / "
                f"{max(values):.0f} ms | p95 ≤ 50 ms | {'pass' if p95(values) <= 50 else 'MISS'} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pods",
        type=int,
        action="append",
        help="pods in the sandbox (repeatable; default 10000 and 50000)",
    )
    parser.add_argument("--samples", type=int, default=100, help="keystrokes per figure")
    parser.add_argument("--runs", type=int, default=3, help="launches and kubectl runs")
    parser.add_argument("--churn", type=float, default=200.0, help="pod updates/s (default 200)")
    parser.add_argument(
        "--modals", action="store_true", help="only the modals' open and close (no launches)"
    )
    parser.add_argument(
        "--keys",
        action="store_true",
        help="only the keystrokes: modals, cursor, page, filter, event (no launches)",
    )
    parser.add_argument(
        "--sections",
        action="store_true",
        help="only switching sections by number key, warm (no launches)",
    )
    args = parser.parse_args()
    report(f"kstui bench/tui.py · python {sys.version.split()[0]} · {os.cpu_count()} cores")
    only = "sections" if args.sections else "modals" if args.modals else "keys" if args.keys else ""
    for pods in args.pods or [10_000, 50_000]:
        CPU.clear()
        run(pods, args.samples, args.runs, args.churn, only)


if __name__ == "__main__":
    main()
