"""TableStore without a screen: sorting, filtering, narrowing and a cursor that keeps its key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kstui.model import Column, Row
from kstui.widgets.table_store import TableStore
from tests.conftest import ROOT
from tests.fresh_python import fresh_python

NOW = 1_700_000_000.0
COLUMNS = [
    Column("NAME"),
    Column("STATUS"),
    Column("RESTARTS", numeric=True),
    Column("AGE", age=True),
]


def pod(name: str, status: str = "Running", restarts: str = "0", age_s: int = 60) -> Row:
    created = datetime.fromtimestamp(NOW - age_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Row(f"ns/{name}", (name, status, restarts, created))


def store_of(*rows: Row) -> TableStore:
    store = TableStore()
    store.set_columns(COLUMNS)
    store.replace_all(rows)
    return store


def test_sorts_by_text_case_insensitively_then_by_age_and_toggles() -> None:
    store = store_of(pod("b", age_s=30), pod("C", age_s=3600), pod("a", age_s=30))
    assert store.view == ["ns/a", "ns/b", "ns/C"]
    store.sort_by(3)  # youngest first, ties by key
    assert store.view == ["ns/a", "ns/b", "ns/C"]
    store.sort_by(3)  # the same column again flips it
    assert store.sort_reverse
    assert store.view == ["ns/C", "ns/b", "ns/a"]
    store.sort_by(1, reverse=False)  # all Running: the names decide, as kubectl lists them
    assert store.view == ["ns/a", "ns/b", "ns/C"]
    with pytest.raises(IndexError):
        store.sort_by(4)


def test_rows_of_one_namespace_come_in_name_order() -> None:
    store = TableStore()
    store.set_columns([Column("NAMESPACE"), Column("NAME"), Column("AGE", age=True)])
    made = datetime.fromtimestamp(NOW, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # keys (uids) in another order than the names, as a server gives them
    store.replace_all(
        Row(uid, (ns, name, made))
        for uid, ns, name in (("u3", "pay", "api"), ("u1", "pay", "web"), ("u2", "dev", "db"))
    )
    assert store.view == ["u2", "u3", "u1"]  # dev/db, pay/api, pay/web
    store.sort_by(2)  # all of one age: still in name order
    assert store.view == ["u3", "u2", "u1"]


def test_numeric_sort_reads_the_leading_number_and_puts_the_rest_last() -> None:
    store = store_of(
        pod("a", restarts="10"),
        pod("b", restarts="9 (5m ago)"),
        pod("c", restarts="<none>"),
        pod("d", restarts="-1"),
    )
    store.sort_by(2)
    assert store.view == ["ns/d", "ns/b", "ns/a", "ns/c"]
    outcome = store.apply([pod("c", restarts="3")])  # a sort key changed: re-sorted in place
    assert outcome.view_rebuilt
    assert store.view == ["ns/d", "ns/c", "ns/b", "ns/a"]


def test_filter_regex_inverted_and_invalid_regex_taken_literally() -> None:
    store = store_of(pod("api-1"), pod("api-2", status="CrashLoopBackOff"), pod("web-(1)"))
    assert store.set_filter("API-\\d")  # upper case: still case-insensitive
    assert store.view == ["ns/api-1", "ns/api-2"]
    store.set_filter("!crash")
    assert store.view == ["ns/api-1", "ns/web-(1)"]
    store.set_filter("web-(")  # an invalid regex never raises
    assert store.view == ["ns/web-(1)"]
    assert not store.set_filter("web-(")  # unchanged text: nothing to do
    store.set_filter("2023")  # ages are not searched: timestamps would match everything
    assert store.view == []
    store.set_filter("")
    assert store.visible_count == store.row_count == 3


def test_typing_narrows_the_view_and_still_sees_rows_changed_in_place() -> None:
    store = store_of(pod("api-1"), pod("api-2"), pod("web-1"))
    store.set_filter("ap")
    outcome = store.apply([pod("api-2", status="apz")])  # still matches: no rebuild
    assert outcome.changed == [pod("api-2", status="apz")]
    assert not outcome.view_rebuilt
    store.set_filter("apz")  # a stricter plain word narrows the current view
    assert store.view == ["ns/api-2"]
    store.set_filter("ap")  # erasing widens again from every row
    assert store.view == ["ns/api-1", "ns/api-2"]
    outcome = store.apply([pod("web-1", status="api-ish"), pod("api-1")])
    assert outcome.view_rebuilt  # web-1 now matches
    assert outcome.changed == [pod("web-1", status="api-ish")]  # api-1 is the same row
    assert store.view == ["ns/api-1", "ns/api-2", "ns/web-1"]


def test_batches_delete_then_upsert_and_pad_short_rows() -> None:
    store = store_of(pod("a"), pod("b"))
    outcome = store.apply([pod("a", status="Pending"), Row("ns/c", ("c",))], deleted=["ns/a"])
    assert outcome.view_rebuilt
    assert store.view == ["ns/a", "ns/b", "ns/c"]
    assert store.row("ns/a") == pod("a", status="Pending")
    assert store.rows["ns/c"].cells == ("c", "", "", "")
    store.apply(deleted=["ns/missing"])
    assert store.row_count == 3


def test_the_cursor_follows_its_key_and_moves_by_key() -> None:
    store = store_of(pod("a", restarts="3"), pod("b", restarts="1"), pod("c", restarts="2"))
    assert store.cursor_key == "ns/a"
    assert store.index_of("ns/b") == 1
    assert store.move_cursor(1) == "ns/b"
    store.sort_by(2)
    assert (store.cursor_key, store.cursor_index) == ("ns/b", 0)
    store.set_filter("[ac]")  # the cursor's row is filtered out: same index, clamped
    assert (store.cursor_key, store.cursor_index) == ("ns/c", 0)
    assert store.index_of("ns/b") is None  # filtered out
    assert store.index_of("ns/nope") is None
    assert store.move_cursor(99) == "ns/a"  # clamped to the last row
    store.apply(deleted=["ns/a", "ns/c"])
    assert (store.cursor_key, store.cursor_index) == (None, 0)


def test_the_store_needs_no_toolkit() -> None:
    probe = (
        "import sys, kstui.widgets.table_store; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"
    )
    printed = fresh_python(probe, timeout=None, cwd=ROOT)
    assert printed.strip() == "[]"


def reference_view(rows: dict[str, Row], column: int, reverse: bool, text: str) -> list[str]:
    """The order and filter spelled out from scratch, as the store promises them."""
    spec = COLUMNS[column]

    def key(row: Row) -> object:
        cell, then = row.cells[column], f"{row.cells[0].casefold()}\0{row.key}"
        if column == 0:
            return then
        if spec.age:
            at = datetime.fromisoformat(cell.replace("Z", "+00:00")).timestamp() if cell else None
            return ((1, 0.0) if at is None else (0, -at), then)
        if spec.numeric:
            head = cell.split(" ")[0]
            number = head.lstrip("-").isdigit()
            return ((0, int(head), "") if number else (1, 0, cell.casefold()), then)
        return (cell.casefold(), then)

    ordered = sorted(rows.values(), key=key, reverse=reverse)
    if text:
        inverted, body = text.startswith("!"), text.removeprefix("!")
        ordered = [
            row
            for row in ordered
            if (body.lower() in "\t".join((row.cells[0], row.cells[1], row.cells[2])).lower())
            is not inverted
        ]
    return [row.key for row in ordered]


@pytest.mark.parametrize("few", [4096, 2])
@pytest.mark.parametrize("seed", range(6))
def test_batches_sorts_and_filters_agree_with_sorting_from_scratch(
    seed: int, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows move by bisection and sorts rank distinct values (or, with many, sort by value):
    the view must be exactly what sorting everything afresh gives, through random batches big
    and small, in both orders."""
    import random

    import kstui.widgets.table_order as table_order

    monkeypatch.setattr(table_order, "FEW_VALUES", few)

    rng = random.Random(seed)
    statuses = ["Running", "running", "Pending", "CrashLoopBackOff", "Completed", ""]
    restarts = ["0", "1", "10", "9 (5m ago)", "<none>", "-1", "03"]

    def random_pod(name: str) -> Row:
        row = pod(
            name, rng.choice(statuses), rng.choice(restarts), rng.choice([30, 60, 3600, 86400])
        )
        if rng.random() < 0.05:
            row = Row(row.key, (*row.cells[:3], ""))  # an unknown age
        return Row(f"k{rng.randrange(40)}" if rng.random() < 0.5 else row.key, row.cells)

    store = TableStore()
    store.set_columns(COLUMNS)
    names = [f"{rng.choice(['api', 'Web', 'db'])}-{i % 7}" for i in range(60)]
    store.replace_all(random_pod(name) for name in names[:30])
    reference = dict(store.rows)
    for step in range(120):
        if step % 10 == 0:
            store.sort_by(rng.randrange(4), reverse=rng.random() < 0.5)
            if rng.random() < 0.5:
                store.sort_by(store.sort_column)  # `=` with the texts still due
        if step % 7 == 0:
            store.set_filter(rng.choice(["", "api", "ap", "!web", "run", "a"]))
        if step % 5 == 0 and store.filter_text and rng.random() < 0.5:
            store.set_filter(store.filter_text + rng.choice("ipn"))  # narrowing, texts due
        size = rng.choice([1, 2, 5, 80, 150])
        upserts = [random_pod(rng.choice(names)) for _ in range(size)]
        deletes = rng.sample(sorted(reference), min(len(reference), rng.choice([0, 1, 3, 70])))
        store.apply(upserts, deletes)
        if rng.random() < 0.3:
            store.settle()  # what the widget does after a key's frame (else done when needed)
        for key in deletes:
            reference.pop(key, None)
        for row in upserts:
            reference[row.key] = row
        expected = reference_view(
            reference, store.sort_column, store.sort_reverse, store.filter_text
        )
        assert list(store.view) == expected, f"step {step}"
        if store.cursor_key is not None:
            assert store.view[store.cursor_index] == store.cursor_key


