"""KubeSphere 4.x app store controllers on the host (API.md §2.1, §2.2): the repo controller
(Repo → index → Applications and ApplicationVersions), the app version finalizer and the
category counts, as ks-controller-manager's helmrepo, appversion and app-category controllers.

Repo states: "" → `created`; a sync (when `manualTrigger`, `syncing`, or `syncPeriod` seconds
after the last successful one; `syncPeriod: 0` never syncs on its own) → `syncing` →
`successful` with `lastUpdateTime`. An index the sandbox cannot read (any URL but its own chart
repositories: it has no network) leaves the repo `syncing` and retries later.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any

import yaml

from kstui.sandbox.clock import parse_time, rfc3339
from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.events import record
from kstui.sandbox.controllers.tenancy import TEMPLATES, WORKSPACE_LABEL, deleting, upsert
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Event

GROUP = "application.kubesphere.io"
REPOS = (GROUP, "repos")
APPS = (GROUP, "applications")
VERSIONS = (GROUP, "applicationversions")
CATEGORIES = (GROUP, "categories")
REPO_LABEL = f"{GROUP}/repo-name"
APP_LABEL = f"{GROUP}/app-id"
TYPE_LABEL = f"{GROUP}/app-type"
CATEGORY_LABEL = f"{GROUP}/app-category-name"
UNCATEGORIZED = "kubesphere-app-uncategorized"
CLEANUP = f"{GROUP}/cleanup"
CATEGORY_FINALIZER = "categories.application.kubesphere.io"
RETRY_SECONDS = (5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0)
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _dns_subdomain(text: str) -> bool:
    return len(text) <= 253 and bool(_DNS_SUBDOMAIN.match(text))


def short_name(chart: str) -> str:
    """GenerateShortNameMD5Hash: a chart name, or 10 hex chars of its md5 when it is longer
    than 14 characters or not DNS-safe (lower-cased first)."""
    lowered = chart.lower()
    if len(lowered) > 14 or not _dns_subdomain(lowered):
        return hashlib.md5(lowered.encode()).hexdigest()[:10]
    return lowered


def version_name(version: str) -> str:
    """FormatVersion: a version, or 12 hex chars of its sha1 when it is not DNS-safe."""
    return version if _dns_subdomain(version) else hashlib.sha1(version.encode()).hexdigest()[:12]


def app_name(repo: str, chart: str) -> str:
    return f"{repo}-{short_name(chart)}"


def _semver_key(version: str) -> tuple[int, ...] | None:
    core = version.lstrip("v").split("+")[0].split("-")[0]
    try:
        return tuple(int(p) for p in core.split("."))
    except ValueError:
        return None


class RepoController(Controller):
    watches = (REPOS,)
    primary = REPOS

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self._timers: set[WorkKey] = set()
        self._failures: dict[str, int] = {}

    def _later(self, key: WorkKey, delay: float) -> None:
        if key in self._timers:
            return
        self._timers.add(key)

        def fire() -> None:
            self._timers.discard(key)
            with contextlib.suppress(ApiError):
                self.reconcile(key)

        self.clock.call_later(delay, fire)

    def _status(self, repo: dict[str, Any], state: str) -> dict[str, Any]:
        repo["status"] = {
            **(repo.get("status") or {}),
            "state": state,
            "lastUpdateTime": rfc3339(self.clock.now()),
        }
        return self.store.update(self.kind(REPOS), repo, subresource="status", check_rv=False)

    def reconcile(self, key: WorkKey) -> None:
        repo = self.store.get(REPOS, *key)
        if repo is None or deleting(repo):
            return
        status = repo.get("status") or {}
        state = status.get("state", "")
        if not state:
            repo = self._status(repo, "created")
            state = "created"
        workspace = (repo["metadata"].get("labels") or {}).get(WORKSPACE_LABEL, "")
        # a workspace repo goes with its workspace (system-workspace is the global store's)
        if workspace not in ("", "system-workspace") and self.cluster.registry.storage_kind(
            TEMPLATES
        ):
            template = self.store.get(TEMPLATES, "", workspace)
            if template is None or deleting(template):
                self.store.delete(self.kind(REPOS), "", key[1])
                return
        period = int((repo.get("spec") or {}).get("syncPeriod") or 0)
        if state not in ("manualTrigger", "syncing"):
            if period == 0:
                return
            last = status.get("lastUpdateTime")
            passed = (self.clock.now() - parse_time(last)).total_seconds() if last else period
            if state == "successful" and passed < period:
                self._later(key, period - passed)
                return
        if state != "syncing":
            repo = self._status(repo, "syncing")
        url = str(repo["spec"].get("url", "")).rstrip("/")
        raw = self.cluster.charts.fetch(url + "/index.yaml")
        if raw is None:
            tries = self._failures.get(key[1], 0)
            self._failures[key[1]] = tries + 1
            self._later(key, RETRY_SECONDS[min(tries, len(RETRY_SECONDS) - 1)])
            return
        self._failures.pop(key[1], None)
        index = yaml.safe_load(raw) or {}
        self._sync(repo, url, index.get("entries") or {})
        self._status(repo, "successful")
        record(
            self.store,
            self.cluster.registry.storage_kind,
            repo,
            "Normal",
            "Synced",
            f"HelmRepo {key[1]} synced successfully",
            "helmrepo-controller",
        )
        if period:
            self._later(key, period)

    # ------------------------------------------------------------------ sync

    def _sync(self, repo: dict[str, Any], url: str, entries: dict[str, list[dict]]) -> None:
        name = repo["metadata"]["name"]
        wanted = {app_name(name, chart) for chart in entries}
        apps = {a["metadata"]["name"]: a for a in self._labelled(APPS, {REPO_LABEL: name})}
        for app, obj in apps.items():
            if app not in wanted and not deleting(obj):
                self.store.delete(self.kind(APPS), "", app)
        for chart, versions in sorted(entries.items()):
            if versions:
                self._sync_chart(repo, url, chart, _newest_first(versions), app_name(name, chart))

    def _labelled(self, key: Any, labels: dict[str, str]) -> list[dict[str, Any]]:
        return [
            o
            for o in self.store.objects(key)
            if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
        ]

    def _sync_chart(
        self, repo: dict[str, Any], url: str, chart: str, versions: list[dict], app: str
    ) -> None:
        repo_name = repo["metadata"]["name"]
        names = {f"{app}-{version_name(str(v['version']))}": v for v in versions}
        digests = {}
        for obj in self._labelled(VERSIONS, {REPO_LABEL: repo_name, APP_LABEL: app}):
            key = f"{app}-{version_name(str(obj['spec'].get('versionName', '')))}"
            if key not in names:
                if not deleting(obj):
                    self.store.delete(self.kind(VERSIONS), "", obj["metadata"]["name"])
            else:
                digests[key] = (obj.get("spec") or {}).get("digest")
        changed = [v for n, v in names.items() if digests.get(n) != v.get("digest")]
        if not changed and self.store.get(APPS, "", app) is None:
            changed = versions[:1]
        if not changed:
            return
        first = changed[0]
        maintainers = _maintainers(first)
        workspace = (repo["metadata"].get("labels") or {}).get(WORKSPACE_LABEL, "")
        current = self.store.get(APPS, "", app)
        labels = {
            **((current or {}).get("metadata", {}).get("labels") or {}),
            REPO_LABEL: repo_name,
            TYPE_LABEL: "helm",
            WORKSPACE_LABEL: workspace,
        }
        labels.setdefault(CATEGORY_LABEL, UNCATEGORIZED)
        annotations = {
            **((current or {}).get("metadata", {}).get("annotations") or {}),
            "kubesphere.io/alias-name": chart,
            "kubesphere.io/description": first.get("description", ""),
            f"{GROUP}/app-originalName": chart,
        }
        if maintainers:
            annotations[f"{GROUP}/app-maintainers"] = maintainers[0]["name"]
        spec = {
            "appType": "helm",
            "appHome": first.get("home", ""),
            "icon": first.get("icon", ""),
            "abstraction": first.get("description", ""),
        }
        desired = {
            "apiVersion": f"{GROUP}/v2",
            "kind": "Application",
            "metadata": {
                "name": app,
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [owner_ref(repo, controller=False)],
            },
            "spec": {k: v for k, v in spec.items() if v},
        }
        stored = upsert(self.store, self.kind(APPS), desired)
        now = rfc3339(self.clock.now())
        stored["status"] = {**(stored.get("status") or {}), "updateTime": now}
        stored["status"].setdefault("state", "active")
        stored = self.store.update(self.kind(APPS), stored, subresource="status", check_rv=False)
        for version in changed:
            self._version(repo, stored, url, version, now)
        self._latest(app)

    def _version(self, repo: dict, app: dict, url: str, version: dict[str, Any], now: str) -> None:
        app_id = app["metadata"]["name"]
        name = f"{app_id}-{version_name(str(version['version']))}"
        pull = str((version.get("urls") or [""])[0])
        if not pull.startswith(("https://", "http://", "s3://", "oci://")):
            pull = f"{url}/{pull}"
        maintainers = _maintainers(version)
        current = self.store.get(VERSIONS, "", name)
        annotations = {
            **((current or {}).get("metadata", {}).get("annotations") or {}),
            "kubesphere.io/alias-name": str(version.get("name", "")),
            "kubesphere.io/description": str(version.get("description", "")),
        }
        if maintainers:
            annotations[f"{GROUP}/app-maintainers"] = maintainers[0]["name"]
        spec = {
            "versionName": str(version["version"]),
            "appHome": version.get("home", ""),
            "icon": version.get("icon", ""),
            "created": now,
            "digest": version.get("digest", ""),
            "appType": "helm",
            "maintainer": maintainers,
            "pullUrl": pull,
        }
        desired = {
            "apiVersion": f"{GROUP}/v2",
            "kind": "ApplicationVersion",
            "metadata": {
                "name": name,
                "labels": {
                    **((current or {}).get("metadata", {}).get("labels") or {}),
                    REPO_LABEL: repo["metadata"]["name"],
                    APP_LABEL: app_id,
                    TYPE_LABEL: "helm",
                    WORKSPACE_LABEL: (repo["metadata"].get("labels") or {}).get(
                        WORKSPACE_LABEL, ""
                    ),
                },
                "annotations": annotations,
                "ownerReferences": [owner_ref(app)],
                "finalizers": [CLEANUP],
            },
            "spec": {k: v for k, v in spec.items() if v},
        }
        stored = upsert(self.store, self.kind(VERSIONS), desired)
        if CLEANUP not in (stored["metadata"].get("finalizers") or ()):
            stored["metadata"]["finalizers"] = [CLEANUP]
            stored = self.store.update(self.kind(VERSIONS), stored, check_rv=False)
        stored["status"] = {**(stored.get("status") or {}), "state": "active", "updated": now}
        self.store.update(self.kind(VERSIONS), stored, subresource="status", check_rv=False)

    def _latest(self, app: str) -> None:
        names = [
            str(v["spec"].get("versionName", ""))
            for v in self._labelled(VERSIONS, {APP_LABEL: app})
        ]
        if not names:
            return
        latest = names[0]
        for name in names:
            key, best = _semver_key(name), _semver_key(latest)
            if key is not None and (best is None or key > best):
                latest = name
        obj = self.store.get(APPS, "", app)
        if obj is None:
            return
        annotations = obj["metadata"].setdefault("annotations", {})
        if annotations.get(f"{GROUP}/latest-app-version") != latest:
            annotations[f"{GROUP}/latest-app-version"] = latest
            self.store.update(self.kind(APPS), obj, check_rv=False)


def _newest_first(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """filterVersions: one entry per version (the newest `created`), newest first."""
    by_version: dict[str, dict[str, Any]] = {}
    for version in versions:
        seen = by_version.get(str(version.get("version")))
        if seen is None or str(version.get("created", "")) > str(seen.get("created", "")):
            by_version[str(version.get("version"))] = version
    return sorted(by_version.values(), key=lambda v: str(v.get("created", "")), reverse=True)


def _maintainers(version: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {k: str(m[k]) for k in ("name", "email", "url") if m.get(k)}
        for m in version.get("maintainers") or ()
        if isinstance(m, dict)
    ]


class AppVersionController(Controller):
    """A deleted ApplicationVersion's `application.kubesphere.io/cleanup` finalizer goes once
    its stored files are cleaned (there are none here)."""

    watches = (VERSIONS,)
    primary = VERSIONS

    def reconcile(self, key: WorkKey) -> None:
        version = self.store.get(VERSIONS, *key)
        if version is None or not deleting(version):
            return
        finalizers = version["metadata"].get("finalizers") or []
        if CLEANUP in finalizers:
            version["metadata"]["finalizers"] = [f for f in finalizers if f != CLEANUP]
            self.store.update(self.kind(VERSIONS), version, check_rv=False)


class CategoryController(Controller):
    """Each Category's finalizer and `status.total`: the uploaded apps (repo-name `upload`)
    labelled with it, as KubeSphere counts (repo-synced apps are not counted)."""

    watches = (CATEGORIES, APPS)
    primary = CATEGORIES

    def keys_for(self, event: Event) -> list[WorkKey]:
        if event.key == APPS:
            names = {
                e.labels.get(CATEGORY_LABEL, "") for e in (event.new, event.old) if e is not None
            }
            return [("", n) for n in sorted(names) if n]
        return list(super().keys_for(event))

    def reconcile(self, key: WorkKey) -> None:
        category = self.store.get(CATEGORIES, *key)
        if category is None:
            return
        finalizers = list(category["metadata"].get("finalizers") or [])
        if deleting(category):
            total = int((category.get("status") or {}).get("total") or 0)
            if CATEGORY_FINALIZER in finalizers and total == 0:
                category["metadata"]["finalizers"] = [
                    f for f in finalizers if f != CATEGORY_FINALIZER
                ]
                self.store.update(self.kind(CATEGORIES), category, check_rv=False)
            return
        if CATEGORY_FINALIZER not in finalizers:
            category["metadata"]["finalizers"] = [*finalizers, CATEGORY_FINALIZER]
            category = self.store.update(self.kind(CATEGORIES), category, check_rv=False)
        total = sum(
            1
            for entry in self.store.bucket(APPS).values()
            if entry.labels.get(CATEGORY_LABEL) == key[1]
            and entry.labels.get(REPO_LABEL) == "upload"
        )
        if (category.get("status") or {}).get("total") != total:
            category["status"] = {**(category.get("status") or {}), "total": total}
            self.store.update(self.kind(CATEGORIES), category, subresource="status", check_rv=False)
