"""Declared form fields: what a form asks for, how each is drawn and read, and its checks.

A form screen lists `Field`s (made with `text`, `number`, `choice`, `multi`, `radio`, `check`,
`yaml`); `FormModal` (form.py) lays them out, reads their values and validates them. Every
field's widget carries the field's id, and its message row `<id>-error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    TextArea,
)
from textual.widgets._toggle_button import ToggleButton

from kstui.safe_text import inert_cells, inert_line
from kstui.widgets.plain import Plain

Kind = Literal["text", "number", "choice", "multi", "radio", "check", "yaml"]
Choices = Sequence[tuple[str, str]]
"""(prompt, value) pairs; prompts are data, shown inertly."""
ChoiceLoader = Callable[[], Awaitable[Choices]]
Validator = Callable[[Any], "str | None"]
"""A field's value → a message when it is not acceptable, else None."""

ON, OFF = "●", "○"  # radio: filled when chosen
TICK, BLANK = "✓", " "  # checkbox and multi-select: ticked when on


@dataclass(frozen=True, slots=True)
class Field:
    kind: Kind
    id: str
    label: str
    value: Any = None
    """The first value: a string, an int, a list of chosen values or a bool, by kind."""
    placeholder: str = ""
    choices: Choices = ()
    load: ChoiceLoader | None = None
    """Choices read when the form opens (a choice field shows "loading…" until then)."""
    validators: tuple[Validator, ...] = ()
    required: str = ""
    """The message when the field is empty; "" lets it stay empty (validators then skip it)."""
    live: bool = True
    """Checked as it is edited; False: only on send (a half-typed confirmation is no error)."""
    disabled: bool = False
    focus: bool = False
    """Focused when the form opens, in place of the first enabled field."""
    server: tuple[str, ...] = ()
    """The server's field paths ("metadata.name", "spec.hard") whose errors belong here."""
    message_row: bool = True


def text(id: str, label: str, value: str = "", **options: Any) -> Field:
    return Field("text", id, label, value, **options)


def number(id: str, label: str, value: int | None = None, **options: Any) -> Field:
    """An integer; an empty field reads as None."""
    return Field("number", id, label, value, **options)


def choice(id: str, label: str, choices: Choices = (), value: str = "", **options: Any) -> Field:
    """One of `choices`, or of what `load=` returns when the form opens."""
    return Field("choice", id, label, value, choices=choices, **options)


def multi(
    id: str, label: str, choices: Choices, value: Sequence[str] = (), **options: Any
) -> Field:
    """Any number of `choices` (space toggles); reads as the list of chosen values."""
    return Field("multi", id, label, list(value), choices=choices, **options)


def radio(id: str, label: str, choices: Choices, value: str = "", **options: Any) -> Field:
    """Exactly one of `choices`, all in view; reads as the chosen value."""
    return Field(
        "radio", id, label, value or (choices[0][1] if choices else ""), choices=choices, **options
    )


def check(id: str, label: str, value: bool = False, **options: Any) -> Field:
    """One box that is on or off; `label` is drawn beside the box."""
    options.setdefault("placeholder", label)  # the box's own words (its row's label is blank)
    return Field("check", id, label, value, message_row=False, **options)


def yaml(id: str, label: str, value: str = "", **options: Any) -> Field:
    """Several lines of text (YAML values, a manifest); enter is a newline, ctrl+s sends."""
    return Field("yaml", id, label, value, **options)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def problem_of(field: Field, value: Any) -> str | None:
    """The first message for `value`, or None when the field accepts it."""
    if is_empty(value):
        return field.required or None
    for validator in field.validators:
        message = validator(value)
        if message:
            return message
    return None


# ---------------------------------------------------------------------- on and off look different


class Radio(RadioButton):
    """● when chosen, ○ when not: not only a colour, which some terminals do not show."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = ON if self.value else OFF
        return super()._button


class Check(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = TICK if self.value else BLANK
        return super()._button


class Checklist(SelectionList[str]):
    """A SelectionList whose boxes are ticked when chosen and blank when not."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 3 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except Exception:  # past the last option
            return strip
        mark = TICK if option.value in self.selected else BLANK
        segments[1] = Segment(mark, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)


