"""perfcodegen.llm: model providers, the response cache and code extraction."""

from perfcodegen.llm.base import ModelCallError
from perfcodegen.llm.cache import CachedModel, ResponseCache, default_cache_path
from perfcodegen.llm.extract import ExtractedCode, extract_code
from perfcodegen.llm.registry import PROVIDERS, get_model

__all__ = [
    "PROVIDERS",
    "CachedModel",
    "ExtractedCode",
    "ModelCallError",
    "ResponseCache",
    "default_cache_path",
    "extract_code",
    "get_model",
]
