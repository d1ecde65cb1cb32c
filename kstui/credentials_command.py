"""`kstui credentials set-prometheus CONTEXT`: a Prometheus URL's secret into the OS keyring.

The secret is read without echo from a terminal (or one line from stdin), handed to `keyring`,
and never printed, logged or written to a file; the config names only the entry."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kstui.safe_text import inert


def add_parser(sub: Any) -> None:
    credentials = sub.add_parser("credentials", help="store secrets in the OS keyring")
    secrets = credentials.add_subparsers(dest="credentials_command", required=True)
    prometheus = secrets.add_parser(
        "set-prometheus",
        help="the bearer token or basic-auth password of a context's Prometheus URL "
        "(read from the terminal without echo, or from stdin)",
    )
    prometheus.add_argument("credentials_context", metavar="CONTEXT", help="kubeconfig context")
    prometheus.add_argument(
        "--entry", help="the keyring entry the config's keyring_entry names (default: CONTEXT)"
    )


def _print(text: str) -> None:
    sys.stdout.write(inert(text) + "\n")


def _is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    from kstui.backends.errors import KstuiError
    from kstui.backends.prometheus_endpoint import KEYRING_SERVICE, store_secret

    context = args.credentials_context
    entry = args.entry or context
    if _is_terminal():
        import getpass

        secret = getpass.getpass(f"Prometheus token or password for {context}: ")
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        sys.stderr.write("kstui: no secret given; nothing stored\n")
        return 2
    try:
        backend = store_secret(entry, secret)
    except KstuiError as error:
        sys.stderr.write(f"kstui: {inert(str(error))}\n")
        return 2
    _print(f"stored in the OS keyring ({backend}): service {KEYRING_SERVICE}, entry {entry}")
    _print(f"the config names it: prometheus: {{{context}: {{url: ..., keyring_entry: {entry}}}}}")
    return 0
