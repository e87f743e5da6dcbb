"""Loader: ECCO (Waghjale et al. 2024), history-based editing and NL-instructed generation.

Data: the hub dataset `CodeEff/ECCO` (configs `edit`, `generate`, `generate_eval`; splits
train/val/test; ``--option hub=ID_OR_PATH`` names another copy `datasets` can load) or,
offline, ``--data DIR`` holding a local copy of it in any shape
:mod:`perfcodegen.problems.hub_snapshot` reads: the hub's own parquet files
(``DIR/edit/test-00000-of-00001-<hash>.parquet``...), ``save_to_disk`` folders per config, or
JSONL exports ``DIR/<config>/<split>.jsonl``. ``generate_eval`` is optional.

Tests: ECCO's ``test_cases.zip`` unpacked, found in ``extra["tests_dir"]`` or else in the
``--data`` folder (also looked for in a ``test_cases/`` or ``codenet/`` subfolder):
``public_test_cases/<problem_id>/input.N.txt`` + ``output.N.txt`` (public: CodeNet's tests) and
``generated_test_cases/<problem_id>/...`` (private: AlphaCode's generated tests). N is sorted
numerically (ECCO's own scripts sort the names as text). All problems are stdin/stdout programs.
The hub's test_cases.zip unpacks to ``codenet/{public,generated}_test_cases``.
``--option tests=skip`` loads problems without their tests (few-shot demonstrations).

Column names: `problem_id`, `input` (slow program) and `target` (fast program) of `edit`;
`problem_id` and `problem_description` of `generate`; `problem_id`, `runtimes`, `memories` of
`generate_eval` are confirmed by the CodeEff/ECCO code. `fastest_code` is what its few-shot
code reads, with a note that the column is not on the hub yet: without it NL few-shot has no
demonstrations and says so. The other aliases in the ``*_COLUMNS`` constants are accepted
but unverified. Only a list of solution programs (``SOLUTION_LIST_COLUMNS``) is a spectrum
that may be re-measured here; one or two programs (`fastest_code`) never replace the
dataset's spectrum.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import _io, hub_snapshot
from perfcodegen.problems.info import BenchmarkInfo, BenchmarkTraits, LoadOptions
from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, make_id

logger = logging.getLogger(__name__)

BENCHMARK = "ecco"
HUB_ID = "CodeEff/ECCO"
HUB_REVISION = "f341a85deaac9dc1643577cd3780e8642e5413ae"
SPLITS = ("train", "val", "test")
VARIANTS = ("edit", "generate")
SPECTRUM_SPLITS = ("train", "test")
"""Splits that the hub's `generate_eval` config (the human solution spectrum) has."""
PUBLIC_TESTS_DIR = "public_test_cases"
PRIVATE_TESTS_DIR = "generated_test_cases"

PROBLEM_ID_COLUMNS = ("problem_id",)
SLOW_CODE_COLUMNS = ("input", "slow_code", "src_code")
FAST_CODE_COLUMNS = ("target", "fast_code", "tgt_code")
DESCRIPTION_COLUMNS = ("problem_description", "description", "statement")
SOLUTION_COLUMNS = ("fastest_code", "slowest_code")
SOLUTION_LIST_COLUMNS = ("solutions", "codes", "solution_codes")
RUNTIME_COLUMNS = ("runtimes", "runtime")
MEMORY_COLUMNS = ("memories", "memory")

EDIT_STATEMENT = (
    "Optimize the given program: make it run faster (and use less memory) while producing "
    "exactly the same output for every input."
)
_TEST_FILE = re.compile(r"^(input|output)\.(\d+)\.txt$")

Row = hub_snapshot.Row


def load_ecco(options: LoadOptions) -> list[Problem]:
    variant = options.variant or "edit"
    if variant not in VARIANTS:
        raise UnknownNameError("ECCO variant", variant, VARIANTS)
    split = options.split or "test"
    if split not in SPLITS:
        raise UnknownNameError("ECCO split", split, SPLITS)
    if options.data is not None and not options.data.is_dir():
        raise DataError(
            f"--data for ecco must be a folder with {hub_snapshot.describe_layouts(variant)}: "
            f"{options.data}"
        )
    tests = _TestFolders(None if options.extra.get("tests") == "skip" else _tests_root(options))
    hub = options.extra.get("hub")
    rows = _rows(options.data, variant, split, hub)
    if variant == "edit":
        descriptions = _local_descriptions(options.data, split)
        return [
            _edit_problem(where, row, k, split, tests, descriptions)
            for where, row, k in _indexed(rows)
        ]
    spectra = _spectra(options.data, split, rows, hub)
    seen: dict[str, str] = {}
    problems = []
    for where, row in rows:
        problem = _generate_problem(where, row, split, tests, spectra)
        if problem.native_id in seen:
            raise DataError(
                f"{where}: problem {problem.native_id!r} repeats {seen[problem.native_id]}"
            )
        seen[problem.native_id] = where
        problems.append(problem)
    return problems


