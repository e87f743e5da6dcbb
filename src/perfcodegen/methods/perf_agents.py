"""PerfCodeGen's multi-agent performance phases (Table II), adapted from ChatDev and MetaGPT.

The coder is the model in its own conversation (the one that wrote the correct program); the
reviewer and the leader are the same model in separate conversations, each with a system role.
The paper prints no agent prompts: the templates `agent_*.j2` are our wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfcodegen.llm.model import Purpose
from perfcodegen.methods.perf_strategies import CoderChat, variant
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import Candidate, ProblemSession


async def review_and_revise(chat: CoderChat) -> None:
    """The reviewer critiques the coder's latest program; the coder revises it once."""
    review = await chat.consult(
        system=render("agent_reviewer_system"),
        prompt=render("agent_review", problem=chat.session.problem, code=chat.latest.code),
        purpose=Purpose.AGENT_REVIEW,
    )
    await chat.refine(render("agent_coder_revise", review=review))


@dataclass(frozen=True)
class CoderWithReviewer:
    """ChatDev-like: the coder optimizes, a reviewer suggests changes, the coder revises."""

    async def refine(self, session: ProblemSession, candidate: Candidate) -> None:
        chat = CoderChat.start(session, candidate)
        if await chat.refine(render("perf_improve")) is not None:
            await review_and_revise(chat)


@dataclass(frozen=True)
class LeaderCoderReviewer:
    """MetaGPT-like: the leader plans, the coder implements, the reviewer reviews, the coder revises."""

    async def refine(self, session: ProblemSession, candidate: Candidate) -> None:
        chat = CoderChat.start(session, candidate)
        plan = await chat.consult(
            system=render("agent_leader_system"),
            prompt=render("agent_leader_plan", problem=session.problem, code=candidate.code),
            purpose=Purpose.AGENT_PLAN,
        )
        if await chat.refine(render("agent_coder_plan", plan=plan)) is not None:
            await review_and_revise(chat)


METHODS = (
    variant(
        "perf-agents-reviewer",
        "PerfCodeGen with multi-agent coder + reviewer: optimize, review, revise (Table II, ChatDev-like).",
        CoderWithReviewer(),
        calls_per_correct="up to 3",
    ),
    variant(
        "perf-agents-team",
        "PerfCodeGen with leader + coder + reviewer: plan, optimize, review, revise (Table II, MetaGPT-like).",
        LeaderCoderReviewer(),
        calls_per_correct="up to 4",
    ),
)
