"""Shared test helpers (the loopback scripted OpenAI-compatible server)."""

from .scripted_server import (
    DEFAULT_MODEL,
    DROP,
    Delay,
    RecordedRequest,
    ScriptedError,
    ScriptedServer,
    failing_first,
    replies,
    scripted_server,
)

__all__ = [
    "DEFAULT_MODEL",
    "DROP",
    "Delay",
    "RecordedRequest",
    "ScriptedError",
    "ScriptedServer",
    "failing_first",
    "replies",
    "scripted_server",
]
