"""Run directories: SQLite state, resumable; JSONL export."""

from perfcodegen.store.records import CallRecord, CandidateRecord, ProblemRecord
from perfcodegen.store.run_store import RunStore

__all__ = ["CallRecord", "CandidateRecord", "ProblemRecord", "RunStore"]
