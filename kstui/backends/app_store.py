"""The KubeSphere 4.x app store read from its objects (API.md §2.1): repos, categories, apps,
versions and ApplicationReleases as rows, and the store listing rules (active only, grouped by
category, searchable). Pure: no IO (app_service.py reads, app_bodies.py writes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kstui.backends.kinds import ResourceKind

GROUP, VERSION = "application.kubesphere.io", "v2"
REPOS = ResourceKind(GROUP, VERSION, "repos", "Repo", namespaced=False)
CATEGORIES = ResourceKind(GROUP, VERSION, "categories", "Category", namespaced=False)
APPLICATIONS = ResourceKind(GROUP, VERSION, "applications", "Application", namespaced=False)
VERSIONS = ResourceKind(
    GROUP, VERSION, "applicationversions", "ApplicationVersion", namespaced=False
)
RELEASES = ResourceKind(
    GROUP, VERSION, "applicationreleases", "ApplicationRelease", namespaced=False
)

WORKSPACE = "kubesphere.io/workspace"
CLUSTER = "kubesphere.io/cluster"
NAMESPACE = "kubesphere.io/namespace"
CREATOR = "kubesphere.io/creator"
ALIAS = "kubesphere.io/alias-name"
DESCRIPTION = "kubesphere.io/description"
REPO_NAME = "application.kubesphere.io/repo-name"
APP_ID = "application.kubesphere.io/app-id"
APP_VERSION_ID = "application.kubesphere.io/appversion-id"
APP_TYPE = "application.kubesphere.io/app-type"
CATEGORY = "application.kubesphere.io/app-category-name"
VERSION_NAME = "application.kubesphere.io/app-versionName"
LATEST = "application.kubesphere.io/latest-app-version"
GLOBAL_WORKSPACE = "system-workspace"
UNCATEGORIZED = "kubesphere-app-uncategorized"
ACTIVE = "active"
INSTANCE = "app.kubernetes.io/instance"
"""The label a chart's workloads carry with the release name (API.md §2.4)."""
JOB_RELEASE = "application.kubesphere.io/app-release-name"
"""The label on the controller's Helm jobs (install, upgrade, uninstall)."""
JOB_NAME = "job-name"
"""The label Kubernetes puts on a Job's pods: the Job's name (status.installJobName)."""
RELEASE_FINALIZER = "helmrelease.application.kubesphere.io"


def _meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    return dict(obj.get("metadata") or {})


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(_meta(obj).get("labels") or {})


