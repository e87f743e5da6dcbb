"""Each protocol's settings, seen where they matter: in the requests reaching a loopback
OpenAI-compatible server (real openai client over HTTP), in config.json and in the prompt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.cli import main
from perfcodegen.config import flat_config
from perfcodegen.errors import UnknownNameError
from perfcodegen.problems.registry import LoadOptions, load_benchmark
from perfcodegen.protocols import PERFCODEGEN_SYSTEM_PROMPT, get_protocol, run_settings
from support.ecco_hub import build_ecco_hub
from support.scripted_server import ScriptedServer

SANITIZED = [
    {
        "source_file": "nb.ipynb",
        "task_id": 82,
        "prompt": "Write a function to find the volume of a sphere.",
        "code": "import math\ndef volume_sphere(r):\n  return (4/3)*math.pi*r**3",
        "test_imports": ["import math"],
        "test_list": ["assert math.isclose(volume_sphere(10), 4188.790204786391, rel_tol=0.001)"],
    }
]
SPHERE = "```python\nimport math\ndef volume_sphere(r):\n    return 4 / 3 * math.pi * r ** 3\n```"
REVERSE = "```python\nprint(input()[::-1])\n```"


def _run(server: ScriptedServer, tmp_path: Path, *argv: str) -> dict[str, Any]:
    out = tmp_path / "run"
    code = main(
        [
            "run", *argv, "--model", "openai/scripted-model", "--base-url", server.base_url,
            "--api-key", "test-key", "--out", str(out), "--no-cache", "--repeats", "3", "--json",
        ]
    )
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert isinstance(config, dict) and {"selection", "generation", "method"} <= set(config)
    return flat_config(config)


@pytest.fixture
def mbpp_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mbpp"
    folder.mkdir()
    (folder / "sanitized-mbpp.json").write_text(json.dumps(SANITIZED))
    return folder


def test_perfcodegen_protocol_reaches_the_server(
    tmp_path: Path, mbpp_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer(lambda _request: SPHERE) as server:
        config = _run(
            server, tmp_path, "mbpp", "--data", str(mbpp_dir), "--protocol", "perfcodegen-code",
            "--method", "base", "-k", "2",
        )
        requests = server.chat_requests
    assert len(requests) == 2
    for request in requests:
        assert request.body["temperature"] == 0.7 and request.body["top_p"] == 0.95
        assert request.body["max_tokens"] == 2048
        system, user = request.messages
        assert system == {"role": "system", "content": PERFCODEGEN_SYSTEM_PROMPT}
        # MBPP (test) as PerfCodeGen's code prompts it: the signature, not the asserts.
        assert "Please write a Python function volume_sphere(r) for the task." in user["content"]
        assert "assert" not in user["content"]
    assert (config["protocol"], config["split"], config["load_options"]) == (
        "perfcodegen-code", "sanitized", {"prompt": "signature"},
    )
    assert "Protocol perfcodegen-code" in capsys.readouterr().out


def test_explicit_options_win_over_the_protocol(
    tmp_path: Path, mbpp_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer(lambda _request: SPHERE) as server:
        config = _run(
            server, tmp_path, "mbpp", "--data", str(mbpp_dir), "--protocol", "perfcodegen-paper",
            "--method", "base", "-k", "1", "--temperature", "0.2", "--system-prompt", "Be brief.",
            "--option", "prompt=tests",
        )
        (request,) = server.chat_requests
    assert request.body["temperature"] == 0.2 and request.body["top_p"] == 0.95
    assert request.messages[0] == {"role": "system", "content": "Be brief."}
    assert "Your code should pass these tests" in request.messages[1]["content"]
    assert config["load_options"] == {"prompt": "tests"}
    capsys.readouterr()


def test_ecco_protocol_decodes_every_turn_at_0_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow", reason="the hub layout needs the `hub` extra")
    hub = build_ecco_hub(tmp_path / "hub")

    def script(request: dict[str, Any]) -> str:
        last = request["messages"][-1]["content"]
        if "Feedback for incorrectness" in last and "Refine the given" not in last:
            return "Reverse with a slice."
        return REVERSE

    with ScriptedServer(script) as server:
        config = _run(
            server, tmp_path, "ecco", "--data", str(hub), "--protocol", "ecco-paper",
            "--method", "self-refine", "--paradigm", "edit", "-k", "1",
            "--problems", "edit/p00003/0",
        )
        requests = server.chat_requests
    assert len(requests) == 3  # sample, NL feedback, refinement
    for request in requests:
        # ECCO App. B: t=0.4 and 1,024 tokens on every turn (not greedy refinements).
        assert request.body["temperature"] == 0.4 and request.body["max_tokens"] == 1024
        assert [m["role"] for m in request.messages] == ["user"]  # no system turn
    assert config["protocol"] == "ecco-paper" and config["refine_temperature"] == 0.4
    assert "Protocol ecco-paper" in capsys.readouterr().out


def test_run_settings_precedence_and_unknown_names() -> None:
    plain = run_settings(None, "mbpp", {"temperature": None, "load_options": {}})
    assert (plain["temperature"], plain["top_p"], plain["max_tokens"]) == (0.8, 0.95, 2048)
    assert "protocol" not in plain
    ecco = run_settings(None, "ecco", {"max_tokens": 512}, method_family="ecco")
    assert (ecco["temperature"], ecco["max_tokens"], ecco["refine_temperature"]) == (0.4, 512, 0.4)
    paper = run_settings(get_protocol("perfcodegen-paper"), "humaneval", {"load_options": {}})
    assert paper["variant"] == "base-inputs" and paper["temperature"] == 0.7
    with pytest.raises(UnknownNameError, match="protocol"):
        get_protocol("perfcodegen")


def test_mbpp_signature_prompt_on_the_real_file(shared_data: Path) -> None:
    options = LoadOptions(split="sanitized", data=shared_data / "mbpp", extra={"prompt": "signature"})
    problems = load_benchmark("mbpp", options)
    assert len(problems) == 257
    assert all("assert" not in p.prompt and "Please write a Python function" in p.prompt for p in problems)
    assert sum(len(p.tests) for p in problems) / len(problems) == pytest.approx(3.0, abs=0.05)


def test_base_model_through_the_completions_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ECCO's Table 6 base models: a raw prompt to /v1/completions, no chat turns."""
    pytest.importorskip("pyarrow", reason="the hub layout needs the `hub` extra")
    hub = build_ecco_hub(tmp_path / "hub")
    with ScriptedServer(lambda _request: REVERSE) as server:
        out = tmp_path / "run"
        code = main(
            [
                "run", "ecco", "--data", str(hub), "--protocol", "ecco-paper",
                "--method", "instruct", "--paradigm", "edit", "-k", "1",
                "--problems", "edit/p00003/0", "--model", "completions/scripted-model",
                "--base-url", server.base_url, "--api-key", "k", "--out", str(out),
                "--no-cache", "--repeats", "3", "--json",
            ]
        )
        requests = list(server.requests)
    assert code == 0
    (request,) = [r for r in requests if r.path.endswith("/completions")]
    assert request.path.endswith("/v1/completions") and "messages" not in request.body
    prompt = request.body["prompt"]
    assert isinstance(prompt, str) and "Optimize the python program" in prompt
    assert "print(r)" in prompt  # the slow input program is in the raw text
    assert request.body["temperature"] == 0.4 and request.body["max_tokens"] == 1024
    report = json.loads(capsys.readouterr().out)
    assert report[0]["edit"]["pass_at_1_pct"] == 100.0


