"""The `kstui` command: argv in, the right entry point out; nothing else lives here."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING

from kstui import __version__
from kstui.screens.sections import SECTIONS  # no Textual: the registry imports screens lazily

if TYPE_CHECKING:
    import argparse

    from kstui.app import KstuiApp

    Options = argparse.Namespace | SimpleNamespace

DEFAULT_SCREEN = "resources"
DEFAULT_KIND = "pods"


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
        default=DEFAULT_SCREEN,
        help=f"section to open (default {DEFAULT_SCREEN})",
    )
    parser.add_argument(
        "--kind",
        default=DEFAULT_KIND,
        help=f"kind the resources section lists first (default {DEFAULT_KIND})",
    )


def _top_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"kstui {__version__}")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)"
    )
    _app_options(parser)


def build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="kstui", description="A terminal workstation for KubeSphere-style platforms."
    )
    _top_options(parser)
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
    from kstui import credentials_command

    credentials_command.add_parser(sub)
    demo = sub.add_parser("demo", help="open kstui on a demo sandbox (nothing to set up)")
    _sandbox_options(demo, pods=120, churn=2.0)
    _app_options(demo)
    return parser


_VALUED = {
    "--kubeconfig": "kubeconfig",
    "--context": "context",
    "-n": "namespace",
    "--namespace": "namespace",
    "--screen": "screen",
    "--kind": "kind",
}
_FLAGS = {"-A": "all_namespaces", "--all-namespaces": "all_namespaces", "--readonly": "readonly"}


def parse_args(argv: list[str] | None = None) -> Options:
    """The command line. A plain start (`kstui --kubeconfig K -A`) is read without argparse:
    importing it and building the subcommands' parsers cost ~2 ms on the way to the first
    frame. Anything else (a subcommand, help, an error, an abbreviation) goes to the full
    parser, which prints what it always printed."""
    argv = sys.argv[1:] if argv is None else argv
    plain = _plain_start(argv)
    if plain is not None:
        return plain
    return build_parser().parse_args(argv)


def _plain_start(argv: list[str]) -> SimpleNamespace | None:
    """The app's own options spelled out in full (`--opt value`, `--opt=value`), as argparse
    reads them; None for anything it would read otherwise or refuse."""
    args = SimpleNamespace(
        command=None,
        kubeconfig=None,
        context=None,
        namespace=None,
        all_namespaces=False,
        readonly=False,
        screen=DEFAULT_SCREEN,
        kind=DEFAULT_KIND,
    )
    items = iter(argv)
    for item in items:
        option, equals, value = item.partition("=")
        if option in _FLAGS and not equals:
            setattr(args, _FLAGS[option], True)
            continue
        if option not in _VALUED or (equals and not option.startswith("--")):
            return None
        if not equals:
            value = next(items, "-")
        if value.startswith("-"):  # argparse's call: a missing value or another option
            return None
        setattr(args, _VALUED[option], value)
    if (args.namespace is not None and args.all_namespaces) or args.screen not in SECTIONS:
        return None  # refused: the full parser says why
    return args


def _fail(error: Exception) -> int:
    from kstui.safe_text import inert  # messages quote kubeconfig names: never raw controls

    sys.stderr.write(f"kstui: {inert(str(error))}\n")
    return 2


def _run_app(args: Options, kubeconfig_path: str | None) -> int:
    from kstui.heap import HEAP

    HEAP.pause_for_start()  # no collection until the app's first frame (HEAP.started)
    app = _make_app(args, kubeconfig_path)
    if isinstance(app, int):
        HEAP.started()
        return app
    app.run()
    return app.return_code or 0


def _make_app(args: Options, kubeconfig_path: str | None) -> KstuiApp | int:
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
    from kstui.terminal_check import needs_terminal

    status = needs_terminal("kstui")  # after the checks above: they need no terminal
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if isinstance(args, SimpleNamespace):  # a plain start
        return _run_app(args, args.kubeconfig)
    if args.command == "credentials":
        from kstui import credentials_command

        return credentials_command.run(args)
    if args.command == "sandbox":
        from kstui import sandbox_command

        return sandbox_command.run(args)
    if args.command == "demo":
        from kstui import demo_command

        return demo_command.run(args, _run_app)
    return _run_app(args, args.kubeconfig)


if __name__ == "__main__":
    sys.exit(main())
