"""`perfcodegen benchmarks` and `perfcodegen problems ...` (owned by the loaders work)."""

from __future__ import annotations
