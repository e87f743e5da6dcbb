"""Imports every loader module so that each registers itself (explicit, no import magic)."""

from __future__ import annotations

from perfcodegen.problems import apps, custom, ecco, enamel, humaneval, mbpp, pie  # noqa: F401