def test_a_batch_under_a_filter_moves_its_rows_without_rescanning_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 150,000 rows a rescan per watch batch cost 30+ ms: a batch of a few rows patches
    the filtered view by bisection instead (and stays exactly what a rescan would give)."""
    store = store_of(*(pod(f"api-{i:04d}", restarts=str(i % 5)) for i in range(2000)))
    store.sort_by(2)
    store.set_filter("api-1")
    scanned: list[int] = []
    hits = type(store._filter).hits  # type: ignore[attr-defined]

    def counted(self: object, texts: list[str]) -> list[bool]:
        scanned.append(len(texts))
        return hits(self, texts)  # type: ignore[no-any-return]

    monkeypatch.setattr(type(store._filter), "hits", counted)  # type: ignore[attr-defined]
    store.apply(
        [pod("api-1005", restarts="9"), pod("api-0003", status="api-1 now"), pod("api-1x")],
        deleted=["ns/api-1007"],
    )
    assert scanned == []
    expected = reference_view(dict(store.rows), 2, False, "api-1")
    assert list(store.view) == expected


def test_reversing_the_sort_reverses_the_order_without_sorting_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`=` on 150,000 rows: the rows are not ranked and sorted again, only turned around."""
    import kstui.widgets.table_store as table_store

    store = store_of(*(pod(f"api-{i}", restarts=str(i % 4), age_s=i % 3) for i in range(50)))
    store.sort_by(2)
    ranked: list[object] = []
    places = table_store.sorted_places
    monkeypatch.setattr(table_store, "sorted_places", lambda *a: ranked.append(a) or places(*a))
    for column, reverse in ((2, True), (2, False), (2, True)):
        store.sort_by(column, reverse=reverse)
        assert list(store.view) == reference_view(dict(store.rows), column, reverse, "")
    assert ranked == []
    store.sort_by(3)  # another column is sorted afresh
    assert len(ranked) == 1


