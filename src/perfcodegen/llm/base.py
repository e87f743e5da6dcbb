"""Small pieces shared by the model providers: the call error and model-spec parsing."""

from __future__ import annotations

from perfcodegen.errors import PerfCodegenError


class ModelCallError(PerfCodegenError):
    """A model call failed for good: a rejected request (4xx) or retries exhausted.

    ``retryable`` is True when the failure was transient (rate limit, server error, dropped
    connection) and only the retry budget ran out, so running the command again may succeed.
    """

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status_code = status_code
        self.retryable = retryable


def split_spec(spec: str) -> tuple[str, str]:
    """'provider/model' -> ('provider', 'model'); the model part may itself contain '/'."""
    provider, sep, model = spec.partition("/")
    if not sep or not provider or not model:
        raise PerfCodegenError(
            f"model {spec!r} should look like 'provider/model', e.g. 'openai/gpt-4o' "
            "or 'ollama/llama3'"
        )
    return provider, model
