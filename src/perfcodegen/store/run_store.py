"""A run directory: the resolved config and one SQLite database holding every unit of work.

Each unit of work (model call, judge job, candidate, problem result) is written once, in its
own transaction, under a deterministic key. A rerun of the same command looks each key up
before doing the work, so an interrupted run (even `kill -9`) resumes with nothing repeated
and nothing lost (the SWE-bench harness idea, with SQLite instead of one file per unit).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perfcodegen.config import flat_config
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import JudgeJob, JudgeResult
from perfcodegen.store.records import CallRecord, CandidateRecord, ProblemRecord

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS model_calls (
    key TEXT PRIMARY KEY, problem_id TEXT NOT NULL, candidate_id TEXT, purpose TEXT NOT NULL,
    model TEXT NOT NULL, record TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER,
    latency_s REAL, cache_hit INTEGER, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS model_calls_problem ON model_calls(problem_id);
CREATE TABLE IF NOT EXISTS judge_runs (
    key TEXT PRIMARY KEY, problem_id TEXT NOT NULL, candidate_id TEXT, mode TEXT NOT NULL,
    job TEXT NOT NULL, result TEXT NOT NULL, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS judge_runs_problem ON judge_runs(problem_id);
CREATE TABLE IF NOT EXISTS candidates (
    id TEXT PRIMARY KEY, problem_id TEXT NOT NULL, sample_index INTEGER NOT NULL,
    parent_id TEXT, phase TEXT NOT NULL, method TEXT NOT NULL, verdict TEXT,
    record TEXT NOT NULL, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS candidates_problem ON candidates(problem_id);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
    problem_id TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL,
    updated_at REAL NOT NULL);
"""

CONFIG_FILE = "config.json"
INFORMATIONAL_KEYS = frozenset({"perfcodegen_version", "base_url"})
"""Recorded in config.json but not compared on resume: a new version may finish a run, and
the model's endpoint (kept in the config by earlier versions) does not change results."""
DB_FILE = "run.sqlite"


