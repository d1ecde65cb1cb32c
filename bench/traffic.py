#!/usr/bin/env python
"""The Traffic section: a slider keystroke → the preview of the routes on screen, and apply →
the VirtualService showing the new weights.

    python bench/traffic.py
    python bench/traffic.py --keys 200 --applies 10

A report, not a test: it always exits 0. The sandbox runs in a thread of this process (one
cluster, the seeded 80/20 `reviews` canary). The app runs headless (120x36) on the sandbox's
kubeconfig, opens the Traffic section and the canary's slider view, and times with
bench/table.py's frame clock (key event → end of the first compositor frame showing it):

- `→`/`←` alternately (±5) until the preview line names the new share;

then, with the section's service (what ctrl+s sends once confirmed):

- the conditional merge patch of §5.3 (PATCH → answer), and
- PATCH → the VirtualService `reviews` showing the new weights, polled every 10 ms. That needs
  the sandbox's Strategy controller (§5.4); where it does not run, the VirtualService never
  follows and the report says so (the PATCH's own time is still measured).

Targets: preview p95 ≤ 30 ms; apply → VirtualService ≤ 1 s.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import FrameClock, p95, send_key

from kstui.app import AppSettings, KstuiApp
from kstui.backends.backend import BackendSettings
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.session import Session
from kstui.backends.traffic_service import TrafficService
from kstui.sandbox.runtime import SandboxOptions, SandboxThread
from kstui.screens.traffic import TrafficScreen
from kstui.screens.traffic_split import SplitScreen
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.slider import Slider

VS = "/apis/networking.istio.io/v1beta1/namespaces/shop-prod/virtualservices/reviews"
FOLLOW_WITHIN = 5.0


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def previews(kubeconfig: Path, keys: int, cache: Path) -> list[float]:
    settings = AppSettings(
        load_kubeconfig(str(kubeconfig)), "host", "shop-prod", screen="traffic", cache_dir=cache
    )
    app = KstuiApp(settings)
    samples: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, TrafficScreen)
        while not screen.splits:
            await pilot.pause(0.05)
        key = next(k for k, s in screen.splits.items() if s.namespace == "shop-prod")
        screen.query_one(ResourceTable).move_cursor_to(key)
        await pilot.press("enter")
        while not isinstance(app.screen, SplitScreen) or not app.screen.loaded:
            await pilot.pause(0.05)
        split = app.screen
        await pilot.pause(0.5)
        clock = FrameClock(app)
        press = partial(send_key, app)
        slider = split.query_one(Slider)
        preview = split.query_one("#preview", Plain)
        for index in range(keys):
            name = "right" if index % 2 == 0 else "left"
            wanted = slider.value + (5 if name == "right" else -5)
            old = 100 - wanted

            def shown(share: int = old) -> bool:
                return f"v1 {share}%" in str(preview.content) or (
                    share == 80 and str(preview.content).startswith("routes now")
                )

            samples.append(await clock.time(lambda n=name: press(n), shown))
    return samples


async def applies(kubeconfig: Path, count: int, cache: Path) -> tuple[list[float], list[float]]:
    session = Session(
        load_kubeconfig(str(kubeconfig)),
        "host",
        "shop-prod",
        settings=BackendSettings(cache_dir=cache),
    )
    service = TrafficService(session)
    patches: list[float] = []
    follows: list[float] = []
    try:
        listing = await service.splits()
        split = next(s for s in listing.splits if s.namespace == "shop-prod")
        client = await service.clusters.client("host")
        for index in range(count):
            weight = 30 if index % 2 == 0 else 40  # never the seeded 20
            started = time.perf_counter()
            written = await service.set_weight(split, weight)
            answered = time.perf_counter()
            patches.append((answered - started) * 1000)
            split = written.after
            deadline = answered + FOLLOW_WITHIN
            while time.perf_counter() < deadline:
                vs = await client.get(VS)
                route = vs["spec"]["http"][0]["route"]
                if [r.get("weight") for r in route] == [100 - weight, weight]:
                    follows.append((time.perf_counter() - started) * 1000)
                    break
                await asyncio.sleep(0.01)
            read = await service.read(split)
            split = read or split
    finally:
        await session.aclose()
    return patches, follows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--applies", type=int, default=10)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kstui-bench-traffic-"))
    report(f"kstui bench/traffic.py · python {sys.version.split()[0]} · {os.cpu_count()} cores")
    thread = SandboxThread(SandboxOptions(clusters=1, pods=20, state_dir=str(workdir / "state")))
    sandbox = thread.start()
    kubeconfig = sandbox.write_kubeconfig(workdir / "kubeconfig")
    try:
        keys = asyncio.run(previews(kubeconfig, args.keys, workdir / "cache"))
        patches, follows = asyncio.run(applies(kubeconfig, args.applies, workdir / "cache2"))
    finally:
        thread.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds tokens
    report("| figure | p50 / p95 / max | target |")
    report("| --- | --- | --- |")
    report(
        f"| slider key → preview frame ({len(keys)} keys) | {statistics.median(keys):.1f} / "
        f"{p95(keys):.1f} / {max(keys):.1f} ms | p95 ≤ 30 ms |"
    )
    report(
        f"| apply: conditional PATCH → answer ({len(patches)}) | "
        f"{statistics.median(patches):.1f} / {p95(patches):.1f} / {max(patches):.1f} ms | — |"
    )
    if len(follows) == len(patches):
        report(
            f"| apply → VirtualService shows the weights | {statistics.median(follows):.0f} / "
            f"{p95(follows):.0f} / {max(follows):.0f} ms | ≤ 1000 ms |"
        )
    else:
        report(
            f"| apply → VirtualService shows the weights | followed {len(follows)} of "
            f"{len(patches)} within {FOLLOW_WITHIN:g} s: no Strategy controller in this sandbox "
            "| ≤ 1000 ms |"
        )


if __name__ == "__main__":
    main()
