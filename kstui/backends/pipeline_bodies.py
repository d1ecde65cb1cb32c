"""What kstui writes for pipelines (API.md §3.2), pure: the trigger form's parameters from the
pipeline's Jenkins metadata (defaults, choices, types), their checks, and the exact
PipelineRun a trigger or a re-run creates."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

GROUP_VERSION = "devops.kubesphere.io/v1alpha3"
PIPELINE_LABEL = "devops.kubesphere.io/pipeline"
CREATOR = "devops.kubesphere.io/creator"
BUILD_ID = "devops.kubesphere.io/jenkins-pipelinerun-id"
METADATA = "pipeline.devops.kubesphere.io/jenkins-metadata"
BRANCHES = "pipeline.devops.kubesphere.io/jenkins-branches"
MULTI_BRANCH = "multi-branch-pipeline"

TYPES = ("string", "text", "boolean", "choice", "password")


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter the trigger form asks for."""

    name: str
    kind: str
    """One of TYPES (Jenkins' `StringParameterDefinition` etc. read as `string`)."""
    default: str
    description: str = ""
    choices: tuple[str, ...] = ()


def _kind(raw: Any) -> str:
    text = str(raw or "string").lower()
    for suffix in ("parameterdefinition", "_parameter", "parameter"):
        text = text.removesuffix(suffix)
    return text if text in TYPES else "string"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _choices(raw: dict[str, Any]) -> tuple[str, ...]:
    choices = raw.get("choices")
    if isinstance(choices, list):
        return tuple(_as_text(c) for c in choices)
    if isinstance(choices, str):
        return tuple(c for c in choices.splitlines() if c)
    return ()


def parameters_of(pipeline: dict[str, Any]) -> list[Parameter]:
    """The trigger form's parameters: Jenkins' definitions (the `jenkins-metadata`
    annotation: `defaultParameterValue`, `choices`) when the controller has synced them,
    else the pipeline spec's own (`default_value`; a choice's choices one per line)."""
    annotations = (pipeline.get("metadata") or {}).get("annotations") or {}
    try:
        metadata = json.loads(annotations.get(METADATA) or "{}")
    except ValueError:
        metadata = {}
    found: list[Parameter] = []
    jenkins = metadata.get("parameters") if isinstance(metadata, dict) else None
    if isinstance(jenkins, list) and jenkins:
        for raw in jenkins:
            if not isinstance(raw, dict) or not raw.get("name"):
                continue
            kind = _kind(raw.get("type"))
            default = (raw.get("defaultParameterValue") or {}).get("value")
            choices = _choices(raw)
            found.append(
                Parameter(
                    str(raw["name"]),
                    kind,
                    _as_text(default if default is not None else (choices or [""])[0]),
                    str(raw.get("description") or ""),
                    choices,
                )
            )
        return found
    spec = (pipeline.get("spec") or {}).get("pipeline") or {}
    for raw in spec.get("parameters") or ():
        if not isinstance(raw, dict) or not raw.get("name"):
            continue
        kind = _kind(raw.get("type"))
        default = _as_text(raw.get("default_value"))
        choices = tuple(c for c in default.splitlines() if c) if kind == "choice" else ()
        found.append(
            Parameter(
                str(raw["name"]),
                kind,
                choices[0] if choices else default,
                str(raw.get("description") or ""),
                choices,
            )
        )
    return found


def check_value(parameter: Parameter, value: str) -> str:
    """Why `value` cannot be sent for `parameter` ("" when it can)."""
    if parameter.kind == "boolean" and value not in ("true", "false"):
        return f"{parameter.name} is true or false, not {value!r}"
    if parameter.kind == "choice" and parameter.choices and value not in parameter.choices:
        return f"{parameter.name} is one of {', '.join(parameter.choices)}"
    if parameter.kind in ("string", "password", "choice", "boolean") and "\n" in value:
        return f"{parameter.name} is one line"
    return ""


def check_values(parameters: list[Parameter], values: dict[str, str]) -> dict[str, str]:
    """name → why its value cannot be sent; unknown names too."""
    known = {p.name: p for p in parameters}
    problems = {
        name: f"{name} is not a parameter of this pipeline" for name in values if name not in known
    }
    for parameter in parameters:
        why = check_value(parameter, values.get(parameter.name, parameter.default))
        if why:
            problems[parameter.name] = why
    return problems


def is_multi_branch(pipeline: dict[str, Any]) -> bool:
    return str((pipeline.get("spec") or {}).get("type") or "") == MULTI_BRANCH


def branches_of(pipeline: dict[str, Any]) -> list[str]:
    """A multi-branch pipeline's branches (Jenkins metadata, then the branches annotation)."""
    annotations = (pipeline.get("metadata") or {}).get("annotations") or {}
    names: list[str] = []
    try:
        metadata = json.loads(annotations.get(METADATA) or "{}")
        names = [str(n) for n in metadata.get("branchNames") or () if n]
    except (ValueError, AttributeError):
        pass
    try:
        for raw in json.loads(annotations.get(BRANCHES) or "[]"):
            name = str((raw or {}).get("name") or "")
            if name and name not in names:
                names.append(name)
    except (ValueError, TypeError, AttributeError):
        pass
    return names


def pipelinerun_body(
    pipeline: dict[str, Any],
    values: dict[str, str],
    *,
    creator: str,
    branch: str = "",
) -> dict[str, Any]:
    """The PipelineRun a trigger creates, as the kapis builds it (API.md §3.2): generateName
    `<pipeline>-`, the pipeline label, the creator, a controller ownerReference to the
    Pipeline (its uid), `pipelineRef`, a verbatim copy of the Pipeline's spec, the
    parameters as strings in the pipeline's order, and `scm` for a multi-branch run."""
    meta = pipeline["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    if is_multi_branch(pipeline) and not branch:
        raise ValueError(f"{name} is a multi-branch pipeline: a branch is needed")
    known = [p.name for p in parameters_of(pipeline)]
    order = known + sorted(n for n in values if n not in known)
    body: dict[str, Any] = {
        "apiVersion": GROUP_VERSION,
        "kind": "PipelineRun",
        "metadata": {
            "generateName": f"{name}-",
            "namespace": namespace,
            "labels": {PIPELINE_LABEL: name},
            "annotations": {CREATOR: creator} if creator else {},
            "ownerReferences": [
                {
                    "apiVersion": GROUP_VERSION,
                    "kind": "Pipeline",
                    "name": name,
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "pipelineRef": {"kind": "Pipeline", "name": name, "namespace": namespace},
            "pipelineSpec": copy.deepcopy(pipeline.get("spec") or {}),
        },
    }
    parameters = [{"name": n, "value": str(values[n])} for n in order if n in values]
    if parameters:
        body["spec"]["parameters"] = parameters
    if branch:
        body["spec"]["scm"] = {"refName": branch, "refType": "branch"}
    return body


def rerun_values(run: dict[str, Any]) -> tuple[dict[str, str], str]:
    """A run's parameters and branch, to run it again with the same ones (not a replay)."""
    spec = run.get("spec") or {}
    values = {
        str(p["name"]): _as_text(p.get("value"))
        for p in spec.get("parameters") or ()
        if isinstance(p, dict) and p.get("name")
    }
    return values, str((spec.get("scm") or {}).get("refName") or "")
