"""User-facing errors.

Anything raised as a ``PerfCodegenError`` is printed by the CLI as one clear message with
a non-zero exit code and no traceback. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class PerfCodegenError(Exception):
    """An error caused by the user's input or environment, with a message that says what to do."""

    exit_code: int = 2


class DataError(PerfCodegenError):
    """A dataset is missing or malformed (names the file, line and field where known)."""


class UnknownNameError(PerfCodegenError):
    """An unknown benchmark, model provider, method, ... (lists the known ones)."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind, self.name, self.known = kind, name, list(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(sorted(self.known))}")


class MissingExtraError(PerfCodegenError):
    """An optional heavy dependency is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"this feature needs the '{module}' package: pip install 'perfcodegen[{extra}]'"
        )


def require(module: str, extra: str) -> object:
    """Import an optional dependency lazily, or raise a clear install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module, extra) from exc


class Interrupted(PerfCodegenError):
    """The user pressed Ctrl-C; the message says what was kept and how to resume."""

    exit_code = 130


class SettingError(PerfCodegenError):
    """A setting's value is not allowed: names the setting as the caller spells it (the
    keyword of `perfcodegen.evaluate`, `--measure` on the command line)."""

    def __init__(self, setting: str, reason: str) -> None:
        self.setting, self.reason = setting, reason
        super().__init__(f"{setting}: {reason}")

    @classmethod
    def first_of(cls, errors: list[dict[str, object]]) -> SettingError:
        """The first error of a pydantic `ValidationError.errors()`, named by its flat
        setting name (the last part of its location: 'measure', not 'measurement.measure')."""
        first = errors[0]
        location = [str(part) for part in first.get("loc", ()) or ()]  # type: ignore[attr-defined]
        names = [part for part in location if not part.isdigit()]
        return cls(names[-1] if names else "setting", str(first.get("msg", "invalid value")))
