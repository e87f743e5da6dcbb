"""Where judge jobs run: this machine (`local`, the fork-server pool of `perfcodegen.judge.pool`),
a Ray cluster (`ray`) or a Judge0 server (`judge0`). `open_backend` builds one from the
command line's choices."""

from __future__ import annotations

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.backend import Backend

BACKENDS = ("local", "ray", "judge0")


def open_backend(
    kind: str = "local",
    *,
    workers: int | None = None,
    isolation: str = "full",
    pin_cpus: bool = True,
    ray_address: str | None = None,
    judge0_url: str | None = None,
    judge0_key: str | None = None,
) -> Backend:
    """The backend `kind`, not yet started (`Judge` starts it)."""
    if kind == "local":
        from perfcodegen.judge.pool import LocalBackend

        return LocalBackend(workers, pin_cpus, isolation)
    if kind == "ray":
        from perfcodegen.backends.ray import RayBackend

        return RayBackend(ray_address, workers=workers, isolation=isolation)
    if kind == "judge0":
        if not judge0_url:
            raise PerfCodegenError("--backend judge0 needs --judge0-url (the Judge0 server's URL)")
        if isolation == "full":
            raise PerfCodegenError(
                "--backend judge0 runs candidates in the Judge0 server's sandbox, which "
                "perfcodegen cannot check (docs/scale-out.md); pass --isolation partial to use it"
            )
        from perfcodegen.backends.judge0 import Judge0Backend

        return Judge0Backend(judge0_url, api_key=judge0_key, concurrency=workers)
    raise PerfCodegenError(f"--backend must be one of {', '.join(BACKENDS)}, not {kind!r}")
