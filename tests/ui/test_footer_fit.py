"""The footer at a narrow width: the screen's own keys give way, from the last, so that the
app's (`/`, `:`, `?`) stay in sight; at a wider one every key is back (no recompose)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from kstui.widgets.footer import Footer
from tests.ui.conftest import wait_until

SCREEN_KEYS = [
    Binding(letter, f"act('{letter}')", f"{word}")
    for letter, word in zip(
        "abcdefgh",
        ("values", "notes", "manifest", "diff", "store", "releases", "repos", "helm"),
        strict=True,
    )
]


class ManyKeys(Screen[None]):
    BINDINGS = SCREEN_KEYS

    def compose(self) -> ComposeResult:
        yield Static("a screen with many keys")
        yield Footer(compact=True, show_command_palette=False)

    def action_act(self, letter: str) -> None:
        self.notify(letter)


class FooterApp(App[None]):
    BINDINGS = [
        Binding("slash", "act('filter')", "filter"),
        Binding("colon", "act('command')", "command"),
        Binding("question_mark", "act('help')", "help"),
    ]

    def on_mount(self) -> None:
        self.push_screen(ManyKeys())

    def action_act(self, what: str) -> None:
        self.notify(what)


def shown(footer: Footer) -> list[str]:
    return [key.description for key in footer.query(FooterKey) if key.display]


def fits(footer: Footer) -> bool:
    return all(
        key.region.right <= footer.region.right for key in footer.query(FooterKey) if key.display
    )


async def test_the_apps_keys_stay_in_sight_at_80_columns() -> None:
    app = FooterApp()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.screen.query_one(Footer)
        await wait_until(
            pilot,
            lambda: footer.query(FooterKey) and "help" in shown(footer) and fits(footer),
            "the keys fitted",
        )
        keys = shown(footer)
        assert keys[-3:] == ["filter", "command", "help"]
        assert keys[:-3] == ["values", "notes", "manifest", "diff", "store", "releases"]
        assert fits(footer)

        before = list(footer.query(FooterKey))
        await pilot.resize_terminal(160, 24)
        await wait_until(pilot, lambda: len(shown(footer)) == 11, "every key shown")
        assert len(shown(footer)) == 11, shown(footer)
        assert list(footer.query(FooterKey)) == before  # shown again, not composed again

        await pilot.resize_terminal(40, 24)
        await wait_until(
            pilot, lambda: fits(footer) and len(shown(footer)) < 11, "the keys fitted again"
        )
        assert shown(footer)[-3:] == ["filter", "command", "help"]
        assert fits(footer)
