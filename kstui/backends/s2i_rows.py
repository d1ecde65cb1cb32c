"""KubeSphere DevOps S2I/B2I (devops.kubesphere.io/v1alpha1): a builder per row with its
newest run's state and the image that run produced (`status.s2iBuildResult.imageName`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from kstui.backends.errors import Forbidden, NotFound
from kstui.backends.pipeline_graph import parse_time

S2I_GROUP = "/apis/devops.kubesphere.io/v1alpha1"
BUILDER_LABEL = "devops.kubesphere.io/s2ibuilder"


@dataclass(frozen=True, slots=True)
class S2iRow:
    cluster: str
    context: str
    namespace: str
    builder: str
    kind: str
    """S2I (from source) or B2I (from a binary)."""
    template: str
    source: str
    last_run: str
    state: str
    started: float | None
    image: str
    job: str = ""
    """The Job whose pod builds (`status.kubernetesJobName`): its log is the build's."""

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.builder}"


def s2i_rows(
    cluster: str, context: str, builders: list[dict[str, Any]], runs: list[dict[str, Any]]
) -> list[S2iRow]:
    """Each builder with its newest run (by start, else creation): state and image."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}

    def started(run: dict[str, Any]) -> str:
        return str(
            (run.get("status") or {}).get("startTime")
            or run["metadata"].get("creationTimestamp")
            or ""
        )

    for run in runs:
        meta = run.get("metadata") or {}
        name = str((run.get("spec") or {}).get("builderName") or "") or str(
            (meta.get("labels") or {}).get(BUILDER_LABEL) or ""
        )
        key = (str(meta.get("namespace") or ""), name)
        if key not in newest or started(run) > started(newest[key]):
            newest[key] = run
    rows = []
    for builder in builders:
        meta = builder.get("metadata") or {}
        spec = builder.get("spec") or {}
        config = spec.get("config") or {}
        namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        run = newest.get((namespace, name)) or {}
        status = run.get("status") or {}
        state = str(
            status.get("runState") or (builder.get("status") or {}).get("lastRunState") or ""
        )
        rows.append(
            S2iRow(
                cluster,
                context,
                namespace,
                name,
                "B2I" if config.get("isBinaryURL") else "S2I",
                str(
                    (spec.get("fromTemplate") or {}).get("name") or config.get("builderImage") or ""
                ),
                str(config.get("sourceUrl") or ""),
                str((run.get("metadata") or {}).get("name") or ""),
                state,
                parse_time(status.get("startTime")) if status else None,
                str((status.get("s2iBuildResult") or {}).get("imageName") or ""),
                str(status.get("kubernetesJobName") or ""),
            )
        )
    return rows


async def read_s2i(links: Any, within: float | None = None) -> tuple[list[S2iRow], list[str]]:
    """Every cluster's builders with their newest run; a cluster that fails is a warning."""

    async def read(link: Any, client: Any) -> tuple[list[S2iRow], str]:
        try:
            builders, runs = await asyncio.gather(
                client.list(f"{S2I_GROUP}/s2ibuilders"), client.list(f"{S2I_GROUP}/s2iruns")
            )
        except NotFound:  # the cluster does not serve S2I: a fact, not a failure
            return [], f"{link.cluster}: no S2I/B2I"
        except Forbidden:
            return [], f"{link.context}: S2I builders not visible to you"
        items = builders.get("items") or [], runs.get("items") or []
        return s2i_rows(link.cluster, link.context, *items), ""

    answer = await links.fan_out(read, within=within)
    values = answer.values()
    notes = [note for _, note in values if note]
    return [r for rows, _ in values for r in rows], answer.warnings() + notes


def s2irun_body(row: S2iRow, creator: str) -> dict[str, Any]:
    """A new build of the builder, as the console creates it (the operator runs it)."""
    return {
        "apiVersion": "devops.kubesphere.io/v1alpha1",
        "kind": "S2iRun",
        "metadata": {
            "generateName": f"{row.builder}-",
            "namespace": row.namespace,
            "labels": {BUILDER_LABEL: row.builder},
            "annotations": {"kubesphere.io/creator": creator},
        },
        "spec": {"builderName": row.builder, "backoffLimit": 0, "secondsAfterFinished": 3600},
    }


async def start_build(links: Any, row: S2iRow) -> dict[str, Any]:
    client = await links.client(row.context)
    body = s2irun_body(row, await links.whoami(row.context))
    return dict(await client.create(f"{S2I_GROUP}/namespaces/{row.namespace}/s2iruns", body))
