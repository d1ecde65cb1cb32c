"""One object as YAML, like `kubectl get -o yaml`, and a YAML diff of two objects. Pure
functions. Secret values never leave here unmasked unless asked with `reveal_secrets=True`."""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Mapping
from typing import Any

import yaml

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _KubeDumper(_Dumper):  # type: ignore[misc,valid-type]
    """Block style, kubectl-like: multi-line strings as `|` literals."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_KubeDumper.add_representer(str, _represent_text)


# ---------------------------------------------------------------------------- YAML


def to_yaml(
    obj: Mapping[str, Any], *, reveal_secrets: bool = False, drop_managed_fields: bool = True
) -> str:
    """The object as block YAML, keys in their original order. `metadata.managedFields` is
    dropped unless asked; a Secret's values (and its last-applied annotation) are masked."""
    shown = _without_managed_fields(obj) if drop_managed_fields else obj
    if is_secret(obj) and not reveal_secrets:
        shown = mask_secret(shown)
    text: str = yaml.dump(
        dict(shown),
        Dumper=_KubeDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
    return text


def yaml_diff(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    before_label: str = "before",
    after_label: str = "after",
    reveal_secrets: bool = False,
) -> str:
    """A unified diff of the two YAML renderings ("" when they are the same). Secret values
    stay masked unless asked, so only a change of a value's length shows for them."""
    lines = difflib.unified_diff(
        to_yaml(before, reveal_secrets=reveal_secrets).splitlines(keepends=True),
        to_yaml(after, reveal_secrets=reveal_secrets).splitlines(keepends=True),
        fromfile=before_label,
        tofile=after_label,
    )
    return "".join(lines)


def is_secret(obj: Mapping[str, Any]) -> bool:
    # Items of a list answer may lack apiVersion; mask rather than leak.
    return obj.get("kind") == "Secret" and obj.get("apiVersion", "v1") in ("v1", "", None)


def hidden(size: int) -> str:
    return f"<hidden: {size} bytes>"


def secret_value_size(encoded: Any) -> int:
    """Bytes of one `data` value once base64-decoded (of the text itself if not base64)."""
    if not isinstance(encoded, str):
        return 0
    try:
        return len(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        return len(encoded.encode())


def mask_secret(secret: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Secret with `data`, `stringData` and the last-applied annotation masked."""
    masked = dict(secret)
    if isinstance(secret.get("data"), Mapping):
        masked["data"] = {
            key: hidden(secret_value_size(value)) for key, value in secret["data"].items()
        }
    if isinstance(secret.get("stringData"), Mapping):
        masked["stringData"] = {
            key: hidden(len(str(value or "").encode()))
            for key, value in secret["stringData"].items()
        }
    metadata = secret.get("metadata")
    if isinstance(metadata, Mapping):
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
            applied = str(annotations[LAST_APPLIED] or "")
            masked["metadata"] = {
                **metadata,
                "annotations": {**annotations, LAST_APPLIED: hidden(len(applied.encode()))},
            }
    return masked


def shown_yaml(obj: Mapping[str, Any], revealed: bool) -> str:
    """What a YAML view shows: a Secret's values masked, or revealed decoded (`x`)."""
    if revealed and is_secret(obj):
        return to_yaml(decoded_secret(obj), reveal_secrets=True)
    return to_yaml(obj)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    return f"{count / 1024:.1f} KiB" if count < 1024 * 1024 else f"{count / 1048576:.1f} MiB"


def decoded_value(encoded: Any) -> str:
    """One `data` value as a reader wants it: its text once base64-decoded, or for binary
    data a size and a hex preview, never the raw bytes."""
    if not isinstance(encoded, str):
        return ""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return encoded  # not base64: shown as it is
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        return text  # control characters and all: the view makes them inert
    preview = raw[:16].hex(" ")
    return f"<binary, {_size(len(raw))}: {preview}{' …' if len(raw) > 16 else ''}>"


def decoded_secret(secret: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Secret with its `data` values decoded (see `decoded_value`)."""
    shown = dict(secret)
    if isinstance(secret.get("data"), Mapping):
        shown["data"] = {key: decoded_value(value) for key, value in secret["data"].items()}
    return shown


def _without_managed_fields(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping) or "managedFields" not in metadata:
        return obj
    return {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}
