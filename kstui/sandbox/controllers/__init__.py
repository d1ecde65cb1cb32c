"""Simulated controllers: a small reconcile framework the sandbox's cluster-side behaviour uses.

Each controller names the storage keys it watches; every store event enqueues the keys it maps
to, deduplicated, and a drain scheduled on the event loop reconciles them in order. Controllers
write through the store (or `cluster.create`), so their writes are ordinary watch events.
Time-driven steps use the cluster's clock, which makes a frozen-clock cluster deterministic.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Event, StorageKey, Store

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
        self._kinds: dict[StorageKey, tuple[int, Any]] = {}

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        """Which primary objects an event concerns; by default the object itself."""
        if event.key == self.primary:
            return [(event.new.namespace, event.new.name)]
        return []

    def initial_keys(self) -> Iterable[WorkKey]:
        return list(self.store.bucket(self.primary))

    def remote_watches(self) -> Iterable[tuple[Store, StorageKey]]:
        """Other clusters' stores (and keys) this controller hears too: a host controller that
        keeps copies on member clusters. Their events reach keys_for like local ones."""
        return ()

    def reconcile(self, key: WorkKey) -> None:
        raise NotImplementedError

    def kind(self, key: StorageKey) -> Any:
        """The kind at its storage version; remembered until the set of kinds changes (a
        lookup scans every kind, and a settling cluster asks tens of thousands of times)."""
        registry = self.cluster.registry
        cached = self._kinds.get(key)
        if cached is not None and cached[0] == registry.generation:
            return cached[1]
        found = registry.storage_kind(key)
        assert found is not None, key
        self._kinds[key] = (registry.generation, found)
        return found


class ControllerManager:
    def __init__(self, cluster: SandboxCluster, controllers: list[Controller]) -> None:
        self.cluster = cluster
        self.controllers = controllers
        self._queue: dict[tuple[int, WorkKey], None] = {}
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening = False
        self._active = False
        self._quiet_at: tuple[int, ...] | None = None  # store versions when settle() ended

    def _listen(self) -> None:
        """Hear every event from now on (once: a settled manager that starts keeps its ears)."""
        self._active = True
        if self._listening:
            return
        self._listening = True
        self.cluster.store.add_listener(self._on_event)
        for index, controller in enumerate(self.controllers):
            for store, key in controller.remote_watches():
                store.add_listener(functools.partial(self._on_remote_event, index, key))

    def _queue_everything(self) -> None:
        for index, controller in enumerate(self.controllers):
            for key in controller.initial_keys():
                self._queue[(index, key)] = None

    def _stores(self) -> list[Store]:
        return [
            self.cluster.store,
            *(store for c in self.controllers for store, _ in c.remote_watches()),
        ]

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._listen()
        if self._quiet_at != tuple(store.rv for store in self._stores()):
            self._queue_everything()  # unless nothing was written since it settled
        self._schedule()

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    def _on_event(self, event: Event) -> None:
        if not self._active:
            return
        for index, controller in enumerate(self.controllers):
            if event.key in controller.watches:
                for key in controller.keys_for(event):
                    self._queue[(index, key)] = None
        if self._queue:
            self._schedule()

    def _on_remote_event(self, index: int, storage_key: StorageKey, event: Event) -> None:
        if not self._active or event.key != storage_key:
            return
        for key in self.controllers[index].keys_for(event):
            self._queue[(index, key)] = None
        if self._queue:
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self.drain)

    def drain(self) -> None:
        """Reconcile everything queued, including what reconciling queues, until quiet.

        The queue is taken a batch at a time: popping a dict's first item one by one is
        quadratic (deleted slots stay in front), which 20,000 queued keys make seconds."""
        self._scheduled = False
        rounds = 0
        while self._queue and rounds < 10_000:
            batch, self._queue = self._queue, {}
            for position, (index, key) in enumerate(batch):
                if rounds >= 10_000:  # the rest waits for the next turn of the loop
                    self._queue = dict.fromkeys(list(batch)[position:]) | self._queue
                    break
                # queued again while it waited: this reconcile sees that change too
                self._queue.pop((index, key), None)
                rounds += 1
                try:
                    self.controllers[index].reconcile(key)
                except ApiError as error:
                    log.debug(
                        "reconcile %s %s: %s",
                        type(self.controllers[index]).__name__,
                        key,
                        error.message,
                    )
                except Exception:
                    log.exception(
                        "reconcile %s %s failed", type(self.controllers[index]).__name__, key
                    )
        if self._queue:
            self._schedule()


def settle(managers: Sequence[ControllerManager]) -> None:
    """Run managers to quiet now, synchronously and without an event loop: a freshly seeded
    cluster starts in the state its controllers would have brought it to. Managers that are
    not started afterwards go deaf again, so a cluster without controllers stays still."""
    for manager in managers:
        manager._listen()
        manager._queue_everything()
    for _ in range(1000):  # a controller that never quiets down must not hang the seed
        if not any(manager.pending for manager in managers):
            break
        for manager in managers:
            manager.drain()
    else:
        log.warning(
            "controllers still busy after settling: %s",
            [type(c).__name__ for m in managers for (i, _) in m._queue for c in [m.controllers[i]]][
                :10
            ],
        )
    for manager in managers:
        manager._quiet_at = tuple(store.rv for store in manager._stores())
        if manager._loop is None:
            manager._active = False


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
            return ref
    return None
