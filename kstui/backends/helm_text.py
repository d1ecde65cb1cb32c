"""What the Apps section's text views show of a Helm revision: values as YAML with every value
hidden until revealed, manifests with their Secrets' values hidden, and diffs of two revisions
that show what changed without showing hidden values. Pure."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from kstui.backends.helm_releases import Revision
from kstui.backends.object_yaml import hidden

_HIDDEN_QUOTED = re.compile(r"'(<hidden: [0-9]+ bytes>)'")
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _OneLineDumper(_Dumper):  # type: ignore[misc,valid-type]
    """Every scalar on one line (multi-line strings double-quoted with `\\n`), so a values
    text and its masked twin have the same lines: a diff can be taken on one, shown as the
    other."""


def _one_line_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if "\n" in text or "\r" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_OneLineDumper.add_representer(str, _one_line_text)


def _masked(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if value is None:
        return None
    shown = value if isinstance(value, str) else json.dumps(value)
    return hidden(len(shown.encode()))


def values_yaml(values: Mapping[str, Any], *, revealed: bool) -> str:
    """Values as YAML, one scalar per line; each scalar hidden (its size shown) unless
    revealed: values often carry passwords and tokens."""
    if not values:
        return "{}\n"
    shown = values if revealed else _masked(values)
    text: str = yaml.dump(
        dict(shown),
        Dumper=_OneLineDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
    return text if revealed else _HIDDEN_QUOTED.sub(r"\1", text)


def values_text(revision: Revision, *, revealed: bool) -> str:
    """What the values view shows: the user-supplied values, then the chart's defaults."""
    return (
        f"# user-supplied values (helm get values {revision.release})\n"
        + values_yaml(revision.values, revealed=revealed)
        + f"\n# chart default values ({revision.chart_label or 'unknown chart'})\n"
        + values_yaml(revision.chart_values, revealed=revealed)
    )


def masked_diff(real: tuple[str, str], shown: tuple[str, str], labels: tuple[str, str]) -> str:
    """A unified diff decided on the `real` texts but made of the lines of `shown`, their
    masked twins (line for line): which lines changed shows, hidden values do not."""
    real_lines = [text.splitlines() for text in real]
    shown_lines = [text.splitlines() for text in shown]
    if [len(x) for x in real_lines] != [len(x) for x in shown_lines]:  # not twins: say only
        return "changed (hidden: x reveals)\n" if real[0] != real[1] else ""
    matcher = difflib.SequenceMatcher(None, real_lines[0], real_lines[1], autojunk=False)
    out: list[str] = []
    for codes in matcher.get_grouped_opcodes(3):
        if not out:
            out += [f"--- {labels[0]}", f"+++ {labels[1]}"]
        first, last = codes[0], codes[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in codes:
            if tag == "equal":
                out += [" " + line for line in shown_lines[0][i1:i2]]
                continue
            out += ["-" + line for line in shown_lines[0][i1:i2]]
            out += ["+" + line for line in shown_lines[1][j1:j2]]
    return "".join(line + "\n" for line in out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    beginning = start + 1 if length else start
    return f"{beginning}" if length == 1 else f"{beginning},{length}"


# ---------------------------------------------------------------------------- manifests

_SECRET_KIND = re.compile(r"^kind:\s*['\"]?Secret['\"]?\s*$")
_DATA_BLOCK = re.compile(r"^(data|stringData):\s*$")
_DATA_FLOW = re.compile(r"^(data|stringData):\s*(\{.*)$")
_ENTRY = re.compile(r"^(\s+)([^\s#][^:]*):(?:\s+(.*))?$")
_BLOCK_MARKERS = frozenset({"|", "|-", "|+", ">", ">-", ">+"})


def _mask_secret_document(lines: Sequence[str]) -> list[str]:
    """The `data` and `stringData` values of one Secret document hidden, line for line."""
    out: list[str] = []
    in_data, indent = False, -1
    for line in lines:
        if line[:1] not in (" ", "\t", "") and not line.startswith("#"):
            in_data, indent = bool(_DATA_BLOCK.match(line)), -1
            flow = _DATA_FLOW.match(line)
            out.append(f"{flow[1]}: {hidden(len(flow[2].encode()))}" if flow else line)
            continue
        if not in_data or not line.strip():
            out.append(line)
            continue
        entry = _ENTRY.match(line)
        if entry is not None and indent in (-1, len(entry[1])):
            indent, value = len(entry[1]), (entry[3] or "").strip()
            if not value or value in _BLOCK_MARKERS:
                out.append(line)  # its value follows on the lines below
            else:
                out.append(f"{entry[1]}{entry[2]}: {hidden(len(value.encode()))}")
            continue
        out.append(f"{line[: len(line) - len(line.lstrip())]}{hidden(len(line.strip().encode()))}")
    return out


def manifest_has_secrets(manifest: str) -> bool:
    return any(_SECRET_KIND.match(line) for line in manifest.splitlines())


def manifest_text(manifest: str, *, revealed: bool) -> str:
    """The rendered manifest; the values of the Secrets in it hidden unless revealed (line for
    line: a diff of two manifests can be decided on the real text and shown hidden)."""
    if revealed or not manifest_has_secrets(manifest):
        return manifest
    out: list[str] = []
    document: list[str] = []

    def flush() -> None:
        secret = any(_SECRET_KIND.match(line) for line in document)
        out.extend(_mask_secret_document(document) if secret else document)
        document.clear()

    for line in manifest.splitlines():
        if line.startswith("---"):
            flush()
            out.append(line)
        else:
            document.append(line)
    flush()
    return "".join(line + "\n" for line in out)


# ---------------------------------------------------------------------------- diffs


def diff_text(before: Revision, after: Revision, *, revealed: bool) -> str:
    """The values and manifest diffs of two revisions, as unified diffs; with values hidden,
    which keys changed still shows."""
    labels = (f"revision {before.revision}", f"revision {after.revision}")
    values = masked_diff(
        (values_yaml(before.values, revealed=True), values_yaml(after.values, revealed=True)),
        (
            values_yaml(before.values, revealed=revealed),
            values_yaml(after.values, revealed=revealed),
        ),
        labels,
    )
    manifest = masked_diff(
        (before.manifest, after.manifest),
        (
            manifest_text(before.manifest, revealed=revealed),
            manifest_text(after.manifest, revealed=revealed),
        ),
        labels,
    )
    header = (
        f"# {before.label} ({before.chart_label}, {before.status}) → "
        f"revision {after.revision} ({after.chart_label}, {after.status})\n"
    )
    return (
        header
        + "\n# user-supplied values\n"
        + (values or "(no change)\n")
        + "\n# manifest\n"
        + (manifest or "(no change)\n")
    )