def _indexed(rows: list[Row]) -> list[tuple[str, dict[str, Any], int]]:
    """Each edit row with its pair index among the rows of the same problem (file order)."""
    counts: Counter[str] = Counter()
    indexed = []
    for where, row in rows:
        problem_id = _column(row, PROBLEM_ID_COLUMNS, where)
        indexed.append((where, row, counts[problem_id]))
        counts[problem_id] += 1
    return indexed


def _edit_problem(
    where: str,
    row: dict[str, Any],
    pair_index: int,
    split: str,
    tests: _TestFolders,
    descriptions: dict[str, str],
) -> Problem:
    problem_id = _column(row, PROBLEM_ID_COLUMNS, where)
    slow = _column(row, SLOW_CODE_COLUMNS, where)
    fast = _column(row, FAST_CODE_COLUMNS, where)
    problem_tests, notes = tests.for_problem(problem_id)
    native_id = f"edit/{problem_id}/{pair_index}"
    extra: dict[str, Any] = {"problem_id": problem_id, "pair_index": pair_index, **notes}
    return Problem(
        id=make_id(BENCHMARK, native_id),
        benchmark=BENCHMARK,
        native_id=native_id,
        statement=descriptions.get(problem_id, EDIT_STATEMENT),
        prompt=slow,
        input_program=slow,
        references=[fast],
        tests=problem_tests,
        metadata=ProblemMetadata(split=split, extra=extra),
    )


def _generate_problem(
    where: str,
    row: dict[str, Any],
    split: str,
    tests: _TestFolders,
    spectra: dict[str, dict[str, Any]],
) -> Problem:
    problem_id = _column(row, PROBLEM_ID_COLUMNS, where)
    description = _column(row, DESCRIPTION_COLUMNS, where)
    problem_tests, notes = tests.for_problem(problem_id)
    extra: dict[str, Any] = {"problem_id": problem_id, **notes}
    spectrum = _row_spectrum(row, where) or spectra.get(problem_id)
    if spectrum is not None:
        extra["spectrum"] = spectrum
    if any(row.get(name) for name in SOLUTION_LIST_COLUMNS):
        extra["spectrum_references"] = True
    native_id = f"generate/{problem_id}"
    return Problem(
        id=make_id(BENCHMARK, native_id),
        benchmark=BENCHMARK,
        native_id=native_id,
        statement=description,
        prompt=description,
        references=_solutions(row, where),
        tests=problem_tests,
        metadata=ProblemMetadata(split=split, extra=extra),
    )


def _solutions(row: dict[str, Any], where: str) -> list[str]:
    codes: list[str] = []
    for name in SOLUTION_LIST_COLUMNS:
        value = row.get(name)
        if value is not None:
            if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                raise DataError(f"{where}: field {name!r} should be a list of program strings")
            codes.extend(value)
    for name in SOLUTION_COLUMNS:
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            codes.append(value)
    return list(dict.fromkeys(codes))


def _row_spectrum(row: dict[str, Any], where: str) -> dict[str, list[float]] | None:
    """The human solutions' runtimes and memories (units as ECCO gives them: Judge0 s and KB)."""
    runtimes = _optional_numbers(row, RUNTIME_COLUMNS, where)
    memories = _optional_numbers(row, MEMORY_COLUMNS, where)
    if runtimes is None and memories is None:
        return None
    return {"runtimes": runtimes or [], "memories": memories or []}


def _optional_numbers(row: dict[str, Any], names: Sequence[str], where: str) -> list[float] | None:
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        ):
            raise DataError(f"{where}: field {name!r} should be a list of numbers")
        return [float(v) for v in value]
    return None


def _spectra(
    data: Path | None, split: str, rows: list[Row], hub: str | None
) -> dict[str, dict[str, Any]]:
    """Spectra from `generate_eval`, unless the `generate` rows carry them already."""
    if rows and all(_row_spectrum(row, where) is not None for where, row in rows):
        return {}
    if data is not None:
        eval_rows = hub_snapshot.split_rows(data, "generate_eval", split) or []
    elif split in SPECTRUM_SPLITS:
        eval_rows = _hub_rows("generate_eval", split, hub)
    else:
        eval_rows = []
    spectra = {}
    for where, row in eval_rows:
        spectrum = _row_spectrum(row, where)
        if spectrum is not None:
            spectra[_column(row, PROBLEM_ID_COLUMNS, where)] = spectrum
    return spectra


def _local_descriptions(data: Path | None, split: str) -> dict[str, str]:
    """NL descriptions for edit problems when a local `generate/<split>.jsonl` is present."""
    rows = None if data is None else hub_snapshot.split_rows(data, "generate", split)
    return {
        _column(row, PROBLEM_ID_COLUMNS, where): _column(row, DESCRIPTION_COLUMNS, where)
        for where, row in rows or []
    }


