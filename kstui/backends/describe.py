"""Text views of one object: a kubectl-describe-like summary here; YAML like
`kubectl get -o yaml` and a YAML diff in object_yaml.py (re-exported). Pure functions: no IO,
no UI toolkit; `now` is passed in.

Secret values never leave here unmasked unless the caller asks with `reveal_secrets=True`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kstui.backends.describe_tree import MAX_TREE_VALUE_LENGTH, shorten, tree
from kstui.backends.object_yaml import (
    LAST_APPLIED,
    hidden,
    is_secret,
    mask_secret,
    secret_value_size,
    shown_yaml,
    to_yaml,
    yaml_diff,
)
from kstui.model import age_of, parse_timestamp

__all__ = [
    "LAST_APPLIED",
    "MAX_TREE_LINES",
    "describe",
    "hidden",
    "is_secret",
    "mask_secret",
    "secret_value_size",
    "shown_yaml",
    "to_yaml",
    "yaml_diff",
]

MAX_ANNOTATION_LENGTH = 140
"""kubectl describe cuts annotation values here too."""
MAX_TREE_LINES = 300

# ---------------------------------------------------------------------------- describe


class _Text:
    """Lines of `Label:  value` rows; consecutive rows at one indent share a label column."""

    def __init__(self) -> None:
        self._rows: list[tuple[int, str, str] | str] = []

    def field(self, label: str, value: Any = "", indent: int = 0) -> None:
        lines = str(value).splitlines() or [""]
        self._rows.append((indent, f"{label}:", lines[0]))
        self._rows.extend((indent, "", line) for line in lines[1:])

    def heading(self, label: str, indent: int = 0) -> None:
        self._rows.append(" " * indent + f"{label}:")

    def line(self, text: str, indent: int = 0) -> None:
        self._rows.append(" " * indent + text)

    def table(
        self,
        header: tuple[str, ...],
        rows: Sequence[tuple[str, ...]],
        indent: int,
    ) -> None:
        underline = tuple("-" * len(name) for name in header)
        every = [header, underline, *rows]
        widths = [max(len(row[i]) for row in every) for i in range(len(header))]
        for row in every:
            cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
            self.line("  ".join([*cells, row[-1]]).rstrip(), indent)

    def render(self) -> str:
        widths = self._label_widths()
        out: list[str] = []
        for row, width in zip(self._rows, widths, strict=True):
            if isinstance(row, str):
                out.append(row)
                continue
            indent, label, value = row
            dash = len(label) - len(label.removeprefix("- "))
            out.append((" " * indent + label.ljust(width + dash) + value).rstrip())
        return "\n".join(out) + "\n"

    def _label_widths(self) -> list[int]:
        """Like kubectl's tabwriter: rows whose labels start in one column share a width,
        across deeper rows between them, until a shallower row or a heading ends the block."""
        widths = [0] * len(self._rows)
        open_blocks: dict[int, list[int]] = {}

        def close(columns: list[int]) -> None:
            for column in columns:
                members = open_blocks.pop(column)
                width = max(len(_bare(self._rows[i])) for i in members) + 2
                for i in members:
                    widths[i] = width

        for index, row in enumerate(self._rows):
            if isinstance(row, str):
                close(list(open_blocks))
                continue
            column = _column(row)
            close([c for c in open_blocks if c > column])
            open_blocks.setdefault(column, []).append(index)
        close(list(open_blocks))
        return widths


def _column(row: tuple[int, str, str]) -> int:
    """Where a row's label text starts: a list item's "- " marker sits left of its siblings."""
    indent, label, _ = row
    return indent + (2 if label.startswith("- ") else 0)


def _bare(row: tuple[int, str, str] | str) -> str:
    return row[1].removeprefix("- ") if isinstance(row, tuple) else ""


def describe(obj: Mapping[str, Any], events: Iterable[Mapping[str, Any]], now: float) -> str:
    """A kubectl-describe-like summary of `obj` and the events about it, ages taken at `now`."""
    text = _Text()
    metadata = obj.get("metadata") or {}
    kind = str(obj.get("kind") or "")
    text.field("Name", metadata.get("name", ""))
    if metadata.get("namespace"):
        text.field("Namespace", metadata["namespace"])
    if kind:
        api_version = obj.get("apiVersion")
        text.field("Kind", f"{kind} ({api_version})" if api_version else kind)
    text.field("Labels", _pairs(metadata.get("labels")))
    text.field("Annotations", _annotations(metadata.get("annotations")))
    created = metadata.get("creationTimestamp")
    if created:
        text.field("Created", f"{created} ({age_of(created, now)} ago)")
    if metadata.get("deletionTimestamp"):
        grace = metadata.get("deletionGracePeriodSeconds")
        text.field(
            "Terminating",
            f"since {metadata['deletionTimestamp']}"
            + (f" (grace period {grace}s)" if grace is not None else ""),
        )
    owner = _controller(metadata.get("ownerReferences") or [])
    if owner:
        text.field("Controlled By", owner)
    if kind == "Pod":
        _describe_pod(text, obj, now)
    elif kind == "Deployment":
        _describe_deployment(text, obj)
    elif kind == "Secret":
        _describe_secret(text, obj)
    else:
        _describe_generic(text, obj)
    _describe_events(text, events, now)
    return text.render()


def _pairs(mapping: Any, separator: str = "=") -> str:
    if not isinstance(mapping, Mapping) or not mapping:
        return "<none>"
    return "\n".join(f"{key}{separator}{value}" for key, value in sorted(mapping.items()))


def _annotations(annotations: Any) -> str:
    if not isinstance(annotations, Mapping):
        return "<none>"
    # kubectl leaves out last-applied-configuration: it is the whole object again.
    shown = {
        key: shorten(str(value), MAX_ANNOTATION_LENGTH)
        for key, value in annotations.items()
        if key != LAST_APPLIED
    }
    return _pairs(shown, ": ")


def _controller(owners: Sequence[Mapping[str, Any]]) -> str:
    chosen = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    return f"{chosen.get('kind', '')}/{chosen.get('name', '')}" if chosen else ""


def _describe_pod(text: _Text, pod: Mapping[str, Any], now: float) -> None:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or "Unknown"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        phase = "Terminating"
    text.field("Status", phase)
    if status.get("reason"):
        text.field("Reason", status["reason"])
    if status.get("message"):
        text.field("Message", status["message"])
    text.field("IP", status.get("podIP") or "<none>")
    node = spec.get("nodeName") or "<none>"
    text.field("Node", f"{node}/{status['hostIP']}" if status.get("hostIP") else node)
    if status.get("startTime"):
        text.field("Start Time", f"{status['startTime']} ({age_of(status['startTime'], now)} ago)")
    if spec.get("serviceAccountName"):
        text.field("Service Account", spec["serviceAccountName"])
    for key, heading in (("initContainers", "Init Containers"), ("containers", "Containers")):
        statuses = {s.get("name"): s for s in status.get(f"{key[:-1]}Statuses") or []}
        if spec.get(key) or key == "containers":
            text.heading(heading)
            for container in spec.get(key) or []:
                _container(text, container, statuses.get(container.get("name")), 2)
    _conditions(text, status.get("conditions") or [], ("type", "status"))


def _container(
    text: _Text, container: Mapping[str, Any], status: Mapping[str, Any] | None, indent: int
) -> None:
    text.heading(str(container.get("name", "")), indent)
    indent += 2
    text.field("Image", container.get("image", ""), indent)
    ports = [
        f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in container.get("ports") or []
    ]
    if ports:
        text.field("Ports", ", ".join(ports), indent)
    if status is not None:
        for label, key in (("State", "state"), ("Last State", "lastState")):
            state = status.get(key) or {}
            if state or key == "state":
                name, raw = next(iter(state.items()), ("<unknown>", None))
                details: dict[str, Any] = raw or {}
                text.field(label, name.capitalize(), indent)
                for field, shown in (
                    ("reason", "Reason"),
                    ("message", "Message"),
                    ("exitCode", "Exit Code"),
                    ("startedAt", "Started"),
                    ("finishedAt", "Finished"),
                ):
                    if details.get(field) not in (None, ""):
                        text.field(
                            shown, shorten(str(details[field]), MAX_TREE_VALUE_LENGTH), indent + 2
                        )
        text.field("Ready", str(bool(status.get("ready"))), indent)
        text.field("Restart Count", status.get("restartCount", 0), indent)
    resources = container.get("resources") or {}
    for key, label in (("limits", "Limits"), ("requests", "Requests")):
        if resources.get(key):
            text.heading(label, indent)
            for resource, quantity in resources[key].items():
                text.field(resource, quantity, indent + 2)


def _conditions(
    text: _Text, conditions: Sequence[Mapping[str, Any]], columns: tuple[str, ...]
) -> None:
    if conditions:
        text.heading("Conditions")
        text.table(
            tuple(column.capitalize() for column in columns),
            [tuple(str(c.get(column, "")) for column in columns) for c in conditions],
            2,
        )


def _describe_deployment(text: _Text, deployment: Mapping[str, Any]) -> None:
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    desired = spec.get("replicas", 1)
    text.field(
        "Replicas",
        f"{desired} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} "
        f"available | {status.get('unavailableReplicas', 0)} unavailable",
    )
    strategy = spec.get("strategy") or {}
    text.field("StrategyType", strategy.get("type", "RollingUpdate"))
    rolling = strategy.get("rollingUpdate")
    if rolling:
        text.field(
            "RollingUpdateStrategy",
            f"{rolling.get('maxUnavailable', '25%')} max "
            f"unavailable, {rolling.get('maxSurge', '25%')} max surge",
        )
    text.field("MinReadySeconds", spec.get("minReadySeconds", 0))
    if spec.get("paused"):
        text.field("Paused", "true")
    text.field("Selector", _selector(spec.get("selector") or {}))
    template = spec.get("template") or {}
    text.heading("Pod Template")
    text.field("Labels", _pairs((template.get("metadata") or {}).get("labels")), 2)
    text.heading("Containers", 2)
    for container in (template.get("spec") or {}).get("containers") or []:
        _container(text, container, None, 4)
    _conditions(text, status.get("conditions") or [], ("type", "status", "reason"))


def _selector(selector: Mapping[str, Any]) -> str:
    terms = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        values = ",".join(str(v) for v in expression.get("values") or [])
        terms.append(
            f"{expression.get('key')} {expression.get('operator', '').lower()} ({values})".replace(
                " ()", ""
            )
        )
    return ",".join(terms) or "<none>"


def _describe_secret(text: _Text, secret: Mapping[str, Any]) -> None:
    text.field("Type", secret.get("type", "Opaque"))
    text.line("")
    text.line("Data")
    text.line("====")
    data = secret.get("data") or {}
    for key, value in data.items():
        text.field(str(key), f"{secret_value_size(value)} bytes")
    if not data:
        text.line("<none>")
    text.line("")


def _describe_generic(text: _Text, obj: Mapping[str, Any]) -> None:
    rows = list(
        tree({k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}, 0)
    )
    for indent, label, value in rows[:MAX_TREE_LINES]:
        if value is None:
            text.heading(label, indent)
        elif not label:
            text.line(f"- {value}", indent)
        else:
            text.field(label, value, indent)
    if len(rows) > MAX_TREE_LINES:
        text.line(f"... {len(rows) - MAX_TREE_LINES} more lines: see the YAML view")


def _describe_events(text: _Text, events: Iterable[Mapping[str, Any]], now: float) -> None:
    ordered = sorted(events, key=lambda e: parse_timestamp(_event_time(e)) or 0.0)
    if not ordered:
        text.field("Events", "<none>")
        return
    text.heading("Events")
    rows = [
        (
            str(e.get("type", "")),
            str(e.get("reason", "")),
            _event_age(e, now),
            _event_source(e),
            " ".join(str(e.get("message") or e.get("note") or "").split()),
        )
        for e in ordered
    ]
    text.table(("Type", "Reason", "Age", "From", "Message"), rows, 2)


def _event_time(event: Mapping[str, Any]) -> str:
    series = event.get("series") or {}
    return str(
        event.get("lastTimestamp")
        or series.get("lastObservedTime")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or ""
    )


def _event_age(event: Mapping[str, Any], now: float) -> str:
    last = _event_time(event)
    if not last:
        return "<unknown>"
    count = int(event.get("count") or (event.get("series") or {}).get("count") or 1)
    first = str(event.get("firstTimestamp") or event.get("eventTime") or "")
    if count > 1 and first:
        return f"{age_of(last, now)} (x{count} over {age_of(first, now)})"
    return age_of(last, now)


def _event_source(event: Mapping[str, Any]) -> str:
    source = event.get("source") or {}
    return str(
        source.get("component")
        or event.get("reportingComponent")
        or event.get("reportingController")
        or ""
    )
