"""Label and field selectors, parsed as kube-apiserver parses them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from kstui.sandbox.status import ApiError

Labels = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Labels) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "=="):
            return present and labels[self.key] in self.values
        if self.op == "in":
            return present and labels[self.key] in self.values
        if self.op == "!=":
            return not present or labels[self.key] not in self.values
        if self.op == "notin":
            return not present or labels[self.key] not in self.values
        return False


_SET_RE = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|!=|=)\s*(\S*))?\s*$"
)


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses: `env in (a,b),tier` is two requirements."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str | None) -> tuple[Requirement, ...]:
    if not text:
        return ()
    requirements = []
    for part in _split_top_level(text):
        match = _SET_RE.match(part)
        if not match:
            raise ApiError.bad_request(f"unable to parse requirement: {part.strip()!r}")
        negate, key, set_op, set_values, op, value = match.groups()
        if negate:
            if set_op or op:
                raise ApiError.bad_request(f"unable to parse requirement: {part.strip()!r}")
            requirements.append(Requirement(key, "!"))
        elif set_op:
            values = frozenset(v.strip() for v in set_values.split(",") if v.strip())
            requirements.append(Requirement(key, set_op, values))
        elif op:
            requirements.append(Requirement(key, "!=" if op == "!=" else "=", frozenset((value,))))
        else:
            requirements.append(Requirement(key, "exists"))
    return tuple(requirements)


def labels_match(requirements: tuple[Requirement, ...], labels: Labels) -> bool:
    return all(r.matches(labels) for r in requirements)


def selector_from_match_labels(selector: Mapping[str, object] | None) -> tuple[Requirement, ...]:
    """A LabelSelector object (matchLabels/matchExpressions) as requirements."""
    if not selector:
        return ()
    labels = cast("Mapping[str, object]", selector.get("matchLabels") or {})
    expressions = cast("list[Mapping[str, Any]]", selector.get("matchExpressions") or [])
    requirements = [Requirement(k, "=", frozenset((str(v),))) for k, v in labels.items()]
    for expr in expressions:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}[
            expr["operator"]
        ]
        requirements.append(Requirement(expr["key"], op, frozenset(expr.get("values") or ())))
    return tuple(requirements)


def selector_to_string(selector: Mapping[str, object] | None) -> str:
    """What a Scale's status.selector and kubectl show: `app=web,tier in (a,b)`."""
    parts = []
    for r in selector_from_match_labels(selector):
        if r.op == "=":
            parts.append(f"{r.key}={next(iter(r.values))}")
        elif r.op in ("in", "notin"):
            parts.append(f"{r.key} {r.op} ({','.join(sorted(r.values))})")
        elif r.op == "exists":
            parts.append(r.key)
        else:
            parts.append(f"!{r.key}")
    return ",".join(parts)


# ---------------------------------------------------------------------------- field selectors


# Which fields a kind may be selected on (beyond metadata.name / metadata.namespace), and how
# each is read from an object. Unknown fields are a 400, as on the real server.
def _get(path: str) -> Callable[[dict], str]:
    keys = path.split(".")

    def read(obj: dict) -> str:
        value: object = obj
        for key in keys:
            if not isinstance(value, dict):
                return ""
            value = value.get(key)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return read


_COMMON = ("metadata.name", "metadata.namespace")
FIELD_LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("events.k8s.io", "events"): (
        "regarding.kind",
        "regarding.namespace",
        "regarding.name",
        "regarding.uid",
        "reason",
        "reportingController",
        "type",
    ),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "replicationcontrollers"): ("status.replicas",),
    ("apps", "replicasets"): ("status.replicas",),
    ("batch", "jobs"): ("status.successful",),
}


def field_values(storage_key: tuple[str, str], obj: dict) -> dict[str, str]:
    """The selectable field values of an object, computed once per write."""
    meta = obj.get("metadata", {})
    values = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
    }
    for path in FIELD_LABELS.get(storage_key, ()):
        if path == "source":
            values[path] = (obj.get("source") or {}).get("component", "")
        else:
            values[path] = _get(path)(obj)
    return values


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        return (fields.get(self.field, "") == self.value) is self.equal


def parse_field_selector(
    text: str | None, storage_key: tuple[str, str], kind_name: str = ""
) -> tuple[FieldRequirement, ...]:
    if not text:
        return ()
    allowed = set(_COMMON) | set(FIELD_LABELS.get(storage_key, ()))
    requirements = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            if op in part:
                field, value = part.split(op, 1)
                break
        else:
            raise ApiError.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field = field.strip()
        if field not in allowed:
            plural = storage_key[1]
            raise ApiError.bad_request(
                f"field label not supported: {field}"
                if not kind_name
                else f'"{field}" is not a known field selector: only "{plural}" '
                f'"metadata.name", "metadata.namespace"'
            )
        requirements.append(FieldRequirement(field, op != "!=", value.strip()))
    return tuple(requirements)


def fields_match(requirements: tuple[FieldRequirement, ...], fields: Mapping[str, str]) -> bool:
    return all(r.matches(fields) for r in requirements)