# ---------------------------------------------------------------------- drawing and reading


def prompts(choices: Choices) -> list[tuple[Text, str]]:
    return [(Text(inert_line(prompt)), value) for prompt, value in choices]


def compose_field(field: Field) -> ComposeResult:
    """The field's row (label and control), then its hidden message row."""
    if field.kind == "yaml":
        with Vertical(classes="field -tall"):
            yield Label(field.label)
            area = TextArea(
                field.value or "", id=field.id, soft_wrap=False, disabled=field.disabled
            )
            area.show_line_numbers = True
            yield area
    elif field.kind == "radio" and not field.label:
        yield radio_set(field)
    else:
        with Horizontal(classes="field"):
            yield Label("" if field.kind == "check" else field.label)
            yield control(field)
    if field.message_row:
        yield Plain("", id=f"{field.id}-error", classes="field-error")


def radio_set(field: Field) -> RadioSet:
    return RadioSet(
        *(
            Radio(Text(inert_line(prompt)), value=value == field.value, id=f"{field.id}-{value}")
            for prompt, value in field.choices
        ),
        id=field.id,
        disabled=field.disabled,
    )


def control(field: Field) -> Widget:
    if field.kind in ("text", "number"):
        # prefilled from the server (a user, a quantity): shown inertly; a value that needed
        # it would fail validation anyway
        value = "" if field.value is None else inert_cells(str(field.value))
        return Input(
            value,
            id=field.id,
            placeholder=field.placeholder,
            compact=True,
            disabled=field.disabled,
            type="integer" if field.kind == "number" else "text",
        )
    if field.kind == "choice":
        if field.load is not None:
            return Select([], id=field.id, prompt="loading…", compact=True, disabled=True)
        return choice_select(field, field.choices)
    if field.kind == "multi":
        chosen = set(field.value or ())
        return Checklist(
            *(
                (Text(inert_line(prompt)), value, value in chosen)
                for prompt, value in field.choices
            ),
            id=field.id,
            disabled=field.disabled,
        )
    if field.kind == "radio":
        return radio_set(field)
    if field.kind == "check":
        return Check(
            Text(inert_line(field.placeholder)),
            bool(field.value),
            id=field.id,
            disabled=field.disabled,
        )
    raise ValueError(f"no control for a {field.kind} field")


def choice_select(field: Field, choices: Choices) -> Select[str]:
    values = [value for _, value in choices]
    chosen = field.value if field.value in values else (values[0] if values else Select.NULL)
    return Select(
        prompts(choices),
        id=field.id,
        allow_blank=not choices,
        value=chosen,
        compact=True,
        disabled=field.disabled,
    )


def set_choices(select: Select[str], field: Field, choices: Choices) -> None:
    """Fill a loaded choice field: the declared value if offered, else the first."""
    values = [value for _, value in choices]
    select.set_options(prompts(choices))
    if field.value in values:
        select.value = field.value
    elif values:
        select.value = values[0]
    select.disabled = field.disabled or not values


def read(widget: Widget, field: Field) -> Any:
    """The field's value as its kind reads: stripped text, int or None, value(s), bool."""
    if isinstance(widget, Input):
        raw = widget.value.strip()
        if field.kind == "number":
            try:
                return int(raw) if raw else None
            except ValueError:
                return raw  # "-": a validator sees it and says so
        return raw
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Select):
        value = widget.value
        return value if isinstance(value, str) else ""
    if isinstance(widget, SelectionList):
        return list(widget.selected)
    if isinstance(widget, RadioSet):
        pressed = widget.pressed_button
        if pressed is None or not pressed.id:
            return ""
        return pressed.id.removeprefix(f"{field.id}-")
    if isinstance(widget, Checkbox):
        return widget.value
    raise ValueError(f"cannot read {type(widget).__name__}")