def test_few_values_are_dealt_into_buckets_in_tie_order() -> None:
    """A sort by a column of few values deals the tie order's positions into one bucket per
    rank, with no comparison per row: values equal but for case share a bucket, so their
    rows stay in tie order; one value everywhere keeps the order as it is."""
    from kstui.widgets.table_order import sorted_places

    cells = ["b", "a", "B", "a", "c", "A"]
    assert list(sorted_places(cells, Column("STATUS"))) == [1, 3, 5, 0, 2, 4]
    assert sorted_places(["1/1"] * 5, Column("READY")) == range(5)
    ages = ["2024-01-02T00:00:00Z", "", "2024-01-03T00:00:00Z", "2024-01-02T00:00:00Z"]
    assert list(sorted_places(ages, Column("AGE", age=True))) == [2, 0, 3, 1]


def test_a_sort_then_a_filter_before_anything_settles_agrees_with_sorting_from_scratch() -> None:
    store = store_of(
        *(pod(f"api-{i}", ["Running", "Pending"][i % 2], str(i % 3)) for i in range(30))
    )
    for column, reverse in ((1, False), (1, True), (2, True), (3, False)):
        store.sort_by(column, reverse=reverse)
        store.set_filter("api-1")
        store.set_filter("api-1")
        store.set_filter("api-2")
        assert list(store.view) == reference_view(dict(store.rows), column, reverse, "api-2")
        store.set_filter("")
        assert list(store.view) == reference_view(dict(store.rows), column, reverse, "")


