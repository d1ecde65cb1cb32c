"""Resource verbs over HTTP: get, list, create, update, patch, delete, and the status/scale
subresources, with kube-apiserver's semantics (dryRun, 409 on stale writes, Status errors)."""

from __future__ import annotations

import asyncio
import base64
import copy
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import yaml
from aiohttp import web

from kstui.sandbox import defaults, encoding, protobuf, shapes
from kstui.sandbox.auth import UserInfo
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.patch import (
    PatchError,
    apply_patch,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from kstui.sandbox.paths import RequestInfo
from kstui.sandbox.selectors import parse_field_selector, parse_label_selector, selector_to_string
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Entry

MAX_BODY = 3 * 1024 * 1024
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", APPLY_PATCH)
# Kinds whose DELETE answers with the deleted object; the rest answer with a Status.
_RETURNS_DELETED = {
    ("", "pods"),
    ("", "namespaces"),
    ("", "services"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
}


def respond(body: Any, status: int = 200) -> web.Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return web.Response(body=data, status=status, content_type=JSON)


STREAM_ABOVE = 1000
"""Lists of more items than this are sent chunked, piece by piece, as kube-apiserver does."""


async def respond_stream(request: web.Request, chunks: Iterable[bytes]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": JSON})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for chunk in chunks:
        await response.write(chunk)  # waits for the socket to drain: memory stays bounded
        await asyncio.sleep(0)  # hear a client that left before the next write
    await response.write_eof()
    return response


@dataclass(slots=True)
class Call:
    """One resource request, resolved: which cluster, kind and user it is about."""

    cluster: SandboxCluster
    request: web.Request
    info: RequestInfo
    kind: ResourceKind
    user: UserInfo

    @property
    def query(self) -> Any:
        return self.request.query

    @property
    def store(self) -> Any:
        return self.cluster.store

    @property
    def dry_run(self) -> bool:
        values = self.query.getall("dryRun", [])
        for value in values:
            if value != "All":
                raise ApiError.bad_request(
                    f'dryRun: Unsupported value: "{value}": supported values: "All"'
                )
        return bool(values)

    @property
    def namespace(self) -> str:
        return self.info.namespace if self.kind.namespaced else ""

    def representation(self) -> encoding.Representation:
        return encoding.negotiate(
            self.request.headers.get("Accept", ""), self.query.get("includeObject")
        )


# ------------------------------------------------------------------ bodies


def content_type(request: web.Request) -> str:
    return request.headers.get("Content-Type", JSON).split(";")[0].strip().lower()


async def read_body(request: web.Request, built_in: bool = True) -> Any:
    """The request's body as JSON data; `built_in` kinds may come as protobuf too."""
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise ApiError.too_large()
    kind = content_type(request)
    if "protobuf" in kind:
        return _protobuf_body(kind, raw, built_in)
    if not raw.strip():
        return None
    try:
        if kind in _YAML_TYPES:
            return yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return orjson.loads(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as error:
        raise ApiError.bad_request(
            f"couldn't get version/kind; json parse error: {str(error).splitlines()[0]}"
        ) from error


def _protobuf_body(media_type: str, raw: bytes, built_in: bool) -> Any:
    if media_type != protobuf.MEDIA_TYPE or not built_in:
        raise ApiError.unsupported_media_type(media_type, with_protobuf=built_in)
    if not raw:
        return None
    try:
        return protobuf.decode(raw)
    except protobuf.UnknownKind as error:  # a kind outside the table: JSON and YAML only
        raise ApiError.unsupported_media_type(media_type, with_protobuf=False) from error
    except protobuf.ProtobufError as error:
        raise ApiError.bad_request(f"the protobuf body could not be decoded: {error}") from error


async def read_object(call: Call) -> dict[str, Any]:
    body = await read_body(call.request, built_in=not call.kind.is_custom)
    if not isinstance(body, dict):
        raise ApiError.bad_request("Object 'Kind' is missing in request body")
    expected_api = call.kind.api_version
    sent_api, sent_kind = body.get("apiVersion"), body.get("kind")
    if sent_api and sent_api != expected_api and call.kind.kind != "Scale":
        raise ApiError.bad_request(
            f"the API version in the data ({sent_api}) does not match the expected API version "
            f"({expected_api})"
        )
    if sent_kind and sent_kind != call.kind.kind:
        raise ApiError.bad_request(
            f"the kind in the data ({sent_kind}) does not match the expected kind "
            f"({call.kind.kind})"
        )
    problem = shapes.decode_error(call.kind, body)
    if problem:
        raise ApiError.bad_request(
            f'{call.kind.kind} in version "{call.kind.version}" cannot be '
            f"handled as a {call.kind.kind}: {problem}"
        )
    meta = body.get("metadata")
    if meta is None:
        meta = body["metadata"] = {}
    if not isinstance(meta, dict):
        raise ApiError.bad_request("metadata: must be an object")
    if call.kind.namespaced:
        sent_ns = meta.get("namespace")
        if sent_ns and sent_ns != call.info.namespace:
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        meta["namespace"] = call.info.namespace
    return body


# ------------------------------------------------------------------ reads

CATCH_UP_WAIT = 3.0
"""How long a request newer than the store waits for it before the 504 (kube-apiserver: 3 s)."""


async def await_version(call: Call, requested: str) -> None:
    """A list or watch from a resourceVersion this store has not reached: wait briefly, then
    answer 504 ResourceVersionTooLarge as kube-apiserver does (never silence, never old data)."""
    try:
        wanted = int(requested)
    except ValueError:
        return  # the caller answers the bad request
    store = call.store
    deadline = time.monotonic() + CATCH_UP_WAIT
    while store.rv < wanted and (remaining := deadline - time.monotonic()) > 0:
        await store.wait_for_change(store.rv, remaining)
    if store.rv < wanted:
        raise ApiError.too_large_resource_version(wanted, store.rv)


async def get(call: Call) -> web.Response:
    entry = call.store.entry(call.kind.storage_key, call.namespace, call.info.name)
    if entry is None:
        raise ApiError.not_found(call.kind.plural, call.info.name, call.kind.group)
    rep = call.representation()
    if rep.table:
        return respond(encoding.table(call.kind, [entry.decode()], call.cluster.clock.now(), rep))
    if rep.partial_metadata:
        return respond(encoding.partial_metadata(entry.decode()))
    return respond(encoding.object_bytes(call.kind, entry))


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ApiError.bad_request(f"continue key is not valid: {error}") from error


def _encode_continue(rv: int, last: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"rv": rv, "start": list(last)})).decode()


async def list_(call: Call) -> web.StreamResponse:
    query = call.query
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"), call.kind.storage_key)
    try:
        limit = int(query.get("limit") or 0)
    except ValueError as error:
        raise ApiError.bad_request(
            f'strconv.ParseInt: parsing "{query.get("limit")}": invalid syntax'
        ) from error
    if query.get("resourceVersion", "") not in ("", "0") and not query.get("continue"):
        await await_version(call, query["resourceVersion"])
    rv = call.store.rv
    start_after = None
    if query.get("continue"):
        rv, start_after = _decode_continue(query["continue"])
        if rv < call.store.compacted_rv:
            raise ApiError.expired(
                "The provided continue parameter is too old to display a consistent list result. "
                "You can start a new list without the continue parameter, or use the continue "
                "token in this response to retrieve the remainder of the results."
            )
    selected = call.store.select(
        call.kind.storage_key, call.namespace or None, labels, fields, start_after
    )
    entries: list[Entry] = []
    token = ""
    for entry in selected:
        if limit and len(entries) == limit:
            last = entries[-1]
            token = _encode_continue(rv, (last.namespace, last.name))
            break
        entries.append(entry)
    rep = call.representation()
    if rep.table:
        objects = [e.decode() for e in entries]
        now = call.cluster.clock.now()
        return respond(encoding.table(call.kind, objects, now, rep, rv, token))
    if rep.partial_metadata:
        return respond(encoding.partial_list(entries, rv, token))
    if len(entries) > STREAM_ABOVE:  # entries are immutable: a consistent snapshot to stream
        return await respond_stream(
            call.request, encoding.list_chunks(call.kind, entries, rv, token)
        )
    return respond(encoding.list_bytes(call.kind, entries, rv, token))


# ------------------------------------------------------------------ writes


async def create(call: Call) -> web.Response:
    obj = await read_object(call)
    defaults.system_fields(obj)
    if call.kind.status_subresource and call.kind.storage_key != ("", "nodes"):
        obj.pop("status", None)  # each kind's PrepareForCreate: status is not the client's
    call.cluster.admit(call.kind, obj, creating=True)
    call.cluster.check_namespace(call.kind, call.info.namespace, obj["metadata"].get("name", ""))
    call.cluster.admit_quota(call.kind, obj)
    call.cluster.validate(call.kind, obj)
    created = call.store.create(call.kind, obj, dry_run=call.dry_run)
    return respond(encoding.object_dict(call.kind, created), 201)


async def update(call: Call) -> web.Response:
    obj = await read_object(call)
    name = obj["metadata"].get("name")
    if name != call.info.name:
        raise ApiError.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({call.info.name})"
        )
    subresource = call.info.subresource or None
    if subresource != "status":
        call.cluster.admit(call.kind, obj, creating=False)
        old = call.store.get(call.kind.storage_key, call.namespace, call.info.name)
        if old is not None:  # else the update answers 404 before any webhook is asked
            call.cluster.validate(call.kind, obj, old)
    updated = call.store.update(call.kind, obj, subresource=subresource, dry_run=call.dry_run)
    return respond(encoding.object_dict(call.kind, updated))


def _patch_failure(error: PatchError) -> ApiError:
    """A patch that cannot apply, as the Status the real server answers with."""
    details: dict[str, Any] = {}
    if error.code == 422:  # NewGenericServerResponse keeps the library's text as a cause
        details = {"causes": [{"reason": "UnexpectedServerResponse", "message": error.detail}]}
    return ApiError(error.code, error.reason or "InternalError", error.message, details)


def _patched(call: Call, current: dict[str, Any], body: Any, patch_type: str) -> dict[str, Any]:
    try:
        if patch_type == MERGE_PATCH:
            if not isinstance(body, dict):
                raise ApiError.bad_request("json: cannot unmarshal into a merge patch object")
            return merge_patch(current, body)
        if patch_type == JSON_PATCH:
            if not isinstance(body, list):
                raise ApiError.bad_request(
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
                )
            return json_patch(current, body)
        if patch_type == STRATEGIC_PATCH:
            if not call.kind.strategic_merge:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media "
                    "types include: application/json-patch+json, "
                    "application/merge-patch+json, application/apply-patch+yaml",
                    {},
                )
            if not isinstance(body, dict):
                raise ApiError.bad_request("strategic merge patch must be an object")
            return strategic_merge_patch(current, body, call.kind.kind)
        if patch_type == APPLY_PATCH:
            if not isinstance(body, dict):
                raise ApiError.bad_request("apply patch must be an object")
            return apply_patch(current, body, call.kind.kind, call.kind.is_custom)
    except PatchError as error:
        raise _patch_failure(error) from error
    raise ApiError.unsupported_media_type(patch_type)


