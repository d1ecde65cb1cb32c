"""What the app store writes (API.md §2.2, §2.3, §2.5, §2.6), as exact objects and patches,
and the checks values pass before anything is sent: YAML syntax (with its line) and the
chart's values.schema.json. Pure: no IO."""

from __future__ import annotations

import base64
import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from kstui.backends.app_store import (
    ALIAS,
    APP_ID,
    APP_TYPE,
    APP_VERSION_ID,
    CLUSTER,
    CREATOR,
    GROUP,
    NAMESPACE,
    VERSION,
    VERSION_NAME,
    WORKSPACE,
    ReleaseRow,
    VersionRow,
)

API_VERSION = f"{GROUP}/{VERSION}"
MANUAL_TRIGGER = {"status": {"state": "manualTrigger"}}
"""A repo re-sync (§2.2): the kapis action sets this state; kstui writes it through /status."""


def encode_values(text: str) -> str:
    """spec.values is []byte in Go: base64 of the values YAML text in JSON."""
    return base64.b64encode(text.encode()).decode()


def decode_values(encoded: str) -> str:
    if not encoded:
        return ""
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return f"# spec.values is not base64 text: {encoded[:60]}"


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
) -> dict[str, Any]:
    """The ApplicationRelease the console creates (§2.3): all six labels, the creator the API
    server reported, `appVersionID` in that exact case, values as base64."""
    annotations = {CREATOR: creator, VERSION_NAME: version.version}
    if alias:
        annotations[ALIAS] = alias
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationRelease",
        "metadata": {
            "name": name,
            "labels": {
                CLUSTER: cluster,
                WORKSPACE: workspace,
                NAMESPACE: namespace,
                APP_ID: version.app,
                APP_VERSION_ID: version.name,
                APP_TYPE: version.app_type or "helm",
            },
            "annotations": annotations,
        },
        "spec": {
            "appID": version.app,
            "appVersionID": version.name,
            "appType": version.app_type or "helm",
            "values": encode_values(values),
        },
    }


def upgrade_patch(release: ReleaseRow, version: VersionRow, values: str) -> dict[str, Any]:
    """A merge patch (§2.5): the new version and values, the version label and annotation in
    step, and the resourceVersion read, so a change made meanwhile fails instead of being lost."""
    return {
        "metadata": {
            "resourceVersion": release.resource_version,
            "labels": {APP_VERSION_ID: version.name},
            "annotations": {VERSION_NAME: version.version},
        },
        "spec": {"appVersionID": version.name, "values": encode_values(values)},
    }


def repo_body(
    name: str,
    url: str,
    *,
    workspace: str,
    creator: str,
    username: str = "",
    password: str = "",
    sync_period: int = 0,
    description: str = "",
) -> dict[str, Any]:
    """A Repo (§2.1). The repo controller reads its index with spec.credential: a username and
    password must be in the object for it to sync a private repo."""
    credential: dict[str, Any] = {}
    if username:
        credential["username"] = username
    if password:
        credential["password"] = password
    spec: dict[str, Any] = {"url": url, "syncPeriod": sync_period, "credential": credential}
    if description:
        spec["description"] = description
    return {
        "apiVersion": API_VERSION,
        "kind": "Repo",
        "metadata": {
            "name": name,
            "labels": {WORKSPACE: workspace},
            "annotations": {CREATOR: creator},
        },
        "spec": spec,
    }


# ---------------------------------------------------------------------- values checks


@dataclass(frozen=True, slots=True)
class ValuesProblem:
    message: str
    line: int = 0
    """1-based line of the values text, 0 when the problem has no place."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def parse_values(text: str) -> tuple[Any, ValuesProblem | None]:
    """The values as data, or where the YAML breaks. Empty text is no values ({})."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        return None, ValuesProblem(f"not YAML: {what}", mark.line + 1 if mark else 0)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, ValuesProblem(f"values must be a mapping, not a {type(data).__name__}", 1)
    return data, None


def merged(defaults: Any, values: Any) -> Any:
    """The chart's default values overlaid with the user's, as Helm merges them (maps merge
    key by key; anything else, lists included, is replaced; a null removes the key)."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return values
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merged(defaults.get(key), value)
    return out


def check_values(
    text: str, schema: dict[str, Any] | None, defaults: str = ""
) -> list[ValuesProblem]:
    """Everything wrong with the values: their YAML, then each violation of the chart's
    schema by the values Helm would use (the chart's defaults overlaid with these), with the
    line of the key it is about when the user's text has it."""
    data, problem = parse_values(text)
    if problem is not None:
        return [problem]
    if not schema:
        return []
    base, _ = parse_values(defaults)
    data = merged(base or {}, data)
    import jsonschema  # type: ignore[import-untyped]  # only when a chart has a schema

    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as bad:
        return [ValuesProblem(f"the chart's values.schema.json is not valid: {bad.message}")]
    found = []
    errors = sorted(validator_class(schema).iter_errors(data), key=lambda e: list(e.path))
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path)
        where = f"{path}: " if path else ""
        found.append(ValuesProblem(f"{where}{error.message}", line_of(text, list(error.path))))
    return found


def line_of(text: str, path: list[Any]) -> int:
    """The line of the key at `path` in a values text (0 when not found)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 0
    line = 0
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
            key = next((k for k, v in node.value if k.value == str(part)), None)
            if match is None or key is None:
                break
            line, node = key.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def values_diff(before: str, after: str, label_before: str, label_after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        label_before,
        label_after,
    )
    return "".join(lines) or "(the values are the same)\n"
