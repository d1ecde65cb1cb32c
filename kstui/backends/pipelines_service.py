"""PipelineService: the Pipelines section's service (API.md §3, §9.4, §9.5), across clusters.

Reads go to the kube-apiserver of one context per cluster (ClusterLinks.fan_out): DevOps
projects, pipelines, runs and each run's ConfigMap (status and stage JSON). Triggering and
re-running create a PipelineRun (pipeline_bodies); deleting one refuses a run not finished,
as the kapis does. Logs, stop, replay and input go through the DevOps API of the context
(devops_api: the service proxy as anonymous, or a configured ks-apiserver with a login).
When no DevOps API answers, `agent()` reads what the cluster alone holds: the Jenkins agent
pod, its events and its `jnlp` log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.devops_api import DevOpsApi, DevOpsError, KsApiWay, ProxyWay, RunRef
from kstui.backends.devops_endpoint import KsApiEndpoint
from kstui.backends.devops_logs import ProgressiveLog
from kstui.backends.errors import ApiError, Forbidden, KstuiError
from kstui.backends.pipeline_bodies import PIPELINE_LABEL, pipelinerun_body, rerun_values
from kstui.backends.pipeline_graph import StageGraph, parse_stages, parse_time
from kstui.backends.pipeline_rows import (
    AGENT_POD,
    FINAL_PHASES,
    WORKER_NAMESPACE,
    PipelineRow,
    ProjectRow,
    RunRow,
    pipeline_row,
    project_row,
    run_data,
    run_row,
    with_last_runs,
)
from kstui.backends.retry_after import RetryAfter

if TYPE_CHECKING:
    from kstui.backends.devops_login import KsLogin
    from kstui.backends.kube import KubeClient
    from kstui.backends.session import Session

GROUP = "/apis/devops.kubesphere.io/v1alpha3"
WITHIN = 8.0
SUMMARIES = 100
"""Runs of a pipeline whose Jenkins summary is read (the newest)."""


def _ns(namespace: str) -> str:
    return quote(namespace, safe="")


def runs_path(namespace: str, name: str = "") -> str:
    base = f"{GROUP}/namespaces/{_ns(namespace)}/pipelineruns"
    return f"{base}/{quote(name, safe='')}" if name else base


def pipeline_path(namespace: str, name: str) -> str:
    return f"{GROUP}/namespaces/{_ns(namespace)}/pipelines/{quote(name, safe='')}"


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Overview:
    projects: list[ProjectRow]
    pipelines: list[PipelineRow]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunDetail:
    row: RunRow
    obj: dict[str, Any]
    graph: StageGraph
    ref: RunRef | None
    """None until the controller wrote the Jenkins build number."""
    status: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentView:
    """What the cluster alone holds for a run (API.md §9.5), labelled as such."""

    pod: str
    lines: list[str]
    log: list[str]


class PipelineService:
    def __init__(
        self,
        session: Session,
        *,
        other_identities: Callable[[str], bool] = lambda _c: False,
        endpoints: Mapping[str, KsApiEndpoint] | None = None,
        logins: Callable[[KsApiEndpoint], KsLogin] | None = None,
    ) -> None:
        self.session = session
        self.retry_after = RetryAfter()
        self.links = ClusterLinks(
            session, other_identities=other_identities, retry_after=self.retry_after
        )
        self.endpoints = dict(endpoints or {})
        self._make_login = logins
        self._logins: dict[str, KsLogin] = {}
        self._apis: dict[str, DevOpsApi] = {}

    # ------------------------------------------------------------------ reads

    async def overview(self) -> Overview:
        """Every cluster's DevOps projects and pipelines, each with its newest run."""

        async def read(link: Any, client: KubeClient) -> Overview:
            warnings: list[str] = []
            try:
                projects = (await client.list(f"{GROUP}/devopsprojects")).get("items") or []
            except Forbidden:
                projects = []
                warnings.append(f"{link.context}: DevOps projects not visible to you")
            except ApiError as error:
                if error.status_code != 404:
                    raise
                return Overview([], [], [f"{link.cluster}: no KubeSphere DevOps"])
            workspaces = {
                str((p.get("status") or {}).get("adminNamespace") or p["metadata"]["name"]): str(
                    (p["metadata"].get("labels") or {}).get("kubesphere.io/workspace") or ""
                )
                for p in projects
            }
            pipelines, runs = await self._pipelines_and_runs(link, client, warnings)
            return Overview(
                [project_row(link.cluster, link.context, p) for p in projects],
                with_last_runs(
                    [pipeline_row(link.cluster, link.context, p, workspaces) for p in pipelines],
                    [run_row(link.cluster, link.context, r, None) for r in runs],
                ),
                warnings,
            )

        answer = await self.links.fan_out(read, within=WITHIN)
        values = answer.values()
        return Overview(
            [p for v in values for p in v.projects],
            [p for v in values for p in v.pipelines],
            answer.warnings() + [w for v in values for w in v.warnings],
        )

    async def _pipelines_and_runs(
        self, link: Any, client: KubeClient, warnings: list[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        try:
            pipelines, runs = await asyncio.gather(
                client.list(f"{GROUP}/pipelines"), client.list(f"{GROUP}/pipelineruns")
            )
        except Forbidden:
            namespace = self.session.namespace_of(link.context)
            warnings.append(f"{link.context}: only namespace {namespace} (not all namespaces)")
            try:
                pipelines, runs = await asyncio.gather(
                    client.list(f"{GROUP}/namespaces/{_ns(namespace)}/pipelines"),
                    client.list(runs_path(namespace)),
                )
            except Forbidden:
                warnings.append(f"{link.context}: pipelines in {namespace} not visible to you")
                return [], []
        return pipelines.get("items") or [], runs.get("items") or []

    async def runs(self, row: PipelineRow) -> list[RunRow]:
        """One pipeline's runs, newest first, each with its Jenkins summary (the ConfigMap
        named after each of the newest SUMMARIES runs, read at once; older runs show their
        phase only)."""
        client = await self.links.client(row.context)
        selector = f"{PIPELINE_LABEL}={row.name}"
        runs = await client.list(runs_path(row.namespace), params={"labelSelector": selector})
        items = sorted(
            runs.get("items") or (),
            key=lambda r: (
                str(r["metadata"].get("creationTimestamp") or ""),
                r["metadata"]["name"],
            ),
            reverse=True,
        )
        gate = asyncio.Semaphore(16)

        async def configmap(name: str) -> dict[str, Any] | None:
            async with gate:
                try:
                    return dict(
                        await client.get(
                            f"/api/v1/namespaces/{_ns(row.namespace)}/configmaps/"
                            f"{quote(name, safe='')}"
                        )
                    )
                except ApiError as error:
                    if error.status_code in (403, 404):
                        return None
                    raise

        maps = await asyncio.gather(*(configmap(r["metadata"]["name"]) for r in items[:SUMMARIES]))
        rows = [
            run_row(row.cluster, row.context, r, maps[i] if i < len(maps) else None)
            for i, r in enumerate(items)
        ]
        rows.sort(key=lambda r: (r.created or 0, r.name), reverse=True)
        return rows

    async def run(
        self, cluster: str, context: str, namespace: str, name: str, now: float | None = None
    ) -> RunDetail | None:
        """One run with its stage graph; None once it is gone (deleted, or removed by the
        controller as a duplicate of an identical queued build)."""
        client = await self.links.client(context)
        try:
            obj = await client.get(runs_path(namespace, name))
        except ApiError as error:
            if error.status_code == 404:
                return None
            raise
        try:
            configmap = await client.get(
                f"/api/v1/namespaces/{_ns(namespace)}/configmaps/{quote(name, safe='')}"
            )
        except ApiError as error:
            if error.status_code not in (403, 404):
                raise
            configmap = None
        row = run_row(cluster, context, obj, configmap)
        status, stages = run_data(obj, configmap)
        graph = parse_stages(stages, now=self.session_now() if now is None else now)
        ref = RunRef(namespace, row.pipeline, row.build, row.branch) if row.build else None
        return RunDetail(row, obj, graph, ref, status)

    def session_now(self) -> float:
        import time

        return time.time()

    async def pipeline(self, row: PipelineRow) -> dict[str, Any]:
        client = await self.links.client(row.context)
        return dict(await client.get(pipeline_path(row.namespace, row.name)))

    # ------------------------------------------------------------------ permissions

    async def permission(self, pid: str, *, context: str = "", namespace: str = "") -> Verdict:
        client = await self.links.client(context or self.session.context)
        if pid in ("run.trigger", "run.delete"):
            verb = "create" if pid == "run.trigger" else "delete"
            allowed, reason = await client.can_i(
                verb, "pipelineruns", group="devops.kubesphere.io", namespace=namespace
            )
            if allowed:
                return Verdict(True)
            who = await self.links.whoami(context or self.session.context) or "you"
            why = f"{who} may not {verb} pipelineruns in {namespace}"
            return Verdict(False, why + (f" ({reason})" if reason else ""))
        if pid == "devops.act":
            allowed, reason = await (await self.api(context)).may("POST")
            return Verdict(allowed, reason)
        return Verdict(False, f"unknown permission {pid}")

    # ------------------------------------------------------------------ writes

    async def trigger(
        self, row: PipelineRow, values: dict[str, str], branch: str = ""
    ) -> dict[str, Any]:
        """Create the PipelineRun (§3.2) from the pipeline as it is now (its uid and spec)."""
        client = await self.links.client(row.context)
        pipeline = await client.get(pipeline_path(row.namespace, row.name))
        creator = await self.links.whoami(row.context)
        body = pipelinerun_body(pipeline, values, creator=creator, branch=branch)
        return dict(await client.create(runs_path(row.namespace), body))

    async def rerun(self, run: RunDetail) -> dict[str, Any]:
        """A new PipelineRun with the same parameters and branch (not a Jenkins replay)."""
        values, branch = rerun_values(run.obj)
        row = run.row
        pipeline = PipelineRow(
            row.cluster, row.context, row.namespace, row.pipeline, "", False, None, (), ""
        )
        return await self.trigger(pipeline, values, branch)

    async def delete_run(self, run: RunRow) -> None:
        """Deleted only when finished, as read now (the list may be seconds old)."""
        client = await self.links.client(run.context)
        path = runs_path(run.namespace, run.name)
        phase = run.phase
        if run.finished:
            phase = str(((await client.get(path)).get("status") or {}).get("phase") or "")
        if not run.finished or phase not in FINAL_PHASES:
            raise KstuiError(
                f"run {run.name} is {phase or 'not finished'}: only a finished run can be deleted",
                "KubeSphere refuses to delete a run that is not in a final phase",
                "stop it first (ctrl+x in the run), then delete it",
            )
        await client.delete(path)

    # ------------------------------------------------------------------ the DevOps API

    async def api(self, context: str) -> DevOpsApi:
        context = context or self.session.context
        if context in self._apis:
            return self._apis[context]
        endpoint = self.endpoints.get(context)
        if endpoint is None:
            made = DevOpsApi(ProxyWay(await self.links.client(context)))
        else:
            import httpx

            login = self.login_for(context)
            http = httpx.AsyncClient(
                base_url=endpoint.url, verify=endpoint.ca_file or endpoint.verify, timeout=30.0
            )
            made = DevOpsApi(KsApiWay(login, http))
        self._apis[context] = made
        return made

    def login_for(self, context: str) -> KsLogin:
        from kstui.backends.devops_login import KsLogin, httpx_token_post

        if context not in self._logins:
            endpoint = self.endpoints[context]
            if self._make_login is not None:
                self._logins[context] = self._make_login(endpoint)
            else:

                async def post(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
                    return await (await httpx_token_post(endpoint))(url, form)

                self._logins[context] = KsLogin(endpoint, post)
        return self._logins[context]

    async def act(self, context: str, what: str, call: Callable[[DevOpsApi], Any]) -> str:
        """An action through the DevOps API, checked first (SSAR on services/proxy in the
        proxy mode); returns the line that says what was done and through which way."""
        api = await self.api(context)
        allowed, reason = await api.may("POST")
        if not allowed:
            raise DevOpsError(f"cannot {what}", reason, "ask for services/proxy in " + context)
        await call(api)
        return f"{what}: done ({api.mode})"

    async def follow(
        self, context: str, ref: RunRef, node: str = "", step: str = ""
    ) -> AsyncIterator[list[str]]:
        """A step's log (or the whole run's without node/step), followed through the
        progressive offsets until the step ends."""
        api = await self.api(context)
        log = ProgressiveLog()
        while not log.done:
            if node and step:
                answer = await api.step_log(ref, node, step, log.params())
            else:
                answer = await api.run_log(ref, log.params())
            lines = log.feed(answer.text, answer.headers)
            if lines:
                yield lines
            if not log.done:
                await asyncio.sleep(log.wait())

    # ------------------------------------------------------------------ no DevOps API (§9.5)

    async def agent(self, run: RunDetail) -> AgentView:
        """The Jenkins agent pod of a run (its annotation, else the newest `jenkins=slave`
        pod created after the run started), its events and its `jnlp` log."""
        client = await self.links.client(run.row.context)
        ann = (run.obj.get("metadata") or {}).get("annotations") or {}
        name = str(ann.get(AGENT_POD) or "")
        pods_path = f"/api/v1/namespaces/{WORKER_NAMESPACE}/pods"
        how = "named by the run's agent-pod-name annotation"
        if not name:
            how = "guessed: a jenkins=slave pod created after the run started"
            try:
                pods = await client.list(pods_path, params={"labelSelector": "jenkins=slave"})
            except KstuiError as error:
                return AgentView("", [f"agent pods cannot be read: {error.title}"], [])
            started = run.row.started or 0
            ended = run.row.finished_at if run.row.finished else None
            candidates = [
                p
                for p in pods.get("items") or ()
                if started
                <= (parse_time(p["metadata"].get("creationTimestamp")) or 0)
                <= (ended if ended is not None else float("inf"))
            ]
            candidates.sort(key=lambda p: str(p["metadata"].get("creationTimestamp")))
            name = candidates[0]["metadata"]["name"] if candidates else ""
        if not name:
            return AgentView("", ["no agent pod: it is deleted once the build ends"], [])
        try:
            pod = await client.get(f"{pods_path}/{name}")
        except ApiError as error:
            if error.status_code == 404:
                return AgentView(name, [f"agent pod {name} is gone (deleted after the build)"], [])
            raise
        status = pod.get("status") or {}
        lines = [f"agent pod {WORKER_NAMESPACE}/{name} ({how})"]
        lines.append(f"phase {status.get('phase', '?')} on {pod['spec'].get('nodeName', '?')}")
        for cs in status.get("containerStatuses") or ():
            state = cs.get("state") or {}
            word = next(iter(state), "?")
            why = (state.get(word) or {}).get("reason") or ""
            lines.append(f"  container {cs.get('name')}: {word} {why}".rstrip())
        try:
            events = await client.list(
                f"/api/v1/namespaces/{WORKER_NAMESPACE}/events",
                params={"fieldSelector": f"involvedObject.name={name}"},
            )
            for event in events.get("items") or ():
                lines.append(f"  event {event.get('reason', '')}: {event.get('message', '')}")
        except KstuiError as error:
            lines.append(f"  events cannot be read: {error.title}")
        log: list[str] = []
        try:
            text = await client.get(
                f"{pods_path}/{name}/log",
                params={"container": "jnlp", "tailLines": "200"},
                accept="text/plain",
            )
            log = str(text or "").splitlines()
        except KstuiError as error:
            log = [f"jnlp log cannot be read: {error.title}"]
        return AgentView(name, lines, log)
