"""The prompt and the footer leave Textual's Input and Footer CSS out of the first frame's
stylesheet (kstui/widgets/default_css.py) and keep what they use of it: the Input type name and
its component classes, the footer's look. The snapshots show both unchanged; this says why."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets import Input

from kstui.widgets.footer import Footer
from kstui.widgets.prompt import Prompt


class PromptAndFooter(App[None]):
    def compose(self) -> ComposeResult:
        yield Prompt(lambda _text: [], id="prompt")
        yield Footer(compact=True, show_command_palette=False)


def declared_by(app: App[None], cls: type) -> bool:
    return any(
        name == f"{cls.__name__}.DEFAULT_CSS"
        and path.endswith(f"{cls.__module__.split('.')[-1]}.py")
        for path, name in app.stylesheet.source
    )


async def test_the_prompt_and_footer_parse_only_their_own_css_and_keep_inputs_type_and_parts() -> (
    None
):
    app = PromptAndFooter()
    async with app.run_test(size=(60, 5)) as pilot:
        prompt = app.query_one(Prompt)
        prompt.open("filter", "ab")
        await pilot.pause()
        assert not declared_by(app, Input)
        assert not declared_by(app, TextualFooter)
        assert declared_by(app, Prompt)
        assert declared_by(app, Footer)
        assert {"Input", "Widget"} <= prompt._css_type_names  # selectors naming Input still match
        cursor = prompt.get_component_rich_style("input--cursor")
        assert cursor.bgcolor is not None  # the cursor's rule came along
        footer = app.query_one(Footer)
        assert (footer.styles.dock, footer.styles.height.value) == ("bottom", 1)


async def test_a_plain_input_mounted_later_leaves_the_focused_prompt_one_line_and_borderless() -> (
    None
):
    app = PromptAndFooter()
    async with app.run_test(size=(60, 8)) as pilot:
        await app.mount(Input(id="modal-input"))  # brings Input's own rules into the stylesheet
        await pilot.pause()
        assert declared_by(app, Input)
        prompt = app.query_one(Prompt)
        prompt.open("command")
        await pilot.pause()
        assert prompt.has_focus
        assert (prompt.styles.border_top[0], prompt.styles.height.value) == ("", 1)
        assert prompt.outer_size.height == 1
