"""bench/tui.py's modals: help `?`, the `:` prompt and the delete confirmation opened and closed
by their keys, each timed to the frame that shows it open, then the list again."""

from __future__ import annotations

import asyncio
import statistics
import sys
from functools import partial
from typing import Any

from table import FrameClock, p95, send_key

from kstui.screens.confirm import ConfirmModal
from kstui.screens.help import HelpModal
from kstui.widgets.prompt import Prompt

MODAL_FIGURES = tuple(
    f"{m} {way}" for m in ("help", "prompt", "confirm") for way in ("open", "close")
)


MODALS = (
    # (label, key, its character, the modal's test, the key that closes it)
    ("help", "question_mark", "?", lambda app: isinstance(app.screen, HelpModal), "escape"),
    ("prompt", "colon", ":", lambda app: prompt_open(app), "escape"),
    ("confirm", "ctrl+d", None, lambda app: isinstance(app.screen, ConfirmModal), "escape"),
)


def prompt_open(app: Any) -> bool:
    prompts = app.screen.query(Prompt)
    return bool(prompts) and prompts.first().has_class("-open")


async def modals(
    app: Any, clock: FrameClock, samples: int, results: dict[str, list[float]]
) -> None:
    """Each modal opened and closed by its keys, timed to the frame that shows it open, then
    to the frame that shows the list again (the `:` prompt is inline, not a screen)."""
    base = app.screen
    key = partial(send_key, app)
    for label, name, character, shown, close in MODALS:
        for _ in range(samples):
            results[f"{label} open"].append(
                await clock.time(
                    lambda name=name, character=character: key(name, character),
                    lambda shown=shown: shown(app),
                )
            )
            await asyncio.sleep(0.05)
            results[f"{label} close"].append(
                await clock.time(
                    lambda close=close: key(close),
                    lambda shown=shown: app.screen is base and not shown(app),
                )
            )
            await asyncio.sleep(0.05)


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def report_modals(keys: dict[str, list[float]]) -> None:
    report("| modal, under churn | p50 / p95 / max | target | |")
    report("| --- | --- | --- | --- |")
    for label in MODAL_FIGURES:
        values = keys[label]
        if values:
            report(
                f"| {label} | {statistics.median(values):.0f} / {p95(values):.0f} / "
                f"{max(values):.0f} ms | p95 ≤ 50 ms | {'pass' if p95(values) <= 50 else 'MISS'} |"
            )
