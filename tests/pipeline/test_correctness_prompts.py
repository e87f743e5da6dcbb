"""The released PerfCodeGen code's correctness prompts, chosen by failure type, through the
real pipeline, judge and a loopback server."""

from __future__ import annotations

from pathlib import Path

from perfcodegen.store import RunStore
from support.scripted_server import ScriptedServer

from .test_perfcodegen_e2e import by_turn, config, run_once


async def _reflect_prompt(tmp_path: Path, first_sample: str, prompts: str) -> str:
    script = by_turn()

    def answer(request: dict[str, object]) -> str:
        messages = request["messages"]
        assert isinstance(messages, list)
        return first_sample if len(messages) == 1 else str(script(request))

    with ScriptedServer(answer) as server:
        await run_once(server, RunStore(tmp_path / "run"), config(correctness_prompts=prompts))
        return str(server.chat_requests[1].messages[-1]["content"])


async def test_wrong_answer_shows_the_test_without_an_error(tmp_path: Path) -> None:
    wrong = "```python\ndef sum_squares(n):\n    return sum(i * i for i in range(n))\n```"
    paper = await _reflect_prompt(tmp_path / "paper", wrong, "paper")
    assert "The error message is as follows" in paper and "Expected: 385; got: 285" in paper
    released = await _reflect_prompt(tmp_path / "released", wrong, "by-failure")
    assert "assert sum_squares(10) == 385" in released
    assert "The error message" not in released


async def test_crash_shows_the_error_and_syntax_error_neither(tmp_path: Path) -> None:
    crash = "```python\ndef sum_squares(n):\n    return 1 // 0\n```"
    crashed = await _reflect_prompt(tmp_path / "crash", crash, "by-failure")
    assert "ZeroDivisionError" in crashed and "cannot pass the following test case" in crashed
    broken = "```python\ndef sum_squares(n):\n    return (\n```"
    unparsed = await _reflect_prompt(tmp_path / "syntax", broken, "by-failure")
    assert "cannot be parsed" in unparsed and "sum_squares(10)" not in unparsed
