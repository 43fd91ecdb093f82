"""The trial index counts each trial's records as a plain dict would, in a few bytes a record: pass one
appends NCT numbers, and after `freeze` lookups, added records (pages resolved by title, stand-ins)
and lost ones (rejected in pass two) all give the dict's answers."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from kg.build.merge import RecordCounts, nct_number, nct_text

NCT_IDS = st.integers(0, 40).map(lambda n: nct_text(n * 1_000_003 % 100_000_000))
ANY_IDS = st.one_of(NCT_IDS, st.sampled_from(["unresolved-3f2a9c1b0d4e", "unresolved-000000000000"]))


@given(
    first=st.lists(NCT_IDS, max_size=60),
    later=st.lists(st.tuples(st.sampled_from(["add", "lose"]), ANY_IDS), max_size=40),
)
def test_counts_are_a_dicts_counts_through_both_passes(first: list[str], later: list[tuple[str, str]]) -> None:
    counts, expected = RecordCounts(), Counter(first)
    for nct_id in first:
        counts.add(nct_id)
    counts.freeze()
    for action, nct_id in later:
        if action == "add":
            counts.add(nct_id)
            expected[nct_id] += 1
        else:
            counts.remove_one(nct_id)
            if expected[nct_id] > 0:
                expected[nct_id] -= 1
        expected = +expected  # drop trials with no record left
        assert counts.get(nct_id, 1) == expected.get(nct_id, 1)
    assert {n: counts.get(n) for n in counts} == dict(expected)
    assert len(counts) == len(expected)
    assert counts.duplicates == sum(c - 1 for c in expected.values())
    assert all((n in counts) == (n in expected) for n in {*first, *(n for _, n in later)})


def test_only_an_nct_id_is_a_number_and_it_reads_back() -> None:
    assert nct_number("NCT00000105") == 105 and nct_text(105) == "NCT00000105"
    assert nct_number("unresolved-3f2a9c1b0d4e") is None
    assert nct_number("NCT0000010") is None and nct_number("NCT٠٠٠٠٠١٠٥") is None
