"""Shared fixtures (generic only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.problems._io import shared_data_dir


@pytest.fixture
def shared_data() -> Path:
    """`../shared/data` (real benchmark files); the test is skipped when it is absent."""
    folder = shared_data_dir()
    if folder is None:
        pytest.skip("../shared/data is not available")
    return folder
