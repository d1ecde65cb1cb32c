"""The app store's repos (API.md §2.1, §2.2): URL, workspace, sync state and last sync; `T`
re-syncs one (status.state manualTrigger, written through /status as the kapis action does),
`a` adds one (its credential kept in the OS keyring)."""

from __future__ import annotations

from textual import work
from textual.binding import Binding

from kstui.backends.app_service import AppStore
from kstui.backends.app_store import RepoRow
from kstui.model import Column, Row, Tone
from kstui.screens.app_repo_form import AddRepoForm
from kstui.screens.app_views import VIEW_SCREENS, StoreView, view_bindings
from kstui.screens.env import ScreenEnv
from kstui.widgets.form import FormResult
from kstui.widgets.resource_table import ResourceTable

REPO_COLUMNS = (
    Column("NAME", max_width=20),
    Column("STATE", max_width=14),
    Column("LAST SYNC", age=True, max_width=10),
    Column("WORKSPACE", max_width=18),
    Column("PERIOD", max_width=8),
    Column("URL", max_width=60),
)


def repo_line(repo: RepoRow) -> Row:
    tone = Tone.OK if repo.state == "successful" else Tone.WARN if repo.state else Tone.MUTED
    period = f"{repo.sync_period}s" if repo.sync_period else "manual"
    return Row(
        repo.name,
        (repo.name, repo.state or "pending", repo.last_sync, repo.workspace, period, repo.url),
        tone,
    )


class ReposScreen(StoreView):
    VIEW = "repos"
    CRUMB = "repos"
    GATED = {"resync": "repo.resync", "add": "repo.add"}
    BINDINGS = [
        Binding("a", "add", "add repo", id="repos.add"),
        Binding("T", "resync", "re-sync", id="repos.resync"),
        *view_bindings("repos"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="repos.refresh"),
        Binding("escape,q", "back", "back", show=False, id="repos.back"),
    ]

    def __init__(self, env: ScreenEnv, store: AppStore) -> None:
        super().__init__(env, store)
        self.repos: dict[str, RepoRow] = {}

    def crumbs(self) -> str:
        return f"apps › repos[{len(self.repos)}]"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(REPO_COLUMNS)
        table.focus()

    async def fetch(self) -> list[RepoRow]:
        return await self.store.repos()

    def show(self, data: list[RepoRow]) -> None:
        self.repos = {r.name: r for r in data}
        table = self.query_one(ResourceTable)
        table.sync(repo_line(r) for r in data)
        if not data:
            table.set_empty_message("no repos: a adds one")
        self.update_crumbs()

    def selected(self) -> RepoRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.repos.get(key) if key is not None else None

    @work(group="resync", exclusive=True, exit_on_error=False)
    async def action_resync(self) -> None:
        repo = self.selected()
        if repo is None:
            return
        await self.store.resync(repo.name)
        self.notify(f"re-sync of {repo.name} requested (state manualTrigger)", title="done")
        self.poll()

    def action_add(self) -> None:
        def done(result: FormResult | None) -> None:
            if result is not None:
                self.poll()

        self.app.push_screen(AddRepoForm(self.store), done)


VIEW_SCREENS["repos"] = ReposScreen
