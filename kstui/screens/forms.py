"""The form base for screens that write through a backend service.

FormModal (widgets/form.py) lays out, validates and sends; this adds what only the screens
layer knows: writes whose answer came late but were applied (a note on the notification), and
a PartialFailure listed step by step in the form, which then reports it even when cancelled.
"""

from __future__ import annotations

from kstui.backends import write_outcome
from kstui.backends.tenancy import PartialFailure
from kstui.widgets.form import FormModal, FormResult, Values, Written

__all__ = ["FormResult", "WriteForm", "Written", "partial_text"]


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


class WriteForm(FormModal):
    async def perform(self, values: Values) -> tuple[str, Written, str]:
        with write_outcome.late_answers() as late:
            summary, written = await self.send(values)
        # a write whose answer never came but which the read-back found applied
        return summary, written, "".join(f"\n{outcome.text}" for outcome in late)

    def explain(self, error: BaseException) -> tuple[str, dict[str, str]]:
        if isinstance(error, PartialFailure):
            self.wrote_something = True
            return partial_text(error), {}
        return super().explain(error)
