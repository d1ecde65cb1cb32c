"""Whose identity serves each cluster in the Workspaces section.

Workspaces spans clusters through the kubeconfig's other contexts. A context that logs in as
someone else (a member cluster's admin in a tenant's kubeconfig) must never act for the session
unless the user's config says so: by default only contexts that are the session's own user, by
SelfSubjectReview username (or the very same kubeconfig user entry), are used. Pure rules and
texts, no IO: workspaces.py asks each context who it is and applies `judge`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Protocol

OPT_IN_KEY = "other_identities"
"""The config key that lists contexts which may be used as another user (config.py)."""


class Access(StrEnum):
    OWN = "own"
    """The session's own user: used."""
    BORROWED = "borrowed"
    """Another user, used because the config lists the context in `other_identities`."""
    REFUSED = "refused"
    """Another user, or one that could not be told apart: never used."""


def judge(
    context: str,
    user: str,
    entry: str,
    *,
    session_context: str,
    session_user: str,
    session_entry: str,
    opted_in: bool,
) -> Access:
    """Whether `context` (SelfSubjectReview `user`, "" if unknown; kubeconfig user `entry`)
    may act for a session that is `session_user` through `session_context`."""
    if (
        context == session_context
        or (entry and entry == session_entry)
        or (user and user == session_user)
    ):
        return Access.OWN
    return Access.BORROWED if opted_in else Access.REFUSED


def refusal(context: str, user: str, session_user: str) -> str:
    """Why a context is not used, naming the identity it would take: a link's error."""
    me = session_user or "this session's user"
    who = f"is {user}" if user else "did not say who it is"
    return f"not reachable as {me} (context {context} {who}; opt in: {OPT_IN_KEY})"


class LinkLike(Protocol):
    @property
    def context(self) -> str: ...
    @property
    def cluster(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def access(self) -> Access: ...
    @property
    def error(self) -> str: ...


def served_by(links: Iterable[LinkLike], session_context: str) -> list[tuple[str, Access, str]]:
    """Per cluster: (cluster, access, text) for the Workspaces screens' cluster line. A cluster
    reached by a usable context shows who serves it ("member as admin"); a cluster only other
    users' contexts reach says so ("member: not reachable as alice (…)"). Unreachable clusters
    are left to the error reporting."""
    ordered: Sequence[LinkLike] = sorted(
        links,
        key=lambda ln: (ln.access is not Access.OWN, ln.context != session_context, ln.context),
    )
    served: dict[str, tuple[str, Access, str]] = {}
    for link in ordered:
        if link.error or link.cluster in served:
            continue
        mark = " (other identity, opted in)" if link.access is Access.BORROWED else ""
        served[link.cluster] = (
            link.cluster,
            link.access,
            f"{link.cluster} as {link.user or '?'}{mark}",
        )
    refused: dict[str, tuple[str, Access, str]] = {}
    for link in ordered:
        if link.access is Access.REFUSED and link.cluster not in served:
            refused.setdefault(
                link.cluster, (link.cluster, link.access, f"{link.cluster}: {link.error}")
            )
    return sorted([*served.values(), *refused.values()])
