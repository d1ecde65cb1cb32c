"""The `kstui` command: argv in, the right entry point out; nothing else lives here."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstui import __version__, credentials_command
from kstui.screens.sections import SECTIONS  # no Textual: the registry imports screens lazily

if TYPE_CHECKING:
    from kstui.app import KstuiApp


def _sandbox_options(parser: argparse.ArgumentParser, pods: int, churn: float) -> None:
    parser.add_argument("--clusters", type=int, default=2, help="clusters to serve (default 2)")
    parser.add_argument(
        "--pods",
        type=int,
        default=pods,
        help=f"generated workload pods per cluster (default {pods})",
    )
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument(
        "--tls",
        dest="tls",
        action="store_true",
        default=True,
        help="https with a generated CA and token auth (default)",
    )
    tls.add_argument("--no-tls", dest="tls", action="store_false", help="plain http")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="first port; cluster i listens on PORT+i (default: free ports)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for generated objects")
    parser.add_argument(
        "--churn",
        type=float,
        default=churn,
        metavar="EVENTS_PER_S",
        help=f"pod status changes per second per cluster (default {churn:g})",
    )
    parser.add_argument(
        "--vanilla",
        action="store_true",
        help="no KubeSphere CRDs or objects: a plain Kubernetes cluster",
    )
    parser.add_argument(
        "--kubesphere-version",
        choices=("3", "4"),
        default="4",
        help="KubeSphere API generation to imitate (default 4)",
    )
    history = parser.add_mutually_exclusive_group()
    history.add_argument(
        "--prometheus",
        dest="prometheus",
        action="store_true",
        default=None,
        help="a real Prometheus per cluster with 24 h of history (default: when installed)",
    )
    history.add_argument("--no-prometheus", dest="prometheus", action="store_false")
    parser.add_argument(
        "--workspaces",
        type=int,
        default=0,
        metavar="N",
        help="generated workspaces beside the sample ones (default 0)",
    )
    parser.add_argument(
        "--projects",
        type=int,
        default=0,
        metavar="N",
        help="generated project namespaces spread over them (default 0)",
    )


def _app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-n", "--namespace", help="namespace to open (default: the context's)")
    where.add_argument(
        "-A", "--all-namespaces", action="store_true", help="open with every namespace"
    )
    parser.add_argument(
        "--readonly",
        action="store_true",
        help="disable every write action (delete, edit, scale, restart)",
    )
    parser.add_argument(
        "--screen",
        choices=tuple(SECTIONS),
        default="resources",
        help="section to open (default resources)",
    )
    parser.add_argument(
        "--kind", default="pods", help="kind the resources section lists first (default pods)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kstui", description="A terminal workstation for KubeSphere-style platforms."
    )
    parser.add_argument("--version", action="version", version=f"kstui {__version__}")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)"
    )
    _app_options(parser)
    sub = parser.add_subparsers(dest="command")
    sandbox = sub.add_parser("sandbox", help="run the sandbox cluster(s) in the foreground")
    _sandbox_options(sandbox, pods=120, churn=0.0)
    sandbox.add_argument(
        "--kubeconfig",
        dest="sandbox_kubeconfig",
        required=True,
        help="where to write the kubeconfig",
    )
    sandbox.add_argument(
        "--state-dir",
        help="where the CA, keys and tokens are kept, so a "
        "restart serves the same credentials "
        "(default: KUBECONFIG.state beside it)",
    )
    credentials_command.add_parser(sub)
    demo = sub.add_parser("demo", help="open kstui on a demo sandbox (nothing to set up)")
    _sandbox_options(demo, pods=120, churn=2.0)
    _app_options(demo)
    return parser


def _print(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _serve(args: argparse.Namespace, kubeconfig: Path) -> None:
    from kstui.sandbox import prometheus
    from kstui.sandbox.runtime import Sandbox, SandboxOptions

    started = time.perf_counter()
    history = args.prometheus
    if history is None:  # on where installed, unless the scrapes would load the sandbox
        history = prometheus.binaries() is not None and args.pods <= prometheus.AUTO_MAX_PODS
        if prometheus.binaries() is None:
            _print(f"kstui sandbox: {prometheus.MISSING}")
        elif not history:
            _print(
                f"kstui sandbox: no Prometheus above {prometheus.AUTO_MAX_PODS} pods unless asked"
            )
    sandbox = Sandbox(
        SandboxOptions(
            clusters=args.clusters,
            pods=args.pods,
            tls=args.tls,
            port=args.port,
            seed=args.seed,
            churn=args.churn,
            kubesphere=not args.vanilla,
            kubesphere_version=args.kubesphere_version,
            workspaces=args.workspaces,
            projects=args.projects,
            state_dir=getattr(args, "state_dir", None) or f"{kubeconfig}.state",
            prometheus=history,
        )
    )
    await sandbox.start()
    if sandbox.prometheus is not None:  # its history comes in the background
        sandbox.prometheus.on_ready = lambda said: _print(f"prometheus: {said}")
    sandbox.write_kubeconfig(kubeconfig)
    elapsed = time.perf_counter() - started
    _print(f"kstui sandbox: {len(sandbox.clusters)} cluster(s) ready in {elapsed:.2f}s")
    for cluster in sandbox.clusters:
        pods = len(cluster.store.bucket(("", "pods")))
        _print(f"  context {cluster.name:<8} {sandbox.url(cluster.name)}  ({pods} pods, admin)")
    if "host" in sandbox.handles:
        _print("  context tenant   same server as host, as user 'alice' (namespace shop-prod)")
    if sandbox.charts.base_url:
        _print(
            f"  charts           {sandbox.charts.base_url}/charts/<repo>/index.yaml (Helm repos)"
        )
    for cluster in sandbox.clusters:  # the OAuth door for `devops: {ctx: {ks_apiserver: …}}`
        with contextlib.suppress(LookupError):
            ks = f"{sandbox.ks_apiserver(cluster.name).url} ({cluster.name}; password P@88w0rd)"
            _print(f"  ks-apiserver     {ks}")
    _print(f"\nkubeconfig: {kubeconfig}")
    _print("try:")
    _print(f"  export KUBECONFIG={kubeconfig}")
    _print("  kubectl get pods -A")
    _print("  kubectl get workspacetemplates,clusters")
    _print("  kubectl --context tenant auth can-i delete pods -n shop-prod")
    if sandbox.charts.base_url:
        _print(f"  helm repo add labs {sandbox.charts.repo_url('labs')}")
    _print("\nCtrl-C stops the sandbox.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    _print("stopping...")
    await sandbox.stop()


def _run_sandbox(args: argparse.Namespace) -> int:
    asyncio.run(_serve(args, Path(args.sandbox_kubeconfig)))
    return 0


def _fail(error: Exception) -> int:
    from kstui.safe_text import inert  # messages quote kubeconfig names: never raw controls

    sys.stderr.write(f"kstui: {inert(str(error))}\n")
    return 2


def _not_terminals() -> list[str]:
    """Which of stdin and stdout are not a terminal: the full-screen UI needs both."""
    streams = (("stdin", sys.stdin), ("stdout", sys.stdout))
    return [name for name, stream in streams if not _is_terminal(stream)]


def _needs_terminal(prog: str) -> int | None:
    """Exit status 2 and why, when there is no terminal to draw on (not: escape codes
    written into a file, then waiting forever for keys)."""
    missing = _not_terminals()
    if missing:
        what = (
            f"{missing[0]} is not a TTY" if len(missing) == 1 else "stdin and stdout are not TTYs"
        )
        sys.stderr.write(f"{prog}: needs a terminal ({what}): run it interactively\n")
        return 2
    if not _is_terminal(sys.stderr):
        # Textual draws the screen on stderr: redirected, the screen would go into the file.
        sys.stderr.write(
            f"{prog}: needs a terminal (stderr is not a TTY, and the screen is "
            "drawn there): run it without redirecting stderr\n"
        )
        return 2
    return None


def _is_terminal(stream: object) -> bool:
    try:
        return stream is not None and stream.isatty()  # type: ignore[attr-defined]
    except ValueError:  # closed
        return False


def _run_app(args: argparse.Namespace, kubeconfig_path: str | None) -> int:
    from kstui.heap import HEAP

    with HEAP.starting():  # no collections while importing; what the start made frozen
        app = _make_app(args, kubeconfig_path)
    if isinstance(app, int):
        return app
    app.run()
    return app.return_code or 0


def _make_app(args: argparse.Namespace, kubeconfig_path: str | None) -> KstuiApp | int:
    """The app, or the exit status when it cannot start (kubeconfig, config, no terminal)."""
    from kstui.backends.errors import KstuiError
    from kstui.backends.kubeconfig import load_kubeconfig
    from kstui.config import load_config

    try:
        config = load_config()
        kubeconfig = load_kubeconfig(kubeconfig_path)
        context = kubeconfig.context(args.context or config.default_context).name
    except KstuiError as error:
        return _fail(error)
    if args.all_namespaces:
        namespace = ""
    else:
        namespace = (
            args.namespace or config.default_namespace or kubeconfig.contexts[context].namespace
        )
    if args.screen == "resources":  # its list, asked for while Textual starts
        from kstui.backends.early_list import begin_first_list

        begin_first_list(kubeconfig, context, args.kind, namespace, config.refresh.page_size)
    if config.no_color:
        os.environ["NO_COLOR"] = "1"  # Textual reads it when the app is created
    from kstui.app import AppSettings, KstuiApp, binding_ids, build_app
    from kstui.config import validate_keymap, validate_plugins

    plugin_ids = {plugin.binding_id for plugin in config.plugins}
    try:  # binding_ids() imports every screen: only when there is a keymap or a plugin
        if config.keymap:
            validate_keymap(config.keymap, binding_ids() | plugin_ids, source=config.path)
        if config.plugins:
            from kstui.screens.plugin_keys import builtin_keys

            keys = builtin_keys(KstuiApp, config.keymap)
            validate_plugins(config.plugins, keys, source=config.path)
    except KstuiError as error:
        return _fail(error)
    status = _needs_terminal("kstui")  # after the checks above: they need no terminal
    if status is not None:
        return status
    return build_app(
        AppSettings(
            kubeconfig,
            context,
            namespace,
            config=config,
            readonly=args.readonly or config.readonly,
            screen=args.screen,
            kind=args.kind,
        )
    )


def _die_with_parent(parent: int) -> None:
    """In the sandbox child, before exec: SIGTERM when the demo goes, however it goes
    (prctl PR_SET_PDEATHSIG, Linux; elsewhere the parent's handlers must do)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PDEATHSIG
    if os.getppid() != parent:  # the demo already went, before the line above
        os.kill(os.getpid(), signal.SIGTERM)


_LEAVE_SCREEN = (
    b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"  # mouse reports off
    b"\x1b[?2004l\x1b[?1004l"  # bracketed paste, focus reports off
    b"\x1b[?1049l\x1b[?25h"  # the main screen back, the cursor shown
)


class _DemoSandbox:
    """The sandbox child and its 0700 directory (a kubeconfig with tokens, the log): both go
    with the demo on every path, quit, crash, SIGHUP (terminal closed), SIGTERM, SIGINT."""

    SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)

    def __init__(self, command_for: Callable[[Path], list[str]]) -> None:
        import subprocess

        self.workdir = Path(tempfile.mkdtemp(prefix="kstui-demo-"))
        self.workdir.chmod(0o700)
        self.kubeconfig = self.workdir / "kubeconfig"
        self.log_path = self.workdir / "sandbox.log"
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in self.SIGNALS}
        self._tty: list[Any] | None = None
        with contextlib.suppress(OSError, ValueError, ImportError):
            import termios

            self._tty = termios.tcgetattr(0)  # before the UI makes it raw
        atexit.register(self.stop)
        parent = os.getpid()
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command_for(self.kubeconfig),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "TMPDIR": str(self.workdir)},  # its keys go with the rest
                start_new_session=True,  # its own group: the terminal's ^C is not for it
                preexec_fn=lambda: _die_with_parent(parent),
            )

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop()
        if signum != signal.SIGHUP:  # a terminal is still there: leave it usable
            with contextlib.suppress(OSError, ValueError, ImportError):
                os.write(2, _LEAVE_SCREEN)  # fd 2: the app swaps sys.stderr
                if self._tty is not None:
                    import termios

                    termios.tcsetattr(0, termios.TCSADRAIN, self._tty)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # die of it, as without the handler

    def stop(self) -> None:
        import shutil
        import subprocess

        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)  # the child and anything it started
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                if signal.getsignal(sig) == self._on_signal:
                    signal.signal(sig, previous)