async def patch(call: Call) -> web.Response:
    patch_type = content_type(call.request)
    if patch_type not in (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH, APPLY_PATCH):
        accepted = [
            JSON_PATCH,
            MERGE_PATCH,
            *([STRATEGIC_PATCH] if call.kind.strategic_merge else []),
            APPLY_PATCH,
        ]
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown "
            "format - accepted media types include: " + ", ".join(accepted),
        )
    body = await read_body(call.request)
    if patch_type == APPLY_PATCH and not call.query.get("fieldManager"):
        raise ApiError(
            422,
            "Invalid",
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
            "Required value: is required for apply patch",
            {},
        )
    current = call.store.get(call.kind.storage_key, call.namespace, call.info.name)
    if current is None:
        if patch_type != APPLY_PATCH or call.info.subresource:
            raise ApiError.not_found(call.kind.plural, call.info.name, call.kind.group)
        if not isinstance(body, dict):
            raise ApiError.bad_request("apply patch must be an object")
        problem = shapes.decode_error(call.kind, body)
        if problem:
            raise ApiError.bad_request(f"error decoding YAML: {problem}")
        defaults.system_fields(body)
        body.setdefault("metadata", {})["name"] = call.info.name
        if call.kind.namespaced:
            body["metadata"]["namespace"] = call.info.namespace
        call.cluster.admit(call.kind, body, creating=True)
        call.cluster.check_namespace(call.kind, call.info.namespace, call.info.name)
        call.cluster.admit_quota(call.kind, body)
        call.cluster.validate(call.kind, body)
        created = call.store.create(call.kind, body, dry_run=call.dry_run)
        return respond(encoding.object_dict(call.kind, created), 201)
    if call.info.subresource == "scale":
        return await _patch_scale(call, current, body, patch_type)
    patched = _patched(call, current, body, patch_type)
    problem = shapes.decode_error(call.kind, patched)
    if problem:  # the patched object is decoded too: 422 with the field "patch"
        shown = orjson.dumps(orjson.dumps(patched).decode()).decode()  # Go's %q, near enough
        raise ApiError(
            422,
            "Invalid",
            f' "" is invalid: patch: Invalid value: {shown}: {problem}',
            {
                "causes": [
                    {
                        "reason": "FieldValueInvalid",
                        "field": "patch",
                        "message": f"Invalid value: {shown}: {problem}",
                    }
                ]
            },
        )
    meta = patched.setdefault("metadata", {})
    meta["name"] = call.info.name  # a patch cannot rename or move an object
    if call.kind.namespaced:
        meta["namespace"] = call.info.namespace
    subresource = call.info.subresource or None
    if subresource != "status":
        call.cluster.admit(call.kind, patched, creating=False)
        call.cluster.validate(call.kind, patched, current)
    updated = call.store.update(call.kind, patched, subresource=subresource, dry_run=call.dry_run)
    return respond(encoding.object_dict(call.kind, updated))


