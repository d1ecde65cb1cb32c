"""A workload told to spike: `sandbox.kstui.io/spike` on a Deployment, StatefulSet, DaemonSet,
ReplicaSet or Pod makes its pods' usage jump (usage.py), so metrics.k8s.io and the exported
series (which read the same model) show it at the same moment.

The value names what spikes and, optionally, when:

    cpu                      until the annotation is removed
    memory until=2026-12-03T12:05:00Z
    cpu,memory every=1h for=5m at=30m   from :30 to :35 of every hour (the history shows them)

`kubectl annotate deploy/checkout sandbox.kstui.io/spike=cpu` starts one; `…/spike-` ends it.
A value that does not parse is ignored (no spike), never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kstui.sandbox.store import Entry, Store

SPIKE_ANNOTATION = "sandbox.kstui.io/spike"
WORKLOADS = (
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
)
PODS = ("", "pods")
REPLICASETS = ("apps", "replicasets")
_MARK = SPIKE_ANNOTATION.encode()
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Spike:
    cpu: bool
    memory: bool
    until: float | None = None
    """Epoch seconds when it ends (None: while annotated)."""
    every: float | None = None
    length: float | None = None
    """With `every`: spiking for `length` seconds of each period, from `start` into it."""
    start: float = 0.0

    def active(self, t: float) -> bool:
        if self.until is not None and t >= self.until:
            return False
        if self.every and self.length is not None:
            return (t - self.start) % self.every < self.length
        return True


def _seconds(text: str) -> float | None:
    found = _DURATION.match(text)
    return float(int(found.group(1)) * _UNITS[found.group(2)]) if found else None


def parse_spike(text: str | None) -> Spike | None:
    """The annotation's value → Spike, or None when it does not say one."""
    words = (text or "").split()
    if not words:
        return None
    what = set(words[0].lower().split(","))
    if not what or not what <= {"cpu", "memory"}:
        return None
    options: dict[str, str] = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if not equals or key not in ("until", "every", "for", "at"):
            return None
        options[key] = value
    until = None
    if "until" in options:
        try:
            until = datetime.fromisoformat(options["until"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    every = _seconds(options["every"]) if "every" in options else None
    length = _seconds(options["for"]) if "for" in options else None
    if ("every" in options) != ("for" in options) or (every is not None) != (length is not None):
        return None
    start = _seconds(options["at"]) if "at" in options else 0.0
    if start is None:
        return None
    return Spike("cpu" in what, "memory" in what, until, every, length, start)


def _of(obj: dict[str, Any]) -> Spike | None:
    return parse_spike(((obj.get("metadata") or {}).get("annotations") or {}).get(SPIKE_ANNOTATION))


class SpikeIndex:
    """Which pods spike, found from the annotated objects down their dependents (a
    Deployment → its ReplicaSets → their pods): a few objects read, never every pod."""

    def __init__(self, store: Store) -> None:
        self.by_pod: dict[tuple[str, str], Spike] = {}
        for key in WORKLOADS:
            for entry in store.select(key):
                if _MARK not in entry.raw or (key == REPLICASETS and entry.owners):
                    continue  # a Deployment's ReplicaSet spikes by its Deployment's word
                spike = _of(entry.decode())
                if spike is not None:
                    self._down(store, entry.uid, spike, depth=2)

    def _down(self, store: Store, uid: str, spike: Spike, depth: int) -> None:
        for key, (namespace, name) in store.dependents(uid):
            if key == PODS:
                self.by_pod.setdefault((namespace, name), spike)
            elif depth > 1 and key in WORKLOADS:
                entry = store.entry(key, namespace, name)
                if entry is not None:
                    self._down(store, entry.uid, spike, depth - 1)

    def of(self, pod: dict[str, Any]) -> Spike | None:
        """A pod's own annotation first, then its owners'."""
        meta = pod.get("metadata") or {}
        own = _of(pod)
        return own or self.by_pod.get((meta.get("namespace", ""), meta.get("name", "")))

    def of_entry(self, entry: Entry) -> Spike | None:
        """`of` a stored pod, decoding it only when it carries the annotation."""
        own = _of(entry.decode()) if _MARK in entry.raw else None
        return own or self.by_pod.get((entry.namespace, entry.name))