def _run_demo(args: argparse.Namespace) -> int:
    """The sandbox in its own process (it never competes with the UI's loop), then the app."""
    status = _needs_terminal("kstui demo")  # before a sandbox is started for nothing
    if status is not None:
        return status

    def command_for(kubeconfig: Path) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "kstui",
            "sandbox",
            "--kubeconfig",
            str(kubeconfig),
            "--clusters",
            str(args.clusters),
            "--pods",
            str(args.pods),
            "--seed",
            str(args.seed),
            "--churn",
            str(args.churn),
            "--kubesphere-version",
            args.kubesphere_version,
            "--workspaces",
            str(args.workspaces),
            "--projects",
            str(args.projects),
            "--tls" if args.tls else "--no-tls",
        ]
        if args.port:
            command += ["--port", str(args.port)]
        if args.vanilla:
            command.append("--vanilla")
        if args.prometheus is not None:
            command.append("--prometheus" if args.prometheus else "--no-prometheus")
        return command

    sandbox = _DemoSandbox(command_for)
    try:
        log_path, deadline = sandbox.log_path, time.monotonic() + 120
        while "ready in" not in log_path.read_text():
            if sandbox.process.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write(
                    f"kstui demo: the sandbox did not start:\n{log_path.read_text()[-2000:]}\n"
                )
                return 2
            time.sleep(0.02)
        if not args.namespace:
            args.all_namespaces = True  # the demo's contexts have no namespace: show everything
        return _run_app(args, str(sandbox.kubeconfig))
    finally:
        sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "credentials":
        return credentials_command.run(args)
    if args.command == "sandbox":
        return _run_sandbox(args)
    if args.command == "demo":
        return _run_demo(args)
    return _run_app(args, args.kubeconfig)


if __name__ == "__main__":
    sys.exit(main())