async def delete(call: Call) -> web.Response:
    body = await read_body(call.request) or {}
    if not isinstance(body, dict):
        raise ApiError.bad_request("DeleteOptions must be an object")
    propagation = body.get("propagationPolicy") or call.query.get("propagationPolicy")
    if body.get("orphanDependents") is True or call.query.get("orphanDependents") == "true":
        propagation = "Orphan"
    if propagation not in (None, "Orphan", "Background", "Foreground"):
        raise ApiError.bad_request(f'propagationPolicy: Unsupported value: "{propagation}"')
    preconditions = body.get("preconditions") or {}
    dry_run = call.dry_run or body.get("dryRun") == ["All"]
    result = call.store.delete(
        call.kind,
        call.namespace,
        call.info.name,
        propagation=propagation,
        precondition_uid=preconditions.get("uid"),
        precondition_rv=preconditions.get("resourceVersion"),
        dry_run=dry_run,
    )
    pending = bool(result["metadata"].get("deletionTimestamp")) and not dry_run
    if call.kind.storage_key in _RETURNS_DELETED or pending:
        # kube-apiserver answers 202 only when orphanDependents=false was asked for.
        accepted = pending and (
            body.get("orphanDependents") is False or call.query.get("orphanDependents") == "false"
        )
        return respond(encoding.object_dict(call.kind, result), 202 if accepted else 200)
    details = {
        "name": call.info.name,
        "kind": call.kind.plural,
        "uid": result["metadata"].get("uid", ""),
    }
    if call.kind.group:
        details["group"] = call.kind.group
    return respond(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }
    )


