"""The floor of any fresh-process run: a bare fork, exit and wait of the fork server's interpreter.

Shared by bench/run_cost.py (CPU time and page faults) and bench/judge_integrity_cost.py
(wall time). The script starts as the fork server does (a lean interpreter with the
package's judge modules, warmed and frozen) and then forks instead of serving.
"""

from __future__ import annotations

import subprocess

_SCRIPT = r"""
import gc, os, resource, time
from perfcodegen.judge import forkserver, runproc
runproc.warm_up()
gc.collect()
gc.freeze()
def once():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
for _ in range(50):
    once()
s0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
walls = []
for _ in range(BATCHES):
    start = time.perf_counter()
    for _ in range(PER_BATCH):
        once()
    walls.append((time.perf_counter() - start) / PER_BATCH)
s1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
forks = BATCHES * PER_BATCH
cpu = lambda a, b: (b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime) / forks * 1e6
print(cpu(s0, s1), (s1.ru_minflt - s0.ru_minflt) / forks, cpu(c0, c1),
      (c1.ru_minflt - c0.ru_minflt) / forks, min(walls) * 1e6)
"""


def bare_fork(forks: int = 500, batches: int = 5) -> dict[str, float]:
    """Per fork (`forks` in `batches`): the parent's and the child's CPU time (us) and minor
    page faults, and the wall time (us) of the fastest batch."""
    from perfcodegen.judge.client import lean_command

    python, _, bootstrap, root, _ = lean_command("unused")
    per_batch = max(1, forks // batches)
    loop = _SCRIPT.replace("BATCHES", str(batches)).replace("PER_BATCH", str(per_batch))
    done = subprocess.run(
        [python, "-c", bootstrap.split("module, function =")[0] + loop, root],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    parent_us, parent_faults, child_us, child_faults, wall_us = map(float, done.stdout.split())
    return {
        "bare_parent_cpu_us": parent_us, "bare_parent_faults": parent_faults,
        "bare_child_cpu_us": child_us, "bare_child_faults": child_faults,
        "bare_total_cpu_us": parent_us + child_us, "bare_wall_us": wall_us,
    }  # fmt: skip
