"""`perfcodegen serve` over real loopback HTTP: the official judge0 SDK's round trip, the
Judge0 API's options, back-pressure, limits, auth, the native endpoint and a load test."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
from collections.abc import Iterator

import httpx
import pytest

from perfcodegen.judge.model import JudgeResult, Limits, MeasureMode
from perfcodegen.judge.pool import LocalBackend
from perfcodegen.serve import LimitCaps, ServiceSettings
from support.judge_service import LIMITS, RunningService, corpus, running_service

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("starlette") is None,
    reason="the serve extra is not installed (pip install perfcodegen[serve])",
)


@pytest.fixture(scope="module")
def service() -> Iterator[RunningService]:
    with running_service(lambda: LocalBackend(2)) as running:
        yield running


def test_the_official_judge0_sdk_round_trip(service: RunningService) -> None:
    judge0 = pytest.importorskip("judge0", reason="the judge0 SDK is not installed")
    client = judge0.Client(service.url)
    assert {language.id for language in client.languages} >= {71}
    assert client.get_about()["version"] == "1.13.1"
    assert {s["id"] for s in client.get_statuses()} == set(range(1, 15))
    source = "n = int(input())\nprint(sum(range(n + 1)))\n"
    accepted = judge0.run(
        client=client, source_code=source, language=judge0.PYTHON, stdin="10",
        expected_output="55",
    )
    assert accepted.status == judge0.Status.ACCEPTED
    assert accepted.stdout.strip() == "55"
    assert accepted.time is not None and accepted.time > 0
    wrong, crashed = judge0.run(
        client=client,
        submissions=[
            judge0.Submission(source_code=source, language=judge0.PYTHON, stdin="3",
                              expected_output="7"),
            judge0.Submission(source_code="print(1 // 0)", language=judge0.PYTHON),
        ],
    )
    assert wrong.status == judge0.Status.WRONG_ANSWER and wrong.stdout.strip() == "6"
    assert crashed.status == judge0.Status.RUNTIME_ERROR_NZEC
    assert "ZeroDivisionError" in crashed.stderr


def test_wait_false_then_get_with_fields_and_base64(service: RunningService) -> None:
    body = {"source_code": base64.b64encode(b"print(input().upper())").decode(),
            "language_id": 113, "stdin": base64.b64encode(b"abc").decode()}
    created = httpx.post(f"{service.url}/submissions?base64_encoded=true", json=body)
    assert created.status_code == 201 and set(created.json()) == {"token"}
    token = created.json()["token"]
    for _ in range(600):
        got = httpx.get(f"{service.url}/submissions/{token}",
                        params={"base64_encoded": "true", "fields": "status,stdout,token"})
        if got.json()["status"]["id"] > 2:
            break
        asyncio.run(asyncio.sleep(0.05))
    assert set(got.json()) == {"status", "stdout", "token"}
    assert got.json()["status"]["id"] == 3
    assert base64.b64decode(got.json()["stdout"]) == b"ABC\n"


def test_batch_create_and_get(service: RunningService) -> None:
    items = [{"source_code": f"print({i} * {i})", "language_id": 71, "expected_output": str(i * i)}
             for i in range(5)]
    items.append({"source_code": "print(1)", "language_id": 62})  # Java: refused, in place
    created = httpx.post(f"{service.url}/submissions/batch", json={"submissions": items}).json()
    assert "error" in created[-1] and all("token" in c for c in created[:-1])
    tokens = ",".join(c["token"] for c in created[:-1])
    for _ in range(600):
        batch = httpx.get(f"{service.url}/submissions/batch", params={"tokens": tokens}).json()
        if all(s["status"]["id"] > 2 for s in batch["submissions"]):
            break
        asyncio.run(asyncio.sleep(0.05))
    assert [s["status"]["id"] for s in batch["submissions"]] == [3] * 5


def test_errors_are_judge0_shaped(service: RunningService) -> None:
    assert httpx.get(f"{service.url}/submissions/no-such-token").status_code == 404
    bad_language = httpx.post(f"{service.url}/submissions", json={"source_code": "", "language_id": 1})
    assert bad_language.status_code == 422 and "language" in bad_language.json()["error"]
    not_json = httpx.post(f"{service.url}/submissions", content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 400


def test_the_native_endpoint_returns_the_judges_results(service: RunningService) -> None:
    for job, verdict in corpus(MeasureMode.WALL):
        answer = httpx.post(f"{service.url}/perfcodegen/jobs", content=job.model_dump_json(),
                            timeout=120)
        assert answer.status_code == 200
        result = JudgeResult.model_validate_json(answer.content)
        assert result.job_id == job.job_id and result.result.verdict is verdict, job.job_id
        if result.result.ok:
            assert all(len(t.times_s) == job.repeats for t in result.result.tests)


def test_limits_auth_and_back_pressure() -> None:
    settings = ServiceSettings(queue_size=2, max_request_bytes=2000, auth_token="s3cret",
                               limits=LIMITS)
    with running_service(lambda: LocalBackend(1), settings) as running:
        url = running.url
        small = {"source_code": "print(1)", "language_id": 71}
        assert httpx.post(f"{url}/submissions", json=small).status_code == 401
        assert httpx.get(f"{url}/about", headers={"X-Auth-Token": "wrong"}).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        big = {"source_code": "#" * 5000, "language_id": 71}
        assert httpx.post(f"{url}/submissions", json=big, headers=auth).status_code == 413
        three = {"submissions": [small] * 3}
        full = httpx.post(f"{url}/submissions/batch", json=three, headers=auth)
        assert full.status_code == 429 and full.headers["retry-after"] == "1"
        assert running.queue.accepted == 0  # all or nothing
        ok = httpx.post(f"{url}/submissions?wait=true", json=small, headers={"X-Auth-Token": "s3cret"})
        assert ok.status_code == 201 and ok.json()["status"]["id"] == 3


def test_shutdown_finishes_every_accepted_submission() -> None:
    slow = {"source_code": "import time\ntime.sleep(0.3)\nprint('done')", "language_id": 71,
            "expected_output": "done"}
    with running_service(lambda: LocalBackend(1)) as running:
        created = httpx.post(f"{running.url}/submissions/batch",
                             json={"submissions": [slow] * 4}).json()
        queue = running.queue
    # the service has shut down: every accepted job ran to the end before the backend closed
    tickets = [queue.get(c["token"]) for c in created]
    assert queue.accepted == queue.finished == 4
    assert all(t.result is not None and t.result.result.ok for t in tickets)


async def test_a_few_hundred_concurrent_submissions_lose_none(service: RunningService) -> None:
    count = 300
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=service.url, limits=limits, timeout=120) as client:
        async def submit(i: int) -> tuple[int, dict[str, object]]:
            body = {"source_code": "print(int(input()) + 1)", "language_id": 71,
                    "stdin": str(i), "expected_output": str(i + 1)}
            answer = await client.post("/submissions?wait=true&fields=token,status,stdout", json=body)
            assert answer.status_code == 201
            return i, answer.json()

        answers = await asyncio.gather(*(submit(i) for i in range(count)))
    assert len({a["token"] for _, a in answers}) == count
    assert all(a["status"]["id"] == 3 and a["stdout"] == str(i + 1) for i, a in answers)


def test_limits_above_the_maxima_are_refused_as_judge0_refuses_them() -> None:
    """Judge0 validates each limit against its configured maximum and answers 422 with the
    validation errors; nothing above a maximum ever reaches the judge."""
    caps = LimitCaps(max_cpu_time_limit=5.0, max_wall_time_limit=8.0, max_memory_limit=512 * 1024,
                     max_max_processes_and_or_threads=4, max_max_file_size=1024,
                     max_number_of_runs=3)
    settings = ServiceSettings(limits=Limits(wall_time_s=8.0, cpu_time_s=5.0, memory_mb=512, file_size_mb=1), caps=caps)
    with running_service(lambda: LocalBackend(1), settings) as running:
        url = running.url
        greedy = {"source_code": "print(1)", "language_id": 71, "cpu_time_limit": 86400,
                  "wall_time_limit": 86400, "memory_limit": 65 * 1024 * 1024,
                  "max_processes_and_or_threads": 5001, "max_file_size": 1 << 30,
                  "number_of_runs": 4}
        refused = httpx.post(f"{url}/submissions?wait=true", json=greedy)
        assert refused.status_code == 422
        assert refused.json() == {
            "cpu_time_limit": ["must be less than or equal to 5.0"],
            "wall_time_limit": ["must be less than or equal to 8.0"],
            "memory_limit": [f"must be less than or equal to {512 * 1024}"],
            "max_processes_and_or_threads": ["must be less than or equal to 4"],
            "max_file_size": ["must be less than or equal to 1024"],
            "number_of_runs": ["must be less than or equal to 3"],
        }
        at_the_maxima = {**greedy, "cpu_time_limit": 5, "wall_time_limit": 8,
                         "memory_limit": 512 * 1024, "max_processes_and_or_threads": 4,
                         "max_file_size": 1024, "number_of_runs": 3, "expected_output": "1"}
        ran = httpx.post(f"{url}/submissions?wait=true", json=at_the_maxima, timeout=120)
        assert ran.status_code == 201 and ran.json()["status"]["id"] == 3
        batch = httpx.post(f"{url}/submissions/batch",
                           json={"submissions": [greedy, at_the_maxima]}).json()
        assert batch[0]["cpu_time_limit"] == ["must be less than or equal to 5.0"]
        assert "token" in batch[1]
        assert running.queue.accepted == 2  # the refused ones never reached the queue
        info = httpx.get(f"{url}/config_info").json()
        assert (info["max_cpu_time_limit"], info["max_max_processes_and_or_threads"]) == (5.0, 4)
        job = corpus(MeasureMode.CHECK)[0][0]
        native = job.model_copy(update={"limits": settings.limits.model_copy(update={"cpu_time_s": 86400}), "repeats": 1})
        answer = httpx.post(f"{url}/perfcodegen/jobs", content=native.model_dump_json())
        assert answer.status_code == 422
        assert answer.json() == {"cpu_time_limit": ["must be less than or equal to 5.0"]}
