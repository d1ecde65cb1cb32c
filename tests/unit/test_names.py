"""Name, label and annotation rules with apimachinery's exact messages."""

from __future__ import annotations

import pytest

from kstui.sandbox.names import (
    dns1035_label,
    dns1123_label,
    dns1123_subdomain,
    mask_trailing_dash,
    name_rule,
    path_segment_name,
    validate_annotations,
    validate_labels,
)

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def test_subdomain() -> None:
    assert dns1123_subdomain("example.com") == []
    assert dns1123_subdomain("a-b.c-d.e") == []
    assert dns1123_subdomain("Example") == [SUBDOMAIN_MSG]
    assert dns1123_subdomain("") == [SUBDOMAIN_MSG]
    assert dns1123_subdomain("a" * 253) == []
    assert dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]
    assert dns1123_subdomain("-" * 254) == ["must be no more than 253 characters", SUBDOMAIN_MSG]


def test_label() -> None:
    assert dns1123_label("my-name") == []
    assert dns1123_label("123-abc") == []
    assert dns1123_label("my.name") == ["must not contain dots"]
    assert dns1123_label("-abc") == [LABEL_MSG]
    assert dns1123_label("a" * 64) == ["must be no more than 63 characters"]


def test_dns1035_label() -> None:
    assert dns1035_label("web") == []
    assert dns1035_label("1web") == [DNS1035_MSG]


def test_path_segment_name() -> None:
    assert path_segment_name("system:basic-user") == []
    assert path_segment_name("Any Thing:at_all") == []
    assert path_segment_name("..") == ["may not be '..'"]
    assert path_segment_name("a/b%c") == ["may not contain '/'", "may not contain '%'"]


@pytest.mark.parametrize(
    ("group", "plural", "rule"),
    [
        ("", "namespaces", dns1123_label),
        ("", "services", dns1035_label),
        ("", "pods", dns1123_subdomain),
        ("", "configmaps", dns1123_subdomain),
        ("apps", "deployments", dns1123_subdomain),
        ("rbac.authorization.k8s.io", "roles", path_segment_name),
        ("rbac.authorization.k8s.io", "clusterrolebindings", path_segment_name),
        ("iam.kubesphere.io", "users", dns1123_subdomain),
        ("networking.istio.io", "virtualservices", dns1123_subdomain),
    ],
)
def test_name_rule(group: str, plural: str, rule: object) -> None:
    assert name_rule(group, plural) is rule


def test_name_rule_specials() -> None:
    assert name_rule("rbac.authorization.k8s.io", "clusterroles")("system:basic-user") == []
    assert name_rule("authorization.k8s.io", "selfsubjectaccessreviews")("") == []
    assert name_rule("batch", "cronjobs")("a" * 53) == ["must be no more than 52 characters"]
    assert name_rule("batch", "cronjobs")("a" * 52) == []


def test_generate_name_prefix() -> None:
    assert mask_trailing_dash("web-") == "wea"
    assert dns1123_subdomain(mask_trailing_dash("web-")) == []
    assert mask_trailing_dash("-") == "-"


def test_labels() -> None:
    assert validate_labels({"app": "web", "example.com/tier": "", "a_b.c-d": "My_Value.1"}) == []
    assert validate_labels({"bad key": "v"}) == [f'Invalid value: "bad key": name part {QNAME_MSG}']
    assert validate_labels({"k": "-bad"}) == [f'Invalid value: "-bad": {LABEL_VALUE_MSG}']
    assert validate_labels({"k": "x" * 64}) == [
        f'Invalid value: "{"x" * 64}": must be no more than 63 characters'
    ]
    assert validate_labels({"Example.com/x": "v"}) == [
        f'Invalid value: "Example.com/x": prefix part {SUBDOMAIN_MSG}'
    ]
    assert validate_labels({"/x": "v"}) == ['Invalid value: "/x": prefix part must be non-empty']
    assert validate_labels({"a/": "v"}) == [
        'Invalid value: "a/": name part must be non-empty',
        f'Invalid value: "a/": name part {QNAME_MSG}',
    ]
    assert validate_labels({"a/b/c": "v"}) == [
        f'Invalid value: "a/b/c": a qualified name {QNAME_MSG} with an optional DNS subdomain '
        "prefix and '/' (e.g. 'example.com/MyName')"
    ]
    assert validate_labels({"k": "y" * 63, "n" * 63: "v"}) == []


def test_annotations() -> None:
    assert validate_annotations({"Example.COM/Some-Key": "any value at all\n"}) == []
    assert validate_annotations({"bad key": ""}) == [
        f'Invalid value: "bad key": name part {QNAME_MSG}'
    ]
    big = {"a": "x" * (256 * 1024 - 1)}
    assert validate_annotations(big) == []
    big["b"] = ""
    assert validate_annotations(big) == ["Too long: must have at most 262144 bytes"]
