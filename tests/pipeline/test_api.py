"""The Python API with the mock model: hermetic runs, prompt versions, provenance."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import perfcodegen
from perfcodegen.config import RunConfig
from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.mock import DEFAULT_OUTPUT, MockModel
from perfcodegen.llm.model import ChatMessage, Purpose, RequestContext
from perfcodegen.methods.session import Conversation, ProblemSession
from perfcodegen.store import RunStore

TASKS = ["HumanEval/0", "HumanEval/4"]


def _answers(problems: list[perfcodegen.Problem]) -> MockModel:
    by_id = {p.id: p.references[0] for p in problems}

    def answer(messages: list[ChatMessage], context: RequestContext) -> str:
        return f"```python\n{by_id[context.task_id]}```"

    return MockModel(answer, model="reference-oracle")


def test_run_with_a_mock_model_object(tmp_path: Path) -> None:
    problems = perfcodegen.load("humaneval", problems=TASKS)
    model = _answers(problems)
    summary = perfcodegen.run(
        "humaneval", model=model, method="base", k=2, problems=TASKS, measure="none",
        out=tmp_path / "run", show_progress=False,
    )  # fmt: skip
    assert (summary.done, summary.errors) == (2, {})
    assert len(model.calls) == 4  # k = 2 samples per problem
    with RunStore(summary.run_dir) as store:
        assert {c.verdict for c in store.candidates()} == {"passed"}
        (session,) = store.sessions()
    assert session["perfcodegen_version"] == perfcodegen.__version__
    assert session["python"] and "cpu_count" in session
    saved = json.loads((summary.run_dir / "config.json").read_text())
    assert saved["perfcodegen_version"] == perfcodegen.__version__
    assert "perf_improve.j2" in saved["templates"]


def test_a_changed_prompt_template_is_not_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = perfcodegen.load("humaneval", problems=TASKS[:1])
    settings = dict(method="base", k=1, problems=TASKS[:1], measure="none",
                    out=tmp_path / "run", show_progress=False)  # fmt: skip
    perfcodegen.run("humaneval", model=_answers(problems), **settings)
    perfcodegen.run("humaneval", model=_answers(problems), **settings)  # same prompts: resumes
    from perfcodegen import pipeline

    changed = {**pipeline.template_digests(), "generate.j2": "0" * 16}
    monkeypatch.setattr(pipeline, "template_digests", lambda: changed)
    with pytest.raises(PerfCodegenError, match="templates"):
        perfcodegen.run("humaneval", model=_answers(problems), **settings)


def test_a_stored_reply_is_reused_only_for_the_same_messages(tmp_path: Path) -> None:
    (problem,) = perfcodegen.load("humaneval", problems=TASKS[:1])
    model = MockModel()
    with RunStore(tmp_path / "run") as store:
        session = ProblemSession(
            problem=problem, config=RunConfig(name="t", benchmark="humaneval", model=model.name),
            store=store, model=model, refine_model=model, judge=None,  # type: ignore[arg-type]
            method="base",
        )  # fmt: skip
        first = Conversation().user("make it faster")
        other = Conversation().user("make it faster, please")

        async def ask(conversation: Conversation) -> str:
            reply = await session.ask(conversation, key="k", purpose=Purpose.SAMPLE, sample_index=0)
            return reply.text

        assert asyncio.run(ask(first)) == DEFAULT_OUTPUT
        asyncio.run(ask(first))
        assert len(model.calls) == 1  # same messages: the stored reply
        asyncio.run(ask(other))
        assert len(model.calls) == 2  # other messages under the same key: asked again
        assert store.get_call(f"{problem.id}|k").messages == list(other.messages)


def test_a_mock_model_with_a_script_runs_out_clearly() -> None:
    model = MockModel(["one"])
    reply = asyncio.run(model.generate([], None, RequestContext()))  # type: ignore[arg-type]
    assert reply.text == "one"
    with pytest.raises(PerfCodegenError, match="no scripted reply left"):
        asyncio.run(model.generate([], None, RequestContext()))  # type: ignore[arg-type]


def test_unknown_settings_are_user_errors() -> None:
    with pytest.raises(PerfCodegenError, match="unknown setting"):
        perfcodegen.evaluate("humaneval", repeatz=3)
