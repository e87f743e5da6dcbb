"""Test-side helper: run a program against a Problem's tests in one child process.

Deliberately tiny and independent of the judge: it checks that loaders produce tests that a
reference solution passes (CALL: ==, or |a-b| <= atol for numbers, or the digest; ASSERT: exec the source
with `candidate` bound to the entry point, after `test_setup`).
"""

from __future__ import annotations

import json
import subprocess
import sys

from perfcodegen import plain
from perfcodegen.problems.model import Problem

_CHILD = r"""
import json, math, sys
from perfcodegen import plain
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)
job = json.load(sys.stdin)
ns = {"__name__": "__main__"}
exec(job["program"], ns)
ns["candidate"] = ns[job["entry_point"]]
exec(job["setup"], ns)
failures = []
for index, test in enumerate(job["tests"]):
    try:
        if test["kind"] == "call":
            got = ns["candidate"](*plain.decode(test["args"]))
            want = plain.decode(test["expected"])
            atol = test["atol"] or 1e-6
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (got, want))
            ok = abs(got - want) <= atol if numbers and isinstance(want, float) else got == want
            if test.get("expected_digest"):
                ok = plain.output_digest(got) == test["expected_digest"]
            assert ok, f"got {got!r:.200}"
        else:
            exec(test["assertion"], dict(ns))
    except BaseException as exc:
        failures.append(f"{index}: {type(exc).__name__}: {exc!s:.200}")
print(json.dumps(failures))
"""


def failing_tests(problem: Problem, program: str | None = None, timeout: float = 120) -> list[str]:
    """Descriptions of the tests ``program`` (default: the first reference) fails."""
    job = {
        "program": program if program is not None else problem.references[0],
        "entry_point": problem.entry_point,
        "setup": problem.test_setup,
        "tests": [t.model_dump(mode="json") for t in problem.tests],
    }
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        return [f"child crashed: {proc.stderr.strip()[-300:]}"]
    result: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


__all__ = ["failing_tests", "plain"]
