"""The Ray backend: without Ray installed, constructing it says how to install it."""

from __future__ import annotations

import importlib.util

import pytest

from perfcodegen.errors import MissingExtraError, PerfCodegenError


@pytest.mark.skipif(importlib.util.find_spec("ray") is not None, reason="ray is installed")
def test_without_ray_the_backend_names_the_extra() -> None:
    from perfcodegen.backends.ray import RayBackend

    with pytest.raises(MissingExtraError) as caught:
        RayBackend()
    assert isinstance(caught.value, PerfCodegenError)
    assert "pip install 'perfcodegen[ray]'" in str(caught.value)
