"""A persistent response cache (SQLite, WAL) and the provider wrapper that uses it.

Keys hash (provider, model, base URL, messages, generation config, sample index), so sampled
outputs are cached per sample index: rerunning a finished command makes zero model calls,
while the k samples of one prompt stay k distinct calls. Failures are never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.model import (
    ChatMessage,
    GenerateConfig,
    ModelOutput,
    ModelProvider,
    RequestContext,
    Usage,
    check_reachable,
)
from perfcodegen.paths import user_cache_dir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_s REAL NOT NULL,
    finish_reason TEXT,
    created_at REAL NOT NULL
)
"""


def default_cache_path() -> Path:
    """``responses.sqlite`` in the user cache dir (`perfcodegen.paths.user_cache_dir`)."""
    return user_cache_dir() / "responses.sqlite"


@runtime_checkable
class HasBaseURL(Protocol):
    """Providers behind an endpoint expose it, so two servers' answers never mix."""

    @property
    def base_url(self) -> str: ...


def cache_key(
    model: str,
    base_url: str | None,
    messages: list[ChatMessage],
    config: GenerateConfig,
    sample_index: int,
) -> str:
    """A stable hash of everything that determines a reply."""
    payload = {
        "model": model,
        "base_url": base_url,
        "messages": [[m.role, m.content] for m in messages],
        "config": config.model_dump(mode="json"),
        "sample_index": sample_index,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    size_bytes: int
    by_model: dict[str, int]


class ResponseCache:
    """Model replies stored in one SQLite file; safe to share between tasks and processes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise PerfCodegenError(
                f"cannot open the response cache at {self.path}: {exc} "
                "(pass another path, or --no-cache)"
            ) from exc
        self._lock = threading.Lock()

    def get(self, key: str) -> ModelOutput | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, prompt_tokens, completion_tokens, latency_s, finish_reason "
                "FROM responses WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        text, prompt_tokens, completion_tokens, latency_s, finish_reason = row
        return ModelOutput(
            text=text,
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens),
            latency_s=latency_s,
            finish_reason=finish_reason,
            cached=True,
        )

    def put(self, key: str, model: str, output: ModelOutput) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    model,
                    output.text,
                    output.usage.prompt_tokens,
                    output.usage.completion_tokens,
                    output.latency_s,
                    output.finish_reason,
                    time.time(),
                ),
            )
            self._db.commit()

    def info(self) -> CacheInfo:
        with self._lock:
            rows = self._db.execute(
                "SELECT model, COUNT(*) FROM responses GROUP BY model ORDER BY model"
            ).fetchall()
        by_model = {str(model): int(count) for model, count in rows}
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return CacheInfo(self.path, sum(by_model.values()), size, by_model)

    def clear(self, model: str | None = None) -> int:
        """Delete every entry (or one model's); returns how many were removed."""
        with self._lock:
            if model is None:
                removed = self._db.execute("DELETE FROM responses").rowcount
            else:
                removed = self._db.execute(
                    "DELETE FROM responses WHERE model = ?", (model,)
                ).rowcount
            self._db.commit()
            self._db.execute("VACUUM")
        return int(removed)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedModel:
    """Wraps any provider: answers from the cache when it can, stores new replies.

    Concurrent identical requests share one model call. Outputs served from the cache have
    ``cached=True`` and keep the usage and latency recorded when they were generated.
    """

    def __init__(self, inner: ModelProvider, cache: ResponseCache) -> None:
        self.inner = inner
        self.cache = cache
        self._base_url = inner.base_url if isinstance(inner, HasBaseURL) else None
        self._pending: dict[str, asyncio.Future[ModelOutput]] = {}

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def base_url(self) -> str | None:
        return self._base_url

    async def check_reachable(self) -> None:
        await check_reachable(self.inner)

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        key = cache_key(self.name, self._base_url, messages, config, context.sample_index)
        while True:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
            pending = self._pending.get(key)
            if pending is None:
                return await self._call_and_store(key, messages, config, context)
            try:
                shared = await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this caller was cancelled, not the shared call
                continue  # the shared call failed: look again, then call ourselves
            return shared.model_copy(update={"cached": True})

    async def _call_and_store(
        self, key: str, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        future: asyncio.Future[ModelOutput] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            output = await self.inner.generate(messages, config, context)
            self.cache.put(key, self.name, output)
        except BaseException:
            future.cancel()  # waiters retry on their own
            raise
        else:
            future.set_result(output)
            return output
        finally:
            del self._pending[key]

    async def aclose(self) -> None:
        await self.inner.aclose()
