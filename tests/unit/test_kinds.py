"""Kind resolution as kubectl does it, on hand-written kinds (no server)."""

from __future__ import annotations

import pytest

from kstui.backends.errors import KstuiError
from kstui.backends.kinds import BUILTIN, KindRegistry, ResourceKind, UnknownKind

READ = frozenset(("get", "list", "watch"))

POD = ResourceKind(
    "",
    "v1",
    "pods",
    "Pod",
    short_names=("po",),
    namespaced=True,
    categories=("all",),
    subresources=frozenset(("log", "status", "exec")),
)
EVENT = ResourceKind("", "v1", "events", "Event", short_names=("ev",))
K8S_EVENT = ResourceKind("events.k8s.io", "v1", "events", "Event", short_names=("ev",))
DEPLOYMENT = ResourceKind(
    "apps",
    "v1",
    "deployments",
    "Deployment",
    short_names=("deploy",),
    subresources=frozenset(("scale", "status")),
)
HPA = ResourceKind(
    "autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short_names=("hpa",)
)
NODE = ResourceKind("", "v1", "nodes", "Node", short_names=("no",), namespaced=False)
NODE_METRICS = ResourceKind(
    "metrics.k8s.io",
    "v1beta1",
    "nodes",
    "NodeMetrics",
    namespaced=False,
    verbs=frozenset(("get", "list")),
)
RBAC_ROLE = ResourceKind("rbac.authorization.k8s.io", "v1", "roles", "Role")
IAM_ROLE = ResourceKind("iam.kubesphere.io", "v1beta1", "roles", "Role", categories=("iam",))
KS_CLUSTER = ResourceKind(
    "cluster.kubesphere.io", "v1alpha1", "clusters", "Cluster", namespaced=False
)
WORKSPACE = ResourceKind(
    "tenant.kubesphere.io",
    "v1beta1",
    "workspacetemplates",
    "WorkspaceTemplate",
    namespaced=False,
    verbs=READ,
)
# Two CRD groups that both claim a short name: alphabetical order decides.
ZETA_WIDGET = ResourceKind("zeta.example.com", "v1", "widgets", "Widget", short_names=("wd",))
ALPHA_GADGET = ResourceKind("alpha.example.com", "v1", "gadgets", "Gadget", short_names=("wd",))
# A CRD that names a short name like a built-in plural: the full name must win.
SHADOW = ResourceKind("shadow.example.com", "v1", "shadows", "Shadow", short_names=("pods",))
# Legacy servers leave singularName empty; kubectl then matches the lowercased kind.
LEGACY = ResourceKind("old.example.com", "v1", "oldthings", "OldThing")

# Deliberately unsorted, with the lower-priority duplicates first.
REGISTRY = KindRegistry(
    [
        K8S_EVENT,
        NODE_METRICS,
        IAM_ROLE,
        ZETA_WIDGET,
        SHADOW,
        POD,
        EVENT,
        DEPLOYMENT,
        HPA,
        NODE,
        RBAC_ROLE,
        KS_CLUSTER,
        WORKSPACE,
        ALPHA_GADGET,
        LEGACY,
    ]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pods", POD),
        ("pod", POD),
        ("po", POD),
        ("Pod", POD),
        ("PODS", POD),
        (" po ", POD),
        ("deployments", DEPLOYMENT),
        ("deployment", DEPLOYMENT),
        ("deploy", DEPLOYMENT),
        ("Deployment", DEPLOYMENT),
        ("deployments.apps", DEPLOYMENT),
        ("deployment.apps", DEPLOYMENT),
        ("deploy.apps", DEPLOYMENT),
        ("deployments.v1.apps", DEPLOYMENT),
        ("Deployment.apps", DEPLOYMENT),
        ("Deployment.v1.apps", DEPLOYMENT),
        ("hpa", HPA),
        ("hpa.autoscaling", HPA),
        ("hpa.autoscal", HPA),
        ("clusters", KS_CLUSTER),
        ("cluster", KS_CLUSTER),
        ("Cluster", KS_CLUSTER),
        ("clusters.cluster.kubesphere.io", KS_CLUSTER),
        ("clusters.v1alpha1.cluster.kubesphere.io", KS_CLUSTER),
        ("Cluster.cluster.kubesphere.io", KS_CLUSTER),
        ("workspacetemplates", WORKSPACE),
        ("WorkspaceTemplate", WORKSPACE),
        ("oldthing", LEGACY),
        ("OldThing.old.example.com", LEGACY),
    ],
)
def test_resolve_accepts_every_alias_form(text: str, expected: ResourceKind) -> None:
    assert REGISTRY.resolve(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("events", EVENT),
        ("ev", EVENT),
        ("event", EVENT),
        ("Event", EVENT),
        ("events.events.k8s.io", K8S_EVENT),
        ("ev.events.k8s.io", K8S_EVENT),
        ("Event.events.k8s.io", K8S_EVENT),
        ("events.v1.events.k8s.io", K8S_EVENT),
        ("nodes", NODE),
        ("nodes.metrics.k8s.io", NODE_METRICS),
        ("roles", RBAC_ROLE),
        ("role", RBAC_ROLE),
        ("Role", RBAC_ROLE),
        ("roles.iam.kubesphere.io", IAM_ROLE),
        ("Role.iam.kubesphere.io", IAM_ROLE),
        ("wd", ALPHA_GADGET),
        ("wd.zeta.example.com", ZETA_WIDGET),
        ("pods", POD),
        ("shadows", SHADOW),
        ("pods.shadow.example.com", SHADOW),
    ],
)
def test_conflicts_prefer_core_then_builtin_groups_then_alphabetical(
    text: str, expected: ResourceKind
) -> None:
    assert REGISTRY.resolve(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "deployments.v1beta1.apps",  # a version the registry does not hold
        "pods.apps",
        "deploy.batch",
        "Pod.apps",
        "",
        "   ",
        "pods.v2",
        "pods/log",
    ],
)
def test_wrong_group_version_or_shape_is_unknown(text: str) -> None:
    with pytest.raises(UnknownKind):
        REGISTRY.resolve(text)


