"""The ApplicationRelease controller on the host (API.md §2.3–§2.6), as ks-controller-manager's
apprelease-helminstaller: it runs Helm in a Job on the target cluster and follows the release.

States (`status.state`, with `message`, `lastUpdate`, `specHash`, `installJobName`,
`uninstallJobName`):
- "" → `creating` (+ specHash); a spec whose hash changed → `upgrading`
- `creating`/`upgrading` → the job `helm-install-<release>-<6>` in the target namespace →
  `created` (no Helm release yet) or `upgraded`, message `Deploying`; a job that cannot be made
  → `failed` with the API's message
- `created`/`upgraded` → Helm's record decides: `deployed` → `active` (its description,
  `Install complete`; an upgrade whose job succeeded: `Upgrade succeeful`, KubeSphere's words),
  `failed` → `failed` (its description, `Release "x" failed: ...`); no record and the job failed
  (values that fail the chart's schema: Helm stops before recording anything) → `deployFailed`,
  `deploy failed, job <job> has failed 1 times `; no job → `deployFailed`, `deploy failed, job
  not found`
- deleted (finalizer `helmrelease.application.kubesphere.io`) → `deleting`, `Uninstalling`, the
  job `helm-uninstall-<release>-<6>`; once every release job has finished they are deleted and
  the finalizer goes

The Helm in the job is the sandbox's (helm_run.py): when the job's pod runs it records the
revision (`pending-install`/`pending-upgrade`) and applies the Deployment and Service; when the
pod ends it marks the revision `deployed` (the previous one `superseded`) or `failed`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kstui.sandbox.auth import Attributes, UserInfo, forbidden_message
from kstui.sandbox.charts import Chart, read_chart
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.controllers.appstore import GROUP, VERSIONS
from kstui.sandbox.controllers.helm_jobs import HelmInJobs, Plan
from kstui.sandbox.controllers.pods import CRASH_ANNOTATION, START_AFTER_ANNOTATION
from kstui.sandbox.controllers.tenancy import CREATOR, deleting
from kstui.sandbox.helm_run import command as helm_command
from kstui.sandbox.helm_run import install_log, parse_values, render, uninstall_log, values_problem
from kstui.sandbox.podlogs import LOG_ANNOTATION, LOG_ONLY_ANNOTATION
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Event

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster

RELEASES = (GROUP, "applicationreleases")
JOBS = ("batch", "jobs")
PODS = ("", "pods")
SECRETS = ("", "secrets")
CONFIGMAPS = ("", "configmaps")
UPLOAD_NAMESPACE = "extension-openpitrix"
FINALIZER = "helmrelease.application.kubesphere.io"
RELEASE_LABEL = f"{GROUP}/app-release-name"
CLUSTER_LABEL = "kubesphere.io/cluster"
NAMESPACE_LABEL = "kubesphere.io/namespace"
HELM_IMAGE = "kubesphere/helm:v3.12.1"
_RAND = "bcdfghjklmnpqrstvwxz2456789"
_JOB_PREFIXES = ("helm-install-", "helm-uninstall-")


def spec_hash(spec: dict[str, Any]) -> str:
    """HashSpec: md5 of the spec as Go marshals ApplicationReleaseSpec (its field order)."""
    ordered: dict[str, Any] = {
        "appID": spec.get("appID", ""),
        "appVersionID": spec.get("appVersionID", ""),
    }
    for key in ("values", "appType", "icon"):
        if spec.get(key):
            ordered[key] = spec[key]
    return hashlib.md5(json.dumps(ordered, separators=(",", ":")).encode()).hexdigest()


def _fnv64(data: bytes) -> str:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


class AppReleaseController(Controller):
    watches = (RELEASES, JOBS, PODS)
    primary = RELEASES

    def __init__(self, cluster: SandboxCluster, clusters: Mapping[str, SandboxCluster]) -> None:
        super().__init__(cluster)
        self.clusters = clusters
        self.helm = HelmInJobs(self.clock)
        self._timers: set[WorkKey] = set()

    def remote_watches(self) -> Iterable[tuple[Any, Any]]:
        for other in self.clusters.values():
            if other is not self.cluster:
                yield other.store, JOBS
                yield other.store, PODS

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == RELEASES:
            return super().keys_for(event)
        names = set()
        for entry in (event.new, event.old):
            if entry is None:
                continue
            if event.key == JOBS and RELEASE_LABEL in entry.labels:
                names.add(entry.labels[RELEASE_LABEL])
            job = entry.labels.get("job-name", "") if event.key == PODS else ""
            for prefix in _JOB_PREFIXES:
                if job.startswith(prefix) and len(job) > len(prefix) + 7:
                    names.add(job[len(prefix) : -7])
        return [("", name) for name in sorted(names)]

    def _later(self, key: WorkKey, delay: float) -> None:
        if key in self._timers:
            return
        self._timers.add(key)

        def fire() -> None:
            self._timers.discard(key)
            with contextlib.suppress(ApiError):
                self.reconcile(key)

        self.clock.call_later(delay, fire)

    # ------------------------------------------------------------------ status

    def _set(
        self, rel: dict[str, Any], state: str, message: str | None = None, **extra: str
    ) -> None:
        status = {**(rel.get("status") or {}), **extra, "state": state}
        if message is not None:
            status["message"] = message
        status["lastUpdate"] = rfc3339(self.clock.now())
        rel["status"] = status
        self.store.update(self.kind(RELEASES), rel, subresource="status", check_rv=False)

    # ------------------------------------------------------------------ reconcile

    def reconcile(self, key: WorkKey) -> None:
        rel = self.store.get(RELEASES, *key)
        if rel is None:
            return
        meta = rel["metadata"]
        labels = meta.get("labels") or {}
        target = self.clusters.get(labels.get(CLUSTER_LABEL) or "host")
        namespace = labels.get(NAMESPACE_LABEL) or "default"
        status = rel.get("status") or {}
        state = status.get("state", "")
        finalizers = list(meta.get("finalizers") or [])
        if target is None:
            if deleting(rel):
                meta["finalizers"] = [f for f in finalizers if f != FINALIZER]
                self.store.update(self.kind(RELEASES), rel, check_rv=False)
            elif state != "clusterDeleted":
                cluster = labels.get(CLUSTER_LABEL) or "host"
                self._set(rel, "clusterDeleted", f"cluster {cluster} has been deleted")
            return
        if FINALIZER not in finalizers and not deleting(rel):
            meta["finalizers"] = [*finalizers, FINALIZER]
            self.store.update(self.kind(RELEASES), rel, check_rv=False)
            return
        self.helm.run(target, meta["name"], namespace)
        if deleting(rel):
            self._uninstall(rel, target, namespace, state)
            return
        current = spec_hash(rel.get("spec") or {})
        if not state:
            self._set(rel, "creating", specHash=current)
            return
        if current != status.get("specHash"):
            self._set(rel, "upgrading", specHash=current)
            return
        if state in ("created", "upgraded", "timeout"):
            self._follow(rel, target, namespace, state)
        elif state in ("creating", "upgrading"):
            self._install(rel, target, namespace)

    def _follow(self, rel: dict, target: SandboxCluster, namespace: str, state: str) -> None:
        name = rel["metadata"]["name"]
        latest = self.helm.latest(target, namespace, name)
        job_name = (rel.get("status") or {}).get("installJobName", "")
        job = target.store.get(JOBS, namespace, job_name) if job_name else None
        if latest is None or state == "upgraded":  # checkJob
            if job is None:
                self._set(rel, "deployFailed", "deploy failed, job not found")
                return
            job_status = job.get("status") or {}
            succeeded = int(job_status.get("succeeded") or 0)
            failed = int(job_status.get("failed") or 0)
            if state == "upgraded" and succeeded > 0:
                self._set(rel, "active", "Upgrade succeeful")  # sic, as KubeSphere says it
                return
            if failed <= int((job.get("spec") or {}).get("backoffLimit") or 0):
                return  # still running: polled again on the job's next change
            deployed = ((latest or {}).get("info") or {}).get("status") == "deployed"
            if state != "upgraded" or deployed:
                message = f"deploy failed, job {job_name} has failed {failed} times "
                self._set(rel, "deployFailed", message)
                return
        info = (latest or {}).get("info") or {}
        if info.get("status") == "failed":
            self._set(rel, "failed", info.get("description", ""))
        elif info.get("status") == "deployed":
            self._set(rel, "active", info.get("description", ""))

    def _install(self, rel: dict[str, Any], target: SandboxCluster, namespace: str) -> None:
        name = rel["metadata"]["name"]
        spec = rel.get("spec") or {}
        version = self.store.get(VERSIONS, "", str(spec.get("appVersionID", "")))
        chart = None if version is None else self._chart(version)
        if chart is None:  # the chart cannot be read (yet): KubeSphere retries
            self._later(("", name), 30.0)
            return
        try:
            text = base64.b64decode(str(spec.get("values") or "")).decode()
        except (binascii.Error, UnicodeDecodeError):
            text = ""
        creator = (rel["metadata"].get("annotations") or {}).get(CREATOR, "")
        # Helm, impersonating the creator, first reads the release's history; then the values
        problem = self._forbidden(target, creator, namespace)
        values, bad_yaml = parse_values(text)
        problem = problem or bad_yaml or values_problem(chart, values)
        early = problem is not None  # Helm stops before it records anything
        if problem is None:
            problem = self._dry_run(target, render(chart, name, namespace, values))
        latest = self.helm.latest(target, namespace, name)
        revision = int(latest["version"]) + 1 if latest else 1
        log = install_log(
            chart, name, namespace, revision, values, self.clock.now(), problem, early
        )
        try:
            job_name = self._job(target, name, namespace, "install", log, problem, creator, text)
        except ApiError as error:
            self._set(rel, "failed", error.message)
            return
        plan = Plan("install", name, namespace, revision, chart, values, problem, early)
        self.helm.plan(target, job_name, plan)
        state = "upgraded" if latest else "created"
        self._set(rel, state, "Deploying", installJobName=job_name)

    def _uninstall(self, rel: dict, target: SandboxCluster, namespace: str, state: str) -> None:
        name = rel["metadata"]["name"]
        if state != "deleting":
            extra = {}
            if self.helm.latest(target, namespace, name) is not None:
                log = uninstall_log(name)
                try:
                    extra["uninstallJobName"] = self._job(
                        target, name, namespace, "uninstall", log, None, "", ""
                    )
                    self.helm.plan(
                        target, extra["uninstallJobName"], Plan("uninstall", name, namespace)
                    )
                except ApiError:
                    pass
            self._set(rel, "deleting", "Uninstalling", **extra)
            return
        for job in target.store.objects(JOBS, namespace):
            if (job["metadata"].get("labels") or {}).get(RELEASE_LABEL) != name:
                continue
            if not _finished(job):
                return
            target.store.delete(target.kind_of(job), namespace, job["metadata"]["name"])
        rel = self.store.get(RELEASES, "", name) or rel
        rel["metadata"]["finalizers"] = [
            f for f in rel["metadata"].get("finalizers") or [] if f != FINALIZER
        ]
        self.store.update(self.kind(RELEASES), rel, check_rv=False)

    # ------------------------------------------------------------------ the job

    def _job(
        self,
        target: SandboxCluster,
        release: str,
        namespace: str,
        action: str,
        log: str,
        problem: str | None,
        creator: str,
        values: str,
    ) -> str:
        suffix = "".join(self.cluster.rng.choice(_RAND) for _ in range(6))
        name = f"helm-{action}-{release}-{suffix}"
        annotations = {
            LOG_ANNOTATION: log,
            LOG_ONLY_ANNOTATION: "true",
            START_AFTER_ANNOTATION: str(self.cluster.helm_job_start),
        }
        if problem is not None:
            annotations[CRASH_ANNOTATION] = "true"
        if action == "install":
            container_command = ["/bin/sh", "-c", helm_command(release, namespace, creator)]
        else:
            container_command = [
                "helm",
                "uninstall",
                release,
                "--namespace",
                namespace,
                "--kubeconfig",
                "kube.config",
                "--debug",
                "--wait",
            ]
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {RELEASE_LABEL: release, "kubesphere.io/managed": "true", "name": name},
                "annotations": {
                    "executor.kubesphere.io/action": action,
                    **(
                        {"executor.kubesphere.io/config-hash": _fnv64(values.encode())}
                        if action == "install"
                        else {}
                    ),
                },
            },
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "metadata": {"annotations": annotations},
                    "spec": {
                        "restartPolicy": "Never",
                        "terminationGracePeriodSeconds": 0,
                        "containers": [
                            {
                                "name": "helm",
                                "image": HELM_IMAGE,
                                "imagePullPolicy": "IfNotPresent",
                                "command": container_command,
                                "env": [{"name": "HELM_CACHE_HOME", "value": "/tmp/helm-executor"}],
                                "workingDir": "/tmp/helm-executor",
                                "resources": {  # the executor's defaults
                                    "requests": {"cpu": "100m", "memory": "100Mi"},
                                    "limits": {"cpu": "500m", "memory": "500Mi"},
                                },
                            }
                        ],
                        "securityContext": {"runAsUser": 65534, "runAsNonRoot": True},
                    },
                },
            },
        }
        kind = target.registry.storage_kind(JOBS)
        assert kind is not None
        target.create(kind, job)
        return name

    def _chart(self, version: dict[str, Any]) -> Chart | None:
        """A repo version's chart from its pullUrl; an uploaded one's from the ConfigMap
        `extension-openpitrix/<version>` (key BinaryKey), as KubeSphere stores uploads."""
        pull = str((version.get("spec") or {}).get("pullUrl") or "")
        if pull:
            return self.cluster.charts.chart(pull)
        stored = self.store.get(CONFIGMAPS, UPLOAD_NAMESPACE, version["metadata"]["name"])
        data = ((stored or {}).get("binaryData") or {}).get("BinaryKey")
        if not data:
            return None
        try:
            return read_chart(base64.b64decode(data))
        except (binascii.Error, OSError, KeyError, ValueError):
            return None

    def _forbidden(self, target: SandboxCluster, creator: str, namespace: str) -> str | None:
        """Helm's first request as `--kube-as-user <creator>`: list the release's Secrets."""
        if not creator:
            return None
        user = UserInfo(creator, target.authn.groups_of(creator))
        attrs = Attributes("list", "", "secrets", "", namespace)
        if target.authz.allowed(user, attrs):
            return None
        return f"query: failed to query with labels: {forbidden_message(user, attrs)}"

    def _dry_run(self, target: SandboxCluster, objects: list[dict[str, Any]]) -> str | None:
        """What the API server would refuse of the rendered objects (Helm records it failed)."""
        for obj in objects:
            try:
                kind = target.kind_of(obj)
                trial = copy.deepcopy(obj)
                target.admit(kind, trial, creating=True)
                target.check_namespace(kind, obj["metadata"]["namespace"], obj["metadata"]["name"])
            except ApiError as error:
                return error.message
        return None


def _finished(job: dict[str, Any]) -> bool:
    status = job.get("status") or {}
    return int(status.get("active") or 0) == 0 and (
        int(status.get("succeeded") or 0) > 0 or int(status.get("failed") or 0) > 0
    )
