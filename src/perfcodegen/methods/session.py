"""What a method sees of the world while it works on one problem.

A `ProblemSession` gives a method three things: ask the model, check/time a candidate in the
judge, and record candidates. Every model call and judge job is memoized in the run store
under a deterministic key, so a resumed run replays finished work instead of redoing it and
reaches exactly the same decisions. Methods never touch subprocesses or the database.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from dataclasses import dataclass, field

from perfcodegen.config import RunConfig
from perfcodegen.judge.model import (
    JudgeJob,
    JudgeResult,
    MeasureMode,
    ProgramResult,
    TestOutcome,
)
from perfcodegen.llm.extract import extract_code
from perfcodegen.llm.model import (
    ChatMessage,
    GenerateConfig,
    ModelOutput,
    ModelProvider,
    Purpose,
    RequestContext,
)
from perfcodegen.measuring import correctness_tests, timing_tests
from perfcodegen.methods.judging import JudgeService
from perfcodegen.problems.registry import traits_of
from perfcodegen.store import CallRecord, CandidateRecord, RunStore
from perfcodegen.store.shared import SharedResults
from perfcodegen.vocabulary import Problem, TestCase


@dataclass(frozen=True)
class Conversation:
    """An immutable chat transcript; methods extend it turn by turn."""

    messages: tuple[ChatMessage, ...] = ()

    def user(self, content: str) -> Conversation:
        return Conversation((*self.messages, ChatMessage(role="user", content=content)))

    def assistant(self, content: str) -> Conversation:
        return Conversation((*self.messages, ChatMessage(role="assistant", content=content)))

    def system(self, content: str) -> Conversation:
        return Conversation((ChatMessage(role="system", content=content), *self.messages))

    @property
    def last(self) -> str:
        return self.messages[-1].content if self.messages else ""


def with_system_prompt(conversation: Conversation, system_prompt: str | None) -> Conversation:
    """The run's system prompt (protocols, --system-prompt) before a conversation without one."""
    if not system_prompt or any(m.role == "system" for m in conversation.messages):
        return conversation
    return conversation.system(system_prompt)


@dataclass
class Candidate:
    """A program a method produced, with the conversation that produced it."""

    record: CandidateRecord
    conversation: Conversation

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def code(self) -> str | None:
        return self.record.code

    @property
    def key(self) -> str:
        """The id within its problem, e.g. 's3.c1.p2' (sample 3, fixed, 2nd speed-up)."""
        return self.record.id.rsplit("#", 1)[1]

    @property
    def sample_index(self) -> int:
        return self.record.sample_index


