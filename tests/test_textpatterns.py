"""Every regex kg applies to source text runs in linear time, and lives in `kg.textpatterns`.

Python's `re` backtracks: the old dose patterns ran for minutes on a 49 KB run of digits in an arm
description. The registry's patterns are compiled with RE2, which never backtracks. These tests hold every
registered pattern to linear time on adversarial text, keep regexes from being written anywhere else, and
pin what the RE2 rewrites of `re`'s lookarounds, `\\b`, `\\s` and `\\w` must keep doing.
"""

from __future__ import annotations

import ast
import random
import re
import time
from pathlib import Path

import pytest
import re2

from kg import textpatterns
from kg.model import codes, doses
from kg.model.doses import find_doses, find_schedule
from kg.rdf.mapping import UCUM_CODES
from kg.sources.criteria import split_criteria

KG = Path(__file__).resolve().parents[1] / "kg"

SMALL, LARGE = 50_000, 500_000
MAX_RATIO = 30  # ten times the text: ~10x the time when linear, ~100x when quadratic (30 leaves room for a busy CI)
FLOOR = 0.002  # seconds: times below this are too small to divide by


def best_of_3(run) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def assert_linear(run, small: str, large: str, what: str) -> None:
    """Ten times the text takes less than MAX_RATIO times as long. A busy machine can slow one timing:
    a ratio over the limit is measured again (twice at most); a quadratic scan stays ~100x every time."""
    for _ in range(3):
        small_time, large_time = best_of_3(lambda: run(small)), best_of_3(lambda: run(large))
        if large_time / max(small_time, FLOOR) < MAX_RATIO:
            return
    pytest.fail(f"{what}: {small_time:.4f}s on {SMALL // 1000} kB, {large_time:.4f}s on {LARGE // 1000} kB")


# --- adversarial text ------------------------------------------------------------------------------------

SHAPES = [
    "1" * 97,  # long digit runs
    "1.",  # 1.1.1.1...
    "1, ",  # 1, 1, 1, ...
    "1 x 10^",
    "2x10^6 cells/kg ",
    "1 mg ",
    " " * 50 + "\t" * 10 + "\u00a0" * 10,  # long white space runs
    "\n" * 20,
    "on the day 1, ",  # repeated prefixes of the patterns
    "at week 1, ",
    "Phase 1 ",
    "Inclusion Criteria: ",
    "NCT ID: NCT1234567",
    "a" * 40 + " ",
    "é\u00a0日",
]


def literals(regex: str) -> tuple[list[str], str]:
    """The words and the punctuation a pattern's own literals use."""
    bare = re.sub(
        r"\\[pP](\{\w+\}|\w)|\\x[0-9a-fA-F]{2}|\\[a-zA-Z]|\(\?P<\w+>|\(\?[a-zA-Z-]*:?|\{\d*,?\d*\}", " ", regex
    )
    words = sorted({w.strip() for w in re.findall(r"[A-Za-z][A-Za-z '-]*", bare) if w.strip()})
    punctuation = "".join(sorted({c for c in bare if not c.isalnum() and c not in " \\"}))
    return words, punctuation


