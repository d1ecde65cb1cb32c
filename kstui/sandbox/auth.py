"""Who is calling (bearer tokens, client certificates) and what RBAC lets them do.

RBAC is evaluated from the Role/ClusterRole and binding objects in the cluster's own store, the
way kube-apiserver's RBAC authorizer does (no aggregation), and compiled once per change.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kstui.sandbox.store import Event, Store

RBAC_GROUP = "rbac.authorization.k8s.io"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""

    def as_dict(self) -> dict[str, Any]:
        info: dict[str, Any] = {"username": self.username, "groups": list(self.groups)}
        if self.uid:
            info["uid"] = self.uid
        return info


ANONYMOUS = UserInfo("system:anonymous", (UNAUTHENTICATED,))
INSECURE_ADMIN = UserInfo("system:admin", (MASTERS, AUTHENTICATED))
"""Who an unauthenticated request is over plain http, like the old insecure port."""


@dataclass(slots=True)
class Token:
    user: UserInfo
    expires_at: datetime | None = None
    valid: Callable[[], bool] | None = None
    """For bound tokens: whether what they are bound to still exists."""


class Authenticator:
    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}

    def issue(
        self,
        username: str,
        groups: Iterable[str] = (),
        expires_at: datetime | None = None,
        token: str | None = None,
        uid: str = "",
        valid: Callable[[], bool] | None = None,
    ) -> str:
        value = token or f"{username.replace(':', '-')}-{secrets.token_hex(12)}"
        all_groups = tuple(dict.fromkeys((*groups, AUTHENTICATED)))
        self._tokens[value] = Token(UserInfo(username, all_groups, uid), expires_at, valid)
        return value

    def groups_of(self, username: str) -> tuple[str, ...]:
        """The groups a user's tokens carry (who an impersonated user is, as far as the
        sandbox knows); just system:authenticated for a user without one."""
        for token in self._tokens.values():
            if token.user.username == username:
                return token.user.groups
        return (AUTHENTICATED,)

    def revoke(self, token: str) -> None:
        self._tokens.pop(token, None)

    def from_token(self, token: str, now: datetime) -> UserInfo | None:
        found = self._tokens.get(token)
        if found is None or (found.expires_at is not None and now >= found.expires_at):
            return None
        if found.valid is not None and not found.valid():
            del self._tokens[token]
            return None
        return found.user

    @staticmethod
    def from_certificate(peercert: dict[str, Any] | None) -> UserInfo | None:
        """A verified client certificate: CN is the user, each O a group (as kube-apiserver)."""
        if not peercert:
            return None
        name, groups = None, []
        for rdn in peercert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    name = value
                elif key == "organizationName":
                    groups.append(value)
        if not name:
            return None
        return UserInfo(name, tuple(dict.fromkeys((*groups, AUTHENTICATED))))


@dataclass(frozen=True, slots=True)
class Attributes:
    """What a request wants to do, in RBAC's terms."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""  # for non-resource requests (/version, /apis, ...)

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


@dataclass(slots=True)
class _Grant:
    rule: dict[str, Any]
    namespace: str  # "" for cluster-wide grants
    via: str


@dataclass(slots=True)
class _Compiled:
    grants: dict[str, list[_Grant]] = field(default_factory=dict)  # subject key -> grants


