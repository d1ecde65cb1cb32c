"""Which operate keys (run, shell, attach, copy, port-forward) and writes apply to a list's
rows, and why not: pure, so the first screen checks its keys without importing the exec,
port-forward and edit machinery (pod_operate.py, port_forwards.py, editing.py)."""

from __future__ import annotations

from kstui.backends.kinds import ResourceKind
from kstui.screens.disabled_keys import readonly_notice
from kstui.screens.resource_writes import WRITE_ACTIONS, write_denial

FORWARDED = frozenset(
    {"pods", "services", "deployments", "statefulsets", "replicasets", "daemonsets"}
)


def forward_denial(resource: str | None) -> str:
    """Why `ctrl+k` does not apply to this list's rows ("" when it does). Read-only mode
    allows it: a forward writes nothing."""
    if resource is None or resource in FORWARDED:
        return ""
    return f"port-forward: {resource} have no ports; choose a pod, a service or a workload"


OPERATE_ACTIONS = frozenset({"run", "shell", "attach"})
POD_ONLY = frozenset({"run", "shell", "attach"})
ON_OTHER_ROWS = {"shell": "scale"}
"""`s` is a shell on a pod and scale on a workload: one binding of the two is hidden (False)
per kind of row, so the other one answers the key (key_language.PER_ROW_KIND)."""


def applies(action: str, kind: ResourceKind | None) -> bool:
    """False hides the binding on this list: a shell off pods, scale on pods."""
    pods = kind is not None and kind.resource == "pods"
    if action == "shell":
        return pods
    return not (pods and action in ON_OTHER_ROWS.values())


def action_denial(action: str, kind: ResourceKind | None, readonly: str) -> str:
    """Why a write or an exec does not apply to this list's rows ("" when it does)."""
    if action == "port_forward":  # writes nothing: allowed in read-only mode
        return forward_denial(kind.resource if kind else None)
    if action == "copy_files":  # copying down writes nothing: its form refuses up when read-only
        return operate_denial("copy files", kind, "")
    if action in OPERATE_ACTIONS:
        return operate_denial(action, kind, readonly)
    return write_denial(action, kind, readonly) if action in WRITE_ACTIONS else ""


def operate_denial(action: str, kind: ResourceKind | None, readonly: str) -> str:
    """Why `action` does not apply to this list's rows ("" when it does): exec is a write
    (create pods/exec), refused in read-only mode, and only pods have containers to run in."""
    if readonly:
        return readonly_notice(action, readonly)
    if kind is not None and kind.resource != "pods":
        return f"{action}: {kind.resource} have no containers; choose a pod (or a container)"
    return ""
