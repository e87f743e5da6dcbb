"""The quick hub check: an unreachable Hugging Face hub is one clear error in seconds, not
the ~20 s of retries `datasets` spends; offline mode skips the check (the cache is used)."""

from __future__ import annotations

import socket

import pytest

from perfcodegen.errors import DataError
from perfcodegen.problems._io import check_hub_reachable


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once closed


def test_unreachable_hub_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(DataError) as info:
        check_hub_reachable("codeparrot/apps")
    message = str(info.value)
    assert "'codeparrot/apps'" in message and "unreachable" in message
    assert "--data PATH" in message and "HF_HUB_OFFLINE=1" in message


@pytest.mark.parametrize("switch", ["HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"])
def test_offline_mode_skips_the_check(monkeypatch: pytest.MonkeyPatch, switch: str) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv(switch, "1")
    check_hub_reachable("codeparrot/apps")  # no error: datasets will read its cache


def test_reachable_endpoint_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        check_hub_reachable("codeparrot/apps")
