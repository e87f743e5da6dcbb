"""Prompt templates (jinja2 files under methods/prompts/), rendered strictly."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("perfcodegen.methods", "prompts"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **values: Any) -> str:
    """Render `prompts/<template>.j2` with the given values (missing values are errors)."""
    return _environment().get_template(f"{template}.j2").render(**values).strip()


def template_digests() -> dict[str, str]:
    """sha256 (first 16 hex digits) of every prompt template: recorded in a run's config, so a
    run is never resumed with other prompts than it started with."""
    import hashlib
    from importlib.resources import files

    folder = files("perfcodegen.methods") / "prompts"
    return {
        entry.name: hashlib.sha256(entry.read_bytes()).hexdigest()[:16]
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".j2")
    }
