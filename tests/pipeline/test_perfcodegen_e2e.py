"""PerfCodeGen end to end: real openai client over HTTP to a scripted loopback server, the real
judge, a real run store; asserts the exact conversation, the fallbacks and the metrics."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from perfcodegen.config import RunConfig
from perfcodegen.llm.registry import get_model
from perfcodegen.metrics.bestk import View, best_at_k
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.pipeline import run_method
from perfcodegen.store import RunStore
from support.problems import sum_squares_problem
from support.scripted_server import ScriptedServer

WRONG = "```python\ndef sum_squares(n):\n    return sum(i * i for i in range(n))\n```"
FIXED_SLOW = (
    "```python\ndef sum_squares(n):\n    total = 0\n    for i in range(n + 1):\n"
    "        total += i * i\n    return total\n```"
)
STILL_SLOW = "```python\ndef sum_squares(n):\n    return sum(i * i for i in range(n + 1))\n```"
CLOSED_FORM = "```python\ndef sum_squares(n):\n    return n * (n + 1) * (2 * n + 1) // 6\n```"
BROKEN = "```python\ndef sum_squares(n):\n    return n * n\n```"


def by_turn(perf_first: str = STILL_SLOW, perf_second: str = CLOSED_FORM) -> Any:
    """Answer according to what the last user turn asks for (one conversation throughout)."""

    def script(request: dict[str, Any]) -> str:
        last = request["messages"][-1]["content"]
        if "analyze the reason of failure" in last:
            return "The range stops at n-1; it must include n. I will loop to n inclusive."
        if "Could you please modify your solution" in last:
            return FIXED_SLOW
        if "Good job!" in last:
            return perf_first
        if "costs the most time" in last:
            return perf_second
        return WRONG

    return script


def config(**changes: Any) -> RunConfig:
    base = RunConfig(name="t", benchmark="toy", model="openai/scripted-model", k=1, repeats=5)
    return base.with_overrides(**changes)


async def run_once(server: ScriptedServer, store: RunStore, cfg: RunConfig) -> ProblemOutcome:
    model = get_model(cfg.generation.model, base_url=server.base_url, api_key="test-key")
    problem = sum_squares_problem()
    from perfcodegen.judge import Judge, JudgeConfig

    async with Judge(JudgeConfig(workers=2, repeats=cfg.measurement.repeats)) as judge:
        summary = await run_method(
            cfg, [problem], store, model=model, refine_model=None, judge=judge
        )
    await model.aclose()
    assert summary.errors == {}
    record = store.get_problem(problem.id)
    assert record is not None and record.status == "done"
    return ProblemOutcome.model_validate(record.result)


async def test_full_conversation_and_metrics(tmp_path: Path) -> None:
    with ScriptedServer(by_turn()) as server:
        store = RunStore(tmp_path / "run")
        outcome = await run_once(server, store, config())
        turns = [r.messages for r in server.chat_requests]

    # 1 sample + reflect + refine + perf round 1 + perf round 2, all in one conversation.
    assert len(turns) == 5
    assert [m["role"] for m in turns[-1]] == ["user", "assistant"] * 4 + ["user"]
    for earlier, later in itertools.pairwise(turns):
        assert later[: len(earlier)] == earlier  # each turn extends the same chat
    reflect = turns[1][-1]["content"]
    assert "cannot pass the following test case" in reflect
    assert "assert sum_squares(10) == 385" in reflect  # the first failing test
    assert "Expected: 385; got: 285" in reflect  # its error
    assert turns[2][-1]["content"].startswith("Could you please modify your solution")
    assert turns[3][-1]["content"].startswith("Good job!")
    costliest = turns[4][-1]["content"]
    assert "costs the most time" in costliest
    assert "sum_squares(60000)" in costliest  # the largest input is the costliest test
    # Greedy decoding in the performance phase, sampling before it.
    params = server.chat_requests
    assert params[0].body["temperature"] == 0.8 and params[3].body["temperature"] == 0.0

    phases = {c.candidate_id.split("#")[1]: (c.phase, c.correct) for c in outcome.candidates}
    assert phases == {
        "s0": ("sample", False),
        "s0.c1": ("correctness", True),
        "s0.c1.p1": ("performance", True),
        "s0.c1.p1.p2": ("performance", True),
    }
    assert outcome.final_candidate_id == "toy/sum_squares#s0.c1.p1.p2"
    assert outcome.model_calls == 5

    base = best_at_k([outcome], 1, View.BASE)
    method = best_at_k([outcome], 1, View.METHOD)
    assert base.correct_pct == 0.0 and method.correct_pct == 100.0
    assert method.opt_pct == 100.0  # closed form is far faster than the loop reference
    assert method.speedup is not None and method.speedup > 5


async def test_broken_refinement_is_dropped(tmp_path: Path) -> None:
    with ScriptedServer(by_turn(perf_first=BROKEN)) as server:
        outcome = await run_once(server, RunStore(tmp_path / "run"), config())
        # The broken speed-up stops the performance phase: no costliest-test turn.
        assert len(server.chat_requests) == 4
    correct = {c.candidate_id.split("#")[1] for c in outcome.candidates if c.correct}
    assert correct == {"s0.c1"}
    assert outcome.final_candidate_id == "toy/sum_squares#s0.c1"  # falls back to C_correct


async def test_direct_feedback_skips_planning_turn(tmp_path: Path) -> None:
    with ScriptedServer(by_turn()) as server:
        await run_once(server, RunStore(tmp_path / "run"), config(correctness_feedback="direct"))
        second = server.chat_requests[1].messages[-1]["content"]
        assert len(server.chat_requests) == 4
    assert "do not have any syntax error" in second
    assert "analyze the reason" not in second


async def test_rerun_costs_no_model_calls_or_judge_jobs(tmp_path: Path) -> None:
    with ScriptedServer(by_turn()) as server:
        store = RunStore(tmp_path / "run")
        first = await run_once(server, store, config())
        judged = len(store.judge_results())
        # Forget the problem's end state only: the units of work stay recorded.
        store._db.execute("DELETE FROM problems")
        store._db.commit()
        again = await run_once(server, store, config())
        assert len(server.chat_requests) == 5
    assert len(store.judge_results()) == judged
    assert again.final_candidate_id == first.final_candidate_id
