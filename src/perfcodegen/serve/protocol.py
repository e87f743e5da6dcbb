"""The Judge0 submissions protocol, as far as perfcodegen speaks it (both sides).

Pure data and mappings, no web framework: `perfcodegen serve` uses it to answer Judge0
clients, and the Judge0 client backend uses it to read a Judge0 server's answers.
Field names, status ids and defaults follow Judge0 CE 1.13 (docs/scale-out.md).
"""

from __future__ import annotations

import base64
import binascii
import platform

from pydantic import BaseModel, ConfigDict, Field

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import Limits, Verdict
from perfcodegen.serve.caps import LimitCaps

JUDGE0_VERSION = "1.13.1"
"""What /about reports: the Judge0 release whose API (and language ids) we follow."""

STATUSES: dict[int, str] = {
    1: "In Queue",
    2: "Processing",
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    7: "Runtime Error (SIGSEGV)",
    8: "Runtime Error (SIGXFSZ)",
    9: "Runtime Error (SIGFPE)",
    10: "Runtime Error (SIGABRT)",
    11: "Runtime Error (NZEC)",
    12: "Runtime Error (Other)",
    13: "Internal Error",
    14: "Exec Format Error",
}
IN_QUEUE, PROCESSING, ACCEPTED = 1, 2, 3

PYTHON_LANGUAGE_IDS = (71, 92, 100, 109, 113)
"""Judge0 CE's Python 3 ids (3.8.1, 3.11.2, 3.12.5, 3.13.2, 3.14); all run this interpreter."""

_VERDICT_STATUS = {
    Verdict.PASSED: 3,
    Verdict.WRONG_ANSWER: 4,
    Verdict.TIMEOUT: 5,
    # Judge0 runs Python without a compile step: a syntax error is a non-zero exit there.
    Verdict.SYNTAX_ERROR: 11,
    Verdict.RUNTIME_ERROR: 11,
    Verdict.MEMORY_LIMIT: 11,
    Verdict.OUTPUT_LIMIT: 12,
    Verdict.SANDBOX_ERROR: 13,
}


def status_for(verdict: Verdict) -> dict[str, int | str]:
    status_id = _VERDICT_STATUS[verdict]
    return {"id": status_id, "description": STATUSES[status_id]}


def verdict_for(status_id: int, stderr: str | None) -> Verdict:
    """A finished Judge0 submission's verdict in perfcodegen's terms (the last stderr line
    tells a Python syntax or memory error from other non-zero exits)."""
    if status_id == 3:
        return Verdict.PASSED
    if status_id == 4:
        return Verdict.WRONG_ANSWER
    if status_id == 5:
        return Verdict.TIMEOUT
    if status_id == 6:
        return Verdict.SYNTAX_ERROR
    if status_id == 8:
        return Verdict.OUTPUT_LIMIT
    if 7 <= status_id <= 12:
        last = (stderr or "").strip().rsplit("\n", 1)[-1]
        if last.startswith(("SyntaxError", "IndentationError", "TabError")):
            return Verdict.SYNTAX_ERROR
        if last.startswith("MemoryError"):
            return Verdict.MEMORY_LIMIT
        return Verdict.RUNTIME_ERROR
    return Verdict.SANDBOX_ERROR


def languages() -> list[dict[str, int | str]]:
    version = platform.python_version()
    return [{"id": i, "name": f"Python ({version})"} for i in PYTHON_LANGUAGE_IDS]


def about() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "version": JUDGE0_VERSION,
        "homepage": "perfcodegen serve",
        "source_code": "perfcodegen",
        "maintainer": f"perfcodegen {version('perfcodegen')} (Judge0-compatible API)",
    }


class Judge0Submission(BaseModel):
    """A Judge0 submission request. Fields perfcodegen does not use are accepted and ignored
    (compiler options, callbacks, additional files, network)."""

    model_config = ConfigDict(extra="ignore")

    source_code: str
    language_id: int
    stdin: str | None = None
    expected_output: str | None = None
    cpu_time_limit: float | None = Field(default=None, gt=0)
    wall_time_limit: float | None = Field(default=None, gt=0)
    memory_limit: int | None = Field(default=None, gt=0)
    """Kilobytes."""
    max_processes_and_or_threads: int | None = Field(default=None, ge=1)
    max_file_size: int | None = Field(default=None, gt=0)
    """Kilobytes."""
    number_of_runs: int | None = Field(default=None, ge=1)
    """At most the service's `max_number_of_runs` (`caps`)."""

    def decoded(self, base64_encoded: bool) -> Judge0Submission:
        """The same submission with its text fields decoded from base64 when they are."""
        if not base64_encoded:
            return self
        return self.model_copy(
            update={
                name: b64decode(getattr(self, name))
                for name in ("source_code", "stdin", "expected_output")
                if getattr(self, name) is not None
            }
        )


LIMIT_FIELDS = ("cpu_time_limit", "wall_time_limit", "memory_limit",
                "max_processes_and_or_threads", "max_file_size", "number_of_runs")
"""The submission fields that `caps.LimitCaps` bounds."""


def b64decode(text: str) -> str:
    try:
        return base64.b64decode(text, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise PerfCodegenError(f"a field is not valid base64-encoded UTF-8 ({exc})") from exc


def b64encode(text: str | None) -> str | None:
    return None if text is None else base64.b64encode(text.encode("utf-8")).decode("ascii")


ENCODED_FIELDS = ("source_code", "stdin", "expected_output", "stdout", "stderr", "compile_output")


def config_info(
    max_queue_size: int, max_batch: int, caps: LimitCaps, limits: Limits
) -> dict[str, object]:
    """Judge0's /config_info (the official SDK reads it when a client is created): the
    service's default limits and its maxima."""
    return {
        "maintenance_mode": False,
        "enable_wait_result": True,
        "enable_compiler_options": False,
        "allowed_languages_for_compile_options": [],
        "enable_command_line_arguments": False,
        "enable_submission_delete": False,
        "enable_callbacks": False,
        "callbacks_max_tries": 0,
        "callbacks_timeout": 0.0,
        "enable_additional_files": False,
        "max_queue_size": max_queue_size,
        "cpu_time_limit": limits.cpu_time_s,
        "max_cpu_time_limit": caps.max_cpu_time_limit,
        "cpu_extra_time": 0.0,
        "max_cpu_extra_time": 0.0,
        "wall_time_limit": limits.wall_time_s,
        "max_wall_time_limit": caps.max_wall_time_limit,
        "memory_limit": limits.memory_mb * 1024,
        "max_memory_limit": caps.max_memory_limit,
        "stack_limit": 64000,
        "max_stack_limit": 128000,
        "enable_per_process_and_thread_time_limit": False,
        "allow_enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "allow_enable_per_process_and_thread_memory_limit": False,
        "max_processes_and_or_threads": limits.max_processes,
        "max_max_processes_and_or_threads": caps.max_max_processes_and_or_threads,
        "max_file_size": limits.file_size_mb * 1024,
        "max_max_file_size": caps.max_max_file_size,
        "number_of_runs": 1,
        "max_number_of_runs": caps.max_number_of_runs,
        "redirect_stderr_to_stdout": False,
        "max_extract_size": 0,
        "enable_batched_submissions": True,
        "max_submission_batch_size": max_batch,
        "submission_cache_duration": 0.0,
        "use_docs_as_homepage": False,
        "enable_network": False,
        "allow_enable_network": False,
    }
