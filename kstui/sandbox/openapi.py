"""OpenAPI v3: the index at /openapi/v3 and one document per group/version.

Built-in kinds get the upstream schemas (data/openapi, loaded on the first request so startup
does not pay for them); custom resources get theirs from their CRD, wrapped as the real
apiextensions server does. `kubectl explain` finds a kind by `x-kubernetes-group-version-kind`
in `components.schemas`. Each kind's PATCH path carries the `fieldValidation` parameter, which
tells kubectl that the server validates fields itself, so `kubectl apply` leaves it to the server.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import weakref
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import orjson
from aiohttp import web

from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.registry import KindRegistry

_DATA = "data/openapi/builtin-schemas.json.gz"
_REF = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_API_VERSION_DOC = (
    "APIVersion defines the versioned schema of this representation of an object. Servers "
    "should convert recognized schemas to the latest internal value, and may reject "
    "unrecognized values. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#resources"
)
_KIND_DOC = (
    "Kind is a string value representing the REST resource this object represents. Servers "
    "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
    "CamelCase. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#types-kinds"
)
_METADATA_DOC = (
    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#metadata"
)
_LIST_METADATA_DOC = (
    "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#metadata"
)


@functools.cache
def _packed() -> bytes:
    return resources.files("kstui.sandbox").joinpath(_DATA).read_bytes()


@functools.cache
def _data_digest() -> str:
    return hashlib.sha256(_packed()).hexdigest()


@functools.cache
def builtin_schemas() -> dict[str, Any]:
    """The upstream schemas: {"release", "groupVersions": {path: [names]}, "schemas": {...}}."""
    return orjson.loads(gzip.decompress(_packed()))


def _path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


# Per registry: (generation, {path: (hash, document bytes or None)}). Documents are built and
# hashed once per change of the kinds (a CRD added or removed), not on every request.
_CACHE: weakref.WeakKeyDictionary[KindRegistry, tuple[int, dict[str, list[Any]]]] = (
    weakref.WeakKeyDictionary()
)


def _entries(registry: KindRegistry) -> dict[str, list[Any]]:
    cached = _CACHE.get(registry)
    if cached is None or cached[0] != registry.generation:
        cached = (registry.generation, {})
        _CACHE[registry] = cached
    return cached[1]


def _fingerprint(registry: KindRegistry, group: str, version: str) -> str:
    """What the document depends on, hashed: the kinds (and CRD schemas) of this group/version."""
    kinds = sorted(registry.kinds_in(group, version), key=lambda k: k.plural)
    facts = [[k.kind, k.plural, k.namespaced, list(k.verbs), k.schema] for k in kinds]
    digest = hashlib.sha512(
        orjson.dumps([_data_digest(), _path(group, version), facts], option=orjson.OPT_SORT_KEYS)
    )
    return digest.hexdigest().upper()


def _entry(registry: KindRegistry, group: str, version: str) -> list[Any]:
    entries = _entries(registry)
    path = _path(group, version)
    if path not in entries:
        entries[path] = [_fingerprint(registry, group, version), None]
    return entries[path]


def index(registry: KindRegistry) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for group in registry.groups():
        for version in registry.served_versions(group):
            path = _path(group, version)
            digest = _entry(registry, group, version)[0]
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def response(
    registry: KindRegistry,
    group: str,
    version: str,
    server_version: str,
    asked_hash: str | None,
    if_none_match: str | None,
) -> web.Response:
    """A document as kube-apiserver serves it: by a hash of what it is built from, immutable and
    cacheable for a year; a stale hash redirects to the current one, so a client's cache never
    hides a changed CRD."""
    digest = _entry(registry, group, version)[0]
    path = _path(group, version)
    if asked_hash is not None and asked_hash != digest:
        location = f"/openapi/v3/{path}?hash={digest}"
        return web.Response(status=301, headers={"Location": location})
    headers = {"Content-Type": "application/json", "Etag": f'"{digest}"', "Vary": "Accept"}
    if asked_hash is None:
        headers["Cache-Control"] = "no-cache, private"
    else:
        headers["Cache-Control"] = "public, immutable"
        expires = datetime.now(UTC) + timedelta(days=365)
        headers["Expires"] = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if if_none_match is not None and if_none_match.strip() == f'"{digest}"':
        return web.Response(status=304, headers=headers)
    body = document_bytes(registry, group, version, server_version)
    return web.Response(body=body, headers=headers)


def document_bytes(registry: KindRegistry, group: str, version: str, server_version: str) -> bytes:
    """The group/version's document as JSON, built once per change of its kinds."""
    entry = _entry(registry, group, version)
    if entry[1] is None:
        entry[1] = orjson.dumps(document(registry, group, version, server_version))
    return entry[1]


