"""Verdicts on trusted programs, shared by every run of this user.

A benchmark's reference solutions (and the input programs of editing benchmarks) are judged
in every run that uses them, on the same tests with the same limits: HumanEval+ spends as
long re-checking its references as judging the samples. Their check results are content
addressed (`methods.session.job_key`), so a result computed once serves every later run,
as EvalPlus caches its ground truth. Candidate programs are never served from here.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from perfcodegen.judge.model import JudgeResult, Verdict
from perfcodegen.judge.sandbox import isolation_rank
from perfcodegen.paths import user_cache_dir

DEFAULT_FILE = "reference-results.sqlite"


class SharedResults:
    """`at_least`: the run's isolation level; a result judged in a weaker sandbox is not
    served (the run records the level of every result it uses)."""

    def __init__(self, path: Path | None = None, at_least: str = "full") -> None:
        self.path = path or user_cache_dir() / DEFAULT_FILE
        self.at_least = isolation_rank(at_least)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS results "
            "(key TEXT PRIMARY KEY, result TEXT NOT NULL, created_at REAL NOT NULL)"
        )

    def get(self, key: str) -> JudgeResult | None:
        row = self._db.execute("SELECT result FROM results WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        result = JudgeResult.model_validate_json(row[0])
        return result if isolation_rank(result.isolation) >= self.at_least else None

    def put(self, key: str, result: JudgeResult) -> None:
        """Keep `result` unless the sandbox failed (that says nothing about the program)."""
        if any(p.verdict is Verdict.SANDBOX_ERROR for p in result.programs):
            return
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                (key, result.model_dump_json(), time.time()),
            )

    def close(self) -> None:
        self._db.close()
