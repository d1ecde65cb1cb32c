"""The app releases list's columns and rows, and its REV column. 3.x keeps the revision in the
release (`spec.version`); 4.x's is Helm's newest in the target project, read from its release
Secrets' labels, one list per (cluster, project), after the rows are shown: `–` while unknown,
`?` where the project cannot be read (the note above the table says why)."""

from __future__ import annotations

from collections.abc import Iterable

from kstui.backends.app_revisions import HelmRevisions
from kstui.backends.app_store import FAILED_STATES, ReleaseRow, state_of
from kstui.model import Column, Row, Tone

UNKNOWN, DENIED = "–", "?"
Place = tuple[str, str]
"""(cluster, project)."""

RELEASE_COLUMNS = (
    Column("NAME", max_width=24),
    Column("STATE", max_width=12),
    Column("CLUSTER", max_width=12),
    Column("PROJECT", max_width=18),
    Column("APP", max_width=22),
    Column("VERSION", max_width=12),
    Column("REV", numeric=True, max_width=4),
    Column("AGE", age=True, max_width=8),
    Column("WORKSPACE", max_width=16),
    Column("MESSAGE", max_width=50),
)


def tone_of(state: str) -> Tone:
    if state in FAILED_STATES:
        return Tone.ERROR
    if state == "active":
        return Tone.OK
    if state == "deleting":
        return Tone.MUTED
    return Tone.WARN


def release_line(release: ReleaseRow, revision: str = UNKNOWN) -> Row:
    state = state_of(release)
    return Row(
        release.name,
        (
            release.release_name,
            state,
            release.cluster,
            release.namespace,
            release.app,
            release.version or release.version_id,
            revision,
            release.created,
            release.workspace,
            release.message,
        ),
        tone_of(state),
    )


class RevisionColumn:
    """What each project's Secrets said, last read (kept while the next read runs)."""

    def __init__(self) -> None:
        self.read: dict[Place, HelmRevisions] = {}

    def cell(self, release: ReleaseRow, *, in_release: bool) -> str:
        if in_release:
            return str(release.revision) if release.revision else UNKNOWN
        found = self.read.get((release.cluster, release.namespace))
        if found is None:
            return UNKNOWN
        if found.error:
            return DENIED
        number = found.number(release.release_name)
        return str(number) if number else UNKNOWN

    @staticmethod
    def places(releases: Iterable[ReleaseRow]) -> list[Place]:
        return sorted({(r.cluster, r.namespace) for r in releases})

    def note(self, releases: Iterable[ReleaseRow]) -> str:
        """Why some cells say `?` ("" when none does)."""
        shown = set(self.places(releases))
        return "\n".join(
            f"REV {DENIED} in {namespace} on {cluster}: {found.error}"
            for (cluster, namespace), found in sorted(self.read.items())
            if found.error and (cluster, namespace) in shown
        )