def document(
    registry: KindRegistry, group: str, version: str, server_version: str
) -> dict[str, Any]:
    kinds = registry.kinds_in(group, version)
    schemas: dict[str, Any] = {}
    data = builtin_schemas()
    pool = data["schemas"]
    for name in data["groupVersions"].get(_path(group, version), ()):
        schemas[name] = pool[name]
    custom = [k for k in kinds if k.is_custom and k.schema is not None]
    if custom:
        for kind in custom:
            schemas.update(_custom_schemas(kind))
        _add_closure(schemas, [_META + "ObjectMeta", _META + "ListMeta"], pool)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": server_version},
        "paths": _paths(kinds, group, version),
        "components": {"schemas": schemas},
    }


def _paths(kinds: list[ResourceKind], group: str, version: str) -> dict[str, Any]:
    prefix = f"/{_path(group, version)}"
    paths: dict[str, Any] = {}
    field_validation = {
        "name": "fieldValidation",
        "in": "query",
        "schema": {"type": "string"},
        "uniqueItems": True,
    }
    for kind in kinds:
        if "patch" not in kind.verbs:
            continue
        gvk = {"group": group, "version": version, "kind": kind.kind}
        item = (
            f"{prefix}/namespaces/{{namespace}}/{kind.plural}/{{name}}"
            if kind.namespaced
            else f"{prefix}/{kind.plural}/{{name}}"
        )
        paths[item] = {
            "patch": {
                "operationId": f"patch{kind.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [field_validation],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return paths


def _schema_prefix(group: str, version: str) -> str:
    """`iam.kubesphere.io`, `v1beta1` -> `io.kubesphere.iam.v1beta1`, as the real server names."""
    return ".".join([*reversed(group.split(".")), version])


def _custom_schemas(kind: ResourceKind) -> dict[str, Any]:
    prefix = _schema_prefix(kind.group, kind.version)
    name = f"{prefix}.{kind.kind}"
    schema = dict(kind.schema or {})
    properties = dict(schema.get("properties") or {})
    properties["apiVersion"] = {"description": _API_VERSION_DOC, "type": "string"}
    properties["kind"] = {"description": _KIND_DOC, "type": "string"}
    properties["metadata"] = {
        "allOf": [{"$ref": _REF + _META + "ObjectMeta"}],
        "description": _METADATA_DOC,
    }
    schema["properties"] = properties
    schema.setdefault("type", "object")
    schema["x-kubernetes-group-version-kind"] = [
        {"group": kind.group, "kind": kind.kind, "version": kind.version}
    ]
    listed = {
        "description": f"{kind.kind}List is a list of {kind.kind}",
        "required": ["items"],
        "type": "object",
        "properties": {
            "apiVersion": {"description": _API_VERSION_DOC, "type": "string"},
            "items": {
                "description": f"List of {kind.plural}. More info: https://git.k8s.io/"
                "community/contributors/devel/sig-architecture/"
                "api-conventions.md",
                "type": "array",
                "items": {"$ref": _REF + name},
            },
            "kind": {"description": _KIND_DOC, "type": "string"},
            "metadata": {
                "allOf": [{"$ref": _REF + _META + "ListMeta"}],
                "description": _LIST_METADATA_DOC,
            },
        },
        "x-kubernetes-group-version-kind": [
            {"group": kind.group, "kind": kind.list_kind, "version": kind.version}
        ],
    }
    return {name: schema, f"{name}List": listed}


def _add_closure(schemas: dict[str, Any], roots: list[str], pool: dict[str, Any]) -> None:
    """Add `roots` and every schema they reference, from the upstream pool."""
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in schemas or name not in pool:
            continue
        schemas[name] = pool[name]
        pending.extend(_refs(pool[name]))


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF):
                found.append(ref[len(_REF) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def v2_response(server_version: str, accept: str) -> web.Response:
    """/openapi/v2 without definitions. kubectl before 1.29 asks for it as protobuf only (a
    gnostic openapi_v2.Document) for apply and explain, and cannot read JSON there."""
    if "com.github.proto-openapi.spec.v2" in accept:
        info = _field(1, b"Kubernetes") + _field(2, server_version.encode())
        body = _field(1, b"2.0") + _field(2, info) + _field(8, b"")
        # kube-openapi's own type for it: Go's mime parser rejects the `@` of the Accept form.
        return web.Response(body=body, content_type="application/octet-stream")
    document = {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": server_version},
        "paths": {},
        "definitions": {},
    }
    return web.Response(body=orjson.dumps(document), content_type="application/json")


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (lengths here stay below 128: one varint byte)."""
    assert len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload
