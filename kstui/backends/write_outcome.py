"""What became of a write whose answer never came.

A write that times out after it was sent (a slow server, a dropped connection) may have been
applied or not: the server does not say. KubeClient then reads the object back and compares it
with what was sent. Applied: the write returns the object read back, and the outcome is
reported to whoever collects `late_answers()`. Not applied, or still unknown: NoAnswer is
raised with what the read-back found. A write that never left (refused, DNS, TLS, connect
timeout) is an ordinary Unreachable failure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from kstui.backends.errors import KstuiError, NotFound


class Reader(Protocol):
    """What reading back needs of the client (KubeClient is one; named so that kube_transport.py,
    which calls settle(), is not imported back)."""

    async def get(self, path: str) -> Any: ...


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VOLATILE = ("resourceVersion", "managedFields", "generation", "uid", "creationTimestamp")
_MISSING: Any = object()


def is_write(method: str, path: str, params: Any = None) -> bool:
    """A request that changes what the server stores. Reviews (SelfSubjectAccessReview…) and
    dry runs are POSTs that store nothing: their timeout is a plain timeout."""
    if method not in WRITE_METHODS or path.rstrip("/").endswith("reviews"):
        return False
    return not (params and "dryRun" in params)


def was_sent(exc: BaseException) -> bool:
    """False when the request never reached the server (so it certainly did nothing)."""
    import httpx  # loaded with the client, not at start (screens import this module)

    return not isinstance(
        exc,
        (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
            httpx.UnsupportedProtocol,
        ),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    applied: bool | None
    """True or False as the read-back shows; None when it could not tell."""
    said: str
    """What the read-back found ("replicas is 5"), or why it could not tell."""
    waited: float
    latest: Any = None
    """The object read back (None when it is gone)."""

    @property
    def text(self) -> str:
        head = f"no answer in {self.waited:g} s"
        if self.applied is None:
            return f"{head}; still unknown: {self.said}"
        verdict = "applied" if self.applied else "not applied"
        return f"{head}; read back: {self.said} — {verdict}"


# ---------------------------------------------------------------------- reporting

_LATE: ContextVar[list[Outcome] | None] = ContextVar("kstui_late_answers", default=None)


@contextlib.contextmanager
def late_answers() -> Iterator[list[Outcome]]:
    """Collect, for the writes awaited inside, those applied although no answer came."""
    found: list[Outcome] = []
    token = _LATE.set(found)
    try:
        yield found
    finally:
        _LATE.reset(token)


def report(outcome: Outcome) -> None:
    found = _LATE.get()
    if found is not None:
        found.append(outcome)


# ---------------------------------------------------------------------- reading back


async def settle(
    client: Reader,
    method: str,
    path: str,
    content: bytes | None,
    content_type: str,
    waited: float,
) -> Outcome:
    """Read the object back and say whether it holds what the write sent."""
    try:
        sent = _decode(content, content_type)
    except ValueError:  # and YAMLError, as _decode raises it
        sent = None
    try:
        if method == "POST":
            name = (
                ((sent or {}).get("metadata") or {}).get("name") if isinstance(sent, dict) else None
            )
            if not name:
                return Outcome(None, "the server picks the name; look in the list", waited)
            return _created(name, await _get(client, f"{path.rstrip('/')}/{name}"), sent, waited)
        latest = await _get(client, path)
        if method == "DELETE":
            return _deleted(latest, waited)
        if latest is None:
            return Outcome(False, "the object is gone", waited)
        if method == "PUT":
            return _replaced(sent, latest, waited)
        return _patched(sent, content_type, latest, waited)
    except KstuiError as error:
        return Outcome(None, f"read back failed: {error.title}", waited)


async def _get(client: Reader, path: str) -> dict[str, Any] | None:
    try:
        return dict(await client.get(path))
    except NotFound:
        return None


def _decode(content: bytes | None, content_type: str) -> Any:
    if not content:
        return None
    if "yaml" in content_type:
        import yaml  # a YAML body is rare: yaml is not loaded with the client (issue 18)

        try:
            return yaml.safe_load(content)
        except yaml.YAMLError as error:
            raise ValueError(str(error)) from error
    return orjson.loads(content)


def _deleted(latest: dict[str, Any] | None, waited: float) -> Outcome:
    if latest is None:
        return Outcome(True, "it is gone", waited)
    if (latest.get("metadata") or {}).get("deletionTimestamp"):
        return Outcome(True, "it is being deleted", waited, latest)
    return Outcome(False, "it is still there", waited, latest)


def _created(
    name: str, latest: dict[str, Any] | None, sent: dict[str, Any], waited: float
) -> Outcome:
    if latest is None:
        return Outcome(False, f"no {name}", waited)
    if not _mismatches(_stable(sent), latest, ()):
        return Outcome(True, f"{name} exists as sent", waited, latest)
    return Outcome(None, f"{name} exists, but not as sent", waited, latest)


def _replaced(sent: Any, latest: dict[str, Any], waited: float) -> Outcome:
    if not isinstance(sent, dict):
        return Outcome(None, "the body sent is not an object", waited, latest)
    wrong = _mismatches(_stable(sent), latest, ())
    if not wrong:
        return Outcome(True, "your changes are there", waited, latest)
    before = (sent.get("metadata") or {}).get("resourceVersion")
    now = (latest.get("metadata") or {}).get("resourceVersion")
    if before and before == now:
        return Outcome(False, "unchanged since it was read", waited, latest)
    return Outcome(False, _found(latest, wrong[0], sent), waited, latest)


def _patched(sent: Any, content_type: str, latest: dict[str, Any], waited: float) -> Outcome:
    if "json-patch" in content_type:
        return _json_patched(sent, latest, waited)
    if not isinstance(sent, dict):
        return Outcome(None, "the patch sent is not an object", waited, latest)
    # A merge patch replaces lists; strategic and apply patches merge into them.
    wrong = _mismatches(sent, latest, (), subset_lists="merge-patch" not in content_type)
    leaves = wrong or _leaves(sent, ())
    shown = ", ".join(_found(latest, keys, sent if wrong else _MISSING) for keys in leaves[:2])
    return Outcome(not wrong, shown or "the patch was empty", waited, latest)


def _json_patched(ops: Any, latest: dict[str, Any], waited: float) -> Outcome:
    checked: list[tuple[str, ...]] = []
    for op in ops if isinstance(ops, list) else []:
        keys = tuple(
            part.replace("~1", "/").replace("~0", "~")
            for part in str(op.get("path", "")).split("/")[1:]
        )
        if op.get("op") in ("add", "replace") and "-" not in keys:
            if _mismatches(op.get("value"), _at(latest, keys), keys):
                return Outcome(False, _found(latest, keys, _MISSING), waited, latest)
        elif op.get("op") == "remove":
            if _at(latest, keys) is not _MISSING:
                return Outcome(False, f"{_short(keys)} is still there", waited, latest)
        else:
            return Outcome(None, f"cannot check a JSON patch {op.get('op')!r}", waited, latest)
        checked.append(keys)
    shown = ", ".join(f"{_short(keys)} is {_value(latest, keys)}" for keys in checked[:2])
    return Outcome(True, shown or "the patch was empty", waited, latest)


# ---------------------------------------------------------------------- comparing


def _stable(obj: dict[str, Any]) -> dict[str, Any]:
    """What was sent, without the fields the server owns."""
    clean = {k: v for k, v in obj.items() if k != "status"}
    clean["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _VOLATILE}
    return clean


def _mismatches(
    expected: Any, actual: Any, keys: tuple[str, ...], *, subset_lists: bool = False
) -> list[tuple[str, ...]]:
    """The places where `actual` does not hold `expected`. Fields the server added are fine;
    None in a mapping means the key must be gone (merge-patch deletion)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [keys]
        found: list[tuple[str, ...]] = []
        for key, value in expected.items():
            if str(key).startswith("$"):  # strategic-merge directives
                continue
            here = (*keys, str(key))
            if value is None:
                if actual.get(key) is not None:
                    found.append(here)
            else:
                found += _mismatches(
                    value, actual.get(key, _MISSING), here, subset_lists=subset_lists
                )
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [keys]
        if subset_lists:
            ok = all(
                any(not _mismatches(e, a, keys, subset_lists=True) for a in actual)
                for e in expected
            )
            return [] if ok else [keys]
        if len(expected) != len(actual):
            return [keys]
        return [k for e, a in zip(expected, actual, strict=True) for k in _mismatches(e, a, keys)]
    return [] if expected == actual else [keys]


