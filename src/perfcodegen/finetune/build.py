"""`perfcodegen finetune build`: a benchmark's train split -> ECCO fine-tuning data (§4.3).

Steps: load the train problems; drop every problem that the evaluation split also has (by
CodeNet problem id, so no edit pair of an evaluation problem leaks in); format each example
(vanilla, exec or trajectory); drop duplicates (same prompt and target); split train and
validation by problem, so that no problem is on both sides; write

- ``train.jsonl`` and ``validation.jsonl``: chat rows ``{"messages": [user, assistant], ...}``;
- ``dataset/``: the same as a Hugging Face ``DatasetDict`` (``datasets.load_from_disk``);
- ``manifest.json``: the settings and every count (kept, duplicates, excluded, skipped).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from perfcodegen.errors import DataError, PerfCodegenError, require
from perfcodegen.finetune.execution import ProgressCallback, input_program_feedback
from perfcodegen.finetune.formats import (
    EDIT_ONLY_FORMATS,
    FormatName,
    Paradigm,
    TrainingExample,
    exec_example,
    trajectory_example,
    vanilla_example,
)
from perfcodegen.finetune.trajectory import trajectories
from perfcodegen.methods.ecco_examples import origin_of
from perfcodegen.problems import _io
from perfcodegen.problems.registry import LoadOptions, get_benchmark, load_benchmark
from perfcodegen.vocabulary import Problem

MANIFEST = "manifest.json"
DATASET_DIR = "dataset"
SPLIT_FILES = {"train": "train.jsonl", "validation": "validation.jsonl"}


class BuildSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    benchmark: str
    format: FormatName = "vanilla"
    paradigm: Paradigm = "edit"
    data: Path | None = None
    load_options: dict[str, str] = Field(default_factory=dict)
    train_split: str | None = "train"
    """None: the benchmark's only data (PIE's --data file is its train pairs)."""
    eval_split: str | None = "test"
    """Problems of this split (when the benchmark has it) never enter the training data."""
    eval_data: list[Path] = Field(default_factory=list)
    """More evaluation files (JSONL rows with `problem_id`), e.g. PIE's test pairs."""
    validation_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    seed: int = 0
    repeats: int = Field(default=5, ge=1)
    """Timed runs per public test when judging input programs (exec)."""
    workers: int | None = None
    isolation: Literal["full", "partial", "none"] = "full"


class BuildReport(BaseModel):
    settings: dict[str, Any]
    train_problems: int
    excluded_eval_problems: list[str]
    skipped: int
    """Train problems without a usable target (no reference, or an input equal to it)."""
    duplicates: int
    examples: dict[str, int]
    origins: dict[str, int]


def build(
    settings: BuildSettings, out: Path, progress: ProgressCallback | None = None
) -> BuildReport:
    """Build the data into `out` (rerunning resumes the judging of exec inputs)."""
    if settings.format in EDIT_ONLY_FORMATS and settings.paradigm != "edit":
        raise PerfCodegenError(
            f"--method {settings.format} needs --paradigm edit: ECCO conditions on input programs"
        )
    problems = _load(settings, settings.train_split)
    held_out = evaluation_origins(settings)
    kept = [p for p in problems if origin_of(p) not in held_out]
    excluded = sorted({origin_of(p) for p in problems} & held_out)
    out.mkdir(parents=True, exist_ok=True)
    examples, skipped = _examples(settings, kept)
    unique, duplicates = deduplicate(examples)
    if settings.format == "exec":  # after de-duplication: each input program is judged once
        unique = _conditioned_on_execution(settings, unique, kept, out, progress)
    if not unique:
        raise DataError(
            f"no {settings.format} training example could be built from {len(kept)} train "
            f"problems of {settings.benchmark} ({len(excluded)} evaluation problems excluded)"
        )
    splits = split_by_origin(unique, settings.validation_fraction, settings.seed)
    _write(out, splits)
    report = BuildReport(
        settings=settings.model_dump(mode="json"),
        train_problems=len(problems),
        excluded_eval_problems=excluded,
        skipped=skipped,
        duplicates=duplicates,
        examples={name: len(rows) for name, rows in splits.items()},
        origins={name: len({e.origin for e in rows}) for name, rows in splits.items()},
    )
    (out / MANIFEST).write_text(report.model_dump_json(indent=2) + "\n")
    return report


def _load(settings: BuildSettings, split: str | None) -> list[Problem]:
    variant = get_benchmark(settings.benchmark).traits.default_variant(settings.paradigm)
    options = LoadOptions(
        split=split, data=settings.data, variant=variant, extra=dict(settings.load_options)
    )
    return load_benchmark(settings.benchmark, options)


