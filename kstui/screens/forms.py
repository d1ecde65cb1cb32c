"""The form base for screens that write through a backend service.

FormModal (widgets/form.py) lays out, validates and sends; this adds what only the screens
layer knows: writes whose answer came late but were applied (a note on the notification), and
a PartialFailure listed step by step in the form, which then reports it even when cancelled.
"""

from __future__ import annotations

from kstui.backends import write_outcome
from kstui.backends.tenancy import PartialFailure
from kstui.widgets.form import FormModal, FormResult, Values, Written

__all__ = ["Caveats", "FormResult", "WriteForm", "Written", "partial_text"]

_UNSET = object()


def partial_text(failure: PartialFailure) -> str:
    """Done / failed / not done, one line each, then what to do, for the form's outcome area.
    Not the failure's detail: that is these same steps as plain text (for a notification)."""
    lines = [f"✗ {failure.title}"]
    lines += [f"✓ done: {step}" for step in failure.done]
    if failure.failed:
        lines.append(f"✗ failed: {failure.failed}")
    lines += [f"· not done: {step}" for step in failure.not_done]
    if failure.hint:
        lines.append(f"→ {failure.hint}")
    return "\n".join(lines)


class Caveats(Exception):
    """Doubts about the values, said on their fields before anything is sent; sending the same
    values again goes ahead."""

    def __init__(self, on_fields: dict[str, str]) -> None:
        super().__init__("; ".join(on_fields.values()))
        self.on_fields = on_fields


class WriteForm(FormModal):
    """`caveats(values)` (field id → doubt) are said on their fields before the first send;
    a send with the same values again is the user's confirmation."""

    CAVEAT_HINT = "nothing was sent; send again to go ahead anyway"

    def __init__(self, title: str, *, detail: str = "", danger: bool = False) -> None:
        super().__init__(title, detail=detail, danger=danger)
        self.confirmed: dict[str, object] = {}
        """Each doubted field's value when its caveat was said: sent again, it goes ahead."""

    async def caveats(self, values: Values) -> dict[str, str]:
        return {}

    async def perform(self, values: Values) -> tuple[str, Written, str]:
        confirmed = self.confirmed
        doubts = {
            field: message
            for field, message in (await self.caveats(values)).items()
            if message and confirmed.get(field, _UNSET) != values.get(field)
        }
        if doubts:
            confirmed.update({field: values.get(field) for field in doubts})
            raise Caveats(doubts)
        with write_outcome.late_answers() as late:
            summary, written = await self.send(values)
        # a write whose answer never came but which the read-back found applied
        return summary, written, "".join(f"\n{outcome.text}" for outcome in late)

    def explain(self, error: BaseException) -> tuple[str, dict[str, str]]:
        if isinstance(error, Caveats):
            lines = [f"⚠ {message}" for message in error.on_fields.values()]
            return "\n".join([*lines, self.CAVEAT_HINT]), dict(error.on_fields)
        if isinstance(error, PartialFailure):
            self.wrote_something = True
            return partial_text(error), {}
        return super().explain(error)
