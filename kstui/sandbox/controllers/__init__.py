"""Simulated controllers: a small reconcile framework the sandbox's cluster-side behaviour uses.

Each controller names the storage keys it watches; every store event enqueues the keys it maps
to, deduplicated, and a drain scheduled on the event loop reconciles them in order. Controllers
write through the store (or `cluster.create`), so their writes are ordinary watch events.
Time-driven steps use the cluster's clock, which makes a frozen-clock cluster deterministic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Event, StorageKey

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster

log = logging.getLogger("kstui.sandbox.controllers")

WorkKey = tuple[str, str]  # (namespace, name) of the object to reconcile


class Controller:
    watches: tuple[StorageKey, ...] = ()
    primary: StorageKey = ("", "")

    def __init__(self, cluster: SandboxCluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.clock = cluster.clock

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        """Which primary objects an event concerns; by default the object itself."""
        if event.key == self.primary:
            return [(event.new.namespace, event.new.name)]
        return []

    def initial_keys(self) -> Iterable[WorkKey]:
        return list(self.store.bucket(self.primary))

    def reconcile(self, key: WorkKey) -> None:
        raise NotImplementedError

    def kind(self, key: StorageKey) -> Any:
        found = self.cluster.registry.storage_kind(key)
        assert found is not None, key
        return found


class ControllerManager:
    def __init__(self, cluster: SandboxCluster, controllers: list[Controller]) -> None:
        self.cluster = cluster
        self.controllers = controllers
        self._queue: dict[tuple[int, WorkKey], None] = {}
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.cluster.store.add_listener(self._on_event)
        for index, controller in enumerate(self.controllers):
            for key in controller.initial_keys():
                self._queue[(index, key)] = None
        self._schedule()

    def _on_event(self, event: Event) -> None:
        for index, controller in enumerate(self.controllers):
            if event.key in controller.watches:
                for key in controller.keys_for(event):
                    self._queue[(index, key)] = None
        if self._queue:
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self.drain)

    def drain(self) -> None:
        """Reconcile everything queued, including what reconciling queues, until quiet."""
        self._scheduled = False
        rounds = 0
        while self._queue and rounds < 10_000:
            (index, key), _ = next(iter(self._queue.items()))
            del self._queue[(index, key)]
            rounds += 1
            try:
                self.controllers[index].reconcile(key)
            except ApiError as error:
                log.debug("reconcile %s %s: %s", type(self.controllers[index]).__name__, key,
                          error.message)
            except Exception:
                log.exception("reconcile %s %s failed", type(self.controllers[index]).__name__,
                              key)
        if self._queue:
            self._schedule()


def owner_ref(obj: dict[str, Any], controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None
