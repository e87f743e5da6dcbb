"""The packaged Gemma 3 270M (`--model local`), each installed runtime side by side: load
time, greedy tokens/s, and a base run (greedy, k = 1) on HumanEval and MBPP: seconds per
problem and pass@1.

Gemma 3 270M is the *base* model, a model to test the machinery with: it writes
Python-shaped code but solves next to nothing, so its pass@1 says nothing about any method
and should be read as "about 0", not published.

    python bench/local_model.py [--problems 20] [--max-tokens 128] [--threads 2]

Tokens/s: greedy decoding of a fixed code prompt with no stop sequence, `--decode-tokens`
new tokens (wall time, after one warm-up call); tokens per CPU second divides by the
process's CPU time over the same call instead (all threads), which other load on a shared
machine does not move. Load: from the converted transformers folder (transformers) or
the GGUF file (llama.cpp); a first conversion from GGUF, once per machine, is reported apart.
Runs use `runs/`-style folders under a temporary directory and no response cache.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from perfcodegen import api
from perfcodegen.llm.gguf import local_runtimes, packaged_gguf, transformers_folder
from perfcodegen.llm.local_provider import LocalProvider, RuntimeChoice
from perfcodegen.llm.model import GenerateConfig
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.report.results import run_metrics

DECODE_PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'


def decode_speed(provider: LocalProvider, tokens: int) -> dict[str, float]:
    runtime = provider.load()
    config = GenerateConfig(temperature=0.0, max_tokens=tokens)
    runtime.complete(DECODE_PROMPT, config.model_copy(update={"max_tokens": 4}), [], 1)  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    [completion] = runtime.complete(DECODE_PROMPT, config, [], 1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    made = max(completion.completion_tokens, 1)
    return {"tokens": made, "tokens_per_s": made / wall, "tokens_per_cpu_s": made / cpu}


def base_run(provider: LocalProvider, benchmark: str, problems: int, max_tokens: int,
             out: Path) -> dict[str, Any]:  # fmt: skip
    data = shared_data_dir()
    settings: dict[str, Any] = {}
    if benchmark == "mbpp" and data is not None and (data / "mbpp").is_dir():
        settings["data"] = str(data / "mbpp")
    started = time.perf_counter()
    summary = api.run(
        benchmark, model=provider, method="base", k=1, limit=problems, temperature=0.0,
        max_tokens=max_tokens, repeats=1, out=out, cache=False, show_progress=False, **settings,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    metrics = run_metrics(out)
    return {
        "s_per_problem": elapsed / problems,
        "pass@1": metrics.pass_at_k.get("pass@1", 0.0),
        "errors": len(summary.errors),
    }


def measure(runtime: RuntimeChoice, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    provider = LocalProvider("", runtime=runtime)
    started = time.perf_counter()
    provider.load()
    row: dict[str, Any] = {"load_s": time.perf_counter() - started}
    row.update(decode_speed(provider, args.decode_tokens))
    for benchmark in ("humaneval", "mbpp"):
        result = base_run(provider, benchmark, args.problems, args.max_tokens, root / f"{runtime}-{benchmark}")
        row.update({f"{benchmark} {k}": v for k, v in result.items()})
    asyncio.run(provider.aclose())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    runtimes = local_runtimes()
    if "transformers" in runtimes:
        started = time.perf_counter()
        transformers_folder(packaged_gguf())  # converts once per machine; a no-op after
        print(f"transformers folder ready in {time.perf_counter() - started:.1f} s "
              "(a first conversion from GGUF takes about a minute of CPU)")  # fmt: skip
    with tempfile.TemporaryDirectory() as temp:
        rows = {r: measure(r, args, Path(temp)) for r in runtimes}  # type: ignore[arg-type]
    names = list(next(iter(rows.values())))
    print(f"Gemma 3 270M base Q4_K_M (a machinery-test model: pass@1 ~ 0 is expected); "
          f"{args.problems} problems per benchmark, greedy, k=1, max {args.max_tokens} tokens")  # fmt: skip
    print(f"{'':28}" + "".join(f"{r:>16}" for r in rows))
    for name in names:
        cells = "".join(f"{rows[r][name]:>16.3g}" for r in rows)
        print(f"{name:28}{cells}")


if __name__ == "__main__":
    main()
