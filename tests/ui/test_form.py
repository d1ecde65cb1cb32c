"""The form framework (widgets/form.py) in a tiny host app: a config-map form that writes to
the real sandbox, so the server's answers (422 causes, AlreadyExists, a dry run) are real."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Select, Static, TextArea

from kstui.backends.errors import NotFound
from kstui.backends.kube import KubeClient
from kstui.widgets.form import FormModal, FormResult, Values, Written
from kstui.widgets.form_fields import (
    BLANK,
    OFF,
    ON,
    TICK,
    Check,
    Checklist,
    Field,
    Radio,
    check,
    choice,
    multi,
    radio,
    text,
    yaml,
)
from tests.ui.conftest import type_text, wait_until

NAMESPACE = "payments"
CONFIGMAPS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"


def letters_and_digits(value: str) -> str | None:
    return None if value.isalnum() else "letters and digits only"


def a_mapping(value: str) -> str | None:
    lines = [line for line in value.splitlines() if line.strip()]
    return None if all(": " in line for line in lines) else "one key: value a line"


class ConfigMapForm(FormModal):
    SEND_LABEL = "Create"

    def __init__(
        self,
        kube: KubeClient,
        *,
        gate: asyncio.Event | None = None,
        loading: asyncio.Event | None = None,
    ) -> None:
        super().__init__("New config map", detail=f"in namespace {NAMESPACE}")
        self.kube = kube
        self.gate = gate
        """Holds the send until set: a write in flight."""
        self.loading = loading
        """Holds the namespace list until set: choices still loading."""
        self.sent = 0

    def fields(self) -> list[Field]:
        return [
            # only "required" here: a bad name reaches the server, whose 422 names the field
            text("name", "Name", required="a name is required", server=("metadata.name",)),
            text(
                "team", "Team label", validators=(letters_and_digits,), server=("metadata.labels",)
            ),
            choice("namespace", "Namespace", value=NAMESPACE, load=self.namespaces),
            yaml("data", "Data", "mode: blue\n", validators=(a_mapping,), server=("data",)),
            radio("tier", "Tier", [("bronze", "bronze"), ("gold", "gold")]),
            multi("zones", "Zones", [("a", "a"), ("b", "b")], ["a"]),
            check("immutable", "immutable"),
        ]

    async def namespaces(self) -> list[tuple[str, str]]:
        if self.loading is not None:
            await self.loading.wait()
        listed = await self.kube.list("/api/v1/namespaces")
        names = sorted(item["metadata"]["name"] for item in listed["items"])
        return [(name, name) for name in names]

    def body(self, values: Values) -> dict[str, Any]:
        data = dict(line.split(": ", 1) for line in values["data"].splitlines() if line.strip())
        labels = {"team": values["team"]} if values["team"] else {}
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": values["name"], "labels": labels},
            "data": data,
        }

    async def send(self, values: Values) -> tuple[str, Written]:
        self.sent += 1
        if self.gate is not None:
            await self.gate.wait()
        return f"created {values['name']}", [await self.kube.create(CONFIGMAPS, self.body(values))]

    async def preview(self, values: Values) -> str:
        answer = await self.kube.create(CONFIGMAPS, self.body(values), dry_run=True)
        return f"would create {answer['metadata']['name']} with {sorted(answer['data'])}"


class FormHost(App[None]):
    def __init__(self, form: FormModal) -> None:
        super().__init__()
        self.form = form
        self.results: list[FormResult | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.form, self.results.append)


def error_of(form: FormModal, field_id: str) -> str:
    box = form.query_one(f"#{field_id}-error", Static)
    return str(box.render()) if box.has_class("-shown") else ""


def outcome(form: FormModal) -> str:
    return str(form.query_one("#outcome", Static).render())


async def opened(pilot: Pilot[Any], form: FormModal) -> None:
    await wait_until(pilot, lambda: pilot.app.screen is form and form.seen, "form open")


async def stored(kube: KubeClient, name: str) -> Any:
    try:
        return await kube.get(f"{CONFIGMAPS}/{name}")
    except NotFound:
        return None


async def test_focus_starts_on_the_first_field_and_checks_run_as_typed(kube: KubeClient) -> None:
    form = ConfigMapForm(kube)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        assert form.focused is form.query_one("#name")
        await pilot.press("tab")
        await type_text(pilot, "a b")
        assert error_of(form, "team") == "letters and digits only"
        await pilot.press("backspace", "backspace")
        assert error_of(form, "team") == ""  # fixed: the message goes at once
        await type_text(pilot, "-")
        await pilot.press("enter")  # refused: the empty name first, the focus on it
        await pilot.pause()
        assert error_of(form, "name") == "a name is required"
        assert error_of(form, "team") == "letters and digits only"
        assert "nothing was sent" in outcome(form)
        assert form.focused is form.query_one("#name")
        assert form.sent == 0
        assert app.screen is form


async def test_a_server_error_lands_on_its_field_and_clears_when_fixed(kube: KubeClient) -> None:
    form = ConfigMapForm(kube)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        await type_text(pilot, "Bad_Name")
        await pilot.press("tab")  # leave the name: the server's answer brings the focus back
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: error_of(form, "name"), "422 on the name field")
        assert "Invalid value" in error_of(form, "name")
        assert "Invalid" in outcome(form)  # the whole answer stays at the form level too
        assert form.focused is form.query_one("#name")
        assert error_of(form, "team") == ""
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "fm-fixed")
        assert error_of(form, "name") == ""
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results, "closed")
        assert app.results == [FormResult("created fm-fixed", app.results[0].written)]
        assert (await stored(kube, "fm-fixed"))["data"] == {"mode": "blue"}
    await kube.delete(f"{CONFIGMAPS}/fm-fixed")


async def test_already_exists_is_said_on_the_name_field_not_as_a_conflict(kube: KubeClient) -> None:
    await kube.create(
        CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fm-taken"}}
    )
    form = ConfigMapForm(kube)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        await type_text(pilot, "fm-taken")
        await pilot.press("enter")
        await wait_until(pilot, lambda: error_of(form, "name"), "409 on the name field")
        assert error_of(form, "name") == "fm-taken already exists"
        assert "AlreadyExists" in outcome(form)
        assert "reload" not in outcome(form)
        assert app.screen is form
    await kube.delete(f"{CONFIGMAPS}/fm-taken")


async def test_a_send_in_flight_is_shown_and_not_sent_twice(kube: KubeClient) -> None:
    gate = asyncio.Event()
    form = ConfigMapForm(kube, gate=gate)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        await type_text(pilot, "fm-once")
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.sending, "in flight")
        assert outcome(form) == "sending…"
        assert form.query_one("#send", Button).disabled
        await pilot.press("enter", "ctrl+s", "escape")
        await pilot.pause()
        assert form.sent == 1
        assert app.screen is form  # esc waits for the server's answer
        gate.set()
        await wait_until(pilot, lambda: app.results, "closed")
        assert app.results[0] is not None
        assert app.results[0].summary == "created fm-once"
    await kube.delete(f"{CONFIGMAPS}/fm-once")


async def test_choices_load_after_the_form_opens(kube: KubeClient) -> None:
    loading = asyncio.Event()
    form = ConfigMapForm(kube, loading=loading)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        select = form.query_one("#namespace", Select)
        assert select.disabled
        assert form.value_of("namespace") == ""
        loading.set()
        await wait_until(pilot, lambda: not select.disabled, "namespaces loaded")
        assert form.value_of("namespace") == NAMESPACE  # the declared value, once offered
        assert form.focused is form.query_one("#name")  # loading did not move the focus


async def test_preview_is_a_dry_run_and_writes_nothing(kube: KubeClient) -> None:
    form = ConfigMapForm(kube)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        assert "ctrl+y: preview" in str(form.query_one(".hint", Static).render())
        await type_text(pilot, "fm-preview")
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: "would create" in outcome(form), "dry run")
        assert outcome(form) == "would create fm-preview with ['mode']"
        assert app.screen is form
        assert await stored(kube, "fm-preview") is None


async def test_a_yaml_field_takes_several_lines_and_is_checked(kube: KubeClient) -> None:
    form = ConfigMapForm(kube)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        await type_text(pilot, "fm-lines")
        area = form.query_one("#data", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await type_text(pilot, "size")
        await pilot.press("enter")  # a newline here, not a send
        assert error_of(form, "data") == "one key: value a line"
        assert form.sent == 0
        await pilot.press("backspace", "colon", "space", "l")
        assert error_of(form, "data") == ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results, "closed")
        assert (await stored(kube, "fm-lines"))["data"] == {"mode": "blue", "size": "l"}
    await kube.delete(f"{CONFIGMAPS}/fm-lines")


async def test_on_and_off_look_different_and_every_control_takes_keys(kube: KubeClient) -> None:
    form = ConfigMapForm(kube)
    app = FormHost(form)
    async with app.run_test(size=(100, 50)) as pilot:
        await opened(pilot, form)
        bronze, gold = form.query(Radio)
        assert (bronze.value, gold.value) == (True, False)
        assert ON in str(bronze.render())
        assert OFF in str(gold.render())
        immutable = form.query_one(Check)
        assert f"▐{BLANK}▌" in str(immutable.render())
        zones = form.query_one(Checklist)
        assert [strip.text[:3] for strip in (zones.render_line(0), zones.render_line(1))] == [
            f"▐{TICK}▌",
            f"▐{BLANK}▌",
        ]
        # every control is reached with tab and changed with keys
        form.query_one("#data", TextArea).focus()
        await pilot.press("tab")  # the radio set
        await pilot.press("right", "enter")
        assert form.value_of("tier") == "gold"
        assert OFF in str(bronze.render())
        assert ON in str(gold.render())
        await pilot.press("tab", "down", "space")  # the zones
        assert form.value_of("zones") == ["a", "b"]
        await pilot.press("tab", "space")  # the checkbox
        assert form.value_of("immutable") is True
        assert f"▐{TICK}▌" in str(immutable.render())
        await pilot.press("tab")
        assert form.focused is form.query_one("#cancel")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None], "cancelled")
