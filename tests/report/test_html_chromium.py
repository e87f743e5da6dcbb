"""The HTML report in a real browser: Debian's headless Chromium loads the file offline, logs
no console message, and its screenshot shows the figures' colours (not a blank page)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from perfcodegen.cli import main

from .run_builders import write_detailed_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs "
    "it when it runs as root)",
)
pytest.importorskip("matplotlib", reason="the HTML report needs perfcodegen[report]")
Image = pytest.importorskip("PIL.Image", reason="screenshots are read with Pillow")
numpy = pytest.importorskip("numpy", reason="screenshots are read with numpy")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def browse(page: Path, workdir: Path) -> tuple[Path, list[str]]:
    """Screenshot `page` (1280 px wide) in a fresh profile; returns it and the console lines."""
    shot = workdir / f"{page.stem}.png"
    profile = workdir / f"{page.stem}-profile"
    assert CHROMIUM is not None
    process = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--window-size=1280,4200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert process.returncode == 0 and shot.exists(), process.stderr[-2000:]
    return shot, [line for line in process.stderr.splitlines() if ":CONSOLE" in line]


def pixels(shot: Path) -> tuple[float, int]:
    """(share of non-white pixels, count of strongly coloured ones: the figures' data; text
    and rules are grey)."""
    rgb = numpy.asarray(Image.open(shot).convert("RGB")).astype(int)
    ink = float((rgb.sum(axis=2) < 3 * 245).mean())
    saturated = int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())
    return ink, saturated


def test_report_renders_in_chromium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_detailed_run(tmp_path / "detailed")
    page = tmp_path / "report.html"
    assert main(["report", str(run), "--html", str(page)]) == 0
    shot, console = browse(page, tmp_path)
    assert console == []  # no script errors, no console output at all
    ink, coloured = pixels(shot)
    assert ink > 0.02  # text, tables and figures: not a blank page

    # The figures drew: without them the page loses most of its colour (what stays is links
    # and highlighted code). And a page with a script error is caught by the console check.
    bare = tmp_path / "bare.html"
    html = page.read_text()
    bare.write_text(re.sub(r'<figure class="plot">.*?</figure>', "", html, flags=re.S))
    _, coloured_without = pixels(browse(bare, tmp_path)[0])
    assert coloured - coloured_without > 5000, (coloured, coloured_without)
    broken = tmp_path / "broken.html"
    broken.write_text(html.replace("</body>", "<script>undefined_call();</script></body>"))
    assert any("undefined_call" in line for line in browse(broken, tmp_path)[1])
