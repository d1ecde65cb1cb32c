#!/usr/bin/env python
"""CPU time from process start to the first frame: kstui against the one-widget Textual app.

    python bench/first_frame.py --kubeconfig K                       # 5 rounds, interleaved
    python bench/first_frame.py --kubeconfig K --kstui before=/tmp/base --kstui after=.
    python bench/first_frame.py --kubeconfig K --profile /tmp/ff.prof   # one kstui run, cProfile

A report, not a test. Each program runs on a real pty (160x48, as bench/startup.py) and stops
itself the moment its first frame (the "⎈" of the header) is handed to the terminal writer:
what it prints is the process's CPU time then (`time.process_time`, so a loaded machine
inflates it far less than wall time), the wall time since the interpreter started, and the
time spent importing before the app's run began. Rounds rotate the order of the programs.
Textual's writer and `App.run` are patched as the program imports them, so each program imports
in its own order (kstui asks for its first list on a thread before it imports Textual).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch import COLUMNS, LINES

BARE = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("⎈ one widget")

Bare().run()
"""

CHILD = r"""
import os, sys, time, json
started_cpu = time.process_time()
out, profile, argv = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
profiler = None
if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
marks = {}


def stamp(name):
    marks[name] = (time.process_time(), time.time())


def patch_driver(module):
    write = module.LinuxDriver.write

    def first_frame_write(self, data):
        write(self, data)
        if "\u2388" in data:
            stamp("first frame")
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(profile)
            with open(out, "w") as file:
                json.dump(marks, file)
            self.flush()
            os._exit(0)

    module.LinuxDriver.write = first_frame_write


def patch_app(module):
    run = module.App.run

    def stamped_run(self, *args, **kwargs):
        stamp("run")
        return run(self, *args, **kwargs)

    module.App.run = stamped_run


PATCHES = {"textual.drivers.linux_driver": patch_driver, "textual.app": patch_app}


# Textual's modules are patched as the program imports them, so it imports in its own order:
# kstui starts its early list before it imports Textual, and that list's thread shares the GIL
# with Textual's imports, not with what comes after them.
class PatchOnImport:

    @classmethod
    def find_spec(cls, name, path, target=None):
        patch = PATCHES.pop(name, None)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is not cls and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


sys.meta_path.insert(0, PatchOnImport)
if argv[0] == "-c":
    sys.argv = ["-c"]
    exec(compile(argv[1], "<bare>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = ["kstui", *argv]
    from kstui.__main__ import main
    main(argv)
"""


def run_once(
    argv: list[str], env: dict[str, str], profile: str = "", timeout: float = 60
) -> dict[str, float]:
    """One program on a pty until its first frame: marks in ms since the interpreter began."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    began = time.time()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(
            sys.executable, [sys.executable, "-c", CHILD, out, profile, json.dumps(argv)], env
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                os.read(fd, 1 << 16)
            except OSError:
                break
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    try:
        marks = json.loads(Path(out).read_text())
    except (OSError, ValueError):
        return {}
    finally:
        Path(out).unlink(missing_ok=True)
    cpu_frame, wall_frame = marks["first frame"]
    cpu_run, wall_run = marks["run"]
    return {
        "cpu": cpu_frame * 1000,
        "cpu before run": cpu_run * 1000,
        "cpu in run": (cpu_frame - cpu_run) * 1000,
        "wall": (wall_frame - began) * 1000,
        "wall in run": (wall_frame - wall_run) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kstui", action="append", default=[], metavar="LABEL=DIR")
    parser.add_argument("--profile", default="", help="one kstui run under cProfile, to FILE")
    parser.add_argument(
        "--source",
        action="store_true",
        help="compile kstui from source on every start (as with PYTHONDONTWRITEBYTECODE=1); "
        "default: bytecode cached, as an installed kstui has",
    )
    args = parser.parse_args()
    trees = [tuple(item.split("=", 1)) for item in args.kstui] or [("kstui", ".")]
    workdir = Path(tempfile.mkdtemp(prefix="first-frame-"))
    base = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    base.pop("NO_COLOR", None)
    base["XDG_CONFIG_HOME"] = str(workdir / "config")
    if not args.source:  # pip installs byte-compile; a checkout writes __pycache__ when it may
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        base["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    kstui_argv = ["--kubeconfig", args.kubeconfig, "-A"]

    def env(tree: str) -> dict[str, str]:
        return dict(  # PYTHONSAFEPATH: not the current directory's kstui whatever the tree
            base,
            PYTHONPATH=str(Path(tree).resolve()),
            PYTHONSAFEPATH="1",
            XDG_CACHE_HOME=str(workdir / "cache"),
        )

    if args.profile:
        if not args.source:
            run_once(kstui_argv, env(trees[0][1]))  # fills the bytecode cache
        marks = run_once(kstui_argv, env(trees[0][1]), profile=args.profile)
        print(json.dumps(marks), f"profile in {args.profile}")
        return
    programs = [("bare", ["-c", BARE], base)]
    programs += [(label, kstui_argv, env(tree)) for label, tree in trees]
    for _label, argv, program_env in programs:
        run_once(argv, program_env)  # warm the page cache and the discovery cache
    results: dict[str, dict[str, list[float]]] = {label: {} for label, _a, _e in programs}
    for index in range(args.rounds):
        shift = index % len(programs)
        for label, argv, program_env in programs[shift:] + programs[:shift]:
            for name, value in run_once(argv, program_env).items():
                results[label].setdefault(name, []).append(value)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"first frame, {args.rounds} rounds, ms as min / median / max (load {load})")
    names = list(next(iter(results.values())))
    print(f"  {'':<10}" + "".join(f"{name:>22}" for name in names))
    for label, figures in results.items():
        cells = (
            f"{min(v):.0f} / {statistics.median(v):.0f} / {max(v):.0f}"
            for v in (figures[name] for name in names)
        )
        print(f"  {label:<10}" + "".join(f"{cell:>22}" for cell in cells))
    bare_cpu = statistics.median(results["bare"]["cpu"])
    for label, figures in results.items():
        if label != "bare":
            ratio = statistics.median(figures["cpu"]) / bare_cpu
            print(f"  {label} cpu / bare cpu (medians): {ratio:.2f}x")
    subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    main()
