"""Project CodeNet problem pages: statement text, sample I/O and limits.

CodeNet ships one HTML page per problem (`problem_descriptions/pNNNNN.html`, as a folder or
inside `problem_descriptions.tar.gz`) and `problem_list.csv` with time/memory limits. The
pages have no fixed layout, but their examples follow a few heading conventions, e.g.
AtCoder's "Sample Input 1" / "Sample Output 1", AIZU's "Sample Input 1" / "Output for the
Sample Input 1" and the Japanese "入力例 1" / "出力例 1"; each heading is followed by a
`<pre>` block. Combined headings ("入出力例", "Sample Input and Output") are ambiguous and
skipped.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from perfcodegen.errors import DataError
from perfcodegen.problems import _io

_INPUT_HEADING = re.compile(r"^(?:sample input|入力例)\s*(\d+)?\s*:?$", re.IGNORECASE)
_OUTPUT_HEADING = re.compile(
    r"^(?:sample output|output for (?:the )?sample input|sample output for input|出力例)"
    r"\s*(\d+)?(?:\s*for input\s*\d+)?\s*:?$",
    re.IGNORECASE,
)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = _HEADINGS | {"p", "div", "section", "pre", "ul", "ol", "li", "table", "tr", "hr", "br"}
_SKIPPED = {"script", "style"}


@dataclass(frozen=True)
class Sample:
    number: int
    stdin: str
    expected_stdout: str


@dataclass(frozen=True)
class Description:
    """A parsed problem page."""

    text: str
    """The page as plain text (headings and paragraphs on their own lines, <pre> kept)."""
    samples: list[Sample] = field(default_factory=list)


@dataclass(frozen=True)
class ProblemLimits:
    name: str
    dataset: str
    time_limit_s: float | None
    memory_limit_mb: float | None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.inputs: dict[int, str] = {}
        self.outputs: dict[int, str] = {}
        self._skip_depth = 0
        self._heading: list[str] | None = None
        self._pre: list[str] | None = None
        self._pending: tuple[str, int | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        if tag in _BLOCKS:
            self.chunks.append("\n")
        if tag in _HEADINGS:
            self._heading = []
            self._pending = None
        elif tag == "pre":
            self._pre = []
        elif tag == "li":
            self.chunks.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        if tag in _HEADINGS and self._heading is not None:
            self._pending = _classify(" ".join("".join(self._heading).split()))
            self._heading = None
        elif tag == "pre" and self._pre is not None:
            self._record("".join(self._pre))
            self._pre = None
        if tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._heading is not None:
            self._heading.append(data)
        if self._pre is not None:
            self._pre.append(data)
            self.chunks.append(data)
        else:
            text = re.sub(r"\s+", " ", data)
            at_line_start = not self.chunks or self.chunks[-1].endswith("\n")
            self.chunks.append(text.lstrip() if at_line_start else text)

    def _record(self, text: str) -> None:
        if self._pending is None:
            return
        kind, number = self._pending
        self._pending = None
        text = text[1:] if text.startswith("\n") else text  # HTML drops a newline after <pre>
        target = self.inputs if kind == "input" else self.outputs
        key = number if number is not None else len(target) + 1
        target.setdefault(key, text)


def _classify(heading: str) -> tuple[str, int | None] | None:
    for kind, pattern in (("input", _INPUT_HEADING), ("output", _OUTPUT_HEADING)):
        match = pattern.match(heading)
        if match:
            return kind, int(match.group(1)) if match.group(1) else None
    return None


def parse_description(html: str) -> Description:
    """Parse a CodeNet problem page into plain text and its numbered sample tests."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.chunks).splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    samples = [
        Sample(number, _with_final_newline(stdin), parser.outputs[number])
        for number, stdin in sorted(parser.inputs.items())
        if number in parser.outputs
    ]
    return Description(text=text, samples=samples)


def _with_final_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def read_descriptions(source: Path, problem_ids: Iterable[str]) -> dict[str, Description]:
    """Parse the pages of `problem_ids` from a `.tar.gz` of pages or a folder of `pNNNNN.html`.

    The tarball is read member by member in one pass (no extraction). Problems without a page
    are absent from the result.
    """
    wanted = set(problem_ids)
    if not source.exists():
        raise DataError(f"CodeNet problem descriptions not found: {source}")
    pages: dict[str, str] = {}
    if source.is_dir():
        for problem_id in wanted:
            page = source / f"{problem_id}.html"
            if page.is_file():
                pages[problem_id] = page.read_text(encoding="utf-8", errors="replace")
    else:
        pages = _read_tar_pages(source, wanted)
    return {problem_id: parse_description(html) for problem_id, html in pages.items()}


def _read_tar_pages(source: Path, wanted: set[str]) -> dict[str, str]:
    pages: dict[str, str] = {}
    try:
        with tarfile.open(source, "r:*") as archive:
            for member in archive:
                problem_id = Path(member.name).stem
                if not member.isfile() or problem_id not in wanted or problem_id in pages:
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    pages[problem_id] = handle.read().decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"{source}: not a readable tar archive of problem pages ({exc})") from None
    return pages


def read_problem_list(path: Path) -> dict[str, ProblemLimits]:
    """Read CodeNet's `problem_list.csv` (time_limit in ms, memory_limit in KB)."""
    limits: dict[str, ProblemLimits] = {}
    for index, row in _io.read_csv(path):
        where = f"{path}: row {index}"
        problem_id = _io.field(row, "id", where)
        limits[problem_id] = ProblemLimits(
            name=row.get("name") or "",
            dataset=row.get("dataset") or "",
            time_limit_s=_number(row.get("time_limit"), 1000.0, where, "time_limit"),
            memory_limit_mb=_number(row.get("memory_limit"), 1024.0, where, "memory_limit"),
        )
    return limits


def _number(text: str | None, divisor: float, where: str, name: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text) / divisor
    except ValueError:
        raise DataError(f"{where}: field {name!r} should be a number, got {text!r}") from None