def test_fastest_and_slowest_code_never_replace_the_dataset_spectrum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two reference programs are not a spectrum: runtime% stays on generate_eval's figures."""
    pq = pytest.importorskip("pyarrow.parquet", reason="the hub layout needs the `hub` extra")
    hub = build_ecco_hub(tmp_path / "hub")
    (shard,) = (hub / "generate").glob("test-*.parquet")
    rows = pq.read_table(shard).to_pylist()
    for row in rows:
        row["fastest_code"] = "input()\nprint(sum(map(int, input().split())))\n"
        row["slowest_code"] = "input()\nprint(sum([int(x) for x in input().split()]))\n"
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(rows), shard)
    summing = "```python\ninput()\nprint(sum(map(int, input().split())))\n```"
    with ScriptedServer(lambda _request: summing) as server:
        _run(
            server, tmp_path, "ecco", "--data", str(hub), "--protocol", "ecco-paper",
            "--method", "instruct", "--paradigm", "nl2code", "-k", "1",
            "--problems", "generate/p00001",
        )
    (report,) = json.loads(capsys.readouterr().out)
    generation = report["generation"]
    # Every human figure (0.1 s to 0.5 s) is slower than this program's mean time per test.
    assert generation["passed"] == 1 and generation["runtime_pct"] == 100.0
    assert generation["dataset_spectrum_problems"] == 1
