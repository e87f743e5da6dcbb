"""ENAMEL (Qiu et al., ICLR 2025): HumanEval with expert-efficient references and expert
stress-input generators at four size levels.

Each problem keeps HumanEval's own tests (its given tests; the prompt's examples public), gets
ENAMEL's expert solution as its reference (the one eff@k is measured against), and carries a
`StressSpec` (generator, level sizes, checker) in ``metadata.extra['stress']``; the stress
tests themselves are drawn in the sandbox when a run needs them (`problems/stress.py`).

Splits: ``enamel`` (default), the 142 problems of ENAMEL's benchmark; ``all``, all 164 rows.
Data: ``--data`` the CSV (``dataset/enamel.csv`` of q-rz/enamel) or its folder; otherwise the
hub dataset ``q-rz/enamel`` (extra ``hub``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import _io
from perfcodegen.problems.humaneval import load_base
from perfcodegen.problems.info import BenchmarkInfo, BenchmarkTraits, LoadOptions
from perfcodegen.problems.stress import StressSpec
from perfcodegen.vocabulary import Problem, ProblemMetadata, make_id

BENCHMARK = "enamel"
HUB_ID = "q-rz/enamel"
EXCLUDED = frozenset({2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156, 157, 159, 160})  # fmt: skip
"""HumanEval problems ENAMEL leaves out of its benchmark (trivial ones; its `PROBLEMSET`)."""
SPLITS = ("enamel", "all")


def problem_from_row(
    index: int, row: Mapping[str, Any], given: Problem | None, where: str
) -> Problem:
    task_id = _io.field(row, "task_id", where)
    prompt = _io.field(row, "prompt", where)
    entry_point = _io.field(row, "entry_point", where)
    body = _io.field(row, "reference_solution", where)
    levels = _io.field(row, "input_levels", where)
    try:
        sizes = tuple(int(size) for size in levels.split())
    except ValueError:
        raise DataError(f"{where}: field 'input_levels' should be sizes, got {levels!r}") from None
    spec = StressSpec(
        generator=_io.field(row, "input_generator", where),
        sizes=sizes,
        stream=index,
        context=prompt,
        checker=_io.field(row, "checker", where),
    )
    return Problem(
        id=make_id(BENCHMARK, task_id),
        benchmark=BENCHMARK,
        native_id=task_id,
        statement=given.statement if given else prompt,
        prompt=prompt,
        entry_point=entry_point,
        starter_code=prompt,
        references=[prompt + ("" if prompt.endswith("\n") else "\n") + body],
        tests=list(given.tests) if given else [],
        test_setup=given.test_setup if given else "",
        metadata=ProblemMetadata(
            split="enamel" if index not in EXCLUDED else "all",
            extra={"stress": spec.to_extra(), "enamel_index": index},
        ),
    )


def _rows(data: Path | None) -> tuple[Iterable[tuple[int, Mapping[str, Any]]], str]:
    if data is None:
        rows = _io.load_hub(HUB_ID, name=None, split="ENAMEL_HumanEval", revision=None)
        return enumerate(rows, start=1), HUB_ID
    path = data / "enamel.csv" if data.is_dir() else data
    if not path.exists():
        raise DataError(f"{path}: no such file (expected ENAMEL's dataset/enamel.csv)")
    return _io.read_csv(path), str(path)


def load_enamel(options: LoadOptions) -> list[Problem]:
    split = options.split or "enamel"
    if split not in SPLITS:
        raise UnknownNameError("enamel split", split, SPLITS)
    given = {p.native_id: p for p in load_base(None)}
    rows, source = _rows(options.data)
    problems = []
    for index, (line, row) in enumerate(rows):
        problem = problem_from_row(
            index, row, given.get(str(row.get("task_id"))), f"{source}:{line}"
        )
        if split == "all" or index not in EXCLUDED:
            problems.append(problem)
    return problems


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="ENAMEL: HumanEval with expert-efficient references, expert stress-input "
    "generators at 4 size levels, and eff@k (142 problems; split 'all': 164)",
    loader=load_enamel,
    splits=SPLITS,
    default_split="enamel",
    source=f"--data enamel.csv (q-rz/enamel dataset/enamel.csv) or hub {HUB_ID}",
    traits=BenchmarkTraits(always_stress=True, post_run_metric="effk"),
)


def with_enamel_generators(problems: list[Problem], data: Path | None) -> list[Problem]:
    """HumanEval-based problems with ENAMEL's generator for the same task, and its expert
    solution as the oracle of expected values; problems with a generator already, or with no
    ENAMEL counterpart, are returned unchanged."""
    specs = {
        p.native_id: {**p.metadata.extra["stress"], "oracle": p.references[0]}
        for p in load_enamel(LoadOptions(split="all", data=data))
    }
    out = []
    for problem in problems:
        spec = specs.get(problem.native_id)
        if spec is None or "stress" in problem.metadata.extra:
            out.append(problem)
            continue
        metadata = problem.metadata.model_copy(
            update={"extra": {**problem.metadata.extra, "stress": spec}}
        )
        out.append(problem.model_copy(update={"metadata": metadata}))
    return out