@dataclass
class ProblemSession:
    problem: Problem
    config: RunConfig
    store: RunStore
    model: ModelProvider
    refine_model: ModelProvider
    judge: JudgeService
    method: str
    candidates: list[Candidate] = field(default_factory=list)
    shared: SharedResults | None = None
    """Check results of the benchmark's own programs, shared across runs (`store.shared`)."""
    _digests: dict[int, tuple[list[TestCase], str]] = field(default_factory=dict, repr=False)

    # -- tests -----------------------------------------------------------------------------
    @property
    def feedback_tests(self) -> list[TestCase]:
        """Tests the model may see and the method may use for its decisions."""
        if self.config.method.feedback_tests == "public":
            public = self.problem.public_tests
            return public or self.problem.tests[:1]
        return self.problem.tests

    @property
    def check_tests(self) -> list[TestCase]:
        """The feedback tests correctness checks use: the benchmark's own (stress tests
        attached for timing never judge a program)."""
        own = traits_of(self.config.selection.benchmark).always_stress
        return correctness_tests(self.feedback_tests, own)

    @property
    def timing_tests(self) -> list[TestCase]:
        """The feedback tests that timing uses (`--timing-tests`)."""
        return timing_tests(self.feedback_tests, self.config.measurement.timing_tests)

    # -- model -----------------------------------------------------------------------------
    async def ask(
        self,
        conversation: Conversation,
        *,
        key: str,
        purpose: Purpose,
        sample_index: int,
        candidate_id: str | None = None,
        greedy: bool = False,
    ) -> ModelOutput:
        """One model turn, memoized under `problem id | key` in the run store."""
        purpose = Purpose(purpose)  # a plain string from a caller outside the package
        full_key = f"{self.problem.id}|{key}"
        recorded = self.store.get_call(full_key)
        if recorded is not None and recorded.messages == list(conversation.messages):
            return recorded.output  # a reply is reused only for the very same messages
        provider = self.model if purpose is Purpose.SAMPLE else self.refine_model
        conversation = with_system_prompt(conversation, self.config.generation.system_prompt)
        greedy_temperature = self.config.generation.refine_temperature or 0.0
        params = GenerateConfig(
            temperature=greedy_temperature if greedy else (self.config.generation.temperature or 0.0),
            top_p=1.0 if greedy else self.config.generation.top_p,
            max_tokens=self.config.generation.max_tokens,
            # One fixed seed for all k samples would make a server return k equal answers.
            seed=None if self.config.generation.seed is None else self.config.generation.seed + sample_index,
        )
        context = RequestContext(task_id=self.problem.id, sample_index=sample_index, purpose=purpose)
        output = await provider.generate(list(conversation.messages), params, context)
        self.store.put_call(
            CallRecord(
                key=full_key,
                problem_id=self.problem.id,
                candidate_id=candidate_id,
                purpose=purpose,
                model=provider.name,
                messages=list(conversation.messages),
                output=output,
            )
        )
        return output

    # -- candidates ------------------------------------------------------------------------
    def add_candidate(
        self,
        candidate_id: str,
        reply: str,
        conversation: Conversation,
        *,
        sample_index: int,
        phase: str,
        round: int = 0,
        parent: Candidate | None = None,
    ) -> Candidate:
        """Extract the program from a reply and record it (a reply without code is recorded too)."""
        extracted = extract_code(reply, prompt=self.problem.prompt, entry_point=self.problem.entry_point)
        record = CandidateRecord(
            id=f"{self.problem.id}#{candidate_id}",
            problem_id=self.problem.id,
            sample_index=sample_index,
            parent_id=parent.id if parent else None,
            phase=phase,
            round=round,
            method=self.method,
            code=extracted.code if extracted.ok else None,
            parse_error=None if extracted.ok else (extracted.reason or "no code in reply"),
        )
        self.store.put_candidate(record)
        candidate = Candidate(record=record, conversation=conversation)
        self.candidates.append(candidate)
        return candidate

    def add_program(
        self, candidate_id: str, program: str, *, sample_index: int, phase: str
    ) -> Candidate:
        """Record a program that was given, not generated (no code extraction, no model)."""
        record = CandidateRecord(
            id=f"{self.problem.id}#{candidate_id}", problem_id=self.problem.id,
            sample_index=sample_index, phase=phase, method=self.method, code=program,
        )  # fmt: skip
        self.store.put_candidate(record)
        candidate = Candidate(record=record, conversation=Conversation())
        self.candidates.append(candidate)
        return candidate

    def save(self, candidate: Candidate) -> None:
        self.store.put_candidate(candidate.record)

    # -- judge -----------------------------------------------------------------------------
    async def check(
        self,
        candidate: Candidate,
        tests: list[TestCase] | None = None,
        *,
        stop_at_first_failure: bool = True,
        time_limits_s: list[float] | None = None,
    ) -> ProgramResult:
        """Correctness on the feedback tests (or the given ones); by default it stops at the
        first failure."""
        if candidate.code is None:
            return _unparsed(candidate, len(tests or self.check_tests))
        result = await self.run_job(
            [candidate.code], tests if tests is not None else self.check_tests,
            MeasureMode.CHECK, candidate_id=candidate.id,
            stop_at_first_failure=stop_at_first_failure, time_limits_s=time_limits_s,
        )
        return result.result

    async def time(self, candidate: Candidate) -> ProgramResult:
        """E timed runs per feedback test (WALL), for the method's own decisions."""
        assert candidate.code is not None
        result = await self.run_job(
            [candidate.code], self.timing_tests, MeasureMode.WALL, candidate_id=candidate.id
        )
        return result.result

    async def costliest_test(self, candidate: Candidate) -> tuple[TestCase, TestOutcome] | None:
        """PerfCodeGen Eq. 1-2: the feedback test with the largest trimmed-mean time."""
        timed = await self.time(candidate)
        if not timed.ok or not timed.tests:
            return None
        outcome = max(timed.tests, key=lambda t: t.trimmed_mean_s or 0.0)
        return self.timing_tests[outcome.index], outcome

    async def run_job(
        self,
        programs: list[str],
        tests: list[TestCase],
        mode: MeasureMode,
        *,
        candidate_id: str | None = None,
        stop_at_first_failure: bool = True,
        time_limits_s: list[float] | None = None,
        repeats: int | None = None,
        round_index: int = 0,
        fresh_processes: bool = False,
    ) -> JudgeResult:
        """Run (or replay) a judge job; content-addressed so equal work is done once.
        `repeats`/`round_index`: a timed batch's rounds and number; `fresh_processes`: a check
        run per test in a process of its own, whose CPU time is a figure (`perfcodegen.sequential`)."""
        job = self.judge.make_job(
            programs, self.problem, mode, tests, stop_at_first_failure, time_limits_s
        )
        if repeats is not None or round_index:
            job = job.model_copy(update={"repeats": repeats or job.repeats, "round": round_index})
        if fresh_processes:
            job = job.model_copy(update={"fresh_process_per_test": True})
        key = job_key(job, self._digest(tests))
        job = job.model_copy(update={"job_id": key[:16]})
        recorded = self.store.get_judge(key)
        if recorded is not None:
            return recorded
        shared = self.shared if self._trusted(programs, mode) else None
        result = shared.get(key) if shared is not None else None
        if result is None:
            result = await self.judge.run(job)
            if shared is not None:
                shared.put(key, result)
        self.store.put_judge(key, self.problem.id, candidate_id, job, result)
        return result

    def _digest(self, tests: list[TestCase]) -> str:
        """`tests_digest_of(tests)`, computed once per list of tests of this session."""
        known = self._digests.get(id(tests))
        if known is None or known[0] is not tests:
            known = (tests, tests_digest_of(tests))
            self._digests[id(tests)] = known
        return known[1]

    def _trusted(self, programs: list[str], mode: MeasureMode) -> bool:
        """A check of the benchmark's own programs only (never a candidate's)."""
        own = {*self.problem.references, self.problem.input_program}
        return mode is MeasureMode.CHECK and all(program in own for program in programs)


