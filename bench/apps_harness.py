"""APPS's own verdict on a program, as the APPS repository's `eval/testing_util.py` gives it.

Used by `harness_agreement.py` as the "theirs" side for APPS. The comparison cascade is
APPS's, step by step (rewritten here, not copied):
- call-based: a tuple result becomes a list; it passes when it equals the stored output, or the
  stored output's first element, or (a list of tuples) its tuples as lists equal that element;
  dict inputs/outputs get int keys back where every key is an integer string;
- stdin/stdout: the captured lines pass when the whole text, stripped, equals the expected
  text stripped (also with each line stripped); else when the non-empty lines equal the
  expected non-empty stripped lines; else when both read as floats and are `np.allclose`
  (rtol 1e-5, atol 1e-8, same count); else when the lines as sets of whitespace-separated
  tokens are the same set of sets (order and repeats ignored), or the same once each token is
  rounded to 3 decimals.
A test passes only if the program ran without raising (SystemExit counts as a normal end).
Every test has APPS's 4 s limit.

How the program runs is APPS's too, with one exception that we name: APPS prepends a block
of imports (`PREAMBLE`) to every program, and wraps a stdin program's code into a function of
a module named `tmp_sol`, so a program whose work sits under `if __name__ == "__main__":`
prints nothing there. Every evaluation of these generations that we know of (MapCoder's
included) runs them as scripts, so here a stdin program runs as `__main__` with the test's
input on fd 0 and fd 1 captured, after the preamble. A call-based program is loaded once per
sample, as APPS loads it as one module, and each test is one call.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
from typing import Any

from perfcodegen.judge.compare import apps_stdout_equal

TIMEOUT_S = 4.0
PREAMBLE = (
    "import sys\nimport time\nimport itertools\nfrom itertools import accumulate, product, "
    "permutations, combinations\nimport collections\nfrom collections import Counter, "
    "OrderedDict, deque, defaultdict, ChainMap\nfrom functools import lru_cache\nimport math\n"
    "from math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, exp, log, log2\n"
    "import fractions\nfrom typing import List, Tuple\nimport numpy as np\nimport random\n"
    "import heapq\nfrom heapq import *\n"
)
"""The imports APPS's `run_test` puts before every program."""

_RUNNER = r"""
import json, os, signal, sys, tempfile, time
spec = json.loads(sys.stdin.read())
exec(compile(spec["preamble"], "<preamble>", "exec"), {"__name__": "__preamble__"})
code = compile(spec["preamble"] + spec["program"], "<solution>", "exec")
target = None
if spec["call"] is not None:
    module = {"__name__": "tmp_sol"}
    try:
        exec(code, module)
        holder = module["Solution"]() if spec["call"]["class_based"] else None
        target = getattr(holder, spec["call"]["name"]) if holder else module[spec["call"]["name"]]
    except BaseException:
        print(json.dumps([["error", ""]] * len(spec["tests"])))
        sys.exit(0)
results = []
for test in spec["tests"]:
    infile, outfile = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    infile.write((test["input"] if target is None else "").encode())
    infile.seek(0)
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.dup2(infile.fileno(), 0)
            os.dup2(outfile.fileno(), 1)
            try:
                if target is None:
                    exec(code, {"__name__": "__main__"})
                else:
                    result = target(*test["input"])
                    sys.stdout.flush()
                    sys.stdout.write("\n@@RESULT@@" + repr(result))
            except SystemExit:  # APPS's call_method swallows it, whatever the code
                pass
            sys.stdout.flush()
        except BaseException:
            status = 1
        os._exit(status)
    deadline = time.monotonic() + spec["timeout"]
    while True:
        done, code_ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            code_ = None
            break
        time.sleep(0.002)
    outfile.seek(0)
    text = outfile.read().decode("utf-8", "replace")
    state = "timeout" if code_ is None else ("ok" if os.waitstatus_to_exitcode(code_) == 0 else "error")
    results.append([state, text])
    if state != "ok":
        break
print(json.dumps(results))
"""
"""One interpreter per sample, as APPS's `run_test` loads one module per sample; it imports
the preamble once and forks a process per test, with the test's input on fd 0 and fd 1 a
file, killed after `TIMEOUT_S` of wall time (APPS's `signal.alarm(4)`)."""


def _int_keys(value: Any) -> Any:
    try:
        return {int(k): v for k, v in value.items()}
    except (ValueError, TypeError, AttributeError):
        return value


def call_passes(output: Any, expected: Any) -> bool:
    """APPS's call-based comparison of one result."""
    if isinstance(expected, dict):
        expected = [_int_keys(expected)]
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        expected = [_int_keys(expected[0])]
    if isinstance(output, tuple):
        output = list(output)
    ok = bool(output == expected)
    if isinstance(expected, list) and expected:
        ok = ok or bool(output == expected[0])
    try:
        if isinstance(output[0], tuple):
            ok = ok or [list(x) for x in output] == expected[0]
    except (TypeError, IndexError, KeyError):
        pass
    return ok


def stdio_passes(stdout: str, expected: Any) -> bool:
    """APPS's stdin/stdout cascade (`perfcodegen.judge.compare.apps_stdout_equal`, the one
    implementation, which the APPS loader's tests use too)."""
    wanted = "\n".join(expected) if isinstance(expected, list) else str(expected)
    return apps_stdout_equal(stdout, wanted)


def apps_verdict(program: str, tests: list[dict[str, Any]], call: dict[str, Any] | None) -> str:
    """'passed', or why the first failing test failed (APPS runs them all; we stop there).

    `tests`: {"input": stdin text or argument list, "output": stored output}; `call`: None for
    stdin programs, else {"name", "class_based"}."""
    inputs = []
    for test in tests:
        args = test["input"]
        if call is not None and args and isinstance(args[0], dict):  # APPS: JSON keys to ints
            converted = _int_keys(args[0])
            args = [converted] if converted is not args[0] else args
        inputs.append({"input": args})
    spec = {"preamble": PREAMBLE, "program": program, "call": call, "tests": inputs,
            "timeout": TIMEOUT_S}
    with tempfile.TemporaryDirectory() as folder:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _RUNNER], input=json.dumps(spec).encode(),
                capture_output=True, cwd=folder, check=False, timeout=60 + TIMEOUT_S * len(tests),
            )
            results = json.loads(done.stdout.decode().strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError):
            return "the harness did not answer"
    for index, ((state, text), test) in enumerate(zip(results, tests, strict=False)):
        if state != "ok":
            return f"test {index}: {state}"
        if call is None:
            if not stdio_passes(text, test["output"]):
                return f"test {index}: wrong answer"
            continue
        marker = text.rfind("\n@@RESULT@@")
        try:
            result = ast.literal_eval(text[marker + len("\n@@RESULT@@") :]) if marker >= 0 else None
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return f"test {index}: result not a literal"
        if marker < 0 or not call_passes(result, test["output"]):
            return f"test {index}: wrong answer"
    return "passed" if len(results) == len(tests) else "the harness stopped early"
