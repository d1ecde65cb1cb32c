"""One sandbox cluster: its store, kinds, identities, faults and controllers, without HTTP.

Both the HTTP layer and the seeders write through `admit()`, so what a client can create the
seed can too, and both are validated, defaulted and pruned the same way.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kstui.sandbox import convert, defaults, names, quota, schema
from kstui.sandbox.auth import Authenticator, Authorizer
from kstui.sandbox.charts import ChartRepos
from kstui.sandbox.clock import Clock, rfc3339
from kstui.sandbox.faults import Faults
from kstui.sandbox.jenkins_jobs import Jenkins
from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.registry import KindRegistry
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Event, Store

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
NAMESPACES_KEY = ("", "namespaces")

KUBERNETES_VERSION = {
    # A current release: kubectl here is a dispatcher that runs the client matching this minor
    # (or, past its newest, its own 1.32), and today's clients send built-in kinds as protobuf.
    "major": "1",
    "minor": "35",
    "gitVersion": "v1.35.2",
    "gitCommit": "fdc9d74cbf2da6754ebf81d56f80ae2948cd6425",
    "gitTreeState": "clean",
    "buildDate": "2026-02-26T20:05:34Z",
    "goVersion": "go1.25.7",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True, slots=True)
class ProxyTarget:
    base_url: str


class SandboxCluster:
    def __init__(
        self,
        name: str,
        clock: Clock,
        seed: int = 0,
        log_capacity: int = 20_000,
        kubesphere: bool = True,
    ) -> None:
        self.name = name
        self.clock = clock
        self.rng = random.Random(f"{name}:{seed}")
        self.kubesphere = kubesphere
        self.registry = KindRegistry()
        self.store = Store(clock, self.rng, log_capacity)
        self.store.kind_lookup = self.registry.storage_kind
        self.quota = quota.QuotaLedger(self.store)
        """Per-namespace usage for ResourceQuotas; it hears every write from the first."""
        self.authn = Authenticator()
        self.authz = Authorizer(self.store)
        self.faults = Faults()
        self.bookmark_interval = 60.0
        """Seconds of quiet before a watch gets a BOOKMARK (kube-apiserver: about a minute)."""
        self.proxies: dict[tuple[str, str, str], ProxyTarget] = {}
        self.server_url = ""
        self.on_start: list[Callable[[], None]] = []
        self.charts = ChartRepos()
        """The chart repositories this sandbox serves (runtime.py gives every cluster the one
        served); controllers read charts through it, never over the network."""
        self.helm_job_start = 0.5
        """Seconds an app store Helm job's pod takes to start (it then runs 1 s)."""
        self.pipeline_step_seconds = 1.0
        """Seconds one unit of a sandbox Jenkins build plan takes (jenkins_jobs.py)."""
        self.pipeline_poll_seconds = 3.0
        """How often the PipelineRun controller polls a running build (ks-devops: 3 s)."""
        self.jenkins = Jenkins(self)
        self.webhooks: list[Callable[[ResourceKind, dict[str, Any], dict[str, Any] | None], None]]
        self.webhooks = []
        """Validating admission webhooks: each may raise the ApiError of a refusal."""
        self.store.add_listener(self._on_crd_event)

    # ------------------------------------------------------------------ kinds

    def kind(self, group: str, version: str, plural: str) -> ResourceKind | None:
        return self.registry.lookup(group, version, plural)

    def kind_of(self, obj: dict[str, Any]) -> ResourceKind:
        found = self.registry.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        if found is None:
            raise ApiError.bad_request(
                f'no matches for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"'
            )
        return found

    def _on_crd_event(self, event: Event) -> None:
        """CRDs take effect the moment they are written: discovery serves the new kind at once."""
        if event.key != CRD_KEY:
            return
        crd = event.new.decode()
        if event.type == "DELETED":
            self.registry.remove_crd(crd["metadata"]["name"])
        else:
            self.registry.add_crd(crd)

    # ------------------------------------------------------------------ admission

    def admit(self, kind: ResourceKind, obj: dict[str, Any], creating: bool) -> None:
        """Validate, default and prune an object about to be written; raise 422 if invalid."""
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise ApiError.bad_request("Object 'metadata' is missing or not an object")
        if kind.version != kind.storage_version and not kind.is_custom:
            convert.to_storage(kind, obj)
        name = meta.get("name") or ""
        causes: list[dict[str, str]] = []
        if not name and not (creating and meta.get("generateName")):
            causes.append(
                {
                    "reason": "FieldValueRequired",
                    "field": "metadata.name",
                    "message": "Required value: name or generateName is required",
                }
            )
        elif name:
            rule = names.name_rule(kind.group, kind.plural)
            causes += [
                {
                    "reason": "FieldValueInvalid",
                    "field": "metadata.name",
                    "message": f'Invalid value: "{name}": {problem}',
                }
                for problem in rule(name)
            ]
        if meta.get("labels") is not None:
            causes += [
                {"reason": "FieldValueInvalid", "field": "metadata.labels", "message": problem}
                for problem in names.validate_labels(meta["labels"])
            ]
        if kind.schema is not None:
            causes += [
                {"reason": c.reason, "message": c.message, "field": c.field}
                for c in schema.prepare(kind.schema, obj)
            ]
        else:
            defaults.default_object(kind.storage_key, obj, self.rng)
            causes += defaults.validate_object(kind.storage_key, obj)
        if kind.storage_key == CRD_KEY:
            causes += _validate_crd(obj)
            if not causes:
                obj["status"] = _established(obj, rfc3339(self.clock.now()))
        if causes:
            raise ApiError.invalid(
                kind.kind, name or meta.get("generateName", ""), causes, kind.group
            )

    def validate(
        self, kind: ResourceKind, obj: dict[str, Any], old: dict[str, Any] | None = None
    ) -> None:
        """Validating admission (after schema validation and quota), as webhooks answer."""
        for webhook in self.webhooks:
            webhook(kind, obj, old)

    def check_namespace(self, kind: ResourceKind, namespace: str, name: str = "") -> None:
        if not kind.namespaced:
            return
        ns = self.store.get(NAMESPACES_KEY, "", namespace)
        if ns is None:
            raise ApiError.not_found("namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            qualified = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
            subject = f'{qualified} "{name}"' if name else qualified  # as errors.NewForbidden
            raise ApiError.forbidden(
                f"{subject} is forbidden: unable to create new content in "
                f"namespace {namespace} because it is being terminated",
                name,
                kind.group,
                kind.plural,
            )

    def admit_quota(self, kind: ResourceKind, obj: dict[str, Any]) -> None:
        """The ResourceQuota admission plugin: a create that would exceed a quota is 403."""
        quota.admit(self.quota, kind, obj)

    def create(self, kind: ResourceKind, obj: dict[str, Any], dry_run: bool = False) -> dict:
        """Create as a client would (admission included); used by seeders and controllers."""
        namespace = obj.get("metadata", {}).get("namespace", "")
        self.admit(kind, obj, creating=True)
        self.check_namespace(kind, namespace)
        self.admit_quota(kind, obj)
        return self.store.create(kind, obj, dry_run=dry_run)

    def register_proxy(self, namespace: str, service: str, port: str | int, base_url: str) -> None:
        """Send `services/{service}:{port}/proxy/...` to a local HTTP server."""
        self.proxies[(namespace, service, str(port))] = ProxyTarget(base_url.rstrip("/"))

    def unregister_proxy(self, namespace: str, service: str, port: str | int) -> None:
        self.proxies.pop((namespace, service, str(port)), None)


def _validate_crd(crd: dict[str, Any]) -> list[dict[str, str]]:
    spec = crd.get("spec") or {}
    causes = []
    names_ = spec.get("names") or {}
    for field in ("plural", "kind"):
        if not names_.get(field):
            causes.append(
                {
                    "reason": "FieldValueRequired",
                    "field": f"spec.names.{field}",
                    "message": "Required value",
                }
            )
    if not spec.get("group"):
        causes.append(
            {"reason": "FieldValueRequired", "field": "spec.group", "message": "Required value"}
        )
    if not spec.get("versions"):
        causes.append(
            {"reason": "FieldValueRequired", "field": "spec.versions", "message": "Required value"}
        )
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            {
                "reason": "FieldValueNotSupported",
                "field": "spec.scope",
                "message": f'Unsupported value: "{spec.get("scope")}": supported values: '
                '"Cluster", "Namespaced"',
            }
        )
    expected = f"{names_.get('plural')}.{spec.get('group')}"
    if not causes and crd["metadata"].get("name") != expected:
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "field": "metadata.name",
                "message": f'Invalid value: "{crd["metadata"].get("name")}": must be '
                f'spec.names.plural+"."+spec.group',
            }
        )
    return causes


def _established(crd: dict[str, Any], now: str) -> dict[str, Any]:
    """The status the apiextensions controller writes once a CRD's names are accepted."""
    conditions = [
        {
            "type": "NamesAccepted",
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
            "lastTransitionTime": now,
        },
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
            "lastTransitionTime": now,
        },
    ]
    return {
        "acceptedNames": crd["spec"]["names"],
        "conditions": conditions,
        "storedVersions": [v["name"] for v in crd["spec"]["versions"] if v.get("storage")],
    }