def test_unknown_kind_is_a_kstui_error_with_suggestions_in_the_hint() -> None:
    with pytest.raises(UnknownKind) as caught:
        REGISTRY.resolve("deploymnets")
    error = caught.value
    assert isinstance(error, KstuiError)
    assert error.text == "deploymnets"
    assert error.suggestions[0] == "deployments"
    assert "deployments" in error.hint
    assert '"deploymnets"' in error.title


def test_unknown_kind_without_close_matches_hints_at_refreshing() -> None:
    with pytest.raises(UnknownKind) as caught:
        REGISTRY.resolve("qqqqqqqq")
    assert caught.value.suggestions == ()
    assert "refresh" in caught.value.hint


@pytest.mark.parametrize(
    ("kind", "args", "path"),
    [
        (POD, {}, "/api/v1/pods"),
        (POD, {"namespace": "ns"}, "/api/v1/namespaces/ns/pods"),
        (POD, {"namespace": "ns", "name": "web-0"}, "/api/v1/namespaces/ns/pods/web-0"),
        (
            POD,
            {"namespace": "ns", "name": "name", "subresource": "log"},
            "/api/v1/namespaces/ns/pods/name/log",
        ),
        (DEPLOYMENT, {}, "/apis/apps/v1/deployments"),
        (
            DEPLOYMENT,
            {"namespace": "shop", "name": "web", "subresource": "scale"},
            "/apis/apps/v1/namespaces/shop/deployments/web/scale",
        ),
        (NODE, {"namespace": "ignored", "name": "node-1"}, "/api/v1/nodes/node-1"),
        (KS_CLUSTER, {"namespace": "x"}, "/apis/cluster.kubesphere.io/v1alpha1/clusters"),
        (
            KS_CLUSTER,
            {"name": "member", "subresource": "status"},
            "/apis/cluster.kubesphere.io/v1alpha1/clusters/member/status",
        ),
        (
            RBAC_ROLE,
            {"namespace": "a b", "name": "x/y"},
            "/apis/rbac.authorization.k8s.io/v1/namespaces/a%20b/roles/x%2Fy",
        ),
    ],
)
def test_paths_for_namespaced_and_cluster_kinds(
    kind: ResourceKind, args: dict[str, str], path: str
) -> None:
    assert kind.path(**args) == path


def test_subresource_without_a_name_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        POD.path("ns", subresource="log")


def test_api_version_qualified_and_verbs() -> None:
    assert (POD.api_version, POD.qualified) == ("v1", "pods")
    assert (DEPLOYMENT.api_version, DEPLOYMENT.qualified) == ("apps/v1", "deployments.apps")
    assert KS_CLUSTER.qualified == "clusters.cluster.kubesphere.io"
    assert POD.can("deletecollection")
    assert POD.can("watch")
    assert WORKSPACE.can("list")
    assert not WORKSPACE.can("delete")
    assert not NODE_METRICS.can("watch")


