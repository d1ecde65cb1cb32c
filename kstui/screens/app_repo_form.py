"""The app store's add-a-repo form (API.md §2.1): its credential written into the Repo, where
KubeSphere's controller reads it, and kept by kstui in the OS keyring, never in a file."""

from __future__ import annotations

from functools import partial
from typing import Any

from kstui.backends.app_service import AppStore
from kstui.backends.tenancy import validate_name
from kstui.screens.forms import WriteForm, Written
from kstui.widgets.form import Values
from kstui.widgets.form_fields import Field, text


class AddRepoForm(WriteForm):
    """A Repo: name, URL, workspace, sync period, and a credential. The controller reads the
    credential from the Repo itself, so a password is stored in that object on the cluster
    (where who may read Repos can read it); kstui keeps its own copy in the OS keyring only."""

    SEND_LABEL = "Add"

    def __init__(self, store: AppStore) -> None:
        super().__init__(
            "Add a repo",
            detail="A username and password are written into the Repo object (the KubeSphere "
            "controller reads them there) and kept by kstui in the OS keyring, never in a file.",
        )
        self.store = store

    def fields(self) -> list[Field]:
        return [
            text(
                "name",
                "Name",
                required="a name is required",
                validators=(partial(validate_name, what="repo"), _not_upload),
                server=("metadata.name",),
            ),
            text(
                "url",
                "URL",
                placeholder="https://charts.example.com",
                required="the repo's URL is required",
                validators=(_repo_url,),
                server=("spec.url",),
            ),
            text("workspace", "Workspace", "system-workspace", message_row=False),
            text("period", "Sync period", "0", placeholder="seconds; 0 = manual"),
            text("username", "Username", placeholder="(optional)", message_row=False),
            text("password", "Password", placeholder="(optional)", message_row=False),
        ]

    async def send(self, values: Values) -> tuple[str, Written]:
        period = int(values["period"]) if values["period"].isdigit() else 0
        created, keyring = await self.store.add_repo(
            values["name"],
            values["url"],
            workspace=values["workspace"] or "system-workspace",
            username=values["username"],
            password=values["password"],
            sync_period=period,
        )
        note = f" ({keyring})" if keyring else ""
        return f"added repo {values['name']}{note}", [created]

    def compose(self) -> Any:
        yield from super().compose()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#password").password = True  # type: ignore[attr-defined]


def _not_upload(name: str) -> str | None:
    return "the name upload is reserved by KubeSphere" if name == "upload" else None


def _repo_url(url: str) -> str | None:
    if url.startswith(("http://", "https://", "oci://")):
        return None
    return "a repo URL starts with http://, https:// or oci://"
