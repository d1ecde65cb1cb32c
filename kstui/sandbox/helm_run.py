"""What the Helm in a KubeSphere install job does, for the sandbox: check the values against the
chart's values.schema.json (Helm 3's messages), render the chart's Deployment and Service as its
templates would, and write the release record and the job's log.

The schema check covers what charts use: type, required, enum, minimum/maximum, properties and
items. Messages are gojsonschema's, as Helm 3 prints them:
`values don't meet the specifications of the schema(s) in the following chart(s):`.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime
from typing import Any

import yaml

from kstui.sandbox.charts import Chart

MANAGED_BY = "app.kubernetes.io/managed-by"
INSTANCE = "app.kubernetes.io/instance"
HELM_CHART = "helm.sh/chart"

_GO_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def _type_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return "integer"
    return _GO_TYPES.get(type(value), "string")


def _matches(value: Any, wanted: str) -> bool:
    actual = _type_of(value)
    return actual == wanted or (wanted == "number" and actual == "integer")


def _field(path: str) -> str:
    return path or "(root)"


def schema_errors(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """gojsonschema's `- field: description` lines for a value against a schema."""
    errors: list[str] = []
    wanted = schema.get("type")
    types = [wanted] if isinstance(wanted, str) else list(wanted or [])
    if types and not any(_matches(value, t) for t in types):
        return [
            f"- {_field(path)}: Invalid type. Expected: {' or '.join(types)}, "
            f"given: {_type_of(value)}"
        ]
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(_json(v) for v in schema["enum"])
        name = path.rsplit(".", 1)[-1] or "(root)"
        errors.append(f"- {_field(path)}: {name} must be one of the following: {choices}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(
                f"- {_field(path)}: Must be greater than or equal to {_num(schema['minimum'])}"
            )
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(
                f"- {_field(path)}: Must be less than or equal to {_num(schema['maximum'])}"
            )
    if isinstance(value, dict):
        for name in schema.get("required") or ():
            if name not in value:
                errors.append(f"- {_field(path)}: {name} is required")
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                errors += schema_errors(sub, value[name], f"{path}.{name}" if path else name)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            errors += schema_errors(
                schema["items"], item, f"{path}.{index}" if path else str(index)
            )
    return errors


def _json(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def merge_values(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalesce: user values over the chart's defaults, maps merged, null deletes."""
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def values_problem(chart: Chart, values: dict[str, Any]) -> str | None:
    """Helm's error text when the merged values fail the chart's schema, else None."""
    if chart.schema is None:
        return None
    errors = schema_errors(chart.schema, merge_values(chart.values, values))
    if not errors:
        return None
    return (
        "values don't meet the specifications of the schema(s) in the following chart(s):\n"
        f"{chart.name}:\n" + "\n".join(errors) + "\n"
    )


def parse_values(text: str) -> tuple[dict[str, Any], str | None]:
    """The user's values (the release's base64-decoded YAML), or the YAML error Helm gives."""
    try:
        loaded = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        return {}, f"failed to parse values.yaml: error converting YAML to JSON: {error}"
    if loaded is None:
        return {}, None
    if not isinstance(loaded, dict):
        return {}, "failed to parse values.yaml: error unmarshaling JSON: cannot unmarshal"
    return loaded, None


def fullname(release: str, chart: str) -> str:
    name = release if chart in release else f"{release}-{chart}"
    return name[:63].rstrip("-")


def render(chart: Chart, release: str, namespace: str, values: dict[str, Any]) -> list[dict]:
    """The chart's Service and Deployment, as its templates render them."""
    merged = merge_values(chart.values, values)
    name = fullname(release, chart.name)
    labels = {
        "app.kubernetes.io/name": chart.name,
        INSTANCE: release,
        "app.kubernetes.io/version": chart.app_version,
        MANAGED_BY: "Helm",
        HELM_CHART: f"{chart.name}-{chart.version}".replace("+", "_"),
    }
    selector = {"app.kubernetes.io/name": chart.name, INSTANCE: release}
    annotations = {
        "meta.helm.sh/release-name": release,
        "meta.helm.sh/release-namespace": namespace,
    }
    image = merged.get("image") or {}
    service = merged.get("service") or {}
    port = service.get("port", 80)
    meta = {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations}
    container: dict[str, Any] = {
        "name": chart.name,
        "image": f"{image.get('repository', chart.name)}:{image.get('tag') or chart.app_version}",
        "ports": [{"containerPort": port}],
    }
    if isinstance(merged.get("resources"), dict) and merged["resources"]:
        container["resources"] = merged["resources"]
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": copy.deepcopy(meta),
            "spec": {
                "type": service.get("type") or "ClusterIP",
                "ports": [{"port": port, "targetPort": port}],
                "selector": selector,
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": copy.deepcopy(meta),
            "spec": {
                "replicas": merged.get("replicaCount", 1),
                "selector": {"matchLabels": dict(selector)},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {"containers": [container]},
                },
            },
        },
    ]