def _leaves(obj: Any, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(obj, dict) and obj:
        return [
            leaf
            for key, value in obj.items()
            if not str(key).startswith("$")
            for leaf in _leaves(value, (*keys, str(key)))
        ]
    return [keys]


def _at(obj: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and key.isdigit() and int(key) < len(obj):
            obj = obj[int(key)]
        else:
            return _MISSING
    return obj


def _short(keys: tuple[str, ...]) -> str:
    """The last key, without an annotation's domain: `replicas`, `restartedAt`."""
    return keys[-1].rsplit("/", 1)[-1] if keys else "the object"


def _found(latest: Any, keys: tuple[str, ...], sent: Any) -> str:
    """`replicas is 5`, or with what was sent when that differs: `replicas is 3, not 5`."""
    text = f"{_short(keys)} is {_value(latest, keys)}"
    wanted = _MISSING if sent is _MISSING else _at(sent, keys)
    if wanted is not _MISSING and not isinstance(wanted, (dict, list)):
        text += f", not {_value(sent, keys)}"
    return text


def _value(obj: Any, keys: tuple[str, ...]) -> str:
    # Server data on its way to a notification: the app's notify makes it inert.
    found = _at(obj, keys)
    if found is _MISSING or found is None:
        return "absent"
    if isinstance(found, (dict, list)):
        return "set" if found else "empty"
    text = str(found)
    return text if len(text) <= 40 else text[:39] + "…"
