"""Whether a user name given as a member or a manager is a KubeSphere User (API.md §1.1: Users
live on the host, `iam.kubesphere.io` `users`). A name that is no User, or that cannot be
checked (a vanilla cluster has no users API; RBAC may forbid reading them), is said before
anything is written: RBAC binds any name, so a typo would otherwise grant nothing, silently."""

from __future__ import annotations

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.errors import Forbidden, KstuiError, NotFound

USERS_GROUP = "iam.kubesphere.io"


async def user_caveat(links: ClusterLinks, user: str) -> str:
    """ "" when `user` is a User on the host; otherwise why binding that name is doubtful:
    "there is no user erin on host", "cannot check that user erin exists on this cluster …"."""
    host = await links.host()
    if host is None or host.error:
        reason = host.error if host is not None else "no usable context"
        return f"cannot check that user {user} exists: {reason}"
    kinds = await links.session.backend(host.context).kinds_ready()
    kind = kinds.get(USERS_GROUP, "users")
    if kind is None:
        return (
            f"cannot check that user {user} exists on this cluster "
            f"({host.cluster} serves no {USERS_GROUP} users)"
        )
    client = await links.client(host.context)
    try:
        await client.get(kind.path(name=user))
    except NotFound:
        return f"there is no user {user} on {host.cluster}"
    except Forbidden:
        return (
            f"cannot check that user {user} exists: RBAC denies get "
            f"users.{USERS_GROUP} on {host.context}"
        )
    except KstuiError as error:
        return f"cannot check that user {user} exists: {error.title}"
    return ""
