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
