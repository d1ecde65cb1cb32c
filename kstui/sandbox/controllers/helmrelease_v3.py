"""The HelmRelease controller of a 3.x-flavoured host (application.kubesphere.io/v1alpha1,
API.md §2.7), in outline: it follows `spec.version` and keeps `status.deployStatus`.

- `spec.version != status.version` → `creating` (nothing installed yet) or `upgrading`
- `creating` → `created`, `upgrading` → `upgraded` (Helm launched)
- `created`/`upgraded` → `active` with `status.version = spec.version`; values that are not
  YAML → `failed` with Helm's message (status.version follows, so it is not retried)
- deleted (finalizer `helmrelease.application.kubesphere.io`) → `deleting`, then the finalizer
  goes

Each step is one reconcile, so a watcher sees every state. `status.deployStatus` keeps the last
10 transitions, newest first. Unlike the 4.x controller (apprelease.py) it runs no Helm job and
makes no workloads: the sandbox models 3.x's objects, not its Helm.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

import yaml

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.controllers.tenancy import deleting

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster

HELM_RELEASES = ("application.kubesphere.io", "helmreleases")
FINALIZER = "helmrelease.application.kubesphere.io"
NEXT = {"creating": "created", "upgrading": "upgraded"}
KEPT = 10


def values_problem(encoded: str) -> str:
    """Helm's words for values it cannot read ("" when they are fine)."""
    try:
        text = base64.b64decode(encoded or "", validate=True).decode()
        yaml.safe_load(text)
    except (binascii.Error, UnicodeDecodeError):
        return "spec.values is not base64 of text"
    except yaml.YAMLError as error:
        return f"failed to parse values: {error}".splitlines()[0]
    return ""


class HelmReleaseV3Controller(Controller):
    watches = (HELM_RELEASES,)
    primary = HELM_RELEASES

    def __init__(self, cluster: SandboxCluster) -> None:
        super().__init__(cluster)

    def reconcile(self, key: WorkKey) -> None:
        rel = self.store.get(HELM_RELEASES, *key)
        if rel is None:
            return
        meta = rel["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        status = rel.setdefault("status", {})
        if deleting(rel):
            if FINALIZER not in finalizers:
                return
            if status.get("state") != "deleting":
                self._move(rel, "deleting", "")
                return
            meta["finalizers"] = [f for f in finalizers if f != FINALIZER]
            self.store.update(self.kind(HELM_RELEASES), rel, check_rv=False)
            return
        if FINALIZER not in finalizers:
            meta["finalizers"] = [*finalizers, FINALIZER]
            self.store.update(self.kind(HELM_RELEASES), rel, check_rv=False)
            return
        state = str(status.get("state") or "")
        wanted = int((rel.get("spec") or {}).get("version") or 1)
        if state in NEXT:
            self._move(rel, NEXT[state], "")
        elif state in ("created", "upgraded"):
            problem = values_problem(str(rel["spec"].get("values") or ""))
            status["version"] = wanted
            self._move(rel, "failed" if problem else "active", problem)
        elif int(status.get("version") or 0) != wanted:
            self._move(rel, "upgrading" if status.get("version") else "creating", "")

    def _move(self, rel: dict[str, Any], state: str, message: str) -> None:
        status = rel["status"]
        now = rfc3339(self.clock.now())
        status.update(state=state, message=message, lastUpdate=now)
        seen = [{"state": state, "message": message, "time": now}]
        status["deployStatus"] = (seen + list(status.get("deployStatus") or []))[:KEPT]
        self.store.update(self.kind(HELM_RELEASES), rel, subresource="status", check_rv=False)
