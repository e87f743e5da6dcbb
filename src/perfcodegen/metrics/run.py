"""Reading a finished (or partly finished) run directory into plain records for scoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from perfcodegen.config import flat_config
from perfcodegen.errors import DataError, PerfCodegenError
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.store import RunStore
from perfcodegen.store.run_store import DB_FILE


@dataclass(frozen=True)
class RunData:
    """One run: its config and one outcome per problem (errored problems have no candidates)."""

    name: str
    path: Path
    config: dict[str, Any]
    outcomes: list[ProblemOutcome]
    errored: list[str] = field(default_factory=list)
    """Problems that ended in an error (reports list them apart from the scored ones)."""
    error_messages: dict[str, str] = field(default_factory=dict)
    """Problem id -> the error it ended in."""

    @property
    def method(self) -> str:
        return str(self.config.get("method", "method"))

    @property
    def paradigm(self) -> str:
        return str(self.config.get("paradigm", "nl2code"))

    @property
    def samples(self) -> int:
        """Samples per problem (config k), or the most samples any problem has."""
        configured = self.config.get("k")
        if isinstance(configured, int) and configured > 0:
            return configured
        return max((o.samples_drawn for o in self.outcomes), default=0)


def load_run(run_dir: Path) -> RunData:
    """Load a run directory; a missing directory or one without results is a user error."""
    path = Path(run_dir)
    if not path.is_dir():
        raise PerfCodegenError(f"run directory not found: {path}")
    if not (path / DB_FILE).exists():
        raise PerfCodegenError(f"{path} is not a perfcodegen run (no {DB_FILE})")
    with RunStore(path) as store:
        config = flat_config(store.load_config() or {})  # settings by their flat names
        records = store.problems()
    if not records:
        raise PerfCodegenError(f"{path} has no finished problems yet; nothing to report")
    outcomes: list[ProblemOutcome] = []
    errored: list[str] = []
    error_messages: dict[str, str] = {}
    for record in records:
        if record.status != "done":
            errored.append(record.problem_id)
            error_messages[record.problem_id] = record.error or record.status
            outcomes.append(ProblemOutcome(problem_id=record.problem_id, candidates=[]))
            continue
        try:
            outcomes.append(ProblemOutcome.model_validate(record.result))
        except ValidationError as exc:
            raise DataError(
                f"{path}: the result of problem {record.problem_id!r} is not a ProblemOutcome "
                f"({exc.error_count()} errors, first: {exc.errors()[0]['msg']})"
            ) from None
    name = str(config.get("name") or path.name)
    return RunData(
        name=name,
        path=path,
        config=config,
        outcomes=outcomes,
        errored=errored,
        error_messages=error_messages,
    )