async def delete_collection(call: Call) -> web.Response:
    labels = parse_label_selector(call.query.get("labelSelector"))
    fields = parse_field_selector(call.query.get("fieldSelector"), call.kind.storage_key)
    dry_run = call.dry_run
    targets = list(call.store.select(call.kind.storage_key, call.namespace or None, labels, fields))
    deleted = []
    for entry in targets:
        if call.store.entry(call.kind.storage_key, entry.namespace, entry.name) is None:
            continue  # already collected with an owner
        deleted.append(call.store.delete(call.kind, entry.namespace, entry.name, dry_run=dry_run))
    return respond(
        {
            "kind": call.kind.list_kind,
            "apiVersion": call.kind.api_version,
            "metadata": {"resourceVersion": str(call.store.rv)},
            "items": deleted,
        }
    )


# ------------------------------------------------------------------ scale


def _path_get(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for key in path.strip(".").split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _path_set(obj: dict[str, Any], path: str, value: Any) -> None:
    keys = path.strip(".").split(".")
    target = obj
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def scale_of(kind: ResourceKind, obj: dict[str, Any]) -> dict[str, Any]:
    spec = kind.scale
    assert spec is not None
    meta = obj["metadata"]
    selector: Any = ""
    if spec.label_selector_path:
        selector = _path_get(obj, spec.label_selector_path) or ""
    if not kind.is_custom:
        selector = selector_to_string((obj.get("spec") or {}).get("selector"))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            key: meta[key]
            for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if key in meta
        },
        "spec": {"replicas": _path_get(obj, spec.spec_replicas_path) or 0},
        "status": {
            "replicas": _path_get(obj, spec.status_replicas_path) or 0,
            "selector": selector,
        },
    }