class Authorizer:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._compiled: _Compiled | None = None
        store.add_listener(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.key[0] == RBAC_GROUP:
            self._compiled = None

    def _rules_of(self, kind: str, namespace: str, name: str) -> list[dict[str, Any]]:
        key = (RBAC_GROUP, "clusterroles" if kind == "ClusterRole" else "roles")
        obj = self._store.get(key, namespace if kind == "Role" else "", name)
        return list((obj or {}).get("rules") or [])

    def _compile(self) -> _Compiled:
        compiled = _Compiled()
        for binding_plural, namespaced in (("clusterrolebindings", False), ("rolebindings", True)):
            for binding in self._store.objects((RBAC_GROUP, binding_plural)):
                meta = binding["metadata"]
                namespace = meta.get("namespace", "") if namespaced else ""
                role_ref = binding.get("roleRef", {})
                rules = self._rules_of(
                    role_ref.get("kind", ""), namespace, role_ref.get("name", "")
                )
                kind_word = "RoleBinding" if namespaced else "ClusterRoleBinding"
                where = f"{meta['name']}/{namespace}" if namespace else meta["name"]
                via = f'{kind_word} "{where}" of {role_ref.get("kind")} "{role_ref.get("name")}"'
                for subject in binding.get("subjects") or []:
                    key = _subject_key(subject, namespace)
                    compiled.grants.setdefault(key, []).extend(
                        _Grant(rule, namespace, via) for rule in rules
                    )
        return compiled

    def _grants_for(self, user: UserInfo) -> Iterable[_Grant]:
        if self._compiled is None:
            self._compiled = self._compile()
        keys = [f"User:{user.username}"] + [f"Group:{g}" for g in user.groups]
        if user.username.startswith("system:serviceaccount:"):
            keys.append(f"ServiceAccount:{user.username.removeprefix('system:serviceaccount:')}")
        for key in keys:
            yield from self._compiled.grants.get(key, ())

    def decide(self, user: UserInfo, attrs: Attributes) -> tuple[bool, str]:
        """(allowed, reason) with the reason worded as RBAC's authorizer words it."""
        if MASTERS in user.groups:
            return True, ""
        for grant in self._grants_for(user):
            if grant.namespace and grant.namespace != attrs.namespace:
                continue
            if _rule_allows(grant.rule, attrs):
                return True, f'RBAC: allowed by {grant.via} to User "{user.username}"'
        return False, ""

    def allowed(self, user: UserInfo, attrs: Attributes) -> bool:
        return self.decide(user, attrs)[0]

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[dict], list[dict]]:
        """(resourceRules, nonResourceRules) a SelfSubjectRulesReview reports."""
        if MASTERS in user.groups:
            return (
                [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            )
        resource_rules, non_resource_rules = [], []
        for grant in self._grants_for(user):
            if grant.namespace and grant.namespace != namespace:
                continue
            rule = grant.rule
            if rule.get("nonResourceURLs"):
                non_resource_rules.append(
                    {"verbs": rule.get("verbs", []), "nonResourceURLs": rule["nonResourceURLs"]}
                )
            else:
                entry = {
                    "verbs": rule.get("verbs", []),
                    "apiGroups": rule.get("apiGroups", []),
                    "resources": rule.get("resources", []),
                }
                if rule.get("resourceNames"):
                    entry["resourceNames"] = rule["resourceNames"]
                resource_rules.append(entry)
        return resource_rules, non_resource_rules


def _subject_key(subject: dict[str, Any], binding_namespace: str) -> str:
    kind = subject.get("kind", "")
    if kind == "ServiceAccount":
        return f"ServiceAccount:{subject.get('namespace') or binding_namespace}:{subject['name']}"
    return f"{kind}:{subject.get('name', '')}"


def _matches(values: list[str] | None, wanted: str) -> bool:
    return bool(values) and ("*" in values or wanted in values)  # type: ignore[operator]


def _rule_allows(rule: dict[str, Any], attrs: Attributes) -> bool:
    if not _matches(rule.get("verbs"), attrs.verb):
        return False
    if not attrs.is_resource:
        for url in rule.get("nonResourceURLs") or ():
            if (
                url == attrs.path
                or url == "*"
                or (url.endswith("*") and attrs.path.startswith(url[:-1]))
            ):
                return True
        return False
    if not _matches(rule.get("apiGroups"), attrs.group):
        return False
    resources = rule.get("resources") or []
    wanted = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    if not (
        "*" in resources
        or wanted in resources
        or (attrs.subresource and f"*/{attrs.subresource}" in resources)
    ):
        return False
    names = rule.get("resourceNames")
    return not names or attrs.name in names


def forbidden_message(user: UserInfo, attrs: Attributes) -> str:
    """`pods "x" is forbidden: User "alice" cannot get resource "pods" in API group "" ...`."""
    if not attrs.is_resource:
        return f'forbidden: User "{user.username}" cannot {attrs.verb} path "{attrs.path}"'
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    subject = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    return (
        f'{subject} is forbidden: User "{user.username}" cannot {attrs.verb} resource '
        f'"{resource}" in API group "{attrs.group}" {scope}'
    )


# ------------------------------------------------------------------ default RBAC objects

_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]


def _role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
        "rules": rules,
    }


def _binding(name: str, role: str, subjects: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": RBAC_GROUP, **s} for s in subjects],
    }


_NAMESPACED_WORKLOAD = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "pods/log",
            "pods/status",
            "services",
            "endpoints",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
            "serviceaccounts",
            "events",
            "resourcequotas",
            "limitranges",
        ],
    },
    {
        "apiGroups": ["apps"],
        "resources": [
            "deployments",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
            "daemonsets",
            "deployments/status",
        ],
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"]},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"]},
    {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"]},
]


def default_rbac_objects() -> list[dict[str, Any]]:
    """The bootstrap roles and bindings every cluster has (trimmed to what matters here)."""
    view = [{**r, "verbs": _READ} for r in _NAMESPACED_WORKLOAD]
    edit = [{**r, "verbs": _READ + _WRITE} for r in _NAMESPACED_WORKLOAD]
    admin = [
        *edit,
        {
            "apiGroups": [RBAC_GROUP],
            "resources": ["roles", "rolebindings"],
            "verbs": _READ + _WRITE,
        },
    ]
    review = {
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        "verbs": ["create"],
    }
    whoami = {
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
        "verbs": ["create"],
    }
    discovery = {
        "nonResourceURLs": [
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
            "/healthz",
            "/livez",
            "/readyz",
            "/openapi",
            "/openapi/*",
            "/version",
            "/version/",
        ],
        "verbs": ["get"],
    }
    public = {
        "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
        "verbs": ["get"],
    }
    authenticated = [{"kind": "Group", "name": AUTHENTICATED}]
    return [
        _role(
            "cluster-admin",
            [
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]},
            ],
        ),
        _role("admin", admin),
        _role("edit", edit),
        _role("view", view),
        _role("system:basic-user", [review, whoami]),
        _role("system:discovery", [discovery]),
        _role("system:public-info-viewer", [public]),
        _binding("cluster-admin", "cluster-admin", [{"kind": "Group", "name": MASTERS}]),
        _binding("system:basic-user", "system:basic-user", authenticated),
        _binding("system:discovery", "system:discovery", authenticated),
        _binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            [*authenticated, {"kind": "Group", "name": UNAUTHENTICATED}],
        ),
    ]
