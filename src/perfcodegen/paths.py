"""Where perfcodegen keeps per-user files (standard library only: judge processes import it)."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/perfcodegen`` or ``~/.cache/perfcodegen``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "perfcodegen"
