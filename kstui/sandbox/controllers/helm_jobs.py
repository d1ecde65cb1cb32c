"""The Helm inside the app store's install and uninstall jobs, for the sandbox: when a job's pod
runs it records the revision (`pending-install`/`pending-upgrade`) and applies the chart's
Deployment and Service on the target cluster; when the pod ends it marks the revision
`deployed` (the previous deployed one `superseded`) or `failed`. An uninstall deletes the
release's objects and every revision. Records are Helm's own Secrets (seed_helm's encoder).
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from kstui.sandbox.helm_run import release_record, render
from kstui.sandbox.seed_helm import release_secret
from kstui.sandbox.status import ApiError

if TYPE_CHECKING:
    from kstui.sandbox.charts import Chart
    from kstui.sandbox.clock import Clock
    from kstui.sandbox.cluster import SandboxCluster

PODS = ("", "pods")
SECRETS = ("", "secrets")


def decode_release(secret: dict[str, Any]) -> dict[str, Any]:
    packed = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    return json.loads(gzip.decompress(packed) if packed[:2] == b"\x1f\x8b" else packed)


@dataclass(slots=True)
class Plan:
    """What the Helm in one job will do, decided when the job is made."""

    action: str  # install | uninstall
    release: str
    namespace: str
    revision: int = 0
    chart: Chart | None = None
    values: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    early: bool = False
    started: bool = False
    done: bool = False


class HelmInJobs:
    """The plans of the jobs made so far, run as their pods move."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._plans: dict[tuple[str, str, str], Plan] = {}

    def plan(self, target: SandboxCluster, job: str, plan: Plan) -> None:
        self._plans[(target.name, plan.namespace, job)] = plan

    def run(self, target: SandboxCluster, release: str, namespace: str) -> None:
        for (cluster, ns, job_name), plan in list(self._plans.items()):
            if cluster != target.name or ns != namespace or plan.release != release or plan.done:
                continue
            phases = [
                (p.get("status") or {}).get("phase", "Pending")
                for p in target.store.objects(PODS, namespace)
                if (p["metadata"].get("labels") or {}).get("job-name") == job_name
            ]
            if not plan.started and any(p != "Pending" for p in phases):
                plan.started = True
                self._helm_start(target, plan)
            if any(p in ("Succeeded", "Failed") for p in phases):
                plan.done = True
                self._helm_finish(target, plan)
                del self._plans[(cluster, ns, job_name)]

    def _helm_start(self, target: SandboxCluster, plan: Plan) -> None:
        if plan.action == "uninstall":
            latest = self.latest(target, plan.namespace, plan.release)
            for api_version, kind_name, name in _manifest_objects(latest):
                kind = target.registry.by_kind(api_version, kind_name)
                if kind is not None and target.store.get(kind.storage_key, plan.namespace, name):
                    target.store.delete(kind, plan.namespace, name)
            for secret in self._secrets(target, plan.namespace, plan.release):
                target.store.delete(
                    target.kind_of(secret), plan.namespace, secret["metadata"]["name"]
                )
            return
        if plan.early or plan.chart is None:
            return  # Helm stopped before it recorded anything
        status = "pending-install" if plan.revision == 1 else "pending-upgrade"
        self._record(
            target,
            plan,
            status,
            "Initial install underway" if plan.revision == 1 else "Preparing upgrade",
        )
        if plan.problem is not None:
            return
        for obj in render(plan.chart, plan.release, plan.namespace, plan.values):
            kind = target.kind_of(obj)
            current = target.store.get(kind.storage_key, plan.namespace, obj["metadata"]["name"])
            try:
                if current is None:
                    target.create(kind, obj)
                else:
                    current["metadata"]["labels"] = obj["metadata"]["labels"]
                    current["spec"] = {**current.get("spec", {}), **obj["spec"]}
                    target.admit(kind, current, creating=False)
                    target.store.update(kind, current, check_rv=False)
            except ApiError as error:
                plan.problem = error.message

    def _helm_finish(self, target: SandboxCluster, plan: Plan) -> None:
        if plan.action == "uninstall" or plan.early or plan.chart is None:
            return
        if plan.problem is not None:
            self._record(target, plan, "failed", f'Release "{plan.release}" failed: {plan.problem}')
            return
        for secret in self._secrets(target, plan.namespace, plan.release):
            if secret["metadata"]["labels"].get("status") == "deployed":
                old = decode_release(secret)
                old["info"]["status"] = "superseded"
                self._write_secret(target, old)
        done = "Install complete" if plan.revision == 1 else "Upgrade complete"
        self._record(target, plan, "deployed", done)

    def _record(self, target: SandboxCluster, plan: Plan, status: str, description: str) -> None:
        assert plan.chart is not None
        now = self.clock.now()
        first = now
        for secret in self._secrets(target, plan.namespace, plan.release):
            if secret["metadata"]["labels"].get("version") == "1":
                first_text = decode_release(secret)["info"]["first_deployed"]
                first = type(now).fromisoformat(first_text)
        record = release_record(
            plan.chart,
            plan.release,
            plan.namespace,
            plan.revision,
            plan.values,
            status,
            description,
            first,
            now,
        )
        self._write_secret(target, record)

    def _write_secret(self, target: SandboxCluster, record: dict[str, Any]) -> None:
        secret = release_secret(record, self.clock.now())
        secret["metadata"].pop("creationTimestamp", None)
        kind = target.kind_of(secret)
        current = target.store.get(SECRETS, record["namespace"], secret["metadata"]["name"])
        if current is None:
            target.create(kind, secret)
        else:
            current["metadata"]["labels"] = secret["metadata"]["labels"]
            current["data"] = secret["data"]
            target.store.update(kind, current, check_rv=False)

    def _secrets(self, target: SandboxCluster, namespace: str, release: str) -> list[dict]:
        return [
            s
            for s in target.store.objects(SECRETS, namespace)
            if (s["metadata"].get("labels") or {}).get("owner") == "helm"
            and s["metadata"]["labels"].get("name") == release
        ]

    def latest(self, target: SandboxCluster, namespace: str, release: str) -> dict | None:
        """`helm get`: the release's newest revision, or None."""
        secrets = self._secrets(target, namespace, release)
        if not secrets:
            return None
        newest = max(secrets, key=lambda s: int(s["metadata"]["labels"].get("version", "0")))
        return decode_release(newest)


def _manifest_objects(record: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(apiVersion, kind, name) of each object in a release's manifest."""
    found = []
    for doc in yaml.safe_load_all((record or {}).get("manifest", "")):
        if isinstance(doc, dict) and doc.get("kind"):
            found.append((doc["apiVersion"], doc["kind"], doc["metadata"]["name"]))
    return found
