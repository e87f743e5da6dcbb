"""The progress line of `perfcodegen run` and `eval`: problems finished of a known total, ETA,
how many are solved, tokens spent and model-call retries; the run directory at start and end.
`run_with_progress` runs a planned run under it and turns Ctrl-C into one line that says
what was kept."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from perfcodegen.config import flat_config
from perfcodegen.errors import Interrupted
from perfcodegen.llm.model import RETRY_LOGGER
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.store import RunStore
from perfcodegen.store.run_store import DB_FILE

if TYPE_CHECKING:
    from perfcodegen.pipeline import RunSummary
    from perfcodegen.plan import RunPlan


def plan_from_settings(benchmark: str, settings: dict[str, Any], *, quiet: bool) -> RunPlan:
    """Settings -> config (the API's own path) -> the run's plan: its problems loaded and
    their stress tests drawn, under a spinner unless `quiet`."""
    from perfcodegen.cli._app import console
    from perfcodegen.plan import plan_run
    from perfcodegen.settings import settings_to_config

    config, options = settings_to_config(benchmark, settings)
    if quiet:
        return plan_run(config, options)
    with console.status(f"loading {benchmark} and its tests", spinner="dots"):
        return plan_run(config, options)


def run_with_progress(plan: RunPlan, *, enabled: bool) -> tuple[RunSummary, RunProgress]:
    """Run (or resume) `plan` with the progress line; Ctrl-C keeps what finished and says so."""
    from perfcodegen.api import run_plan
    from perfcodegen.cli._app import console

    run_dir, ids = plan.options.out, [problem.id for problem in plan.problems]
    saved = plan.config.model_dump(mode="json")
    progress = RunProgress(
        console, run_dir,
        total=None if plan.config.method.ecco_fix else len(ids),  # --ecco-fix filters later
        done_before=finished_problems(run_dir, ids, saved), enabled=enabled,
    )  # fmt: skip
    try:
        with progress:
            summary = asyncio.run(run_plan(plan, progress=progress))
    except KeyboardInterrupt:
        kept = finished_problems(run_dir, ids, saved)
        raise Interrupted(
            f"{kept} of {len(ids)} problems finished and kept in {run_dir}; "
            "rerun the same command to resume"
        ) from None
    return summary, progress


def finished_problems(run_dir: Path, problem_ids: list[str], config: dict[str, Any]) -> int:
    """How many of `problem_ids` a previous session of this same run (same configuration)
    finished: those are kept and not redone on resume."""
    if not (run_dir / DB_FILE).exists():
        return 0
    wanted = flat_config(json.loads(json.dumps(config, default=str)))
    with RunStore(run_dir) as store:
        saved = flat_config(store.load_config() or {})
        if any(saved.get(key) != value for key, value in wanted.items()):
            return 0  # another run's directory: the run itself refuses it with a clear error
        done = {p.problem_id for p in store.problems() if p.status == "done"}
    return sum(1 for problem_id in problem_ids if problem_id in done)


def _tokens(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 1000 else str(count)


class _RetryCounter(logging.Handler):
    """Counts the model provider's retry lines and keeps the last one for the progress line."""

    def __init__(self, on_retry: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.last = ""
        self._on_retry = on_retry

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.last = record.getMessage()
        self._on_retry()


class RunProgress:
    """A rich progress bar fed by the pipeline's (event, problem_id) hook.

    `total` is the number of problems selected (None when not known up front), `done_before`
    those a previous session already finished. Disabled, it only counts (for --json)."""

    def __init__(
        self,
        console: Console,
        run_dir: Path,
        total: int | None,
        done_before: int,
        enabled: bool = True,
    ) -> None:
        self.console = console
        self.run_dir = run_dir
        self.total = total
        self.done_before = done_before
        self.enabled = enabled
        self.finished = 0
        self.solved = 0
        self.solved_before = 0
        """Of `done_before`, those solved: the status line counts all finished work."""
        self.errored = 0
        self._retries = _RetryCounter(self._refresh)
        self._store: RunStore | None = None
        self._bar = Progress(  # narrow enough for the status to fit in 80 columns
            BarColumn(bar_width=10),
            MofNCompleteColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self._task: TaskID | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> RunProgress:
        if self.enabled:
            # soft_wrap: a path is never broken across lines (it is copied and pasted)
            self.console.print(
                f"run directory: {escape(str(self.run_dir))}", highlight=False, soft_wrap=True
            )
            if self.done_before:
                of_total = f" of {self.total}" if self.total is not None else ""
                self.console.print(
                    f"resuming: {self.done_before}{of_total} problems already done and kept; "
                    "their model calls and judge runs are not repeated",
                    highlight=False,
                )
        if self.done_before:
            self.solved_before = sum(
                self._is_solved(record.problem_id) for record in self._open_store().problems()
            )
        logger = logging.getLogger(RETRY_LOGGER)
        logger.addHandler(self._retries)
        self._propagate = logger.propagate
        logger.propagate = not self.enabled  # shown in the progress line instead of stderr
        self._bar.__enter__()
        self._task = self._bar.add_task(
            "problems", total=self.total, completed=self.done_before, status=self._status()
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bar.__exit__(kind, value, traceback)
        logger = logging.getLogger(RETRY_LOGGER)
        logger.removeHandler(self._retries)
        logger.propagate = self._propagate
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- the pipeline's hook -----------------------------------------------------------------
    def __call__(self, event: str, problem_id: str) -> None:
        if event == "done":
            self.finished += 1
            self.solved += self._is_solved(problem_id)
        elif event == "error":
            self.finished += 1
            self.errored += 1
        else:
            return  # 'start'; 'skipped' problems are already counted in done_before
        if self._task is not None:
            self._bar.update(self._task, advance=1, status=self._status())

    def _refresh(self) -> None:
        if self._task is not None:
            self._bar.update(self._task, status=self._status())

    def _open_store(self) -> RunStore:
        if self._store is None:
            self._store = RunStore(self.run_dir)
        return self._store

    def _is_solved(self, problem_id: str) -> bool:
        record = self._open_store().get_problem(problem_id)
        if record is None or record.status != "done":
            return False
        outcome = ProblemOutcome.model_validate(record.result)
        return any(candidate.correct for candidate in outcome.candidates)

    def _status(self) -> str:
        parts = []
        if self.finished or self.done_before:  # this session's work and a resumed run's
            finished = self.finished + self.done_before
            parts.append(f"solved {self.solved + self.solved_before}/{finished}")
        if self.errored:
            parts.append(f"[red]errors {self.errored}[/]")
        if (self.finished or self.done_before) and self._store is not None:
            prompt, completion = self._store.token_totals()
            parts.append(f"tok {_tokens(prompt)}+{_tokens(completion)}")
        if self._retries.count:
            reason = self._retries.last.split(": ", 1)[-1].split(";", 1)[0]
            parts.append(f"[yellow]retries {self._retries.count} ({escape(reason)})[/]")
        return " · ".join(parts)

    # -- the closing line --------------------------------------------------------------------
    def closing_line(self) -> str:
        now = self.finished - self.errored
        return (
            f"{self.done_before + now} problems done ({now} now, {self.done_before} before), "
            f"{self.errored} errored; results in {self.run_dir} "
            f"(perfcodegen report {self.run_dir})"
        )
