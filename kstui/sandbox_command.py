"""`kstui sandbox`: the sandbox cluster(s) in the foreground, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path


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


def run(args: argparse.Namespace) -> int:
    asyncio.run(_serve(args, Path(args.sandbox_kubeconfig)))
    return 0
