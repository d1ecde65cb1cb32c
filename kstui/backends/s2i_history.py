"""One S2I/B2I builder's runs (every S2iRun naming it, newest first) and the builder templates
(S2iBuilderTemplate: the code framework, its base images and whether it builds binaries), as
devops.kubesphere.io/v1alpha1 holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kstui.backends.errors import Forbidden, NotFound
from kstui.backends.pipeline_graph import parse_time
from kstui.backends.s2i_rows import BUILDER_LABEL, S2I_GROUP, S2iRow


@dataclass(frozen=True, slots=True)
class S2iRunRow:
    name: str
    state: str
    started: float | None
    completed: float | None
    image: str
    """The image the run produced (`status.s2iBuildResult.imageName`), whole."""
    job: str
    created: str

    @property
    def key(self) -> str:
        return self.name

    def duration_ms(self, now: float) -> int | None:
        if self.started is None:
            return None
        end = self.completed if self.completed is not None else now
        return max(0, int((end - self.started) * 1000))


def builder_runs(builder: str, runs: list[dict[str, Any]]) -> list[S2iRunRow]:
    """The runs of `builder` (by spec.builderName, else its label), newest first."""
    rows = []
    for run in runs:
        meta = run.get("metadata") or {}
        name = str((run.get("spec") or {}).get("builderName") or "") or str(
            (meta.get("labels") or {}).get(BUILDER_LABEL) or ""
        )
        if name != builder:
            continue
        status = run.get("status") or {}
        rows.append(
            S2iRunRow(
                str(meta.get("name") or ""),
                str(status.get("runState") or ""),
                parse_time(status.get("startTime")),
                parse_time(status.get("completionTime")),
                str((status.get("s2iBuildResult") or {}).get("imageName") or ""),
                str(status.get("kubernetesJobName") or ""),
                str(meta.get("creationTimestamp") or ""),
            )
        )

    def order(row: S2iRunRow) -> tuple[float, str, str]:
        return (row.started or parse_time(row.created) or 0.0, row.created, row.name)

    return sorted(rows, key=order, reverse=True)


async def read_builder_runs(links: Any, row: S2iRow) -> list[S2iRunRow]:
    client = await links.client(row.context)
    answer = await client.list(f"{S2I_GROUP}/namespaces/{row.namespace}/s2iruns")
    return builder_runs(row.builder, answer.get("items") or [])


@dataclass(frozen=True, slots=True)
class TemplateRow:
    cluster: str
    name: str
    framework: str
    base_image: str
    images: tuple[str, ...]
    """Every `containerInfo[].builderImage`: the base images a builder may pick."""
    binary: bool
    version: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.name}"


def template_rows(cluster: str, templates: list[dict[str, Any]]) -> list[TemplateRow]:
    rows = []
    for template in templates:
        meta = template.get("metadata") or {}
        spec = template.get("spec") or {}
        images = tuple(
            str(c.get("builderImage") or "")
            for c in spec.get("containerInfo") or []
            if isinstance(c, dict) and c.get("builderImage")
        )
        annotations = meta.get("annotations") or {}
        rows.append(
            TemplateRow(
                cluster,
                str(meta.get("name") or ""),
                str(spec.get("codeFramework") or ""),
                str(spec.get("defaultBaseImage") or ""),
                images,
                str((meta.get("labels") or {}).get("binary") or "") == "true",
                str(spec.get("version") or ""),
                str(spec.get("description") or annotations.get("descriptionEN") or ""),
            )
        )
    return sorted(rows, key=lambda r: (r.cluster, r.name))


async def read_templates(
    links: Any, within: float | None = None
) -> tuple[list[TemplateRow], list[str]]:
    """Every cluster's builder templates (cluster-scoped); a cluster that fails is a warning."""

    async def read(link: Any, client: Any) -> tuple[list[TemplateRow], str]:
        try:
            answer = await client.list(f"{S2I_GROUP}/s2ibuildertemplates")
        except NotFound:  # the cluster does not serve S2I: a fact, not a failure
            return [], f"{link.cluster}: no S2I/B2I"
        except Forbidden:
            return [], f"{link.context}: S2I builder templates not visible to you"
        return template_rows(link.cluster, answer.get("items") or []), ""

    answer = await links.fan_out(read, within=within)
    values = answer.values()
    notes = [note for _, note in values if note]
    return [r for rows, _ in values for r in rows], answer.warnings() + notes
