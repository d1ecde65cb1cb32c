#!/usr/bin/env python
"""Start-up, interleaved: a one-widget Textual app, kstui and `kubectl get pods -A`.

    python bench/startup.py                          # 1,000 then 10,000 pods, 5 rounds
    python bench/startup.py --pods 1000 --rounds 9
    python bench/startup.py --kstui before=/tmp/base --kstui after=.   # two kstui trees
    python bench/startup.py --source     # compile kstui at every start (PYTHONDONTWRITEBYTECODE)

A report, not a test: it prints tables and always exits 0. The machine may be shared and
loaded, so nothing is timed alone: each round runs every program once, one after the other, in
an order that rotates from round to round, and each ratio is taken within a round (kstui over
the bare app or kubectl of the same round) before its min/median/max are shown.

For each size the sandbox runs in its own process (`kstui sandbox --clusters 1 --pods N`, no
churn, no Prometheus). On a real pty (160x48, bench/launch.py) each round runs:

- bare: `App` with a single `Static` (the floor any Textual app pays): first frame;
- kstui cold: `kstui --kubeconfig K -A` with a fresh XDG_CACHE_HOME (no discovery cache);
- kstui warm: the same with a cache the warm-up launch filled;
  each timed to its first frame (the header), first rows (a pod status word) and all rows (the
  breadcrumb's count without its "…");
- kubectl cold / warm (the machine's kubectl, same kubeconfig, an empty or a filled
  KUBECACHEDIR): first row and exit.

The issue's targets (ISSUE 18): first frame ≤ 1.2x the bare app's; all rows at 1k pods ≤ 1.6x
the bare app's first frame; at 10k pods first rows ≤ 0.3x kubectl's and all rows ≤ 0.5x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch import KSTUI_MARKS, SandboxProcess, first_frame_marker, kubectl_once, launch_once

ROOT = Path(__file__).resolve().parent.parent
BARE = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("⎈ one widget")

Bare().run()
"""
FIGURES = ("first frame", "first rows", "all rows")
PAUSE = 0.3
"""Seconds between two programs: the sandbox is done with the last one (its watches closed,
its connections gone) before the next one starts."""


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def spread(values: list[float], scale: float = 1000.0, unit: str = "ms") -> str:
    values = [v for v in values if v == v]  # no NaN
    if not values:
        return "—"
    low, mid, high = min(values) * scale, statistics.median(values) * scale, max(values) * scale
    if unit == "x":
        return f"{low:.2f} / {mid:.2f} / {high:.2f}x"
    return f"{low:.0f} / {mid:.0f} / {high:.0f} {unit}"


class Programs:
    """Every program of a round, by label, each returning its marks (seconds)."""

    def __init__(
        self, kubeconfig: Path, workdir: Path, trees: list[tuple[str, Path]], source: bool = False
    ) -> None:
        self.kubeconfig = kubeconfig
        self.workdir = workdir
        self.trees = trees
        self.fresh = 0
        base = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        base.pop("NO_COLOR", None)
        base["XDG_CONFIG_HOME"] = str(workdir / "config")  # no user config.yaml
        if not source:
            # As installed (pip byte-compiles) or run from a checkout Python may write to:
            # bytecode cached (the warm-up fills it), as Textual's own is in site-packages.
            # With PYTHONDONTWRITEBYTECODE=1 every start compiled ~60 kstui modules anew.
            base.pop("PYTHONDONTWRITEBYTECODE", None)
            base["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
        self.base_env = base

    def env(self, tree: Path, cache: Path) -> dict[str, str]:
        # PYTHONSAFEPATH: `python -m kstui` would otherwise put the current directory first on
        # sys.path, and run from a checkout every tree timed would be that checkout's kstui.
        return dict(
            self.base_env, PYTHONPATH=str(tree), PYTHONSAFEPATH="1", XDG_CACHE_HOME=str(cache)
        )

    def cold_cache(self) -> Path:
        self.fresh += 1
        return self.workdir / f"cold-{self.fresh}"

    def warm_up(self) -> None:
        for label, tree in self.trees:
            launch_once(self.argv(), self.env(tree, self.workdir / f"warm-{label}"), KSTUI_MARKS)
        kubectl_once(self.kubeconfig, self.workdir / "kube-warm")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "kstui", "--kubeconfig", str(self.kubeconfig), "-A"]

    def round(self, index: int) -> dict[str, dict[str, float]]:
        runs: list[tuple[str, object]] = [
            (
                "bare",
                lambda: launch_once(
                    [sys.executable, "-c", BARE],
                    self.base_env,
                    {"first frame": first_frame_marker},
                    settle=0,
                ),
            ),
        ]
        for label, tree in self.trees:
            runs.append(
                (
                    f"{label} cold",
                    lambda tree=tree: launch_once(
                        self.argv(), self.env(tree, self.cold_cache()), KSTUI_MARKS, settle=0
                    ),
                )
            )
            runs.append(
                (
                    f"{label} warm",
                    lambda tree=tree, label=label: launch_once(
                        self.argv(),
                        self.env(tree, self.workdir / f"warm-{label}"),
                        KSTUI_MARKS,
                        settle=0,
                    ),
                )
            )
        if shutil.which("kubectl"):
            runs.append(
                (
                    "kubectl cold",
                    lambda: kubectl_once(self.kubeconfig, self.workdir / f"kube-cold-{index}"),
                )
            )
            runs.append(
                ("kubectl warm", lambda: kubectl_once(self.kubeconfig, self.workdir / "kube-warm"))
            )
        shift = index % len(runs)
        order = runs[shift:] + runs[:shift]
        marks = {}
        for label, run in order:
            time.sleep(PAUSE)
            marks[label] = run()  # type: ignore[operator]
        return marks


