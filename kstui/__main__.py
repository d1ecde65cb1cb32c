"""The `kstui` command: argv in, the right entry point out; nothing else lives here."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from kstui import __version__


def _sandbox_parser(sub: argparse._SubParsersAction, name: str, help_: str, pods: int) \
        -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_)
    parser.add_argument("--clusters", type=int, default=2, help="clusters to serve (default 2)")
    parser.add_argument("--pods", type=int, default=pods,
                        help=f"generated workload pods per cluster (default {pods})")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--tls", dest="tls", action="store_true", default=True,
                     help="https with a generated CA and token auth (default)")
    tls.add_argument("--no-tls", dest="tls", action="store_false", help="plain http")
    parser.add_argument("--port", type=int, default=0,
                        help="first port; cluster i listens on PORT+i (default: free ports)")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated objects")
    parser.add_argument("--churn", type=float, default=0.0, metavar="EVENTS_PER_S",
                        help="pod status changes per second per cluster")
    parser.add_argument("--vanilla", action="store_true",
                        help="no KubeSphere CRDs or objects: a plain Kubernetes cluster")
    parser.add_argument("--kubeconfig", default=None,
                        help="where to write the kubeconfig (sandbox: required)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kstui", description="A terminal workstation for KubeSphere-style platforms.")
    parser.add_argument("--version", action="version", version=f"kstui {__version__}")
    sub = parser.add_subparsers(dest="command")
    _sandbox_parser(sub, "sandbox", "run the sandbox cluster(s) in the foreground", 120)
    _sandbox_parser(sub, "demo", "run the demo sandbox and show how to reach it", 120)
    return parser


def _print(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _serve(args: argparse.Namespace, kubeconfig: Path) -> None:
    from kstui.sandbox.runtime import Sandbox, SandboxOptions

    started = time.perf_counter()
    sandbox = Sandbox(SandboxOptions(
        clusters=args.clusters, pods=args.pods, tls=args.tls, port=args.port, seed=args.seed,
        churn=args.churn, kubesphere=not args.vanilla))
    await sandbox.start()
    sandbox.write_kubeconfig(kubeconfig)
    elapsed = time.perf_counter() - started
    _print(f"kstui sandbox: {len(sandbox.clusters)} cluster(s) ready in {elapsed:.2f}s")
    for cluster in sandbox.clusters:
        pods = len(cluster.store.bucket(("", "pods")))
        _print(f"  context {cluster.name:<8} {sandbox.url(cluster.name)}  ({pods} pods, admin)")
    if "host" in sandbox.handles:
        _print("  context tenant   same server as host, as user 'alice' (namespace shop-prod)")
    _print(f"\nkubeconfig: {kubeconfig}")
    _print("try:")
    _print(f"  export KUBECONFIG={kubeconfig}")
    _print("  kubectl get pods -A")
    _print("  kubectl get workspacetemplates,clusters")
    _print("  kubectl --context tenant auth can-i delete pods -n shop-prod")
    _print("\nCtrl-C stops the sandbox.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    _print("stopping...")
    await sandbox.stop()


def _run_sandbox(args: argparse.Namespace) -> int:
    if args.kubeconfig is None:
        if args.command == "sandbox":
            _print("kstui sandbox: --kubeconfig FILE is required (where to write the contexts)")
            return 2
        args.kubeconfig = os.path.join(tempfile.mkdtemp(prefix="kstui-demo-"), "kubeconfig")
    asyncio.run(_serve(args, Path(args.kubeconfig)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("sandbox", "demo"):
        return _run_sandbox(args)
    build_parser().print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
