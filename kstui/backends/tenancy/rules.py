"""The client-side rules for names and quotas, checked before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kstui.backends.errors import KstuiError
from kstui.backends.quantity import QuantityError, parse_quantity

RESERVED_WORKSPACE_NAMES = frozenset({"workspaces", "clusters", "cluster"})
"""Names ks-apiserver refuses for workspaces (they collide with its URL segments)."""

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def validate_name(name: str, what: str = "workspace") -> str | None:
    """The client-side name rule: None if fine, else what is wrong, in one line."""
    if not name:
        return f"a {what} name is required"
    if len(name) > 63:
        return f"{what} name {name!r} is {len(name)} characters long: at most 63"
    if not _DNS1123_LABEL.match(name):
        return (
            f"{what} name {name!r} must be lower case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    if what == "workspace" and name in RESERVED_WORKSPACE_NAMES:
        return f"{name!r} is reserved by KubeSphere: pick another workspace name"
    return None


def validate_quantity(value: str) -> str | None:
    """None if `value` is a quota-worthy quantity (non-negative), else what is wrong."""
    try:
        parsed = parse_quantity(value)
    except QuantityError as error:
        return str(error)
    if parsed < 0:
        return f"{value!r} is negative: a quota must be zero or more"
    return None


def check_name(name: str, what: str) -> None:
    problem = validate_name(name, what)
    if problem:
        raise KstuiError(f"invalid {what} name", problem, "names are DNS labels, e.g. shop-prod")


def check_hard(hard: Mapping[str, str]) -> dict[str, str]:
    """The quota limits as strings, or KstuiError naming every bad entry."""
    problems = []
    for resource, value in hard.items():
        if not resource or " " in resource:
            problems.append(f"{resource!r} is not a resource name")
        problem = validate_quantity(str(value))
        if problem:
            problems.append(f"{resource}: {problem}")
    if problems:
        raise KstuiError(
            "invalid quota", "; ".join(problems), "quantities look like 500m, 2, 512Mi or 4Gi"
        )
    return {resource: str(value) for resource, value in hard.items()}
