"""The in-memory object store of one sandbox cluster: objects, resourceVersions and the event log.

Objects are kept as encoded JSON bytes plus the few values selectors need, not as dicts: 10,000
decoded pods cost ~250 MiB, their bytes ~25 MiB. One global resourceVersion counter orders every
write; each write appends one event to a bounded log that watches replay from, so a watch that
resumes from a list's resourceVersion loses nothing, and one that is too old gets 410 Expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from kstui.sandbox.clock import Clock, rfc3339
from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.selectors import (
    FieldRequirement,
    Requirement,
    field_values,
    fields_match,
    labels_match,
)
from kstui.sandbox.status import ApiError

StorageKey = tuple[str, str]
ObjectKey = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped kinds

_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
COMPACTION_INTERVAL = 300.0
"""kube-apiserver's --etcd-compaction-interval default."""


class Entry:
    """One stored object: its bytes and what selectors and indexes need without decoding."""

    __slots__ = ("fields", "labels", "memo", "name", "namespace", "owners", "raw", "rv", "uid")

    def __init__(self, storage_key: StorageKey, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        # An exact-size copy: orjson (3.8) leaves up to half its output buffer unused.
        self.raw: bytes = bytes(memoryview(orjson.dumps(obj)))
        self.rv: int = int(meta["resourceVersion"])
        self.namespace: str = meta.get("namespace", "")
        self.name: str = meta["name"]
        self.uid: str = meta.get("uid", "")
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.fields: dict[str, str] = field_values(storage_key, obj)
        self.owners: tuple[str, ...] = tuple(
            ref["uid"] for ref in meta.get("ownerReferences") or () if "uid" in ref
        )
        self.memo: Any = None
        """What a controller derived from `raw` (valid as long as it: entries never change),
        so reconciling a ReplicaSet of 150 pods does not decode them all at every event."""

    def decode(self) -> dict[str, Any]:
        return orjson.loads(self.raw)

    def share(self, old: Entry) -> None:
        """Reuse the previous version's equal values: the event log keeps both versions alive."""
        if self.labels == old.labels:
            self.labels = old.labels
        if self.fields == old.fields:
            self.fields = old.fields
        if self.owners == old.owners:
            self.owners = old.owners
        if self.uid == old.uid:
            self.uid = old.uid


class Event:
    """One write, as the watch log keeps it. `old` is what the object was before (None if new)."""

    __slots__ = ("key", "new", "old", "rv", "type")

    def __init__(self, rv: int, key: StorageKey, type_: str, new: Entry, old: Entry | None) -> None:
        self.rv = rv
        self.key = key
        self.type = type_
        self.new = new
        self.old = old


Listener = Callable[[Event], None]


class Store:
    def __init__(self, clock: Clock, rng: random.Random, log_capacity: int = 20_000) -> None:
        self.clock = clock
        self.rng = rng
        self.rv = 1000
        self.log_capacity = log_capacity
        self._buckets: dict[StorageKey, dict[ObjectKey, Entry]] = {}
        self._sorted: dict[StorageKey, list[ObjectKey]] = {}
        self._log: list[Event] = []
        self._log_first_rv = self.rv + 1  # the rv of _log[0]: events older than this are gone
        self._compacted_rv = self.rv
        self._compaction_tick = (time.monotonic(), self.rv)
        self._changed: asyncio.Future[None] | None = None
        self._dependents: dict[str, set[tuple[StorageKey, ObjectKey]]] = {}
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ reading

    def bucket(self, key: StorageKey) -> dict[ObjectKey, Entry]:
        return self._buckets.setdefault(key, {})

    def entry(self, key: StorageKey, namespace: str, name: str) -> Entry | None:
        return self._buckets.get(key, {}).get((namespace, name))

    def get(self, key: StorageKey, namespace: str, name: str) -> dict[str, Any] | None:
        found = self.entry(key, namespace, name)
        return found.decode() if found else None

    def sorted_keys(self, key: StorageKey) -> list[ObjectKey]:
        """Object keys in etcd order (namespace, then name); rebuilt only after adds/removes."""
        keys = self._sorted.get(key)
        if keys is None:
            keys = self._sorted[key] = sorted(self.bucket(key))
        return keys

    def select(
        self,
        key: StorageKey,
        namespace: str | None = None,
        labels: tuple[Requirement, ...] = (),
        fields: tuple[FieldRequirement, ...] = (),
        start_after: ObjectKey | None = None,
    ) -> Iterator[Entry]:
        bucket = self.bucket(key)
        keys = self.sorted_keys(key)
        if start_after is not None:
            import bisect

            keys = keys[bisect.bisect_right(keys, start_after) :]
        for object_key in keys:
            if namespace and object_key[0] != namespace:
                continue
            found = bucket.get(object_key)
            if found is None:
                continue
            if labels and not labels_match(labels, found.labels):
                continue
            if fields and not fields_match(fields, found.fields):
                continue
            yield found

    def objects(self, key: StorageKey, namespace: str | None = None) -> list[dict[str, Any]]:
        return [e.decode() for e in self.select(key, namespace)]

    def dependents(self, uid: str) -> list[tuple[StorageKey, ObjectKey]]:
        return sorted(self._dependents.get(uid, ()))

    def dependents_unordered(self, uid: str) -> Iterable[tuple[StorageKey, ObjectKey]]:
        """`dependents` without sorting (a ReplicaSet of 1,500 pods, at every pod event)."""
        return tuple(self._dependents.get(uid, ()))

    def namespaces_of(self, key: StorageKey) -> Iterable[str]:
        return {k[0] for k in self.bucket(key)}

    # ------------------------------------------------------------------ the event log

    def add_listener(self, listener: Listener) -> None:
        """In-process subscribers (controllers) hear every event, synchronously, in order."""
        self._listeners.append(listener)

    def events_since(self, rv: int) -> list[Event] | None:
        """Events newer than rv, or None when rv is older than the log keeps (410 Expired)."""
        if rv < self._log_first_rv - 1:
            return None
        start = rv + 1 - self._log_first_rv
        return self._log[max(start, 0) :]

    @property
    def oldest_rv(self) -> int:
        return self._log_first_rv - 1

    @property
    def compacted_rv(self) -> int:
        """Continue tokens older than this are expired. etcd keeps every revision until the
        apiserver compacts it (every 5 minutes, up to the revision of the tick before), not
        just what the watch window holds: a 150k-pod list under churn outlasts the window."""
        now = time.monotonic()
        if now - self._compaction_tick[0] >= COMPACTION_INTERVAL:
            self._compacted_rv = max(self._compacted_rv, self._compaction_tick[1])
            self._compaction_tick = (now, self.rv)
        return self._compacted_rv

    def compact(self) -> None:
        """Forget the whole log, as etcd compaction does: any older resourceVersion is expired."""
        self._log.clear()
        self._log_first_rv = self.rv + 1
        self._compacted_rv = self.rv

    async def wait_for_change(self, after_rv: int, timeout: float) -> None:
        if self.rv > after_rv:
            return
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._changed), timeout)

    def _record(self, key: StorageKey, type_: str, new: Entry, old: Entry | None) -> None:
        event = Event(new.rv, key, type_, new, old)
        self._log.append(event)
        if len(self._log) > self.log_capacity:
            drop = len(self._log) - self.log_capacity // 2
            del self._log[:drop]
            self._log_first_rv = self._log[0].rv
        if self._changed is not None and not self._changed.done():
            self._changed.set_result(None)
        for listener in self._listeners:
            listener(event)

    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    # ------------------------------------------------------------------ writing

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def generate_name(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choice(_GENERATE_ALPHABET) for _ in range(5))

    def _put(self, kind: ResourceKind, obj: dict[str, Any], type_: str) -> Entry:
        key = kind.storage_key
        meta = obj["metadata"]
        object_key = (meta.get("namespace", ""), meta["name"])
        bucket = self.bucket(key)
        old = bucket.get(object_key)
        meta["resourceVersion"] = str(self._next_rv())
        new = Entry(key, obj)
        if old is None:
            self._sorted.pop(key, None)
        else:
            new.share(old)
        self._reindex_owners(key, object_key, old, new)
        bucket[object_key] = new
        self._record(key, type_, new, old)
        return new

    def _reindex_owners(
        self, key: StorageKey, object_key: ObjectKey, old: Entry | None, new: Entry | None
    ) -> None:
        if old is not None:
            for owner in old.owners:
                self._dependents.get(owner, set()).discard((key, object_key))
        if new is not None:
            for owner in new.owners:
                self._dependents.setdefault(owner, set()).add((key, object_key))

    def _stamp_new(self, kind: ResourceKind, obj: dict[str, Any]) -> None:
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            for _ in range(10):
                candidate = self.generate_name(meta["generateName"])
                if self.entry(kind.storage_key, meta.get("namespace", ""), candidate) is None:
                    meta["name"] = candidate
                    break
        meta["uid"] = self.new_uid()
        meta.setdefault("creationTimestamp", rfc3339(self.clock.now()))
        meta["generation"] = 1
        meta.pop("deletionTimestamp", None)
        meta.pop("deletionGracePeriodSeconds", None)
        meta.pop("managedFields", None)
        obj["apiVersion"] = f"{kind.group}/{kind.storage_version}" if kind.group else "v1"
        obj["kind"] = kind.kind
        if not kind.namespaced:
            meta.pop("namespace", None)

    def create(
        self, kind: ResourceKind, obj: dict[str, Any], dry_run: bool = False
    ) -> dict[str, Any]:
        self._stamp_new(kind, obj)
        meta = obj["metadata"]
        namespace = meta.get("namespace", "") if kind.namespaced else ""
        if self.entry(kind.storage_key, namespace, meta["name"]) is not None:
            raise ApiError.already_exists(kind.plural, meta["name"], kind.group)
        if kind.status_subresource and kind.is_custom:
            obj.pop("status", None)
        if dry_run:
            meta["resourceVersion"] = ""
            return obj
        self._put(kind, obj, "ADDED")
        return obj

    def seed(self, kind: ResourceKind, obj: dict[str, Any]) -> Entry:
        """Store an object as it is (status included), as a seeder writing through /status would."""
        self._stamp_new(kind, obj)
        return self._put(kind, obj, "ADDED")

    def update(
        self,
        kind: ResourceKind,
        obj: dict[str, Any],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        check_rv: bool = True,
    ) -> dict[str, Any]:
        """A PUT: obj replaces the stored object (only its status, for the status subresource)."""
        meta = obj.setdefault("metadata", {})
        namespace = meta.get("namespace", "") if kind.namespaced else ""
        name = meta.get("name", "")
        current_entry = self.entry(kind.storage_key, namespace, name)
        if current_entry is None:
            raise ApiError.not_found(kind.plural, name, kind.group)
        current = current_entry.decode()
        sent_rv = meta.get("resourceVersion")
        if check_rv and sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            raise ApiError.conflict(kind.plural, name, kind.group)
        if subresource == "status":
            updated = current_entry.decode()  # a second copy: cheaper than deepcopy
            if "status" in obj:
                updated["status"] = obj["status"]
            else:
                updated.pop("status", None)
        else:
            updated = obj
            kept = current["metadata"]
            for field in (
                "uid",
                "creationTimestamp",
                "generation",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            ):
                if field in kept:
                    meta[field] = kept[field]
                else:
                    meta.pop(field, None)
            meta.pop("managedFields", None)
            if kind.namespaced:
                meta["namespace"] = namespace
            updated["apiVersion"] = current["apiVersion"]
            updated["kind"] = kind.kind
            if kind.status_subresource:
                if "status" in current:
                    updated["status"] = current["status"]
                else:
                    updated.pop("status", None)
            if _spec_of(updated) != _spec_of(current):
                meta["generation"] = int(kept.get("generation", 1)) + 1
            if kept.get("deletionTimestamp"):
                # Finalizers may only be removed from an object being deleted, never added.
                meta["finalizers"] = [
                    f for f in meta.get("finalizers") or [] if f in (kept.get("finalizers") or [])
                ]
        if updated == current and not dry_run:
            return current  # a no-op write does not bump resourceVersion, as on the real server
        if dry_run:
            return updated
        if not updated["metadata"].get("finalizers"):
            updated["metadata"].pop("finalizers", None)  # omitempty, also on the last state
        if updated["metadata"].get("deletionTimestamp") and _finalized(kind, updated):
            return self._remove(kind, updated)
        self._put(kind, updated, "MODIFIED")
        return updated

    def delete(
        self,
        kind: ResourceKind,
        namespace: str,
        name: str,
        *,
        propagation: str | None = None,
        precondition_uid: str | None = None,
        precondition_rv: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        found = self.entry(kind.storage_key, namespace if kind.namespaced else "", name)
        if found is None:
            raise ApiError.not_found(kind.plural, name, kind.group)
        obj = found.decode()
        meta = obj["metadata"]
        if precondition_uid and precondition_uid != meta.get("uid"):
            raise ApiError(
                409,
                "Conflict",
                f"Precondition failed: UID in precondition: "
                f"{precondition_uid}, UID in object meta: {meta.get('uid')}",
                {"name": name, "kind": kind.plural},
            )
        if precondition_rv and precondition_rv != meta.get("resourceVersion"):
            raise ApiError.conflict(kind.plural, name, kind.group)
        if dry_run:
            return obj
        policy = propagation or "Background"
        if policy == "Orphan":
            self._orphan_dependents(meta.get("uid", ""))
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and self.dependents(meta.get("uid", "")):
            self._delete_dependents(meta.get("uid", ""), "Foreground")
        if finalizers or kind.storage_key == ("", "namespaces"):
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = rfc3339(self.clock.now())
                meta["deletionGracePeriodSeconds"] = 0
                if kind.storage_key == ("", "namespaces"):
                    obj.setdefault("status", {})["phase"] = "Terminating"
                self._put(kind, obj, "MODIFIED")
            return obj
        return self._remove(kind, obj, cascade=policy != "Orphan")

    def remove(self, kind: ResourceKind, obj: dict[str, Any]) -> dict[str, Any]:
        """Take a finalized object out of the store (the namespace controller's last step)."""
        return self._remove(kind, obj)

    def _remove(
        self, kind: ResourceKind, obj: dict[str, Any], cascade: bool = True
    ) -> dict[str, Any]:
        meta = obj["metadata"]
        object_key = (meta.get("namespace", "") if kind.namespaced else "", meta["name"])
        bucket = self.bucket(kind.storage_key)
        old = bucket.pop(object_key)
        self._sorted.pop(kind.storage_key, None)
        self._reindex_owners(kind.storage_key, object_key, old, None)
        meta["resourceVersion"] = str(self._next_rv())
        self._record(kind.storage_key, "DELETED", Entry(kind.storage_key, obj), old)
        if cascade:
            self._delete_dependents(meta.get("uid", ""), "Background")
        return obj

    # The garbage collector: dependents go with their owner unless orphaned.
    kind_lookup: Callable[[StorageKey], ResourceKind | None] = staticmethod(lambda key: None)

    def _delete_dependents(self, uid: str, policy: str) -> None:
        for key, (namespace, name) in self.dependents(uid):
            kind = self.kind_lookup(key)
            if kind is not None and self.entry(key, namespace, name) is not None:
                self.delete(kind, namespace, name, propagation=policy)

    def _orphan_dependents(self, uid: str) -> None:
        for key, (namespace, name) in self.dependents(uid):
            kind = self.kind_lookup(key)
            obj = self.get(key, namespace, name)
            if kind is None or obj is None:
                continue
            refs = [r for r in obj["metadata"].get("ownerReferences", []) if r.get("uid") != uid]
            obj["metadata"]["ownerReferences"] = refs
            if not refs:
                obj["metadata"].pop("ownerReferences")
            self.update(kind, obj, check_rv=False)


def _spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    """Everything but metadata and status: a change here bumps metadata.generation."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _finalized(kind: ResourceKind, obj: dict[str, Any]) -> bool:
    """No finalizer left; a namespace also waits for its own spec.finalizers (its content)."""
    if obj["metadata"].get("finalizers"):
        return False
    return kind.storage_key != ("", "namespaces") or not (obj.get("spec") or {}).get("finalizers")