def _unparsed(candidate: Candidate, total: int) -> ProgramResult:
    from perfcodegen.judge.model import Verdict

    return ProgramResult(
        verdict=Verdict.SYNTAX_ERROR,
        passed=0,
        total=total,
        error_type="NoCode",
        error_message=candidate.record.parse_error or "the reply contains no program",
    )


def job_key(job: JudgeJob, tests_digest: str | None = None) -> str:
    """The content address of a judge job (everything but its id). `tests_digest`: the
    job's `tests_digest(job.tests)`, when the caller keeps it (HumanEval+ has ~760 tests per
    problem: encoding them for every job of a problem costs more than judging some)."""
    payload = job.model_dump(mode="json", exclude={"job_id", "tests"})
    payload["tests"] = tests_digest or tests_digest_of(job.tests)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"{job.mode.value}:{digest}"


def tests_digest_of(tests: list[TestCase]) -> str:
    """A content digest of `tests`, stable across processes and runs.

    Each test is hashed as marshal format 0 (no interning flags, no references: the bytes
    depend only on the values), or as canonical JSON when marshal's bytes could depend on the
    process (sets, whose order follows string hashes) or cannot be had. HumanEval+ has ~125k
    tests: JSON alone took 2 s of the judge's GIL per eval."""
    digest = hashlib.sha256()
    for test in tests:
        fields = (
            test.kind.value, test.public, test.args, test.expected, test.expected_digest,
            test.assertion, test.stdin, test.expected_stdout, test.atol, test.name,
        )  # fmt: skip
        try:
            encoded = b"m" + marshal.dumps(fields, 0)
        except ValueError:  # not marshallable
            encoded = b""
        if not encoded or any(code in encoded for code in _SET_CODES):
            encoded = b"j" + json.dumps(test.model_dump(mode="json"), sort_keys=True).encode()
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return digest.hexdigest()


_SET_CODES = (b"<", b">")
"""Marshal's set and frozenset codes (a string holding these bytes merely takes the JSON way)."""
