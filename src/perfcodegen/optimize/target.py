"""The function to optimise, in its module: where it is, what it needs, how to swap it.

A `Target` is read with `ast` only; the user's module is never imported by perfcodegen's
own process. Programs given to the judge are the whole module source (its imports and
helpers) with the function replaced, plus a wrapper that returns the result together with
the arguments after the call, so that side effects on mutable arguments are compared too.
"""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

from perfcodegen.errors import PerfCodegenError

OBSERVED = "_perfcodegen_observed"
"""The wrapper every judged program exposes: returns [result, list(args) after the call]."""


@dataclass(frozen=True)
class Target:
    path: Path
    function: str
    source: str
    """The whole module."""
    start: int
    """First line of the function (decorators included), 1-based."""
    end: int
    """Last line of the function, 1-based."""
    annotations: tuple[str | None, ...]
    """Each positional parameter's annotation source (None when missing)."""
    docstring: str
    names: tuple[str, ...] = ()
    """Each positional parameter's name."""

    @property
    def function_source(self) -> str:
        lines = self.source.splitlines(keepends=True)
        return "".join(lines[self.start - 1 : self.end])

    @property
    def parameters(self) -> int:
        return len(self.annotations)

    def with_function(self, function_source: str) -> str:
        """The module source with the function replaced by `function_source`; the original's
        docstring (doctests included) and return annotation are kept where the new version
        dropped them (`keep_documentation`)."""
        lines = self.source.splitlines(keepends=True)
        body = keep_documentation(self.function_source, textwrap.dedent(function_source), self.function)
        return "".join([*lines[: self.start - 1], body.rstrip("\n") + "\n", *lines[self.end :]])

    def judged_program(self, module_source: str | None = None) -> str:
        """A module source (the original by default) with the observing wrapper appended."""
        program = self.source if module_source is None else module_source
        return (
            f"{program.rstrip()}\n\n\ndef {OBSERVED}(*args):\n"
            f"    result = {self.function}(*args)\n"
            "    return [result, list(args)]\n"
        )


def _function_node(source: str, name: str) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _header_colon(source: str, node: ast.FunctionDef) -> tuple[int, int] | None:
    """(line, column) of the colon that ends `node`'s `def` header."""
    depth, seen_def = 0, False
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if not seen_def:
                seen_def = token.start == (node.lineno, node.col_offset) and token.string == "def"
                continue
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth -= 1
            elif token.type == tokenize.OP and token.string == ":" and depth == 0:
                return token.start
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def keep_documentation(original: str, new: str, name: str) -> str:
    """`new` (source holding the function `name`) with the docstring and the return
    annotation of the function in `original` wherever `new` has none: a faster version keeps
    the documentation, doctests and types it replaces. Unparsable sources are left as given."""
    old_node = _function_node(textwrap.dedent(original), name)
    node = _function_node(new, name)
    if old_node is None or node is None:
        return new
    old_source = textwrap.dedent(original)
    lines = new.splitlines(keepends=True)
    if node.returns is None and old_node.returns is not None:
        colon = _header_colon(new, node)
        annotation = ast.get_source_segment(old_source, old_node.returns)
        if colon is not None and annotation:
            row, column = colon
            line = lines[row - 1]
            lines[row - 1] = f"{line[:column].rstrip()} -> {annotation}{line[column:]}"
    docstring = old_node.body[0]
    first = node.body[0]
    if (
        ast.get_docstring(old_node) is not None
        and ast.get_docstring(node) is None
        and first.lineno > node.lineno  # a body on the `def` line has no room for one
        and docstring.end_lineno is not None
    ):
        old_lines = old_source.splitlines(keepends=True)[docstring.lineno - 1 : docstring.end_lineno]
        text = textwrap.indent(textwrap.dedent("".join(old_lines)), " " * first.col_offset)
        lines.insert(first.lineno - 1, text if text.endswith("\n") else text + "\n")
    return "".join(lines)


def parse_spec(spec: str) -> tuple[Path, str]:
    """`FILE::FUNCTION` -> (path, name)."""
    path_text, sep, name = spec.rpartition("::")
    if not sep or not path_text or not name.isidentifier():
        raise PerfCodegenError(f"expected FILE::FUNCTION (e.g. src/mod.py::slow_sum), got {spec!r}")
    return Path(path_text), name


def load_target(path: Path, function: str) -> Target:
    """Find a top-level function in a Python file (read, never imported)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PerfCodegenError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise PerfCodegenError(f"{path}:{exc.lineno}: not valid Python ({exc.msg})") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            if isinstance(node, ast.AsyncFunctionDef):
                raise PerfCodegenError(
                    f"{path}::{function} is async; only plain functions are supported"
                )
            args = node.args
            if args.vararg or args.kwarg or args.kwonlyargs:
                raise PerfCodegenError(
                    f"{path}::{function}: only positional parameters are supported (no *args, "
                    "**kwargs or keyword-only parameters)"
                )
            positional = [*args.posonlyargs, *args.args]
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return Target(
                path=path,
                function=function,
                source=source,
                start=start,
                end=node.end_lineno or node.lineno,
                annotations=tuple(
                    ast.unparse(a.annotation) if a.annotation else None for a in positional
                ),
                docstring=ast.get_docstring(node) or "",
                names=tuple(a.arg for a in positional),
            )
    raise PerfCodegenError(f"{path} has no top-level function named {function!r}")


def function_from_program(program: str, function: str, module: str = "") -> str | None:
    """The source of `function` from a model's program, with the imports, helpers and
    constants it defines that `module` does not already have, word for word."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return None
    pieces = []
    found = False
    for node in tree.body:
        if isinstance(
            node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef | ast.Assign
        ):
            segment = ast.get_source_segment(program, node, padded=True)
            if segment is None:
                continue
            decorators = getattr(node, "decorator_list", [])
            if decorators:
                first = min(d.lineno for d in decorators)
                lines = program.splitlines(keepends=True)
                segment = "".join(lines[first - 1 : node.end_lineno])
            text = textwrap.dedent(segment).rstrip("\n")
            is_target = isinstance(node, ast.FunctionDef) and node.name == function
            if is_target or text not in module:
                pieces.append(text)
            found = found or (isinstance(node, ast.FunctionDef) and node.name == function)
    return "\n\n\n".join(pieces) + "\n" if found else None