def evaluation_origins(settings: BuildSettings) -> set[str]:
    """The problems of the evaluation split and of every --eval-data file."""
    origins: set[str] = set()
    info = get_benchmark(settings.benchmark)
    if settings.eval_split is not None and settings.eval_split in info.splits:
        origins.update(origin_of(p) for p in _load(settings, settings.eval_split))
    for path in settings.eval_data:
        origins.update(
            str(_io.field(row, "problem_id", f"{path}:{line}"))
            for line, row in _io.read_jsonl(path)
        )
    if not origins:
        raise PerfCodegenError(
            f"{settings.benchmark} has no {settings.eval_split!r} split to hold out: pass "
            "--eval-data FILE (JSONL rows with problem_id) naming the evaluation problems"
        )
    return origins


def _examples(
    settings: BuildSettings, problems: list[Problem]
) -> tuple[list[TrainingExample], int]:
    """Vanilla examples (exec conditions them later) or trajectory examples; and the skipped."""
    if settings.format == "trajectory":
        found = trajectories(problems)
        if not found:
            raise DataError(
                "no trajectory: trajectory-conditioned data needs train pairs with user_id, "
                "submission ids and CPU times (PIE rows carry them) and at least 3 programs "
                "by one user for one problem"
            )
        return [
            trajectory_example(
                f"{settings.benchmark}/{t.problem_id}/{t.user_id}",
                t.problem_id,
                [s.code for s in t.inputs],
                t.target.code,
            )
            for t in found
        ], 0
    examples = [vanilla_example(p, settings.paradigm) for p in problems]
    usable = [e for e in examples if e is not None]
    return usable, len(examples) - len(usable)


def _conditioned_on_execution(
    settings: BuildSettings,
    examples: list[TrainingExample],
    problems: list[Problem],
    out: Path,
    progress: ProgressCallback | None,
) -> list[TrainingExample]:
    by_id = {p.id: p for p in problems}
    feedback = asyncio.run(
        input_program_feedback(
            [by_id[e.id] for e in examples], out, benchmark=settings.benchmark,
            repeats=settings.repeats, workers=settings.workers, isolation=settings.isolation,
            progress=progress,
        )
    )
    return [exec_example(e, feedback[e.id]) for e in examples]


def deduplicate(examples: Iterable[TrainingExample]) -> tuple[list[TrainingExample], int]:
    """First of each (prompt, target); also the count dropped."""
    seen: set[str] = set()
    unique = []
    total = 0
    for example in examples:
        total += 1
        if example.content_key not in seen:
            seen.add(example.content_key)
            unique.append(example)
    return unique, total - len(unique)


def split_by_origin(
    examples: Sequence[TrainingExample], fraction: float, seed: int
) -> dict[str, list[TrainingExample]]:
    """Whole problems go to validation, chosen by a seeded hash of their id.

    ceil(fraction x problems) problems are held out (none when fraction is 0 or there is only
    one problem), so one problem's pairs are never on both sides.
    """
    origins = sorted({e.origin for e in examples})
    count = math.ceil(fraction * len(origins)) if fraction > 0 and len(origins) > 1 else 0
    ranked = sorted(origins, key=lambda o: hashlib.sha256(f"{seed}:{o}".encode()).hexdigest())
    validation = set(ranked[:count])
    return {
        "train": [e for e in examples if e.origin not in validation],
        "validation": [e for e in examples if e.origin in validation],
    }


def _write(out: Path, splits: dict[str, list[TrainingExample]]) -> None:
    for name, rows in splits.items():
        text = "".join(json.dumps(e.row(), ensure_ascii=False) + "\n" for e in rows)
        (out / SPLIT_FILES[name]).write_text(text, encoding="utf-8")
    datasets: Any = require("datasets", "finetune")
    dataset_dict = datasets.DatasetDict(
        {name: datasets.Dataset.from_list([e.row() for e in rows]) for name, rows in splits.items()}
    )
    shown = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # a few rows: no bars on the command's output
    try:
        dataset_dict.save_to_disk(str(out / DATASET_DIR))
    finally:
        if shown:
            datasets.enable_progress_bars()


def read_split(data: Path, split: str) -> list[dict[str, Any]]:
    """The chat rows of a built split (`train` or `validation`)."""
    path = data / SPLIT_FILES[split]
    if not path.is_file():
        raise DataError(f"{path} not found: build the data first (perfcodegen finetune build)")
    return [row for _, row in _io.read_jsonl(path)]


def read_manifest(data: Path) -> BuildReport:
    path = data / MANIFEST
    if not path.is_file():
        raise DataError(f"{path} not found: build the data first (perfcodegen finetune build)")
    return BuildReport.model_validate_json(path.read_text())
