"""Object name, label and annotation rules, with apimachinery's exact error strings.

Name rules return the bare messages (the server wraps each as
`metadata.name: Invalid value: "<name>": <message>`). The label and annotation checks return
whole cause messages (`Invalid value: "<key or value>": <message>`), all for the field
`metadata.labels` / `metadata.annotations`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

NameRule = Callable[[str], list[str]]

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"

_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character"
)

_RX = {
    fmt: re.compile(fmt)
    for fmt in (
        _DNS1123_LABEL_FMT,
        _DNS1123_SUBDOMAIN_FMT,
        _DNS1035_LABEL_FMT,
        _QUALIFIED_NAME_FMT,
        _LABEL_VALUE_FMT,
    )
}

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def _matches(fmt: str, value: str) -> bool:
    return _RX[fmt].fullmatch(value) is not None


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError, double space before "or" included, as the real one prints it."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def dns1123_label(name: str) -> list[str]:
    errs = [max_len_error(63)] if len(name.encode()) > 63 else []
    if not _matches(_DNS1123_LABEL_FMT, name):
        if _matches(_DNS1123_SUBDOMAIN_FMT, name):  # a valid subdomain: only the dots are wrong
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def dns1123_subdomain(name: str) -> list[str]:
    errs = [max_len_error(253)] if len(name.encode()) > 253 else []
    if not _matches(_DNS1123_SUBDOMAIN_FMT, name):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def dns1035_label(name: str) -> list[str]:
    errs = [max_len_error(63)] if len(name.encode()) > 63 else []
    if not _matches(_DNS1035_LABEL_FMT, name):
        errs.append(regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def path_segment_name(name: str) -> list[str]:
    """Names that only have to be usable as one URL path segment (RBAC kinds)."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


def mask_trailing_dash(prefix: str) -> str:
    """What the server checks for a generateName prefix (Go's maskTrailingDash, quirk kept)."""
    return prefix[:-2] + "a" if len(prefix) > 1 and prefix.endswith("-") else prefix


def _cronjob_name(name: str) -> list[str]:
    # the controller appends an 11-character suffix and job names are labels (63)
    return dns1123_subdomain(name) + (
        ["must be no more than 52 characters"] if len(name) > 52 else []
    )


_RBAC = "rbac.authorization.k8s.io"
_RULES: dict[tuple[str, str], NameRule] = {
    ("", "namespaces"): dns1123_label,
    ("", "services"): dns1035_label,  # ValidateServiceName is NameIsDNS1035Label
    ("batch", "cronjobs"): _cronjob_name,
    **{
        (_RBAC, p): path_segment_name
        for p in ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
    },
    # APIServices are named `version.group` ("v1." for the core group)
    ("apiregistration.k8s.io", "apiservices"): path_segment_name,
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): path_segment_name,
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): path_segment_name,
}
# Review requests are answered, never stored: their names are not checked.
_UNNAMED_GROUPS = frozenset(("authorization.k8s.io", "authentication.k8s.io"))


def name_rule(group: str, plural: str) -> NameRule:
    """The metadata.name rule of a kind; every other kind, custom ones too, wants a subdomain."""
    if group in _UNNAMED_GROUPS:
        return lambda _name: []
    return _RULES.get((group, plural), dns1123_subdomain)


def qualified_name(value: str) -> list[str]:
    """validation.IsQualifiedName: an optional DNS subdomain prefix, '/', then a name."""
    name_msg = regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
    parts = value.split("/")
    if len(parts) > 2:
        return [
            f"a qualified name {name_msg} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errs: list[str] = []
    if len(parts) == 2:
        if not parts[0]:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend(f"prefix part {m}" for m in dns1123_subdomain(parts[0]))
    name = parts[-1]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append(f"name part {max_len_error(63)}")
    if not _matches(_QUALIFIED_NAME_FMT, name):
        errs.append(f"name part {name_msg}")
    return errs


def label_value(value: str) -> list[str]:
    errs = [max_len_error(63)] if len(value.encode()) > 63 else []
    if not _matches(_LABEL_VALUE_FMT, value):
        errs.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _invalid(value: str, msg: str) -> str:
    return f"Invalid value: {json.dumps(value, ensure_ascii=False)}: {msg}"  # Go's %q, near enough


def validate_labels(labels: dict[str, str]) -> list[str]:
    """Messages for the field metadata.labels, keys then value of each label in turn."""
    errs: list[str] = []
    for key, value in labels.items():
        errs.extend(_invalid(key, m) for m in qualified_name(key))
        errs.extend(_invalid(value, m) for m in label_value(value))
    return errs


def validate_annotations(annotations: dict[str, str]) -> list[str]:
    """Messages for metadata.annotations: keys are case-insensitive qualified names, and all
    keys and values together must fit in 256 KiB."""
    errs = [_invalid(key, m) for key in annotations for m in qualified_name(key.lower())]
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(f"Too long: must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes")
    return errs
