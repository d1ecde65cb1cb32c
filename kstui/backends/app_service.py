"""AppStore: the Apps section's service for the KubeSphere 4.x app store (API.md §2).

The store's objects live on the host cluster and are read through the context that reaches it
(the session's own when it does, so a tenant reads and writes as the tenant). Releases' pods and
workloads are read on the target cluster's context. Writes: create an ApplicationRelease (§2.3),
patch it for an upgrade (§2.5), delete it (§2.6), re-sync a repo through /status (§2.2), add a
repo (its credential also kept in the OS keyring). What a user may do is asked with
SelfSubjectAccessReviews before a form offers it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kstui.backends import app_bodies, app_charts
from kstui.backends.app_store import (
    APPLICATIONS,
    CATEGORIES,
    INSTANCE,
    JOB_NAME,
    JOB_RELEASE,
    RELEASES,
    REPOS,
    VERSIONS,
    AppRow,
    CategoryRow,
    ReleaseRow,
    RepoRow,
    VersionRow,
    app_row,
    category_row,
    helm_error,
    release_row,
    repo_row,
    version_row,
)
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import KstuiError
from kstui.backends.tenancy.values import Permission, ProjectSummary, WorkspaceSummary
from kstui.backends.workspaces import WorkspaceService

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient
    from kstui.backends.session import Session

_NEEDS = {
    "release.upgrade": ("patch", "applicationreleases"),
    "release.uninstall": ("delete", "applicationreleases"),
    "repo.add": ("create", "repos"),
    "repo.resync": ("patch", "repos/status"),
}
DEFAULT_HOST = "host"
"""The host cluster's name when the context reading the store cannot read Cluster objects (a
tenant's): KubeSphere's default, and the default of the kubesphere.io/cluster label."""
NO_STORE = "no context reaches a KubeSphere 4.x host cluster: the app store is not there"
KEEP_CHARTS = 16


@dataclass(frozen=True, slots=True)
class Produced:
    """What a release made on its cluster: workloads and pods labelled with its name."""

    context: str
    kind: str
    namespace: str
    name: str
    status: str
    job: bool = False
    """One of the controller's Helm job pods (install, upgrade, uninstall)."""


def _items(listed: Any) -> list[dict[str, Any]]:
    return list((listed or {}).get("items") or ())


