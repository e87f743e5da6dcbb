"""RunConfig: nested sections, the flat names, and resuming runs written before nesting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from perfcodegen.config import RunConfig, config_from_saved, flat_config
from perfcodegen.errors import PerfCodegenError
from perfcodegen.store import RunStore


def _config(**changes: object) -> RunConfig:
    settings: dict[str, object] = {
        "name": "r", "benchmark": "humaneval", "model": "openai/m", "method": "ecco", "k": 4,
        "measure": "none", "problems": ["HumanEval/0"],
    }  # fmt: skip
    return RunConfig.model_validate({**settings, **changes})


def test_flat_names_fill_the_sections() -> None:
    config = _config()
    assert config.selection.benchmark == "humaneval" and config.selection.problems == ["HumanEval/0"]
    assert config.generation.model == "openai/m" and config.generation.k == 4
    assert config.method.name == "ecco" and config.measurement.measure == "none"
    assert RunConfig.model_validate(config.model_dump(mode="json")) == config
    assert RunConfig.model_validate(flat_config(config.model_dump(mode="json"))) == config
    changed = config.with_overrides(k=2, method="given", repeats=3)
    assert (changed.generation.k, changed.method.name, changed.measurement.repeats) == (2, "given", 3)
    assert changed.selection == config.selection
    with pytest.raises(ValidationError, match="unknown run setting 'tempreature'"):
        _config(tempreature=0.2)


def test_a_flat_config_json_of_an_earlier_version_resumes(tmp_path: Path) -> None:
    config = _config()
    earlier = {**flat_config(config.model_dump(mode="json")), "perfcodegen_version": "0.1"}
    (tmp_path / "config.json").write_text(json.dumps(earlier))
    assert config_from_saved(earlier) == config
    with RunStore(tmp_path) as store:
        store.save_config({**config.model_dump(mode="json"), "perfcodegen_version": "0.2"})
        with pytest.raises(PerfCodegenError, match=r"differs in: k, temperature"):
            store.save_config(config.with_overrides(k=5, temperature=0.1).model_dump(mode="json"))