def config_differences(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The settings in which two config.json contents differ. Compared setting by setting, so
    a config.json in the flat layout of earlier versions resumes, and a refusal names them."""
    before = flat_config(json.loads(json.dumps(previous, default=str)))
    after = flat_config(json.loads(json.dumps(current, default=str)))
    keys = (set(before) | set(after)) - INFORMATIONAL_KEYS
    return sorted(k for k in keys if before.get(k) != after.get(k))


class RunStore:
    """The state of one run. Open with ``RunStore(run_dir)``; safe to reopen after a crash."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.run_dir / DB_FILE, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        version = self._meta("schema_version")
        if version is None:
            self._set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) != SCHEMA_VERSION:
            raise PerfCodegenError(
                f"{self.run_dir} was written by another perfcodegen version "
                f"(schema {version}, expected {SCHEMA_VERSION}); use a new --out directory"
            )

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- config ----------------------------------------------------------------------------
    def save_config(self, config: dict[str, Any]) -> None:
        """Write the resolved config; an existing run must have been started with the same one."""
        path = self.run_dir / CONFIG_FILE
        text = json.dumps(config, indent=2, sort_keys=True, default=str)
        if path.exists():
            changed = config_differences(json.loads(path.read_text()), json.loads(text))
            if changed:
                raise PerfCodegenError(
                    f"{self.run_dir} holds a run with a different configuration "
                    f"(differs in: {', '.join(changed)}); use another --out to start a new run"
                )
            return
        path.write_text(text + "\n")

    def load_config(self) -> dict[str, Any] | None:
        path = self.run_dir / CONFIG_FILE
        return json.loads(path.read_text()) if path.exists() else None

    # -- sessions --------------------------------------------------------------------------
    def record_session(self, details: dict[str, Any]) -> None:
        """One row per start or resume: machine, versions, isolation (`store.provenance`)."""
        with self._db:
            self._db.execute(
                "INSERT INTO sessions (record, created_at) VALUES (?, ?)",
                (json.dumps(details, default=str), time.time()),
            )

    def sessions(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT record FROM sessions ORDER BY id").fetchall()
        return [json.loads(row[0]) for row in rows]

    # -- model calls -----------------------------------------------------------------------
    def get_call(self, key: str) -> CallRecord | None:
        row = self._db.execute("SELECT record FROM model_calls WHERE key=?", (key,)).fetchone()
        return CallRecord.model_validate_json(row[0]) if row else None

    def put_call(self, record: CallRecord) -> None:
        out = record.output
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO model_calls VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.key,
                    record.problem_id,
                    record.candidate_id,
                    record.purpose,
                    record.model,
                    record.model_dump_json(),
                    out.usage.prompt_tokens,
                    out.usage.completion_tokens,
                    out.latency_s,
                    int(out.cached),
                    time.time(),
                ),
            )

    def calls(self, problem_id: str | None = None) -> list[CallRecord]:
        return [
            CallRecord.model_validate_json(r[0]) for r in self._select("model_calls", problem_id)
        ]

    def token_totals(self) -> tuple[int, int]:
        """(prompt, completion) tokens over every recorded model call (for progress lines)."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
            "FROM model_calls"
        ).fetchone()
        return int(row[0]), int(row[1])

    # -- judge runs ------------------------------------------------------------------------
    def get_judge(self, key: str) -> JudgeResult | None:
        row = self._db.execute("SELECT result FROM judge_runs WHERE key=?", (key,)).fetchone()
        return JudgeResult.model_validate_json(row[0]) if row else None

    def put_judge(
        self,
        key: str,
        problem_id: str,
        candidate_id: str | None,
        job: JudgeJob,
        result: JudgeResult,
    ) -> None:
        # The tests are part of the problem; keep the job small: programs, mode and settings.
        job_summary = job.model_dump(mode="json", exclude={"tests"})
        job_summary["test_count"] = len(job.tests)
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO judge_runs VALUES (?,?,?,?,?,?,?)",
                (
                    key,
                    problem_id,
                    candidate_id,
                    job.mode.value,
                    json.dumps(job_summary),
                    result.model_dump_json(),
                    time.time(),
                ),
            )

    def judge_runs(self, problem_id: str) -> list[tuple[dict[str, Any], JudgeResult]]:
        """A problem's judge jobs (programs, mode and settings; no tests) with their results,
        oldest first."""
        rows = self._db.execute(
            "SELECT job, result FROM judge_runs WHERE problem_id=? ORDER BY created_at",
            (problem_id,),
        )
        return [(json.loads(job), JudgeResult.model_validate_json(result)) for job, result in rows]

    def isolation_levels(self) -> set[str]:
        """The judge sandbox levels that results of this run were produced at."""
        rows = self._db.execute(
            "SELECT DISTINCT json_extract(result, '$.isolation') FROM judge_runs"
        ).fetchall()
        return {str(row[0]) for row in rows if row[0] is not None}

    def judge_results(self, problem_id: str | None = None) -> list[tuple[str, JudgeResult]]:
        query = "SELECT key, result FROM judge_runs"
        rows = (
            self._db.execute(query + " WHERE problem_id=? ORDER BY created_at", (problem_id,))
            if problem_id
            else self._db.execute(query + " ORDER BY created_at")
        )
        return [(k, JudgeResult.model_validate_json(r)) for k, r in rows]

    # -- candidates ------------------------------------------------------------------------
    def put_candidate(self, record: CandidateRecord) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO candidates VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    record.id,
                    record.problem_id,
                    record.sample_index,
                    record.parent_id,
                    record.phase,
                    record.method,
                    record.verdict,
                    record.model_dump_json(),
                    time.time(),
                ),
            )

    def candidates(self, problem_id: str | None = None) -> list[CandidateRecord]:
        return [
            CandidateRecord.model_validate_json(r[0])
            for r in self._select("candidates", problem_id)
        ]

    # -- problems --------------------------------------------------------------------------
    def put_problem(self, record: ProblemRecord) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO problems VALUES (?,?,?,?)",
                (record.problem_id, record.status, record.model_dump_json(), time.time()),
            )

    def get_problem(self, problem_id: str) -> ProblemRecord | None:
        row = self._db.execute(
            "SELECT record FROM problems WHERE problem_id=?", (problem_id,)
        ).fetchone()
        return ProblemRecord.model_validate_json(row[0]) if row else None

    def problems(self) -> list[ProblemRecord]:
        return [ProblemRecord.model_validate_json(r[0]) for r in self._select("problems", None)]

    # -- export ----------------------------------------------------------------------------
    def export_jsonl(self, out_dir: Path | None = None) -> list[Path]:
        """Write calls, candidates, judge runs and problems as JSON Lines; returns the files."""
        target = Path(out_dir) if out_dir else self.run_dir / "export"
        target.mkdir(parents=True, exist_ok=True)
        tables: dict[str, Iterator[str]] = {
            "model_calls": (c.model_dump_json() for c in self.calls()),
            "candidates": (c.model_dump_json() for c in self.candidates()),
            "judge_runs": (
                json.dumps({"key": k, "result": json.loads(r.model_dump_json())})
                for k, r in self.judge_results()
            ),
            "problems": (p.model_dump_json() for p in self.problems()),
        }
        written = []
        for name, lines in tables.items():
            path = target / f"{name}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for line in lines:
                    fh.write(line + "\n")
            written.append(path)
        return written

    # -- internals -------------------------------------------------------------------------
    def _select(self, table: str, problem_id: str | None) -> list[tuple[str]]:
        column = "record"
        order = "created_at" if table != "problems" else "updated_at"
        if problem_id is None:
            return self._db.execute(f"SELECT {column} FROM {table} ORDER BY {order}").fetchall()
        return self._db.execute(
            f"SELECT {column} FROM {table} WHERE problem_id=? ORDER BY {order}", (problem_id,)
        ).fetchall()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))