def run(pods: int, rounds: int, trees: list[tuple[str, Path]], source: bool = False) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kstui-startup-"))
    report(f"\n## {pods:,} pods, {rounds} interleaved rounds (min / median / max)")
    try:
        # No Prometheus: its 24 h backfill and its scrapes of the sandbox ran beside every
        # start timed here (the list asks nothing of it).
        sandbox = SandboxProcess(pods, 0.0, workdir, "--no-prometheus")
        try:
            programs = Programs(sandbox.kubeconfig, workdir, trees, source)
            programs.warm_up()
            results = [programs.round(index) for index in range(rounds)]
        finally:
            sandbox.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds tokens

    labels = list(results[0])
    report("| program | first frame | first rows | all rows | rows |")
    report("| --- | --- | --- | --- | --- |")
    for label in labels:
        cells = [spread([r[label].get(f, float("nan")) for r in results]) for f in FIGURES]
        counts = {r[label].get("value all rows", r[label].get("rows", 0)) for r in results}
        report(f"| {label} | {' | '.join(cells)} | {', '.join(f'{c:.0f}' for c in counts)} |")

    def ratio(top: str, top_figure: str, bottom: str, bottom_figure: str) -> list[float]:
        return [
            r[top].get(top_figure, float("nan")) / r[bottom][bottom_figure]
            for r in results
            if bottom in r and r[bottom].get(bottom_figure)
        ]

    report("")
    report("| ratio (within each round) | target | min / median / max | median meets |")
    report("| --- | --- | --- | --- |")
    for label, _tree in trees:
        for cache in ("cold", "warm"):
            name = f"{label} {cache}"
            checks = [
                ("first frame / bare first frame", "first frame", "bare", "first frame", 1.2),
            ]
            if pods <= 1000:
                checks.append(
                    ("all rows / bare first frame", "all rows", "bare", "first frame", 1.6)
                )
            else:
                checks.append(
                    (
                        f"first rows / kubectl {cache} first rows",
                        "first rows",
                        f"kubectl {cache}",
                        "first rows",
                        0.3,
                    )
                )
                checks.append(
                    (
                        f"all rows / kubectl {cache} all rows",
                        "all rows",
                        f"kubectl {cache}",
                        "all rows",
                        0.5,
                    )
                )
            checks.append(
                (
                    f"all rows / kubectl {cache} all rows",
                    "all rows",
                    f"kubectl {cache}",
                    "all rows",
                    float("nan"),
                )
            )
            seen = set()
            for what, figure, other, other_figure, target in checks:
                if what in seen:
                    continue
                seen.add(what)
                values = ratio(name, figure, other, other_figure)
                if not values:
                    continue
                mid = statistics.median(values)
                meets = "—" if target != target else ("yes" if mid <= target else "NO")
                shown = "(none)" if target != target else f"≤ {target:g}x"
                report(f"| {name}: {what} | {shown} | {spread(values, 1, 'x')} | {meets} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, action="append", help="default 1000 and 10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--kstui",
        action="append",
        metavar="LABEL=DIR",
        help="a kstui source tree to time (repeatable; default kstui=this tree)",
    )
    parser.add_argument(
        "--source",
        action="store_true",
        help="no bytecode cache: every start compiles kstui anew (default: cached, as installed)",
    )
    args = parser.parse_args()
    trees = [
        (text.partition("=")[0], Path(text.partition("=")[2]).resolve())
        for text in args.kstui or [f"kstui={ROOT}"]
    ]
    report(
        f"kstui bench/startup.py · python {sys.version.split()[0]} · {os.cpu_count()} cores · "
        f"load {os.getloadavg()[0]:.1f} · "
        + ("compiled from source each start" if args.source else "bytecode cached")
    )
    for pods in args.pods or [1000, 10_000]:
        run(pods, args.rounds, trees, args.source)


if __name__ == "__main__":
    main()
