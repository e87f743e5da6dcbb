"""Settings -> (RunConfig, RuntimeOptions): the one path from what a user gives (keyword
settings of `perfcodegen.run`/`evaluate`, or the options of `perfcodegen run`/`eval`) to a
run's configuration and its default folder.

- A setting given as None is not given (its default, or the protocol's, applies); 0
  references timed means all of them (`max_references=0`).
- A paper protocol (`protocol=`) sets decoding, per-benchmark selection and the timing tests
  (the benchmark's own), under what the caller gave.
- The default run folder is named from every setting that changes results
  (`default_run_dir`), so two different questions never share one; a folder that holds
  another run is refused with the `--out` that would hold this one (`refuse_other_run`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from perfcodegen.config import SETTING_NAMES, RunConfig, RuntimeOptions
from perfcodegen.errors import PerfCodegenError, SettingError
from perfcodegen.methods.registry import get_method_info
from perfcodegen.protocols import get_protocol, run_settings
from perfcodegen.solutions import REFERENCE
from perfcodegen.store.run_store import config_differences

GIVEN_METHOD = "given"
RUNS_DIR = Path("runs")
PROTOCOL_KEYS = ("split", "variant", "load_options", "temperature", "top_p", "max_tokens",
                 "system_prompt", "max_references")  # fmt: skip
"""Settings a protocol may set; the caller's value wins."""


def settings_to_config(benchmark: str, settings: dict[str, Any]) -> tuple[RunConfig, RuntimeOptions]:
    """Keyword settings -> (RunConfig, RuntimeOptions); an unknown name is a user error."""
    run_fields, option_fields = SETTING_NAMES, set(RuntimeOptions.model_fields)
    unknown = sorted(set(settings) - run_fields - option_fields)
    if unknown:
        raise PerfCodegenError(f"unknown setting(s): {', '.join(unknown)}")
    values = {k: v for k, v in settings.items() if k in run_fields and v is not None}
    values.setdefault("name", "")
    values.update(_protocol_settings(benchmark, values))
    if values.get("max_references") == 0:
        values["max_references"] = None  # 0: every reference is timed
    try:  # a bad value is a user error naming the setting, never a raw pydantic error
        config = RunConfig(benchmark=benchmark, **values)
        if config.method.name == GIVEN_METHOD:  # no sample is drawn: no temperature to record
            config = config.with_overrides(temperature=None)
        runtime = {k: v for k, v in settings.items() if k in option_fields and v is not None}
        out = Path(runtime.pop("out", None) or default_run_dir(config))
        if not config.name:
            config = config.with_overrides(name=out.name)
        return config, RuntimeOptions(out=out, **runtime)
    except ValidationError as exc:
        raise SettingError.first_of([dict(e) for e in exc.errors()]) from None


def _protocol_settings(benchmark: str, values: dict[str, Any]) -> dict[str, Any]:
    """What `protocol` (if any) and the method's family set, under what the caller gave."""
    name = values.get("protocol")
    family = get_method_info(str(values.get("method", "perfcodegen"))).family
    explicit = {key: values.get(key) for key in PROTOCOL_KEYS}
    settings = run_settings(get_protocol(name) if name else None, benchmark, explicit, family)
    if name and values.get("timing_tests") is None:
        settings["timing_tests"] = "given"  # a paper protocol times the benchmark's own tests
    return settings


def config_digest(config: RunConfig) -> str:
    """A digest of every setting that changes results (all of the config but its name)."""
    data = config.model_dump(mode="json", exclude={"name"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def default_run_dir(config: RunConfig) -> Path:
    """runs/<what>-<digest>: a readable stem (benchmark, method and model, or the solutions
    judged) and 8 hex digits of `config_digest`, so different settings never share a folder
    and the same settings always resume the same one."""
    if config.method.name == GIVEN_METHOD:
        stem = Path(config.method.solutions).stem if config.method.solutions else REFERENCE
        readable = f"eval-{config.selection.benchmark}-{stem}"
    else:
        model = config.generation.model.replace("/", "_")
        readable = f"{config.selection.benchmark}-{config.method.name}-{model}"
    return RUNS_DIR / f"{readable}-{config_digest(config)[:8]}"


def refuse_other_run(out: Path, config: RunConfig, saved: dict[str, Any]) -> None:
    """Raise when `out` holds a run of another configuration than `saved` (this run's
    config.json), naming the settings that differ and the --out to use instead. Checked
    before anything is written, so a refused command leaves the folder as it was."""
    path = out / "config.json"
    if not path.exists():
        return
    changed = config_differences(json.loads(path.read_text()), saved)
    if not changed:
        return
    suggestion = default_run_dir(config)
    if suggestion.resolve() == out.resolve() or (suggestion / "config.json").exists():
        suggestion = out.with_name(f"{out.name}-{config_digest(config)[:8]}")
    raise PerfCodegenError(
        f"{out} holds a run with a different configuration (differs in: {', '.join(changed)}); "
        f"to start this run, pass --out {suggestion}"
    )
