"""One Python program in the judge's sandbox, its input on stdin and its output back.

For data work on code the judge did not write but need not judge: a benchmark's reference
solutions on its inputs (EvalPlus's expected outputs). The program runs under `sandbox_exec`
(the fork server's namespaces, read-only view and run limits, the judge's clean environment
with only perfcodegen importable), without a judge job's protocol: no tests, no verdicts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Literal

from perfcodegen.judge import wire
from perfcodegen.judge.client import lean_command
from perfcodegen.judge.sandbox import package_dir
from perfcodegen.judge.sandbox_exec import ISOLATION_REFUSED

Status = Literal["ok", "failed", "refused", "timeout"]


@dataclass(frozen=True)
class SandboxedRun:
    status: Status
    """'ok' (exit 0), 'failed' (non-zero exit, or no report from the sandbox), 'refused' (the sandbox is
    weaker than the isolation asked for; nothing ran) or 'timeout'."""
    output: bytes = b""
    """The program's standard output."""
    stderr: bytes = b""

    @property
    def last_error_line(self) -> str:
        lines = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "(no message)"


def run_python(
    source: str,
    stdin: bytes,
    *,
    isolation: str,
    cpu_time_s: float,
    memory_mb: int,
    timeout_s: float,
    file_size_mb: int = 1,
    max_processes: int = 1,
) -> SandboxedRun:
    """`python -c source` in the sandbox, in a fresh temporary working folder."""
    report_r, report_w = os.pipe()  # sandbox_exec's own frames: isolation, then exit
    config = {
        "allow": isolation,
        "report_fd": report_w,
        "memory_mb": memory_mb,
        "cpu_time_s": cpu_time_s,
        "file_size_mb": file_size_mb,
        "max_processes": max_processes,
    }
    command = lean_command(
        "perfcodegen.judge.sandbox_exec.main", json.dumps(config), "--",
        sys.executable, "-c", source,
    )  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="perfcodegen-sandboxed-") as tmp:
            try:
                proc = subprocess.run(
                    command, input=stdin, capture_output=True, timeout=timeout_s, cwd=tmp,
                    env=_environment(), start_new_session=True, pass_fds=(report_w,),
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                return SandboxedRun("timeout")
            finally:
                os.close(report_w)
        report = _read_all(report_r)
    finally:
        os.close(report_r)
    if proc.returncode == ISOLATION_REFUSED:
        return SandboxedRun("refused", stderr=proc.stderr)
    if proc.returncode != 0 or wire.frame_size(report) is None:
        return SandboxedRun("failed", stderr=proc.stderr)
    return SandboxedRun("ok", proc.stdout, proc.stderr)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _environment() -> dict[str, str]:
    """The judge's clean environment (no secrets); only perfcodegen itself is importable."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": package_dir(),
    }