@pytest.mark.parametrize("count", [3, 100])
def test_a_batch_makes_one_search_text_a_row_for_all_its_lists(count: int) -> None:
    """At 150,000 rows streamed in by pages, a text made for each list was 13 MB twice over."""
    store = store_of(pod("api-0"))
    store.sort_by(1)
    store.settle()
    store.apply([pod(f"web-{i}", "Pending") for i in range(count)])
    by_key = dict(zip(store._tie_order, store._tie_texts, strict=True))
    assert all(
        by_key[key] is text for key, text in zip(store._order, store._order_texts, strict=True)
    )


def test_a_stricter_word_every_shown_row_still_has_keeps_the_view_as_it_is() -> None:
    """ "runn" after "run" at 150,000 rows: the same rows, no new list of them."""
    store = store_of(*(pod(f"api-{i}", ["Running", "Pending"][i % 3 == 0]) for i in range(30)))
    store.sort_by(1)
    store.set_filter("run")
    shown = store.view
    for text in ("runn", "runni", "running"):
        store.set_filter(text)
        assert store.view is shown
        assert list(store.view) == reference_view(dict(store.rows), 1, False, text)
    store.settle()
    store.apply([pod("api-1", "Pending"), pod("web-1")])
    store.set_filter("running!")
    assert list(store.view) == reference_view(dict(store.rows), 1, False, "running!")
    store.set_filter("running")
    assert list(store.view) == reference_view(dict(store.rows), 1, False, "running")


def test_a_new_order_is_read_in_place_until_its_list_is_made() -> None:
    """A sort key's frame reads the rows it shows from the NAME order at their new places: the
    list of 150,000 keys (12-17 ms) is made after it, or when something needs it first."""
    store = store_of(*(pod(f"api-{i}", ["Running", "Pending", "Failed"][i % 3]) for i in range(20)))
    store.sort_by(1)
    assert store._placed is not None
    expected = reference_view(dict(store.rows), 1, False, "")
    assert [store.key_at(i) for i in range(store.visible_count)] == expected
    assert list(store.keys_from(5, 4)) == expected[5:9]
    assert store.index_of(expected[7]) == 7
    store.sort_by(1)  # `=`: turned around, still not made
    assert store._placed is not None
    assert list(store.keys_from(0, 30)) == expected[::-1]
    assert store.key_at(-1) == expected[0]
    assert store.view == expected[::-1]  # made when asked for
    assert store._placed is None
    store.sort_by(2)
    store.settle()
    assert store._placed is None
    assert store.view == reference_view(dict(store.rows), 2, False, "")


