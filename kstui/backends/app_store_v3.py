"""The KubeSphere 3.x app store (API.md §2.7): `application.kubesphere.io/v1alpha1` HelmRepo,
HelmCategory, HelmApplication, HelmApplicationVersion and HelmRelease, read into the same rows
as the 4.x store, and the HelmRelease kstui writes. Pure: no IO.

The store lists the apps' store copies (`app-…-store`); their rows are named by the app itself
(`app-…`), which owns the versions (label `application.kubesphere.io/app-id`) and which a
release names (`spec.appId`). A release is `rls-<id>`; its Helm name is `spec.name`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import Any

from kstui.backends.app_store import (
    ALIAS,
    CLUSTER,
    CREATOR,
    NAMESPACE,
    UNCATEGORIZED,
    WORKSPACE,
    AppRow,
    CategoryRow,
    ReleaseRow,
    RepoRow,
    VersionRow,
)
from kstui.backends.kinds import ResourceKind

GROUP, VERSION = "application.kubesphere.io", "v1alpha1"
REPOS = ResourceKind(GROUP, VERSION, "helmrepos", "HelmRepo", namespaced=False)
CATEGORIES = ResourceKind(GROUP, VERSION, "helmcategories", "HelmCategory", namespaced=False)
APPLICATIONS = ResourceKind(GROUP, VERSION, "helmapplications", "HelmApplication", namespaced=False)
VERSIONS = ResourceKind(
    GROUP, VERSION, "helmapplicationversions", "HelmApplicationVersion", namespaced=False
)
RELEASES = ResourceKind(GROUP, VERSION, "helmreleases", "HelmRelease", namespaced=False)
APP_ID = f"{GROUP}/app-id"
VERSION_ID = f"{GROUP}/app-version-id"
REPO_ID = f"{GROUP}/repo-id"
CATEGORY_ID = f"{GROUP}/app-category-id"
STORE_SUFFIX = "-store"
V3_UNCATEGORIZED = "ctg-uncategorized"


def _part(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    return dict(obj.get(key) or {})


def _name(obj: Mapping[str, Any]) -> str:
    return str(_part(obj, "metadata").get("name") or "")


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(_part(obj, "metadata").get("labels") or {})


def _notes(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(_part(obj, "metadata").get("annotations") or {})


def repo_row(obj: Mapping[str, Any]) -> RepoRow:
    spec, status = _part(obj, "spec"), _part(obj, "status")
    credential = spec.get("credential") or {}
    return RepoRow(
        name=_name(obj),
        alias=str(spec.get("name") or ""),
        url=str(spec.get("url") or ""),
        workspace=_labels(obj).get(WORKSPACE, ""),
        state=str(status.get("state") or ""),
        last_sync=str(status.get("lastUpdateTime") or ""),
        sync_period=int(spec.get("syncPeriod") or 0),
        description=str(spec.get("description") or ""),
        has_credential=bool(credential.get("username") or credential.get("password")),
    )


def _category(name: str) -> str:
    return UNCATEGORIZED if name in ("", V3_UNCATEGORIZED) else name


def category_row(obj: Mapping[str, Any]) -> CategoryRow:
    spec = _part(obj, "spec")
    name = _category(_name(obj))
    return CategoryRow(name, str(spec.get("name") or ""), str(spec.get("description") or ""), 0)


def in_store(obj: Mapping[str, Any]) -> bool:
    """The store copy of an app (the others are workspaces' own)."""
    return _name(obj).endswith(STORE_SUFFIX)


def app_row(obj: Mapping[str, Any]) -> AppRow:
    labels, spec, status = _labels(obj), _part(obj, "spec"), _part(obj, "status")
    return AppRow(
        name=_name(obj).removesuffix(STORE_SUFFIX),
        alias=str(spec.get("name") or ""),
        description=str(spec.get("description") or spec.get("abstraction") or ""),
        category=_category(labels.get(CATEGORY_ID, "")),
        repo=labels.get(REPO_ID, ""),
        workspace=labels.get(WORKSPACE, ""),
        app_type="helm",
        latest=str(status.get("latestVersion") or ""),
        state=str(status.get("state") or ""),
        updated=str(status.get("updateTime") or _part(obj, "metadata").get("creationTimestamp")),
        home=str(spec.get("appHome") or ""),
        maintainers="",
    )


def version_row(obj: Mapping[str, Any]) -> VersionRow:
    labels, spec, status = _labels(obj), _part(obj, "spec"), _part(obj, "status")
    urls = [str(u) for u in spec.get("urls") or () if u]
    maintainers = ", ".join(
        str(m.get("name") or "") for m in spec.get("maintainers") or () if isinstance(m, dict)
    )
    return VersionRow(
        name=_name(obj),
        app=labels.get(APP_ID, ""),
        version=str(spec.get("version") or ""),
        state=str(status.get("state") or ""),
        app_type="helm",
        created=str(spec.get("created") or _part(obj, "metadata").get("creationTimestamp")),
        pull_url=urls[0] if urls else "",
        repo=labels.get(REPO_ID, ""),
        workspace=labels.get(WORKSPACE, ""),
        digest=str(spec.get("digest") or ""),
        home=str(spec.get("home") or ""),
        maintainers=maintainers,
        chart=str(spec.get("name") or ""),
    )


def release_row(obj: Mapping[str, Any]) -> ReleaseRow:
    meta, labels, notes = _part(obj, "metadata"), _labels(obj), _notes(obj)
    spec, status = _part(obj, "spec"), _part(obj, "status")
    return ReleaseRow(
        name=_name(obj),
        workspace=labels.get(WORKSPACE, ""),
        cluster=labels.get(CLUSTER, "") or "host",
        namespace=labels.get(NAMESPACE, "") or "default",
        app=str(spec.get("appId") or labels.get(APP_ID, "")),
        version_id=str(spec.get("appVerId") or labels.get(VERSION_ID, "")),
        version=str(spec.get("chartVersion") or ""),
        app_type="helm",
        state=str(status.get("state") or ""),
        message=str(status.get("message") or ""),
        updated=str(status.get("lastUpdate") or meta.get("creationTimestamp") or ""),
        created=str(meta.get("creationTimestamp") or ""),
        creator=notes.get(CREATOR, ""),
        alias=notes.get(ALIAS, ""),
        job="",
        values=str(spec.get("values") or ""),
        resource_version=str(meta.get("resourceVersion") or ""),
        deleting=bool(meta.get("deletionTimestamp")),
        helm_name=str(spec.get("name") or ""),
        revision=int(spec.get("version") or 0),
        history=tuple(
            (str(s.get("time") or ""), str(s.get("state") or ""), str(s.get("message") or ""))
            for s in reversed(status.get("deployStatus") or ())
            if isinstance(s, dict)
        ),
    )


def release_id() -> str:
    """A generated id as 3.x makes them: `rls-` and 13 lower-case letters and digits."""
    return "rls-" + uuid.uuid4().hex[:13]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def release_body(
    name: str,
    *,
    workspace: str,
    cluster: str,
    namespace: str,
    version: VersionRow,
    values: str,
    creator: str,
    alias: str = "",
    object_name: str = "",
) -> dict[str, Any]:
    """The HelmRelease of §2.7: `rls-<id>`, the six labels, `spec.version` 1 (a new release),
    the Helm release name in `spec.name`, values as base64."""
    annotations = {CREATOR: creator}
    if alias:
        annotations[ALIAS] = alias
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "HelmRelease",
        "metadata": {
            "name": object_name or release_id(),
            "labels": {
                WORKSPACE: workspace,
                NAMESPACE: namespace,
                CLUSTER: cluster,
                APP_ID: version.app,
                VERSION_ID: version.name,
                REPO_ID: version.repo,
            },
            "annotations": annotations,
        },
        "spec": {
            "name": name,
            "chartName": version.chart,
            "chartVersion": version.version,
            "appId": version.app,
            "appVerId": version.name,
            "repoId": version.repo,
            "values": _b64(values),
            "version": 1,
        },
    }


def upgrade_patch(release: ReleaseRow, version: VersionRow, values: str) -> dict[str, Any]:
    """§2.7: new chart and values, and `spec.version` one up (the controller acts when it
    differs from `status.version`); the resourceVersion read, so a change meanwhile fails."""
    return {
        "metadata": {
            "resourceVersion": release.resource_version,
            "labels": {VERSION_ID: version.name},
        },
        "spec": {
            "chartName": version.chart,
            "chartVersion": version.version,
            "appVerId": version.name,
            "values": _b64(values),
            "version": release.revision + 1,
        },
    }


NO_HELM_JOB = "3.x runs Helm in its controller, not in a Job: no job log (y: deployStatus)"
"""KubeSphere 3.x's ks-controller-manager runs Helm itself; status.deployStatus keeps the last
10 transitions (in the release's YAML)."""
REPO_ACTIONS = (
    "KubeSphere 3.x: API.md §2.7 names no repo action on HelmRepo objects (3.x adds and "
    "re-syncs repos through ks-apiserver), so kstui does not offer it"
)