def _notes(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(_meta(obj).get("annotations") or {})


def _status(obj: Mapping[str, Any]) -> dict[str, Any]:
    return dict(obj.get("status") or {})


def _spec(obj: Mapping[str, Any]) -> dict[str, Any]:
    return dict(obj.get("spec") or {})


@dataclass(frozen=True, slots=True)
class RepoRow:
    name: str
    alias: str
    url: str
    workspace: str
    state: str
    last_sync: str
    sync_period: int
    description: str
    has_credential: bool


@dataclass(frozen=True, slots=True)
class CategoryRow:
    name: str
    alias: str
    description: str
    apps: int
    """Active apps of the store in it (counted here: status.total counts uploads only)."""


@dataclass(frozen=True, slots=True)
class AppRow:
    name: str
    alias: str
    description: str
    category: str
    repo: str
    workspace: str
    app_type: str
    latest: str
    state: str
    updated: str
    home: str
    maintainers: str


@dataclass(frozen=True, slots=True)
class VersionRow:
    name: str
    app: str
    version: str
    state: str
    app_type: str
    created: str
    pull_url: str
    repo: str
    workspace: str
    digest: str
    home: str
    maintainers: str
    chart: str = ""
    """The chart's name where the object names it apart (3.x: `spec.name`)."""

    @property
    def installable(self) -> bool:
        return self.state == ACTIVE


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    name: str
    workspace: str
    cluster: str
    namespace: str
    app: str
    version_id: str
    version: str
    app_type: str
    state: str
    message: str
    updated: str
    created: str
    creator: str
    alias: str
    job: str
    values: str
    """spec.values as stored: base64."""
    resource_version: str
    deleting: bool
    helm_name: str = ""
    """Helm's release name where it is not the object's (3.x: `spec.name` of `rls-…`)."""
    revision: int = 0
    """3.x's `spec.version`: an upgrade moves it one up (§2.7)."""
    history: tuple[tuple[str, str, str], ...] = ()
    """(time, state, message), oldest first, as the controller recorded them (3.x keeps the
    last 10 in `status.deployStatus`; 4.x keeps none)."""

    @property
    def release_name(self) -> str:
        """The Helm release: what its Secrets, jobs and workloads are labelled with."""
        return self.helm_name or self.name

    @property
    def where(self) -> str:
        return f"{self.cluster}/{self.namespace}"


def repo_row(obj: Mapping[str, Any]) -> RepoRow:
    spec, status = _spec(obj), _status(obj)
    credential = spec.get("credential") or {}
    return RepoRow(
        name=str(_meta(obj).get("name") or ""),
        alias=_notes(obj).get(ALIAS, ""),
        url=str(spec.get("url") or ""),
        workspace=_labels(obj).get(WORKSPACE, ""),
        state=str(status.get("state") or ""),
        last_sync=str(status.get("lastUpdateTime") or ""),
        sync_period=int(spec.get("syncPeriod") or 0),
        description=str(spec.get("description") or ""),
        has_credential=bool(credential.get("username") or credential.get("password")),
    )


def app_row(obj: Mapping[str, Any]) -> AppRow:
    labels, notes, spec, status = _labels(obj), _notes(obj), _spec(obj), _status(obj)
    name = str(_meta(obj).get("name") or "")
    return AppRow(
        name=name,
        alias=notes.get(ALIAS, "") or notes.get("application.kubesphere.io/app-originalName", ""),
        description=notes.get(DESCRIPTION, "") or str(spec.get("abstraction") or ""),
        category=labels.get(CATEGORY, "") or UNCATEGORIZED,
        repo=labels.get(REPO_NAME, ""),
        workspace=labels.get(WORKSPACE, ""),
        app_type=str(spec.get("appType") or labels.get(APP_TYPE, "")),
        latest=notes.get(LATEST, ""),
        state=str(status.get("state") or ""),
        updated=str(status.get("updateTime") or _meta(obj).get("creationTimestamp") or ""),
        home=str(spec.get("appHome") or ""),
        maintainers=notes.get("application.kubesphere.io/app-maintainers", ""),
    )


def version_row(obj: Mapping[str, Any]) -> VersionRow:
    labels, spec, status = _labels(obj), _spec(obj), _status(obj)
    maintainers = ", ".join(
        str(m.get("name") or "") for m in spec.get("maintainer") or () if isinstance(m, dict)
    )
    return VersionRow(
        name=str(_meta(obj).get("name") or ""),
        app=labels.get(APP_ID, ""),
        version=str(spec.get("versionName") or ""),
        state=str(status.get("state") or ""),
        app_type=str(spec.get("appType") or labels.get(APP_TYPE, "")),
        created=str(spec.get("created") or _meta(obj).get("creationTimestamp") or ""),
        pull_url=str(spec.get("pullUrl") or ""),
        repo=labels.get(REPO_NAME, ""),
        workspace=labels.get(WORKSPACE, ""),
        digest=str(spec.get("digest") or ""),
        home=str(spec.get("appHome") or ""),
        maintainers=maintainers,
    )


def release_row(obj: Mapping[str, Any]) -> ReleaseRow:
    meta, labels, notes, spec, status = (
        _meta(obj),
        _labels(obj),
        _notes(obj),
        _spec(obj),
        _status(obj),
    )
    return ReleaseRow(
        name=str(meta.get("name") or ""),
        workspace=labels.get(WORKSPACE, ""),
        cluster=labels.get(CLUSTER, "") or "host",
        namespace=labels.get(NAMESPACE, "") or "default",
        app=str(spec.get("appID") or labels.get(APP_ID, "")),
        version_id=str(spec.get("appVersionID") or labels.get(APP_VERSION_ID, "")),
        version=notes.get(VERSION_NAME, ""),
        app_type=str(spec.get("appType") or ""),
        state=str(status.get("state") or ""),
        message=str(status.get("message") or ""),
        updated=str(status.get("lastUpdate") or meta.get("creationTimestamp") or ""),
        created=str(meta.get("creationTimestamp") or ""),
        creator=notes.get(CREATOR, ""),
        alias=notes.get(ALIAS, ""),
        job=str(status.get("installJobName") or status.get("uninstallJobName") or ""),
        values=str(spec.get("values") or ""),
        resource_version=str(meta.get("resourceVersion") or ""),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def state_of(release: ReleaseRow) -> str:
    """What the STATE column says: the controller's state, `deleting` while a finalizer holds
    a deleted release, `pending` before the controller has seen it."""
    if release.deleting and release.state != "deleting":
        return "deleting"
    return release.state or "pending"


FAILED_STATES = frozenset({"failed", "deployFailed", "timeout", "clusterDeleted"})
DONE_STATES = frozenset({"active", *FAILED_STATES})


# ---------------------------------------------------------------------- the store listing


def store_apps(
    apps: Iterable[AppRow],
    *,
    category: str = "",
    search: str = "",
    everything: bool = False,
) -> list[AppRow]:
    """The store listing: active apps (every state with `everything`), of one category if
    given, matching the search in name, alias or description; sorted by alias then name."""
    words = search.lower().split()
    found = []
    for app in apps:
        if not everything and app.state != ACTIVE:
            continue
        if category and app.category != category:
            continue
        text = f"{app.name} {app.alias} {app.description}".lower()
        if all(word in text for word in words):
            found.append(app)
    return sorted(found, key=lambda a: ((a.alias or a.name).lower(), a.name))


def categories_of(
    categories: Iterable[CategoryRow | Mapping[str, Any]], apps: Iterable[AppRow]
) -> list[CategoryRow]:
    """Each Category with the number of active apps in it; a category an app names but no
    Category object declares is listed too (the uncategorized one always is)."""
    counts: dict[str, int] = {}
    for app in apps:
        if app.state == ACTIVE:
            counts[app.category] = counts.get(app.category, 0) + 1
    rows: dict[str, CategoryRow] = {}
    for item in categories:
        row = item if isinstance(item, CategoryRow) else category_row(item)
        rows[row.name] = CategoryRow(row.name, row.alias, row.description, counts.get(row.name, 0))
    for name, count in counts.items():
        rows.setdefault(name, CategoryRow(name, "", "", count))
    rows.setdefault(UNCATEGORIZED, CategoryRow(UNCATEGORIZED, "", "", 0))
    return sorted(rows.values(), key=lambda c: (c.name == UNCATEGORIZED, c.alias or c.name))


def category_row(obj: Mapping[str, Any]) -> CategoryRow:
    notes = _notes(obj)
    name = str(_meta(obj).get("name") or "")
    alias = notes.get(ALIAS, "") or ("Uncategorized" if name == UNCATEGORIZED else "")
    return CategoryRow(name, alias, notes.get(DESCRIPTION, ""), 0)


def versions_of(
    versions: Iterable[VersionRow], app: str, *, everything: bool = False
) -> list[VersionRow]:
    """An app's versions, newest first; installable (active) ones only unless `everything`."""
    found = [v for v in versions if v.app == app and (everything or v.installable)]
    return sorted(found, key=lambda v: (v.created, _version_key(v.version)), reverse=True)


def _version_key(version: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for part in version.replace("-", ".").split("."):
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(parts)


def helm_error(log_lines: list[str]) -> str:
    """Helm's own reason in its job's log: the `Error: …` line and the lines that detail it
    (`broken-app:`, `- database: host is required`), up to its debug trace; "" if none."""
    start = next((i for i, line in enumerate(log_lines) if line.startswith("Error: ")), None)
    if start is None:
        return ""
    said = [log_lines[start].removeprefix("Error: ").strip()]
    for line in log_lines[start + 1 :]:
        if not line.strip() or "[debug]" in line or line.startswith(("helm.go", "Error: ")):
            break
        said.append(line.strip())
    return " ".join(said)