def test_kube_times_are_told_apart_without_a_regex_per_value() -> None:
    """Ages sort by their text only when every value is kube's own timestamp, to the second:
    told in one pass over them all joined, as the regex per value told it (ASCII digits)."""
    import re

    from kstui.widgets.table_order import kube_times

    shape = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
    cases = [
        ["2024-05-01T10:00:00Z", "1999-12-31T23:59:59Z"],
        ["2024-05-01T10:00:00Z", ""],
        ["2024-05-01T10:00:00z"],
        ["2024-05-01 10:00:00Z"],
        ["2024-05-01T10:00:00.5Z"],
        ["2024-05-01T10:00", ":00Z2024-05-01T10:00:00Z"],
        ["2024-05-01T10:00:0", "0Z"],
        ["２０２４-05-01T10:00:00Z"],
        ["2024-05-01T10:00:00+00:00"],
        [],
    ]
    for values in cases:
        assert kube_times(values) == all(map(shape.fullmatch, values)), values


def test_filtering_in_a_new_order_lays_its_texts_out_in_that_order() -> None:
    """Texts made in another order are read scattered, 1.5-2x slower: once a filter is used
    in a new order, the order's texts are copied in its sequence (once a sort)."""
    store = store_of(
        *(pod(f"api-{i}", ["Running", "Pending"][i % 2], str(i % 4)) for i in range(30))
    )
    store.sort_by(2)
    store.settle()
    before = dict(zip(store._order, store._order_texts, strict=True))
    store.apply([pod("api-19", "Failed", "9")])  # a batch between: still laid out later
    store.set_filter("api")
    store.settle()
    after = dict(zip(store._order, store._order_texts, strict=True))
    del before["ns/api-19"], after["ns/api-19"]
    assert after == before
    assert not any(after[key] is text for key, text in before.items())
    laid = list(store._order_texts)
    store.set_filter("api-1")
    store.settle()
    assert all(a is b for a, b in zip(laid, store._order_texts, strict=True))  # once a sort
    store.apply([pod("api-18", "Failed", "9")])
    assert list(store.view) == reference_view(dict(store.rows), 2, False, "api-1")
    store.sort_by(2)  # `=`
    store.set_filter("api-2")
    store.settle()
    assert list(store.view) == reference_view(dict(store.rows), 2, True, "api-2")


@pytest.mark.parametrize(("column", "reverse"), [(0, False), (1, False), (2, True), (3, True)])
def test_the_rest_of_a_list_after_its_first_page_is_merged_in_its_order(
    column: int, reverse: bool
) -> None:
    """A big batch into rows already there (a list's first page, then the rest) lands where a
    fresh load would put it, and is merged, not placed by one bisection a row: the sort key is
    asked about once a row (bisecting asks ~log2(rows) times a new row)."""
    statuses = ("Running", "Pending", "CrashLoopBackOff")
    every = [
        pod(f"p{i:04d}", statuses[i % 3], str(i % 5), age_s=(i * 37) % 900) for i in range(1200)
    ]
    first, rest = every[::2], every[1::2]  # the pages interleave in every order
    fresh = store_of(*every)
    fresh.sort_by(column, reverse=reverse)
    paged = store_of(*first)
    paged.sort_by(column, reverse=reverse)
    asked = 0
    sort_key = paged._sort_key

    def counted(row: Row) -> object:
        nonlocal asked
        asked += 1
        return sort_key(row)

    paged._sort_key = counted  # type: ignore[method-assign]
    paged.apply(rest)
    assert list(paged.view) == list(fresh.view)
    assert asked <= 3 * len(every)  # bisection: ~600 rows x 10 steps x 2 lists
