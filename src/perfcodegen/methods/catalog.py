"""Imports every method module so that each registers itself (explicit list, in listing order)."""

from __future__ import annotations

from perfcodegen.methods import perfcodegen  # noqa: F401