def adversarial(regex: str, size: int) -> list[str]:
    """Two texts of `size` characters: long runs of each shape one after the other (a run grows with the
    text), and the shapes interleaved, starting with the pattern's own words (anchored patterns look there)."""
    words, punctuation = literals(regex)
    units = (
        [" ".join(words) + " ", *(w + " " for w in words), *(w + " 1, " for w in words)]
        + [punctuation or ".", *(c + "1 " for c in punctuation)]
        + SHAPES
    )
    run = size // len(units) + 1
    runs = "".join((unit * (run // len(unit) + 1))[:run] for unit in units)[:size]
    interleaved = "".join(units)
    interleaved = (interleaved * (size // len(interleaved) + 1))[:size]
    return [runs, interleaved]


# --- (a) every registered pattern is linear ---------------------------------------------------------------


def test_patterns_are_registered_by_name_and_compiled_with_re2():
    assert len(textpatterns.PATTERNS) > 40
    for name, compiled in textpatterns.PATTERNS.items():
        assert compiled.name == name
        assert type(compiled._compiled).__module__ == "re2"
    with pytest.raises(ValueError, match="registered twice"):
        textpatterns.pattern("nct-id", "NCT")


def test_re2_refuses_what_would_backtrack():
    for regex in (r"(?<=\.)\s+", r"\d+(?![\w/%])", r"(a)\1"):
        with pytest.raises(re2.error):
            textpatterns.TextPattern("refused", regex)


@pytest.mark.parametrize("name", sorted(textpatterns.PATTERNS))
def test_each_pattern_takes_about_ten_times_as_long_on_ten_times_the_text(name):
    compiled = textpatterns.PATTERNS[name]

    def scan(text: str) -> int:
        return sum(1 for _ in compiled.finditer(text)) + (compiled.search(text) is not None)

    for small, large in zip(adversarial(compiled.regex, SMALL), adversarial(compiled.regex, LARGE), strict=True):
        assert_linear(scan, small, large, name)


@pytest.mark.parametrize(
    "scan",
    [
        textpatterns.word_runs,
        textpatterns.lower_alnum_runs,
        textpatterns.upper_alnum_runs,
        lambda text: textpatterns.split_at_gaps(textpatterns.CLAUSE_BREAK, text),
        lambda text: textpatterns.split_at_gaps(textpatterns.SENTENCE_BREAK, text),
        find_doses,
        find_schedule,
        split_criteria,
    ],
    ids=["word_runs", "lower_alnum_runs", "upper_alnum_runs", "clauses", "sentences", "doses", "schedule", "criteria"],
)
def test_the_functions_that_scan_source_text_are_linear_too(scan):
    for small, large in zip(adversarial("", SMALL), adversarial("", LARGE), strict=True):
        assert_linear(scan, small, large, "scan")


# --- (b) regexes are written in the registry, nowhere else -----------------------------------------------

# Modules that may use Python's `re`: none of their regexes sees source text.
MAY_USE_RE = {
    "textpatterns.py": "the registry (it compiles with RE2)",
    "query/catalog.py": "headers of the canned queries kg ships, and parameter values the user gives",
    "query/scan.py": "SPARQL query text kg ships or the user writes",
    "rdf/terms.py": "kg's own RDF output",
    "validation/constraints.py": "patterns from kg's own shapes",
    "outputs/names.py": "names of files and store generations kg itself writes",
    "store/generations.py": "names of store links kg itself writes",
    # One character class (`[\[\]{},"]`) searched from a position in a growing buffer: it cannot backtrack,
    # and RE2's Python wrapper would re-encode the whole buffer on every search.
    "sources/jsonfile.py": "the JSON array scanner's single character class",
}


def test_no_other_module_uses_python_regexes():
    offenders = []
    for path in sorted(KG.rglob("*.py")):
        relative = path.relative_to(KG).as_posix()
        if relative in MAY_USE_RE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(alias.name in ("re", "regex") for alias in node.names):
                offenders.append(f"{relative}:{node.lineno} imports re")
            elif isinstance(node, ast.ImportFrom) and node.module in ("re", "regex"):
                offenders.append(f"{relative}:{node.lineno} imports from re")
    assert not offenders, "source-text regexes belong in kg/textpatterns.py: " + "; ".join(offenders)


# --- (c) the dose and schedule readers finish quickly on hostile text --------------------------------------

HOSTILE = {
    "49 KB of digits": "1" * 49_000,
    **{f"1 MB of {shape[:12]!r}": (shape * (LARGE // len(shape) + 1))[:LARGE] for shape in SHAPES},
    "1 MB of '1. 1. '": "1. " * (LARGE // 3),
    "1 MB of clauses ending in a dose": "1. " * (LARGE // 3 - 10) + "5 mg daily",
    "1 MB of placebo": "placebo " * (LARGE // 8) + "5 mg",
    "1 MB of '(1 mg '": "(1 mg " * (LARGE // 6),
    "1 MB of '1 times '": "1 times " * (LARGE // 8),
    "1 MB of 'é 1 mg. '": "é 1 mg. " * (LARGE // 8),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_find_doses_and_find_schedule_finish_in_under_two_seconds(name):
    for read in (find_doses, find_schedule):
        start = time.perf_counter()
        read(HOSTILE[name])
        assert time.perf_counter() - start < 2.0, f"{read.__name__} on {name}"


# --- (d) no text makes the readers raise -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1 MİCROGRAMS/kg", "10 unitſ", "10 UNİTS", "5 \u212aG", "2 MİLLİGRAMS daily"])
def test_units_that_only_match_by_unicode_case_folding_do_not_crash(text):
    for dose in find_doses(text):
        assert dose.unit in UCUM_CODES
    find_schedule(text)


def test_a_unit_spelled_with_a_letter_that_folds_to_ascii_is_that_unit():
    assert [(d.high, d.unit) for d in find_doses("10 unitſ")] == [(10.0, "IU")]


def test_numbers_too_long_to_be_amounts_are_left_out_not_converted():
    huge = "1" * 5_000  # Python refuses to make an int of more than 4,300 digits
    assert find_doses(f"{huge} mg") == ()
    assert find_doses(f"{huge}x10^6 cells/kg") == ()
    assert find_doses(f"5 mg, {huge} mg") == find_doses("5 mg")
    assert find_schedule(f"{huge} times") is None
    assert find_schedule(f"every {huge} weeks") is None
    assert find_schedule(f"on days 1, {huge} and 3") is None
    assert codes.age_in_years(f"{huge} years") is not None  # a float, however large: never an error


def test_text_holding_lone_surrogates_is_matched_not_refused():
    assert codes.NCT_ID_PATTERN.match("NCT1234567\ud800") is None
    assert codes.NCT_ID_PATTERN.match("NCT12345678")
    assert split_criteria("Inclusion Criteria:\n- age \udc80 18\nExclusion Criteria:\n- none") == (
        ("age ? 18",),
        ("none",),
    )
    assert find_doses("5 mg \ud800 daily")[0].high == 5.0


# --- what the RE2 rewrites keep: Python's Unicode \s and \w, \b, lookarounds ------------------------------


def test_space_and_word_classes_are_pythons():
    space = textpatterns.TextPattern("space", textpatterns.S)
    word = textpatterns.TextPattern("word", f"[{textpatterns.WORD}]")
    for code_point in list(range(0x3000)) + [0x1680, 0x202F, 0x205F, 0xFEFF, 0x1D7CE, 0x20000]:
        char = chr(code_point)
        assert bool(space.fullmatch(char)) == bool(re.fullmatch(r"\s", char)), hex(code_point)
        assert bool(word.fullmatch(char)) == bool(re.fullmatch(r"\w", char)), hex(code_point)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100\u00a0mg", [(100.0, "mg", None)]),  # a no-break space is white space
        ("5 mg daily", [(5.0, "mg", None)]),  # a frequency word is the schedule's, not a rate: no `per`
        ("5 mg daily5", [(5.0, "mg", None)]),  # `daily5` is not a frequency: the dose ends before it
        ("5 mg.", [(5.0, "mg", None)]),
        ("5 mg%", []),  # not followed by a word character, `/` or `%`
        ("5 mgé", []),
        ("10 mg/kg/week", [(10.0, "mg/kg", "week")]),
        ("2x10^9/L", []),  # a lab value
        ("2x10^6/kg", [(2e6, "cells/kg", None)]),
        ("2x10^6 cells/kg\n2x10^9/L", [(2e6, "cells/kg", None)]),
        ("Placebo. 2x10^6 cells/kg", [(2e6, "cells/kg", None)]),  # a clause ends at the space after `.`
        ("Placebo 2x10^6 cells/kg", []),
        ("1000 mcg (1 mg) daily", [(1000.0, "ug", None)]),  # the same dose restated
        ("4*10^5/kg/each time", [(4e5, "cells/kg", "dose")]),
    ],
)
def test_doses_read_as_before(text, expected):
    assert [(d.high, d.unit, d.per) for d in find_doses(text)] == expected


@pytest.mark.parametrize(
    ("text", "times"),
    [("5 times", 5), ("three times", 3), ("x5 times", None), ("日3 times", None), ("3 timesé", None), ("3 timess", 3)],
)
def test_times_are_whole_words(text, times):
    schedule = find_schedule(text)
    assert (schedule.times if schedule else None) == times


def test_an_nct_id_in_a_page_is_a_whole_word():
    search = textpatterns.NCT_IN_TEXT.search
    assert search("see NCT01234567.")[1] == "NCT01234567"
    assert search("NCT01234567")[1] == "NCT01234567"
    assert search("xNCT01234567 NCT012345678 NCT01234567é") is None


def test_sentences_end_at_the_space_between_a_period_and_a_capital_or_digit():
    assert textpatterns.split_at_gaps(textpatterns.SENTENCE_BREAK, "Age 18. Signed consent. ok. 2 arms.") == [
        "Age 18.",
        "Signed consent. ok.",
        "2 arms.",
    ]


def test_clauses_are_cut_as_re_split_cut_them():
    for text in ["a. b; c\nd", "a.  \n  b\n\nc", "x\n  y. z", ". ;", "1.5 mg. 2 mg;3 mg", "é.\u00a0é\u2028é"]:
        assert textpatterns.split_at_gaps(textpatterns.CLAUSE_BREAK, text) == re.split(r"(?<=[.;])\s+|\n", text)


def test_criteria_items_lose_leading_dots_before_a_word():
    assert split_criteria("Inclusion Criteria:\n1. . Age 18-70\n2. ... \\*consent") == (
        ("Age 18-70", "... *consent"),
        (),
    )


# --- the run scanners give what the regexes they replace gave ----------------------------------------------


def test_run_scanners_equal_the_regexes_they_replace():
    alphabet = "aZ09_ -.,()/\t\néÉß日١１\u00a0\u2028ſ\u212aİ"
    rng = random.Random(7)
    for _ in range(2_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert textpatterns.word_runs(text) == re.sub(r"[^\w]+", " ", text).split()
        assert "_".join(textpatterns.upper_alnum_runs(text.upper())) == re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip(
            "_"
        )
        assert textpatterns.lower_alnum_runs(text.casefold()) == re.findall(r"[a-z0-9]+", text.casefold())


def test_reading_only_the_clauses_that_hold_a_dose_misses_none():
    """`find_doses` cuts out only the clauses where its patterns found a span: the same doses as reading all."""
    pieces = ["5 mg", "2x10^6 cells/kg", "placebo", ". ", "; ", "\n", " ", "1.", "(", ")", "daily", "/L", "1,", "é"]
    rng = random.Random(11)
    for _ in range(1_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        every_clause = textpatterns.split_at_gaps(textpatterns.CLAUSE_BREAK, doses.unescape_markdown(text))
        about_cells = textpatterns.CELL_CONTEXT.search(doses.unescape_markdown(text)) is not None
        assert find_doses(text) == doses.doses_in_clauses(every_clause, about_cells), text


SAMPLES = [
    "Total bilirubin <= 3 mg/dL; INR > 1.5 and MELD 12-30 (inclusive).",
    "ECOG 0-1, age 18 to 75 years, 1.5 x 10^9/L, 5 x ULN",
    "",
    "aaa  \n\n  bb\tc",
    "2 x 10(6) cells/kg IV on day 1, 14 and 28",
    "TBIL ≥ 3 × ULN; PLT ≥ 50×10⁹/L, 1×10⁶ cells/kg，ALT≤2.5×ULN",
    "总胆红素≥171μmol/L，INR≥1.5 或 PTA≤40%；年龄 18–65 岁",
    "≥≥ µ",
    "naïve café: age ≥ 18 years 😀 and 2 × 10^6 cells",
]
EMPTY_MATCHING = textpatterns.TextPattern("probe: empty matches", r"(a*)|(b)?(x*)")


@pytest.mark.parametrize("name", [*sorted(textpatterns.PATTERNS), EMPTY_MATCHING.name])
def test_every_pattern_answers_as_the_re2_wrapper_does_on_its_ascii_fast_path(name):
    """A pattern matches ASCII text on its own bytes (other text through the wrapper): every method answers
    as RE2's wrapper does, spans, groups and empty matches included, from any start."""
    assert textpatterns._ASCII_MATCHING, "the fast path is on with the installed google-re2"
    pattern = textpatterns.PATTERNS.get(name, EMPTY_MATCHING)
    wrapper = pattern._compiled
    texts = SAMPLES + ["".join(random.Random(name).sample(SAMPLES, 3))]
    for text in texts:
        for pos in (None, 0, 5, 11, len(text), len(text) + 3):
            for ours, theirs in (
                (pattern.search(text, pos), wrapper.search(text, pos)),
                (pattern.match(text, pos), wrapper.match(text, pos)),
                (pattern.fullmatch(text, pos), wrapper.fullmatch(text, pos)),
            ):
                assert (ours is None) == (theirs is None)
                if ours is not None:
                    assert (ours.span(), ours.groups(), ours.lastindex) == (
                        theirs.span(),
                        theirs.groups(),
                        theirs.lastindex,
                    )
            found = [(m.span(), m.groups()) for m in pattern.finditer(text, pos)]
            assert found == [(m.span(), m.groups()) for m in wrapper.finditer(text, pos)]
        assert pattern.findall(text) == wrapper.findall(text)
        assert pattern.split(text) == wrapper.split(text)
        assert pattern.split(text, 1) == wrapper.split(text, 1)
        assert pattern.sub("<>", text) == wrapper.sub("<>", text)
        assert pattern.sub(lambda m: m.group().upper(), text, 2) == wrapper.sub(lambda m: m.group().upper(), text, 2)
