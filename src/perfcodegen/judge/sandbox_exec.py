"""Run one command (the instruction-counting runner) inside the judge's sandbox.

    python -c <lean bootstrap> perfcodegen.judge.sandbox_exec CONFIG -- COMMAND...

The same namespaces and filesystem view as the fork server (`sandbox.isolate`), plus the
folders CONFIG names (`writable`: callgrind's dump folder; `read_only`: the compiled shim).
PID 1 first writes one frame on standard output, {"event": "isolation", "level", "notes"},
then forks one process that takes the run limits and the sandbox uid (`sandbox.enter_run`)
and execs COMMAND with the standard streams it was given. PID 1 waits for it, kills and reaps
whatever it left, and exits with its status (128 + the signal when it was killed).
Below the accepted isolation level it exits with ISOLATION_REFUSED before running anything.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys

from perfcodegen.judge import sandbox, wire

ISOLATION_REFUSED = 71
_RANK = {"none": 0, "partial": 1, "full": 2}
_ADDR_NO_RANDOMIZE = 0x0040000
_PERSONALITY_QUERY = 0xFFFFFFFF


def main(argv: list[str]) -> None:
    config = json.loads(argv[0])
    command = argv[argv.index("--") + 1 :]
    writable = tuple(config.get("writable", []))
    isolation = sandbox.isolate(
        config["allow"], keep_fds=(0, 1, 2), writable=writable,
        read_only=tuple(config.get("read_only", [])),
    )  # fmt: skip
    level = isolation.level.value
    wire.write_frame(1, {"event": "isolation", "level": level, "notes": list(isolation.notes)})
    if _RANK[level] < _RANK[config["allow"]]:
        os._exit(ISOLATION_REFUSED)
    if isolation.sandbox_uid is not None:
        for path in writable:
            os.chown(path, isolation.sandbox_uid, isolation.sandbox_uid)
    pid = os.fork()
    if pid == 0:
        try:
            sandbox.enter_run(
                isolation,
                (),
                cpu_time_s=config["cpu_time_s"],
                memory_mb=config["memory_mb"],
                file_size_mb=config["file_size_mb"],
                max_processes=config["max_processes"],
                keep_stdio=True,
            )
            if config.get("no_aslr"):  # the same layout every run: hardware counts repeat
                libc = ctypes.CDLL(None, use_errno=True)
                libc.personality(libc.personality(_PERSONALITY_QUERY) | _ADDR_NO_RANDOMIZE)
            os.execv(command[0], command)
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    sandbox.kill_descendants()
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main(sys.argv[1:])
