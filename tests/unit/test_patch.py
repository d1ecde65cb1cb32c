"""The patch algorithms of the sandbox apiserver, checked against exact resulting objects."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kstui.sandbox.patch import (
    PatchError,
    apply_patch,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)

REJECTED = "the server rejected our request due to an error in our request"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def deployment(containers: list[dict], **spec: Any) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "annotations": {
                "deployment.kubernetes.io/revision": "1",
                LAST_APPLIED: '{"old":true}\n',
            },
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers},
            },
            **spec,
        },
    }


WEB = {
    "name": "web",
    "image": "nginx:1.25",
    "ports": [{"containerPort": 80, "protocol": "TCP"}],
    "env": [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "0"}],
}
SIDECAR = {"name": "log", "image": "busybox:1.36"}
ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}


def with_(obj: dict, path: str | tuple[str, ...], value: Any) -> dict:
    """A copy of obj with the path (dotted, or a tuple of keys; list indexes as digits) set."""
    out = copy.deepcopy(obj)
    node: Any = out
    *parents, last = path.split(".") if isinstance(path, str) else path
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return out


BASE = deployment([WEB, SIDECAR], strategy=ROLLING)
TEMPLATE = "spec.template.spec.containers"

SMP_CASES = [
    pytest.param(  # kubectl apply, image change: the 3-way patch kubectl 1.31 sends
        "Deployment",
        BASE,
        {
            "metadata": {"annotations": {LAST_APPLIED: '{"new":true}\n'}},
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
                        "containers": [{"image": "nginx:1.26", "name": "web"}],
                    }
                }
            },
        },
        with_(
            with_(BASE, ("metadata", "annotations", LAST_APPLIED), '{"new":true}\n'),
            TEMPLATE + ".0.image",
            "nginx:1.26",
        ),
        id="kubectl-apply-image",
    ),
    pytest.param(  # kubectl apply dropping env DEBUG
        "Deployment",
        BASE,
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
                        "containers": [
                            {
                                "$setElementOrder/env": [{"name": "MODE"}],
                                "env": [{"$patch": "delete", "name": "DEBUG"}],
                                "name": "web",
                            }
                        ],
                    }
                }
            }
        },
        with_(BASE, TEMPLATE + ".0.env", [{"name": "MODE", "value": "prod"}]),
        id="env-delete",
    ),
    pytest.param(  # kubectl apply switching strategy RollingUpdate -> Recreate
        "Deployment",
        BASE,
        {
            "spec": {
                "strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}
            }
        },
        with_(BASE, "spec.strategy", {"type": "Recreate"}),
        id="retainKeys-strategy",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        with_(BASE, "spec.strategy", {"type": "Recreate"}),
        id="retainKeys-drops-unlisted",
    ),
    pytest.param(  # a new container is appended and merged by name; env merged by name
        "Deployment",
        BASE,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "web", "env": [{"name": "DEBUG", "value": "1"}]}]
                    }
                }
            }
        },
        with_(
            BASE,
            TEMPLATE + ".0.env",
            [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "1"}],
        ),
        id="env-merge-by-name",
    ),
    pytest.param(  # items new to a list come first when there is no $setElementOrder (Go order)
        "Deployment",
        BASE,
        {"spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy"}]}}}},
        with_(BASE, TEMPLATE, [{"name": "proxy", "image": "envoy"}, WEB, SIDECAR]),
        id="container-added-no-order",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [
                            {"name": "web"},
                            {"name": "log"},
                            {"name": "proxy"},
                        ],
                        "containers": [{"name": "proxy", "image": "envoy"}],
                    }
                }
            }
        },
        with_(BASE, TEMPLATE, [WEB, SIDECAR, {"name": "proxy", "image": "envoy"}]),
        id="container-added-with-order",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {"spec": {"template": {"spec": {"containers": [{"$patch": "delete", "name": "log"}]}}}},
        with_(BASE, TEMPLATE, [WEB]),
        id="container-delete",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"$patch": "replace"},
                            {"name": "only", "image": "x", "ports": None},
                        ]
                    }
                }
            }
        },
        with_(BASE, TEMPLATE, [{"name": "only", "image": "x"}]),
        id="list-replace-directive",
    ),
    pytest.param(  # container ports merge by containerPort, not by port
        "Deployment",
        BASE,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "web", "ports": [{"containerPort": 80, "name": "http"}]}
                        ]
                    }
                }
            }
        },
        with_(
            BASE, TEMPLATE + ".0.ports", [{"containerPort": 80, "protocol": "TCP", "name": "http"}]
        ),
        id="container-ports-by-containerPort",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {"spec": {"selector": {"$patch": "replace", "matchLabels": {"tier": "fe"}}}},
        with_(BASE, "spec.selector", {"matchLabels": {"tier": "fe"}}),
        id="map-replace-directive",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {"spec": {"strategy": {"$patch": "delete"}}},
        with_(BASE, "spec.strategy", {}),
        id="map-delete-directive",
    ),
    pytest.param(
        "Deployment",
        BASE,
        {
            "metadata": {"labels": {"team": "a"}, "annotations": {LAST_APPLIED: None}},
            "spec": {"replicas": 5},
        },
        with_(
            with_(with_(BASE, "metadata.labels", {"team": "a"}), "spec.replicas", 5),
            "metadata.annotations",
            {"deployment.kubernetes.io/revision": "1"},
        ),
        id="null-deletes-map-merges",
    ),
    pytest.param(
        "ConfigMap",
        {"metadata": {"name": "c", "finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["b", "c"]}},
        {"metadata": {"name": "c", "finalizers": ["a", "b", "c"]}},
        id="finalizers-union",
    ),
    pytest.param(
        "ConfigMap",
        {"metadata": {"name": "c", "finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["c"]}},
        {"metadata": {"name": "c", "finalizers": ["c", "a", "b"]}},
        id="finalizers-union-new-first",
    ),
    pytest.param(
        "ConfigMap",
        {"metadata": {"name": "c", "finalizers": ["a", "b", "c"]}},
        {
            "metadata": {
                "$deleteFromPrimitiveList/finalizers": ["b"],
                "$setElementOrder/finalizers": ["a", "c"],
            }
        },
        {"metadata": {"name": "c", "finalizers": ["a", "c"]}},
        id="finalizers-deleteFromPrimitiveList",
    ),
    pytest.param(
        "Service",
        {
            "spec": {
                "type": "ClusterIP",
                "ports": [
                    {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                    {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                ],
            }
        },
        {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"name": "metrics", "port": 9100}]}},
        {
            "spec": {
                "type": "ClusterIP",
                "ports": [
                    {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"},
                    {"name": "metrics", "port": 9100},
                    {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                ],
            }
        },
        id="service-ports-by-port",
    ),
    pytest.param(
        "Pod",
        {
            "spec": {
                "tolerations": [{"key": "a", "operator": "Exists"}],
                "volumes": [
                    {"name": "data", "emptyDir": {}},
                    {"name": "cfg", "configMap": {"name": "c"}},
                ],
            },
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "False"},
                    {"type": "Initialized", "status": "True"},
                ]
            },
        },
        {
            "spec": {
                "tolerations": [{"key": "b", "operator": "Exists"}],
                "volumes": [
                    {
                        "name": "data",
                        "$retainKeys": ["name", "hostPath"],
                        "hostPath": {"path": "/d"},
                    }
                ],
            },
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
        {
            "spec": {
                "tolerations": [{"key": "b", "operator": "Exists"}],
                "volumes": [
                    {"name": "data", "hostPath": {"path": "/d"}},
                    {"name": "cfg", "configMap": {"name": "c"}},
                ],
            },
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "True"},
                    {"type": "Initialized", "status": "True"},
                ]
            },
        },
        id="pod-tolerations-atomic-volumes-conditions",
    ),
    pytest.param(
        "Node",
        {
            "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]},
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": "10.0.0.1"},
                    {"type": "Hostname", "address": "n1"},
                ]
            },
        },
        {
            "spec": {"taints": [{"key": "b", "effect": "NoExecute"}]},
            "status": {"addresses": [{"type": "Hostname", "address": "node-1"}]},
        },
        {
            "spec": {"taints": [{"key": "b", "effect": "NoExecute"}]},
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": "10.0.0.1"},
                    {"type": "Hostname", "address": "node-1"},
                ]
            },
        },
        id="node-taints-atomic-addresses-by-type",
    ),
    pytest.param(
        "CronJob",
        {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [WEB, SIDECAR]}}}}}},
        {
            "spec": {
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {"containers": [{"name": "log", "image": "busybox:1.37"}]}
                        }
                    }
                }
            }
        },
        {
            "spec": {
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {"containers": [WEB, {"name": "log", "image": "busybox:1.37"}]}
                        }
                    }
                }
            }
        },
        id="cronjob-nested-template",
    ),
    pytest.param(
        "Widget",
        {
            "metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]},
            "spec": {"items": [{"name": "a"}, {"name": "b"}]},
        },
        {
            "metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]},
            "spec": {"items": [{"name": "c"}]},
        },
        {
            "metadata": {"ownerReferences": [{"uid": "2", "name": "b"}, {"uid": "1", "name": "a"}]},
            "spec": {"items": [{"name": "c"}]},
        },
        id="unknown-kind-replaces-lists-keeps-objectmeta",
    ),
]


@pytest.mark.parametrize(("kind", "target", "patch", "expected"), SMP_CASES)
def test_strategic_merge_patch(kind: str, target: dict, patch: dict, expected: dict) -> None:
    before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    assert strategic_merge_patch(target, patch, kind) == expected
    assert target == before
    assert patch == patch_before


@pytest.mark.parametrize(
    ("patch", "code", "message"),
    [
        (
            {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            {"spec": {"strategy": {"$retainKeys": "type"}}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}},
            400,
            "invalid patch format of primitive list",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"$patch": "delete", "image": "x"}]}}}},
            500,
            "map: {'$patch': 'delete', 'image': 'x'} does not contain declared merge key: name",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
            500,
            "map: {'image': 'x'} does not contain declared merge key: name",
        ),
        (
            {"spec": {"strategy": {"$patch": "explode"}}},
            500,
            "unknown patch type: explode in map: {}",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"$patch": "merge", "name": "web"}]}}}},
            500,
            "merging lists cannot yet be specified in the patch",
        ),
    ],
)
def test_strategic_merge_patch_errors(patch: dict, code: int, message: str) -> None:
    with pytest.raises(PatchError) as err:
        strategic_merge_patch(BASE, patch, "Deployment")
    assert (err.value.code, err.value.message) == (code, message)


# RFC 7386 appendix A (the cases whose target and patch are both objects), plus section 3.
MERGE_CASES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    (
        {
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged",
        },
        {
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": None},
            "tags": ["example"],
        },
        {
            "title": "Hello!",
            "author": {"givenName": "John"},
            "tags": ["example"],
            "content": "This will be unchanged",
            "phoneNumber": "+01-123-456-7890",
        },
    ),
]


@pytest.mark.parametrize(("target", "patch", "expected"), MERGE_CASES)
def test_merge_patch(target: dict, patch: dict, expected: dict) -> None:
    before = copy.deepcopy(target)
    assert merge_patch(target, patch) == expected
    assert target == before


def test_merge_patch_rejects_non_object() -> None:
    with pytest.raises(PatchError) as err:
        merge_patch({"a": 1}, ["c"])  # type: ignore[arg-type]
    assert (err.value.code, err.value.reason, err.value.message) == (
        400,
        "BadRequest",
        "Invalid JSON Patch",
    )


# RFC 6902 appendix A.
JSON_CASES = [
    pytest.param(
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
        id="A.1",
    ),
    pytest.param(
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
        id="A.2",
    ),
    pytest.param(
        {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}, id="A.3"
    ),
    pytest.param(
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
        id="A.4",
    ),
    pytest.param(
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
        id="A.5",
    ),
    pytest.param(
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        id="A.6",
    ),
    pytest.param(
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
        id="A.7",
    ),
    pytest.param(
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
        id="A.8",
    ),
    pytest.param(
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
        id="A.10",
    ),
    pytest.param(
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
        id="A.11",
    ),
    pytest.param(
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
        id="A.14",
    ),
    pytest.param(
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
        id="A.16",
    ),
    pytest.param(
        {"a": {"b": 1}},
        [{"op": "copy", "from": "/a", "path": "/c"}, {"op": "replace", "path": "/c/b", "value": 2}],
        {"a": {"b": 1}, "c": {"b": 2}},
        id="copy-is-deep",
    ),
    pytest.param(
        {"metadata": {"labels": {"app.kubernetes.io/name": "web"}}},
        [{"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1name"}],
        {"metadata": {"labels": {}}},
        id="escaped-label-key",
    ),
    pytest.param(
        {"a": 1}, [{"op": "add", "path": "", "value": {"b": 2}}], {"b": 2}, id="whole-document"
    ),
]


@pytest.mark.parametrize(("target", "ops", "expected"), JSON_CASES)
def test_json_patch(target: dict, ops: list, expected: dict) -> None:
    before = copy.deepcopy(target)
    assert json_patch(target, ops) == expected
    assert target == before


JSON_ERRORS = [
    pytest.param(
        {"baz": "qux"},
        [{"op": "test", "path": "/baz", "value": "bar"}],
        "testing value /baz failed: test failed",
        id="A.9",
    ),
    pytest.param(
        {"foo": "bar"},
        [{"op": "add", "path": "/baz/bat", "value": "qux"}],
        "add operation does not apply: doc is missing path: /baz/bat: missing value",
        id="A.12",
    ),
    pytest.param(
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": "10"}],
        "testing value /~01 failed: test failed",
        id="A.15",
    ),
    pytest.param(
        {"a": True},
        [{"op": "test", "path": "/a", "value": 1}],
        "testing value /a failed: test failed",
        id="test-bool-is-not-number",
    ),
    pytest.param(
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/2", "value": 1}],
        "Unable to access invalid index: 2: invalid index referenced",
        id="add-index",
    ),
    pytest.param(
        {"foo": ["bar"]},
        [{"op": "remove", "path": "/foo/1"}],
        "Unable to access invalid index: 1: invalid index referenced",
        id="remove-index",
    ),
    pytest.param(
        {"foo": ["bar"]},
        [{"op": "replace", "path": "/foo/01", "value": 1}],
        "value was not a proper array index: '01'",
        id="leading-zero",
    ),
    pytest.param(
        {"a": 1},
        [{"op": "remove", "path": "/b"}],
        "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value",
        id="remove-missing",
    ),
    pytest.param(
        {"a": 1},
        [{"op": "replace", "path": "/b", "value": 2}],
        "replace operation does not apply: doc is missing key: /b: missing value",
        id="replace-missing",
    ),
    pytest.param(
        {"a": {"b": 1}},
        [{"op": "move", "from": "/a", "path": "/a/b/c"}],
        "move operation: path /a/b/c is a child of from /a",
        id="move-into-child",
    ),
    pytest.param(
        {"a": 1},
        [{"op": "copy", "from": "/x", "path": "/y"}],
        "copy operation does not apply: doc is missing path: /x: missing value",
        id="copy-missing",
    ),
    pytest.param(
        {"a": 1},
        [{"op": "frobnicate", "path": "/a"}],
        "Unexpected kind: frobnicate",
        id="unknown-op",
    ),
    pytest.param({"a": 1}, [{"path": "/a"}], "Unexpected kind: unknown", id="missing-op"),
    pytest.param(
        {"a": 1},
        [{"op": "add", "path": "a", "value": 1}],
        "add operation failed to decode path: missing value",
        id="relative-path",
    ),
]


@pytest.mark.parametrize(("target", "ops", "detail"), JSON_ERRORS)
def test_json_patch_errors(target: dict, ops: list, detail: str) -> None:
    before = copy.deepcopy(target)
    with pytest.raises(PatchError) as err:
        json_patch(target, ops)
    assert (err.value.code, err.value.reason, err.value.message, err.value.detail) == (
        422,
        "Invalid",
        REJECTED,
        detail,
    )
    assert target == before


def test_json_patch_failed_test_leaves_no_partial_result() -> None:
    target = {"spec": {"replicas": 1}}
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "test", "path": "/spec/replicas", "value": 1},
    ]
    with pytest.raises(PatchError):
        json_patch(target, ops)
    assert target == {"spec": {"replicas": 1}}


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ({"op": "add"}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ([1], "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
    ],
)
def test_json_patch_malformed_is_400(ops: Any, message: str) -> None:
    with pytest.raises(PatchError) as err:
        json_patch({}, ops)
    assert (err.value.code, err.value.reason, err.value.message) == (400, "BadRequest", message)


APPLY_CASES = [
    pytest.param(
        None,
        {"kind": "ConfigMap", "data": {"a": "1"}},
        "ConfigMap",
        False,
        {"kind": "ConfigMap", "data": {"a": "1"}},
        id="create",
    ),
    pytest.param(
        BASE,
        {
            "spec": {
                "replicas": None,
                "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}},
            }
        },
        "Deployment",
        False,
        with_(BASE, TEMPLATE + ".0.image", "nginx:1.27"),
        id="builtin-keyed-no-delete",
    ),
    pytest.param(
        {
            "metadata": {"name": "w", "finalizers": ["x"], "labels": {"a": "1"}},
            "spec": {"items": [1, 2], "size": {"cpu": 1, "mem": 2}},
        },
        {
            "metadata": {"finalizers": ["y"], "labels": {"b": "2"}},
            "spec": {"items": [3], "size": {"cpu": 4}},
        },
        "Widget",
        True,
        {
            "metadata": {"name": "w", "finalizers": ["y"], "labels": {"a": "1", "b": "2"}},
            "spec": {"items": [3], "size": {"cpu": 4, "mem": 2}},
        },
        id="custom-replaces-lists",
    ),
]


@pytest.mark.parametrize(("target", "applied", "kind", "custom", "expected"), APPLY_CASES)
def test_apply_patch(
    target: dict | None, applied: dict, kind: str, custom: bool, expected: dict
) -> None:
    snapshot = json.dumps([target, applied])
    result = apply_patch(target, applied, kind, custom)
    assert result == expected
    assert json.dumps([target, applied]) == snapshot
    assert result is not applied
