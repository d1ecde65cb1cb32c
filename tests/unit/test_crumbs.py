"""fit_crumbs: however narrow, the current view and its count stay; the oldest steps go first."""

from __future__ import annotations

from rich.cells import cell_len

from kstui.widgets.crumbs import fit_crumbs

STEPS = [
    "pods(payments)",
    "deployments(payments)",
    "api",
    "pods(payments) -l app=api,app.kubernetes.io/instance=api",
]


def test_everything_fits_unchanged() -> None:
    text = fit_crumbs(["deployments(payments)", "api", "pods(payments)"], "[6]", "  /web", 80)
    assert text == "deployments(payments) › api › pods(payments)[6]  /web"


def test_the_oldest_steps_give_way_first() -> None:
    text = fit_crumbs(STEPS, "[6]", "", 80)
    assert cell_len(text) <= 80
    assert text == "… › api › pods(payments) -l app=api,app.kubernetes.io/instance=api[6]"
    assert fit_crumbs(STEPS, "[6]", "", 64) == (
        "… › pods(payments) -l app=api,app.kubernetes.io/instance=api[6]"
    )


def test_then_what_follows_the_count_is_cut() -> None:
    text = fit_crumbs(["pods(payments)", "deployments(payments)"], "[3]", "  /web  describe…", 28)
    assert text.startswith("… › deployments(payments)[3]")
    assert len(text) <= 28


def test_the_current_view_is_shortened_rather_than_lose_the_count() -> None:
    text = fit_crumbs(STEPS, "[12]", "  /filter", 40)
    assert len(text) == 40
    assert text.startswith("… › pods(payments) -l app=api")
    assert text.endswith("…[12]")
    alone = fit_crumbs(["pods(payments) -l app=api"], "[12]", "", 15)
    assert alone == "pods(payme…[12]"


def test_very_narrow_keeps_the_count() -> None:
    assert fit_crumbs(STEPS, "[12]", "", 8).endswith("[12]")
    assert len(fit_crumbs(STEPS, "[12]", "", 8)) == 8
    assert fit_crumbs(STEPS, "[12]", "", 3) == "[1…"


def test_wide_characters_are_measured_in_cells() -> None:
    text = fit_crumbs(["名前空間" * 5, "pods(名前)"], "[1]", "", 16)
    assert cell_len(text) <= 16
    assert text.endswith("[1]")
