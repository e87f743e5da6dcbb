"""Which rounds and tests a run times: adaptive stress by default, fixed given tests for the
paper protocols and for runs saved before `rounds` existed."""

from __future__ import annotations

from perfcodegen.config import RunConfig, config_from_saved
from perfcodegen.settings import settings_to_config


def test_defaults_are_adaptive_rounds_on_stress_inputs() -> None:
    config = RunConfig(name="r", benchmark="humaneval", model="m")
    assert config.measurement.rounds == "adaptive"
    assert config.measurement.timing_tests == "stress"


def test_a_paper_protocol_times_the_given_tests() -> None:
    config, _ = settings_to_config(
        "humaneval", {"model": "m", "protocol": "perfcodegen-paper", "out": "/tmp/unused"}
    )
    assert config.measurement.timing_tests == "given"
    chosen, _ = settings_to_config(
        "humaneval",
        {"model": "m", "protocol": "perfcodegen-paper", "timing_tests": "stress", "out": "/tmp/x"},
    )
    assert chosen.measurement.timing_tests == "stress"  # what the caller gave still wins


def test_a_config_saved_before_rounds_existed_reads_as_fixed_rounds() -> None:
    saved = RunConfig(name="r", benchmark="humaneval", model="m").model_dump(mode="json")
    del saved["measurement"]["rounds"]
    assert config_from_saved(saved).measurement.rounds == "fixed"
    current = RunConfig(name="r", benchmark="humaneval", model="m").model_dump(mode="json")
    assert config_from_saved(current).measurement.rounds == "adaptive"