def manifest(chart: Chart, objects: list[dict[str, Any]]) -> str:
    parts = []
    for obj in objects:
        shown = copy.deepcopy(obj)
        shown["metadata"].pop("namespace", None)
        shown["metadata"].pop("annotations", None)
        source = "service.yaml" if obj["kind"] == "Service" else "deployment.yaml"
        parts.append(
            f"---\n# Source: {chart.name}/templates/{source}\n"
            + yaml.safe_dump(shown, sort_keys=False)
        )
    return "".join(parts)


def notes(chart: Chart, release: str, namespace: str, values: dict[str, Any]) -> str:
    port = (merge_values(chart.values, values).get("service") or {}).get("port", 80)
    return (
        "1. Get the application URL by running:\n"
        f"  kubectl --namespace {namespace} port-forward svc/{fullname(release, chart.name)} "
        f"{port}:{port}\n"
    )


def release_record(
    chart: Chart,
    release: str,
    namespace: str,
    revision: int,
    values: dict[str, Any],
    status: str,
    description: str,
    first: datetime,
    last: datetime,
) -> dict[str, Any]:
    """Helm's release JSON (what `sh.helm.release.v1.*` Secrets hold, §7.2)."""
    return {
        "name": release,
        "info": {
            "first_deployed": first.isoformat(timespec="microseconds"),
            "last_deployed": last.isoformat(timespec="microseconds"),
            "deleted": "",
            "description": description,
            "status": status,
            "notes": notes(chart, release, namespace, values),
        },
        "chart": {
            "metadata": chart.metadata,
            "lock": None,
            "templates": [],
            "values": chart.values,
            # []byte fields are base64 in Helm's JSON (Go's encoding of a byte slice)
            "schema": None
            if chart.schema is None
            else base64.b64encode(json.dumps(chart.schema).encode()).decode(),
            "files": [
                {"name": "README.md", "data": base64.b64encode(chart.readme.encode()).decode()}
            ],
        },
        "config": values,
        "manifest": manifest(chart, render(chart, release, namespace, values)),
        "version": revision,
        "namespace": namespace,
    }


def command(release: str, namespace: str, creator: str) -> str:
    """The install job's command line, as KubeSphere's Helm executor writes it."""
    user = f" --kube-as-user {creator}" if creator else ""
    return (
        "cp -r /tmp/helm-executor-source/. /tmp/helm-executor && helm upgrade --history-max 0 "
        f"--install --insecure-skip-tls-verify --kubeconfig kube.config{user} {release} "
        f"{release}.tgz --namespace {namespace} --values values.yaml --debug --wait "
        "--wait-for-jobs"
    )


def install_log(
    chart: Chart,
    release: str,
    namespace: str,
    revision: int,
    values: dict[str, Any],
    at: datetime,
    problem: str | None,
    early: bool = False,
) -> str:
    """What `helm upgrade --install --debug` prints: the run, then the release or the error."""
    first = revision == 1
    lines = [
        f"history.go:56: [debug] getting history for release {release}",
        f'Release "{release}" does not exist. Installing it now.'
        if first
        else "upgrade.go:164: [debug] preparing upgrade for " + release,
        'install.go:214: [debug] Original chart version: ""',
        f"install.go:231: [debug] CHART PATH: /tmp/helm-executor/{release}.tgz",
    ]
    if problem is not None and early:  # stopped before recording anything
        shown = lines[:1] if problem.startswith("query:") else lines  # the history query
        return "\n".join([*shown, f"Error: {problem.rstrip()}", f"helm.go:84: [debug] {problem}"])
    lines += [
        "client.go:142: [debug] creating 2 resource(s)"
        if first
        else "client.go:229: [debug] checking 2 resources for changes",
    ]
    if problem is not None:
        failed = f'Release "{release}" failed: {problem}'
        return "\n".join([*lines, f"Error: {failed}", f"helm.go:84: [debug] {failed}"])
    name = fullname(release, chart.name)
    lines += [
        "wait.go:48: [debug] beginning wait for 2 resources with timeout of 5m0s",
        f"ready.go:277: [debug] Deployment is not ready: {namespace}/{name}. "
        "0 out of 1 expected pods are ready",
        f"NAME: {release}",
        f"LAST DEPLOYED: {at.strftime('%a %b %e %H:%M:%S %Y')}",
        f"NAMESPACE: {namespace}",
        "STATUS: deployed",
        f"REVISION: {revision}",
        "TEST SUITE: None",
        "USER-SUPPLIED VALUES:",
        yaml.safe_dump(values, sort_keys=True).rstrip() if values else "{}",
        "",
        "NOTES:",
        notes(chart, release, namespace, values).rstrip(),
    ]
    return "\n".join(lines)


def uninstall_log(release: str) -> str:
    return "\n".join(
        [
            f"uninstall.go:102: [debug] uninstall: Deleting {release}",
            "client.go:486: [debug] Starting delete for resources",
            "uninstall.go:155: [debug] purge requested for " + release,
            f'release "{release}" uninstalled',
        ]
    )