def test_kinds_default_singular_and_accept_lists() -> None:
    kind = ResourceKind(
        "x.io",
        "v1",
        "things",
        "Thing",
        short_names=["th"],  # type: ignore[arg-type]
        verbs={"get"},
        categories=["c"],
    )  # type: ignore[arg-type]
    assert kind.singular == "thing"
    assert kind.short_names == ("th",)
    assert kind.verbs == frozenset({"get"})
    assert hash(kind) == hash(
        ResourceKind(
            "x.io", "v1", "things", "Thing", "thing", ("th",), True, frozenset({"get"}), ("c",)
        )
    )


def test_all_is_sorted_and_duplicates_keep_the_first() -> None:
    names = [k.qualified for k in REGISTRY.all()]
    assert names[:4] == [
        "clusters.cluster.kubesphere.io",
        "deployments.apps",
        "events",
        "events.events.k8s.io",
    ]
    assert names.index("nodes") < names.index("nodes.metrics.k8s.io")
    assert names == sorted(names, key=lambda n: n.split(".")[0])
    again = KindRegistry([POD, ResourceKind("", "v1", "pods", "Pod", short_names=("p",))])
    assert len(again) == 1
    assert again.resolve("po") is POD


def test_aliases_cover_every_accepted_name() -> None:
    aliases = REGISTRY.aliases()
    for expected in (
        "pods",
        "pod",
        "po",
        "deployments.apps",
        "deploy",
        "hpa",
        "clusters.cluster.kubesphere.io",
        "roles.iam.kubesphere.io",
        "oldthing",
    ):
        assert expected in aliases
    assert aliases == sorted(set(aliases))
    for alias in aliases:
        REGISTRY.resolve(alias)  # every alias offered for completion must resolve


def test_get_and_for_object() -> None:
    assert REGISTRY.get("apps", "deployments") is DEPLOYMENT
    assert REGISTRY.get("", "deployments") is None
    assert REGISTRY.for_object("apps/v1", "Deployment") is DEPLOYMENT
    assert REGISTRY.for_object("v1", "Event") is EVENT
    assert REGISTRY.for_object("events.k8s.io/v1", "Event") is K8S_EVENT
    assert REGISTRY.for_object("v1", "Deployment") is None


BUILTIN_SHORT_NAMES = {
    "po": "pods",
    "svc": "services",
    "deploy": "deployments",
    "rs": "replicasets",
    "sts": "statefulsets",
    "ds": "daemonsets",
    "cj": "cronjobs",
    "cm": "configmaps",
    "ns": "namespaces",
    "no": "nodes",
    "ev": "events",
    "sa": "serviceaccounts",
    "pvc": "persistentvolumeclaims",
    "pv": "persistentvolumes",
    "ing": "ingresses",
    "netpol": "networkpolicies",
    "sc": "storageclasses",
    "crd": "customresourcedefinitions",
    "crds": "customresourcedefinitions",
    "hpa": "horizontalpodautoscalers",
    "ep": "endpoints",
}


@pytest.mark.parametrize(("short", "plural"), sorted(BUILTIN_SHORT_NAMES.items()))
def test_builtin_registry_has_real_short_names(short: str, plural: str) -> None:
    assert BUILTIN.resolve(short).resource == plural


def test_builtin_registry_covers_the_common_kinds() -> None:
    expected = {
        "pods",
        "services",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "configmaps",
        "secrets",
        "namespaces",
        "nodes",
        "events",
        "serviceaccounts",
        "persistentvolumeclaims",
        "persistentvolumes",
        "ingresses",
        "networkpolicies",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
        "storageclasses",
        "customresourcedefinitions",
        "horizontalpodautoscalers",
        "endpoints",
    }
    assert {k.resource for k in BUILTIN} == expected
    assert BUILTIN.resolve("deploy").path("shop") == "/apis/apps/v1/namespaces/shop/deployments"
    assert (
        BUILTIN.resolve("crd").path() == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    )
    assert BUILTIN.resolve("po").subresources >= {"log", "exec", "status"}
    assert "scale" in BUILTIN.resolve("sts").subresources
    assert not BUILTIN.resolve("ns").namespaced
    assert not BUILTIN.resolve("clusterroles").namespaced
    assert BUILTIN.resolve("hpa").api_version == "autoscaling/v2"
