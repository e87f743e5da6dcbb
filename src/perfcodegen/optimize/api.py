"""The Python API: `optimize(func, tests=..., model=...)`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from perfcodegen.errors import PerfCodegenError
from perfcodegen.optimize.loop import OptimizeOptions, OptimizeResult, optimize_sync
from perfcodegen.optimize.target import load_target, parse_spec


def optimize(
    func: Callable[..., Any] | str,
    *,
    model: str,
    tests: Sequence[str | Path] = (),
    apply: bool = False,
    **options: Any,
) -> OptimizeResult:
    """Find a faster version of `func` (a function, or "FILE::FUNCTION") with `model`.

    `tests` are pytest files whose calls to the function are captured as inputs; other
    keyword arguments are `OptimizeOptions` fields (base_url, sizes, rounds, ...). With
    `apply=True` an accepted version is written into the function's file (backup:
    `<file>.orig`). Must not be called from a running event loop.
    """
    if isinstance(func, str):
        path, name = parse_spec(func)
    else:
        source_file = inspect.getsourcefile(func)
        if source_file is None:
            raise PerfCodegenError(f"the source file of {func!r} is not known")
        path, name = Path(source_file), func.__name__
    settings = OptimizeOptions(model=model, tests=tuple(Path(t) for t in tests), **options)
    result = optimize_sync(load_target(path, name), settings)
    if apply and result.found:
        from perfcodegen.optimize.report import apply as write_back

        write_back(result)
    return result