def _rows(data: Path | None, config: str, split: str, hub: str | None) -> list[Row]:
    if data is None:
        return _hub_rows(config, split, hub)
    rows = hub_snapshot.split_rows(data, config, split)
    if rows is None:
        raise DataError(
            f"{data}: no {config}/{split} split (ECCO folder layout: "
            f"{hub_snapshot.describe_layouts(config)})"
        )
    return rows


def _hub_rows(config: str, split: str, hub: str | None) -> list[Row]:
    """Rows through `datasets`: the pinned hub revision, or another id / local path."""
    source = hub or HUB_ID
    revision = HUB_REVISION if source == HUB_ID else None
    rows = _io.load_hub(source, name=config, split=split, revision=revision)
    return [(f"{source} {config}/{split} row {index}", row) for index, row in enumerate(rows)]


def _column(row: dict[str, Any], names: Sequence[str], where: str) -> str:
    for name in names:
        if row.get(name) is not None:
            value = _io.field(row, name, where)
            assert isinstance(value, str)
            return value
    also = f" (also accepted: {', '.join(names[1:])})" if len(names) > 1 else ""
    raise DataError(f"{where}: missing field {names[0]!r}{also}")


def _tests_root(options: LoadOptions) -> Path:
    given = options.extra.get("tests_dir")
    root = Path(given) if given else options.data
    if root is None:
        raise DataError(
            "ECCO needs its test cases: unzip test_cases.zip from the hub dataset CodeEff/ECCO and "
            "pass extra tests_dir=DIR (or --data DIR holding them)"
        )
    for candidate in (root, root / "test_cases", root / "codenet"):
        if (candidate / PUBLIC_TESTS_DIR).is_dir() or (candidate / PRIVATE_TESTS_DIR).is_dir():
            return candidate
    raise DataError(
        f"ECCO test cases not found in {root}: expected {PUBLIC_TESTS_DIR}/<problem_id>/input.N.txt "
        f"and {PRIVATE_TESTS_DIR}/<problem_id>/input.N.txt (from the hub's test_cases.zip)"
    )


class _TestFolders:
    """Reads (and caches) a problem's public and generated (private) test folders."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._cache: dict[str, tuple[list[TestCase], dict[str, Any]]] = {}

    def for_problem(self, problem_id: str) -> tuple[list[TestCase], dict[str, Any]]:
        """The tests, plus metadata notes naming a test folder that is missing."""
        if self.root is None:
            return [], {"tests_skipped": True}
        if problem_id not in self._cache:
            folders = [
                (self.root / PUBLIC_TESTS_DIR / problem_id, True),
                (self.root / PRIVATE_TESTS_DIR / problem_id, False),
            ]
            missing = [str(folder) for folder, _ in folders if not folder.is_dir()]
            if len(missing) == len(folders):
                raise DataError(
                    f"no test folder for ECCO problem {problem_id!r}: looked for {' and '.join(missing)}"
                )
            if missing:
                logger.warning("ecco: test folder missing: %s", missing[0])
            tests = [
                t
                for folder, public in folders
                if folder.is_dir()
                for t in _read_folder(folder, public)
            ]
            notes: dict[str, Any] = {"missing_test_folders": missing} if missing else {}
            self._cache[problem_id] = (tests, notes)
        tests, notes = self._cache[problem_id]
        return list(tests), dict(notes)


def _read_folder(folder: Path, public: bool) -> list[TestCase]:
    """`input.N.txt`/`output.N.txt` pairs in numeric order of N; an unpaired file is an error."""
    files: dict[str, dict[int, Path]] = {"input": {}, "output": {}}
    for path in folder.iterdir():
        match = _TEST_FILE.match(path.name)
        if match:
            files[match.group(1)][int(match.group(2))] = path
    for number in sorted(set(files["input"]) ^ set(files["output"])):
        present = "input" if number in files["input"] else "output"
        absent = "output" if present == "input" else "input"
        raise DataError(f"{files[present][number]}: no matching {absent}.{number}.txt")
    label = "public" if public else "generated"
    return [
        TestCase.stdio(
            _read_text(files["input"][n]),
            _read_text(files["output"][n]),
            public=public,
            name=f"{label}/{n}",
        )
        for n in sorted(files["input"])
    ]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="ECCO: edit slow programs (variant edit) or write efficient ones from NL (generate)",
    loader=load_ecco,
    splits=SPLITS,
    default_split="test",
    source=f"hub {HUB_ID}@{HUB_REVISION[:7]} (extra 'hub') + unzipped test_cases.zip "
    "(--option tests_dir=DIR), or --data DIR: a local copy (hub parquet files, save_to_disk "
    "folders or JSONL) with the test folders",
    traits=BenchmarkTraits(
        paradigm_variants={"nl2code": "generate", "edit": "edit"},
        demonstration_options={"tests": "skip"},
        spectrum_paradigm="nl2code",
    ),
)
