"""Loader: PIE (Shypula et al. 2024), (slow, fast) Python pairs from CodeNet.

Each JSONL row (``--data``, e.g. pie-perf's ``py_reference.jsonl``) becomes a history-based
editing problem: ``input_program`` = `input` (slow), ``references`` = [`target` (fast)].
The statement and the public stdin/stdout tests come from the CodeNet problem page
(``extra["descriptions"]``: ``problem_descriptions.tar.gz`` or a folder of ``pNNNNN.html``);
see :mod:`perfcodegen.problems.codenet`. ``extra["problem_list"]`` (CodeNet's
``problem_list.csv``) adds time and memory limits.

PIE's own test cases (public and generated) are not part of the shared data, so problems have
only the statement's samples, all public, and no private tests; ``metadata.extra`` says so.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from perfcodegen.errors import DataError
from perfcodegen.problems import _io, codenet
from perfcodegen.problems.info import BenchmarkInfo, LoadOptions
from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, make_id

logger = logging.getLogger(__name__)

BENCHMARK = "pie"
CODENET_COLUMNS = (
    "user_id",
    "submission_id_v0",
    "submission_id_v1",
    "cpu_time_v0",
    "cpu_time_v1",
    "memory_v0",
    "memory_v1",
    "improvement_frac",
    "measured_runtime_v0",
    "measured_runtime_v1",
    "runtime_lift",
)
"""Row fields copied into ``metadata.extra["codenet"]`` when present (cpu_time ms, memory KB)."""
NO_PRIVATE_TESTS = (
    "PIE's test cases are not in the shared data: only the statement's sample tests (public) "
    "are available, and there are no private tests"
)


def load_pie(options: LoadOptions) -> list[Problem]:
    if options.data is None:
        raise DataError(
            "pie needs --data PATH: a JSONL of (slow, fast) pairs with fields problem_id, input, "
            "target (e.g. data/sample/py_reference.jsonl of madaan/pie-perf)"
        )
    descriptions_path = options.extra.get("descriptions")
    if not descriptions_path:
        raise DataError(
            "pie needs the CodeNet problem pages for statements and sample tests: pass extra "
            "descriptions=PATH (problem_descriptions.tar.gz or a folder of pNNNNN.html)"
        )
    rows = [(f"{options.data}:{lineno}", row) for lineno, row in _io.read_jsonl(options.data)]
    problem_ids = {_io.field(row, "problem_id", where) for where, row in rows}
    pages = codenet.read_descriptions(Path(descriptions_path), problem_ids)
    missing = sorted(problem_ids - set(pages))
    if missing:
        logger.warning("pie: no CodeNet page for %d problems (e.g. %s)", len(missing), missing[0])
    list_path = options.extra.get("problem_list")
    limits = codenet.read_problem_list(Path(list_path)) if list_path else {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    pair_counts: dict[str, int] = {}
    for where, row in rows:
        problem_id = _io.field(row, "problem_id", where)
        pair_index = pair_counts.get(problem_id, 0)
        pair_counts[problem_id] = pair_index + 1
        problem = _problem(where, row, pair_index, pages.get(problem_id), limits.get(problem_id))
        if problem.native_id in seen:
            raise DataError(
                f"{where}: pair {problem.native_id!r} repeats {seen[problem.native_id]}"
            )
        seen[problem.native_id] = where
        problems.append(problem)
    return problems


def _problem(
    where: str,
    row: dict[str, Any],
    pair_index: int,
    page: codenet.Description | None,
    limits: codenet.ProblemLimits | None,
) -> Problem:
    problem_id = _io.field(row, "problem_id", where)
    slow = _io.field(row, "input", where)
    fast = _io.field(row, "target", where)
    slow_id, fast_id = row.get("submission_id_v0"), row.get("submission_id_v1")
    pair = f"{slow_id}-{fast_id}" if slow_id and fast_id else str(pair_index)
    native_id = f"{problem_id}/{pair}"
    tests = [
        TestCase.stdio(s.stdin, s.expected_stdout, public=True, name=f"sample/{s.number}")
        for s in (page.samples if page else [])
    ]
    extra: dict[str, Any] = {
        "problem_id": problem_id,
        "codenet": {k: row[k] for k in CODENET_COLUMNS if row.get(k) is not None},
        "private_tests": NO_PRIVATE_TESTS,
    }
    if page is None:
        extra["missing_description"] = True
    if limits is not None:
        extra.update(problem_name=limits.name, dataset=limits.dataset)
    return Problem(
        id=make_id(BENCHMARK, native_id),
        benchmark=BENCHMARK,
        native_id=native_id,
        statement=page.text if page else "",
        prompt=slow,
        input_program=slow,
        references=[fast],
        tests=tests,
        metadata=ProblemMetadata(
            time_limit_s=limits.time_limit_s if limits else None,
            memory_limit_mb=limits.memory_limit_mb if limits else None,
            extra=extra,
        ),
    )


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="PIE (slow, fast) Python pairs from CodeNet; public tests from the statements",
    loader=load_pie,
    source="--data PIE JSONL (e.g. pie-perf py_reference.jsonl) + extra descriptions=CodeNet "
    "problem_descriptions.tar.gz [+ problem_list=problem_list.csv]; no hub copy",
)