class AppStore:
    def __init__(self, session: Session, tenancy: WorkspaceService | None = None) -> None:
        self.session = session
        self.tenancy = tenancy or WorkspaceService(session)
        self.clusters = self.tenancy.clusters
        self.retry_after = self.clusters.retry_after
        self._charts: OrderedDict[str, app_charts.ChartFiles] = OrderedDict()

    # ------------------------------------------------------------------ where

    async def host(self) -> ClusterLink:
        link = await self.clusters.host()
        if link is None or link.error:
            raise KstuiError(NO_STORE, link.error if link else "")
        if link.flavor is not Flavor.V4:
            raise KstuiError(
                f"{link.cluster} runs KubeSphere {link.flavor}: the v2 app store is 4.x only",
                "the Helm releases view (first in this section) works on any cluster",
            )
        return link

    async def client(self) -> KubeClient:
        return await self.clusters.client((await self.host()).context)

    async def host_name(self) -> str:
        """The host's Cluster name; "host" when this context could not map itself to one."""
        link = await self.host()
        return link.cluster if link.host else DEFAULT_HOST

    async def context_of(self, cluster: str) -> str:
        """The context that reaches a KubeSphere cluster by its Cluster name."""
        chosen, _skipped = await self.clusters.per_cluster()
        found = next((link for link in chosen if link.cluster == cluster), None)
        host = await self.host()
        if found is None and not host.host and cluster == DEFAULT_HOST:
            return host.context  # the store's own context, unmapped (a tenant's)
        if found is None:
            raise KstuiError(
                f"no context of this kubeconfig reaches cluster {cluster}",
                "its release's pods and workloads cannot be read from here",
            )
        return found.context

    # ------------------------------------------------------------------ reading

    async def repos(self) -> list[RepoRow]:
        listed = await (await self.client()).list(REPOS.path())
        return sorted((repo_row(o) for o in _items(listed)), key=lambda r: r.name)

    async def catalog(self) -> tuple[list[CategoryRow], list[AppRow]]:
        client = await self.client()
        categories, apps = await asyncio.gather(
            client.list(CATEGORIES.path()), client.list(APPLICATIONS.path())
        )
        return [category_row(o) for o in _items(categories)], [app_row(o) for o in _items(apps)]

    async def versions(self, app: str) -> list[VersionRow]:
        client = await self.client()
        listed = await client.list(
            VERSIONS.path(), {"labelSelector": f"application.kubesphere.io/app-id={app}"}
        )
        return [version_row(o) for o in _items(listed)]

    async def version(self, name: str) -> VersionRow:
        return version_row(await (await self.client()).get(VERSIONS.path(name=name)))

    async def releases(self) -> list[ReleaseRow]:
        listed = await (await self.client()).list(RELEASES.path())
        return sorted((release_row(o) for o in _items(listed)), key=lambda r: r.name)

    async def release_object(self, name: str) -> dict[str, Any]:
        return dict(await (await self.client()).get(RELEASES.path(name=name)))

    async def watch_release(self, name: str) -> AsyncIterator[tuple[str, ReleaseRow | None]]:
        """Every change of one release as the API server reports it (a watch from its current
        resourceVersion, so no state between two reads is missed): ("MODIFIED", row), and
        ("DELETED", None) once it is gone. Ends when the server ends the watch."""
        client = await self.client()
        listed = await client.list(RELEASES.path(), {"fieldSelector": f"metadata.name={name}"})
        version = str((listed.get("metadata") or {}).get("resourceVersion") or "")
        for obj in _items(listed):
            yield "ADDED", release_row(obj)
        params = {"fieldSelector": f"metadata.name={name}", "resourceVersion": version}
        async for event in client.watch(RELEASES.path(), params):
            kind, obj = str(event.get("type") or ""), event.get("object") or {}
            if kind == "BOOKMARK":
                continue
            yield kind, (None if kind == "DELETED" else release_row(obj))

    async def chart(self, version: VersionRow) -> app_charts.ChartFiles:
        """The chart of a version (kept per URL); the repo's keyring credential if any."""
        url = version.pull_url
        if url in self._charts:
            return self._charts[url]
        context = (await self.host()).context
        auth = app_charts.load_credential(context, version.repo) if version.repo else None
        files = await app_charts.fetch_chart(url, auth)
        if not files.problem:
            self._charts[url] = files
            while len(self._charts) > KEEP_CHARTS:
                self._charts.popitem(last=False)
        return files

    async def produced(self, release: ReleaseRow) -> list[Produced]:
        """Workloads and pods with app.kubernetes.io/instance=<release> in its namespace on
        its cluster, and its Helm job pods."""
        context = await self.context_of(release.cluster)
        client = await self.clusters.client(context)
        ns = quote(release.namespace, safe="")
        pods = f"/api/v1/namespaces/{ns}/pods"
        wanted = [
            ("deployments", f"/apis/apps/v1/namespaces/{ns}/deployments", INSTANCE, release.name),
            ("statefulsets", f"/apis/apps/v1/namespaces/{ns}/statefulsets", INSTANCE, release.name),
            ("pods", pods, INSTANCE, release.name),
            *(("pods", pods, label, value) for label, value in _job_pod_labels(release)),
        ]
        answers = await asyncio.gather(
            *(
                client.list(path, {"labelSelector": f"{label}={value}"})
                for _kind, path, label, value in wanted
            )
        )
        found: dict[tuple[str, str], Produced] = {}
        for (kind, _path, label, _value), listed in zip(wanted, answers, strict=True):
            for obj in _items(listed):
                name = str((obj.get("metadata") or {}).get("name") or "")
                found[(kind, name)] = Produced(
                    context,
                    kind,
                    release.namespace,
                    name,
                    _status_word(kind, obj),
                    job=label in (JOB_RELEASE, JOB_NAME),
                )
        return list(found.values())

    async def helm_revision(self, release: ReleaseRow) -> str:
        """Helm's newest revision of the release and its status ("2 deployed"), from the
        labels of its release Secrets (API.md §7.2); "" when they cannot be read."""
        try:
            client = await self.clusters.client(await self.context_of(release.cluster))
            listed = await client.list(
                f"/api/v1/namespaces/{quote(release.namespace, safe='')}/secrets",
                {"labelSelector": f"owner=helm,name={release.name}"},
            )
        except KstuiError:
            return ""
        best: tuple[int, str] | None = None
        for item in _items(listed):
            labels = (item.get("metadata") or {}).get("labels") or {}
            version = str(labels.get("version") or "")
            if version.isdigit() and (best is None or int(version) > best[0]):
                best = (int(version), str(labels.get("status") or ""))
        return f"{best[0]} {best[1]}".strip() if best else ""

    async def job_pods(self, release: ReleaseRow) -> tuple[str, list[str]]:
        """(context, pod names) of the release's Helm job pods, newest last."""
        context = await self.context_of(release.cluster)
        client = await self.clusters.client(context)
        answers = await asyncio.gather(
            *(
                client.list(
                    f"/api/v1/namespaces/{quote(release.namespace, safe='')}/pods",
                    {"labelSelector": f"{label}={value}"},
                )
                for label, value in _job_pod_labels(release)
            )
        )
        by_name = {
            str((p.get("metadata") or {}).get("name") or ""): p
            for listed in answers
            for p in _items(listed)
        }
        pods = sorted(
            by_name.values(),
            key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp")),
        )
        return context, [str((p.get("metadata") or {}).get("name") or "") for p in pods]

    async def helm_error(self, release: ReleaseRow, pod: str) -> str:
        """Why Helm failed, from its job pod's log: what a deployFailed release's status does
        not say (KubeSphere records only that the job failed)."""
        client = await self.clusters.client(await self.context_of(release.cluster))
        path = f"/api/v1/namespaces/{quote(release.namespace, safe='')}/pods/{quote(pod)}/log"
        lines = [line async for line in client.stream_lines(path, {"tailLines": "80"})]
        return helm_error(lines)

    # ------------------------------------------------------------------ the install form

    async def creator(self) -> str:
        """Who the API server says we are on the host: stamped as kubesphere.io/creator."""
        user = await self.clusters.whoami((await self.host()).context)
        if not user:
            raise KstuiError("the host did not say who this user is (SelfSubjectReview)")
        return user

    async def workspaces(self) -> list[WorkspaceSummary]:
        return await self.tenancy.workspaces()

    async def projects(self, workspace: str) -> list[ProjectSummary]:
        """The workspace's projects, each named by its Cluster (the host's by its name even
        when this context could not map itself to it)."""
        host = await self.host()
        found = await self.tenancy.projects(workspace)
        if host.host:
            return found
        return [replace(p, cluster=DEFAULT_HOST) if p.context == host.context else p for p in found]

    async def may_install(self, cluster: str, namespace: str) -> Permission:
        """Create an ApplicationRelease on the host, and (Helm runs as the creator) write
        Secrets, where Helm keeps the release, in the target project."""
        host = await self.host()
        client = await self.clusters.client(host.context)
        allowed, reason = await client.can_i("create", RELEASES.resource, group=RELEASES.group)
        if not allowed:
            text = f"RBAC denies create {RELEASES.qualified} on {await self.host_name()}"
            return Permission(False, f"{text}: {reason}" if reason else text)
        if not namespace:
            return Permission(True, "")
        try:
            target = await self.clusters.client(await self.context_of(cluster))
            allowed, reason = await target.can_i("create", "secrets", namespace=namespace)
        except KstuiError as error:
            return Permission(False, f"cannot ask {cluster} for permission: {error.title}")
        if not allowed:
            user = self.clusters.me or "this user"
            text = (
                f"Helm runs as {user}, and RBAC denies create secrets in {namespace} on "
                f"{cluster}: not a project of yours"
            )
            return Permission(False, f"{text} ({reason})" if reason else text)
        return Permission(True, "")

    async def permission(self, pid: str, **where: str) -> Permission:
        """The gate of each store action, by id (the polled screens ask once per view)."""
        if pid == "release.install":
            return await self.may_install(where.get("cluster", ""), where.get("namespace", ""))
        verb, resource = _NEEDS[pid]
        return await self.may(verb, resource)

    async def may(self, verb: str, resource: str = RELEASES.resource) -> Permission:
        host = await self.host()
        client = await self.clusters.client(host.context)
        subresource = ""
        if "/" in resource:
            resource, subresource = resource.split("/", 1)
        allowed, reason = await client.can_i(
            verb, resource, group=RELEASES.group, subresource=subresource
        )
        if allowed:
            return Permission(True, "")
        text = f"RBAC denies {verb} {resource}{'/' + subresource if subresource else ''}"
        where = await self.host_name()
        return Permission(False, f"{text} on {where}" + (f": {reason}" if reason else ""))

    # ------------------------------------------------------------------ writing

    async def install(self, body: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        return dict(await (await self.client()).create(RELEASES.path(), body, dry_run=dry_run))

    async def upgrade(
        self, release: ReleaseRow, version: VersionRow, values: str
    ) -> dict[str, Any]:
        patch = app_bodies.upgrade_patch(release, version, values)
        client = await self.client()
        return dict(await client.patch(RELEASES.path(name=release.name), patch, "merge"))

    async def uninstall(self, release: ReleaseRow) -> dict[str, Any]:
        return dict(await (await self.client()).delete(RELEASES.path(name=release.name)))

    async def resync(self, repo: str) -> dict[str, Any]:
        path = REPOS.path(name=repo) + "/status"
        client = await self.client()
        return dict(await client.patch(path, app_bodies.MANUAL_TRIGGER, "merge"))

    async def add_repo(
        self,
        name: str,
        url: str,
        *,
        workspace: str,
        username: str = "",
        password: str = "",
        sync_period: int = 0,
    ) -> tuple[dict[str, Any], str]:
        """The Repo as created, and what the keyring said ("" when it kept the credential)."""
        body = app_bodies.repo_body(
            name,
            url,
            workspace=workspace,
            creator=await self.creator(),
            username=username,
            password=password,
            sync_period=sync_period,
        )
        created = dict(await (await self.client()).create(REPOS.path(), body))
        kept = ""
        if username or password:
            context = (await self.host()).context
            kept = await asyncio.to_thread(
                app_charts.save_credential, context, name, username, password
            )
        return created, kept


def _status_word(kind: str, obj: dict[str, Any]) -> str:
    status = obj.get("status") or {}
    if kind == "pods":
        return str(status.get("phase") or "")
    ready = status.get("readyReplicas") or 0
    wanted = (obj.get("spec") or {}).get("replicas")
    return f"{ready}/{wanted if wanted is not None else '?'} ready"


def _job_pod_labels(release: ReleaseRow) -> list[tuple[str, str]]:
    """How a release's Helm job pods are found: by the job the release's status names (every
    Job's pods carry job-name), and by the release label, in case the pods carry it too."""
    found = [(JOB_RELEASE, release.name)]
    if release.job:
        found.append((JOB_NAME, release.job))
    return found
