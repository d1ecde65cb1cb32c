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
from kstui.backends.app_dialects import Dialect, dialect_of
from kstui.backends.app_revisions import HelmRevisions, read_revisions, why
from kstui.backends.app_store import (
    INSTANCE,
    JOB_NAME,
    JOB_RELEASE,
    AppRow,
    CategoryRow,
    ReleaseRow,
    RepoRow,
    VersionRow,
    helm_error,
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
NO_STORE = "no context reaches a KubeSphere host cluster: the app store is not there"
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
        self.last_dialect: Dialect = dialect_of(Flavor.V4)
        """The dialect last read from the host: names for the screens' own words."""

    # ------------------------------------------------------------------ where

    async def host(self) -> ClusterLink:
        link = await self.clusters.host()
        if link is None or link.error:
            raise KstuiError(NO_STORE, link.error if link else "")
        if link.flavor is Flavor.VANILLA:
            raise KstuiError(
                f"{link.cluster} runs no KubeSphere: there is no app store",
                "the Helm releases view (first in this section) works on any cluster",
            )
        return link

    async def dialect(self) -> Dialect:
        """4.x's v2 objects or 3.x's v1alpha1 Helm* ones (§2.7), by the host's flavour."""
        self.last_dialect = dialect_of((await self.host()).flavor)
        return self.last_dialect

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
        d = await self.dialect()
        listed = await (await self.client()).list(d.repos.path())
        return sorted((d.repo_row(o) for o in _items(listed)), key=lambda r: r.name)

    async def catalog(self) -> tuple[list[CategoryRow], list[AppRow]]:
        client, d = await self.client(), await self.dialect()
        categories, apps = await asyncio.gather(
            client.list(d.categories.path()), client.list(d.applications.path())
        )
        shown = [d.app_row(o) for o in _items(apps) if d.in_store(o)]
        return [d.category_row(o) for o in _items(categories)], shown

    async def versions(self, app: str) -> list[VersionRow]:
        client, d = await self.client(), await self.dialect()
        listed = await client.list(d.versions.path(), {"labelSelector": f"{d.app_label}={app}"})
        return [d.version_row(o) for o in _items(listed)]

    async def version(self, name: str) -> VersionRow:
        d = await self.dialect()
        return d.version_row(await (await self.client()).get(d.versions.path(name=name)))

    async def releases(self) -> list[ReleaseRow]:
        d = await self.dialect()
        listed = await (await self.client()).list(d.releases.path())
        return sorted((d.release_row(o) for o in _items(listed)), key=lambda r: r.name)

    async def release(self, name: str) -> ReleaseRow:
        return (await self.dialect()).release_row(await self.release_object(name))

    async def release_object(self, name: str) -> dict[str, Any]:
        d = await self.dialect()
        return dict(await (await self.client()).get(d.releases.path(name=name)))

    async def watch_release(self, name: str) -> AsyncIterator[tuple[str, ReleaseRow | None]]:
        """Every change of one release as the API server reports it (a watch from its current
        resourceVersion, so no state between two reads is missed): ("MODIFIED", row), and
        ("DELETED", None) once it is gone. Ends when the server ends the watch."""
        client, d = await self.client(), await self.dialect()
        listed = await client.list(d.releases.path(), {"fieldSelector": f"metadata.name={name}"})
        version = str((listed.get("metadata") or {}).get("resourceVersion") or "")
        for obj in _items(listed):
            yield "ADDED", d.release_row(obj)
        params = {"fieldSelector": f"metadata.name={name}", "resourceVersion": version}
        async for event in client.watch(d.releases.path(), params):
            kind, obj = str(event.get("type") or ""), event.get("object") or {}
            if kind == "BOOKMARK":
                continue
            yield kind, (None if kind == "DELETED" else d.release_row(obj))

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
        pods, helm = f"/api/v1/namespaces/{ns}/pods", release.release_name
        wanted = [
            ("deployments", f"/apis/apps/v1/namespaces/{ns}/deployments", INSTANCE, helm),
            ("statefulsets", f"/apis/apps/v1/namespaces/{ns}/statefulsets", INSTANCE, helm),
            ("pods", pods, INSTANCE, helm),
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

    async def helm_revisions(
        self, cluster: str, namespace: str, release: str = ""
    ) -> HelmRevisions:
        """Helm's newest revision of each release in a project, from its release Secrets'
        labels, metadata only (app_revisions.py); a project that cannot be read says why."""
        try:
            client = await self.clusters.client(await self.context_of(cluster))
        except KstuiError as error:
            return HelmRevisions(error=why(error))
        return await read_revisions(client, namespace, release)

    async def helm_revision(self, release: ReleaseRow) -> str:
        """Helm's newest revision of the release and its status ("2 deployed"); "" when its
        Secrets cannot be read."""
        name = release.release_name
        found = await self.helm_revisions(release.cluster, release.namespace, name)
        number, status = found.newest.get(name, (0, ""))
        return f"{number} {status}".strip() if number else ""

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
        batches = client.stream_line_batches(path, {"tailLines": "80"})
        lines = [line async for batch in batches for line in batch]
        return helm_error(lines)

    # ------------------------------------------------------------------ the install form

    async def creator(self) -> str:
        """Who the API server says we are on the host: stamped as kubesphere.io/creator."""
        user = await self.clusters.whoami((await self.host()).context)
        if not user:
            raise KstuiError("the host did not say who this user is (SelfSubjectReview)")
        return user

    async def unseen_projects(self) -> str:
        """Why the install form may not offer every project ("" when it can): who may not
        list namespaces sees only the project its context names."""
        client = await self.clusters.client((await self.host()).context)
        allowed, _reason = await client.can_i("list", "namespaces")
        if allowed:
            return ""
        user, host = self.clusters.me or "this user", await self.host_name()
        return f"Offered: the projects {user} can see (RBAC denies list namespaces on {host})"

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
        client, releases = await self.clusters.client(host.context), (await self.dialect()).releases
        allowed, reason = await client.can_i("create", releases.resource, group=releases.group)
        if not allowed:
            text = f"RBAC denies create {releases.qualified} on {await self.host_name()}"
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
        d = await self.dialect()
        if pid.startswith("repo.") and d.repo_actions:
            return Permission(False, d.repo_actions)
        return await self.may(verb, resource)

    async def may(self, verb: str, resource: str = "applicationreleases") -> Permission:
        host, d = await self.host(), await self.dialect()
        client = await self.clusters.client(host.context)
        subresource = ""
        if "/" in resource:
            resource, subresource = resource.split("/", 1)
        resource = d.resource(resource)
        allowed, reason = await client.can_i(
            verb, resource, group=d.releases.group, subresource=subresource
        )
        if allowed:
            return Permission(True, "")
        text = f"RBAC denies {verb} {resource}{'/' + subresource if subresource else ''}"
        where = await self.host_name()
        return Permission(False, f"{text} on {where}" + (f": {reason}" if reason else ""))

    # ------------------------------------------------------------------ writing

    async def install(self, body: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        d = await self.dialect()
        return dict(await (await self.client()).create(d.releases.path(), body, dry_run=dry_run))

    async def release_body(self, name: str, version: VersionRow, **fields: str) -> dict[str, Any]:
        """The object an install creates, in the host's dialect (workspace, cluster,
        namespace, values, alias: as `app_bodies.release_body` takes them)."""
        d, creator = await self.dialect(), await self.creator()
        return d.release_body(name, version=version, creator=creator, **fields)

    async def upgrade_patch(
        self, release: ReleaseRow, version: VersionRow, values: str
    ) -> dict[str, Any]:
        return (await self.dialect()).upgrade_patch(release, version, values)

    async def upgrade(
        self, release: ReleaseRow, version: VersionRow, values: str
    ) -> dict[str, Any]:
        patch = await self.upgrade_patch(release, version, values)
        client, d = await self.client(), await self.dialect()
        return dict(await client.patch(d.releases.path(name=release.name), patch, "merge"))

    async def uninstall(self, release: ReleaseRow) -> dict[str, Any]:
        d = await self.dialect()
        return dict(await (await self.client()).delete(d.releases.path(name=release.name)))

    async def resync(self, repo: str) -> dict[str, Any]:
        d = await self.dialect()
        if d.repo_actions:
            raise KstuiError("not sent", d.repo_actions)
        path = d.repos.path(name=repo) + "/status"
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
        d = await self.dialect()
        if d.repo_actions:
            raise KstuiError("not sent", d.repo_actions)
        created = dict(await (await self.client()).create(d.repos.path(), body))
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
    found = [(JOB_RELEASE, release.release_name)]
    if release.job:
        found.append((JOB_NAME, release.job))
    return found