async def get_scale(call: Call) -> web.Response:
    current = call.store.get(call.kind.storage_key, call.namespace, call.info.name)
    if current is None:
        raise ApiError.not_found(call.kind.plural, call.info.name, call.kind.group)
    return respond(scale_of(call.kind, current))


def _write_replicas(call: Call, current: dict[str, Any], scale: dict[str, Any]) -> web.Response:
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise ApiError.invalid(
            "Scale",
            call.info.name,
            [
                {
                    "reason": "FieldValueInvalid",
                    "field": "spec.replicas",
                    "message": f"Invalid value: {replicas!r}: must be greater than or equal to 0",
                }
            ],
            "autoscaling",
        )
    sent_rv = (scale.get("metadata") or {}).get("resourceVersion")
    if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
        raise ApiError.conflict(call.kind.plural, call.info.name, call.kind.group)
    updated = copy.deepcopy(current)
    assert call.kind.scale is not None
    _path_set(updated, call.kind.scale.spec_replicas_path, replicas)
    result = call.store.update(call.kind, updated, dry_run=call.dry_run, check_rv=False)
    return respond(scale_of(call.kind, result))


async def update_scale(call: Call) -> web.Response:
    body = await read_body(call.request)
    current = call.store.get(call.kind.storage_key, call.namespace, call.info.name)
    if current is None:
        raise ApiError.not_found(call.kind.plural, call.info.name, call.kind.group)
    if not isinstance(body, dict):
        raise ApiError.bad_request("Object 'Kind' is missing in request body")
    return _write_replicas(call, current, body)


async def _patch_scale(
    call: Call, current: dict[str, Any], body: Any, patch_type: str
) -> web.Response:
    scale = scale_of(call.kind, current)
    try:
        if patch_type == JSON_PATCH:
            patched = json_patch(scale, body)
        elif isinstance(body, dict):
            patched = merge_patch(scale, body)  # a Scale has no lists: strategic == merge
        else:
            raise ApiError.bad_request("patch must be an object")
    except PatchError as error:
        raise _patch_failure(error) from error
    return _write_replicas(call, current, patched)
