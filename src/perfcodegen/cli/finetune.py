"""`perfcodegen finetune build` and `perfcodegen finetune train` (ECCO §4.3; docs/finetuning.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perfcodegen.cli._app import app, console, parse_options, print_json
from perfcodegen.cli._options import (
    DataOpt,
    IsolationOpt,
    JsonOpt,
    LoaderOptionOpt,
    WorkersOpt,
    isolation_level,
)
from perfcodegen.errors import PerfCodegenError

finetune_app = typer.Typer(
    help="ECCO's fine-tuning: build training data (vanilla, exec, trajectory) and train LoRA.",
    no_args_is_help=True,
)
app.add_typer(finetune_app, name="finetune")

METHODS = ("vanilla", "exec", "trajectory")
PARADIGMS = ("edit", "nl2code")


def _choice(value: str, known: tuple[str, ...], option: str) -> str:
    if value not in known:
        raise PerfCodegenError(f"{option} must be one of {', '.join(known)}, not {value!r}")
    return value


@finetune_app.command("build")
def build_command(
    benchmark: Annotated[str, typer.Argument(help="ecco or pie (or any loader with pairs).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for the data.")],
    method: Annotated[str, typer.Option(help="vanilla, exec or trajectory.")] = "vanilla",
    paradigm: Annotated[str, typer.Option(help="edit or nl2code.")] = "edit",
    data: DataOpt = None,
    option: LoaderOptionOpt = None,
    train_split: Annotated[
        str, typer.Option(help="Split to train on ('' for a benchmark without splits).")
    ] = "train",
    eval_split: Annotated[
        str, typer.Option(help="Split whose problems are held out ('' for none).")
    ] = "test",
    eval_data: Annotated[
        list[Path] | None,
        typer.Option(help="JSONL of evaluation rows (problem_id) to hold out; repeatable."),
    ] = None,
    validation_fraction: Annotated[
        float, typer.Option(help="Share of train problems kept for validation.")
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the validation split.")] = 0,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per public test (exec).")] = 5,
    workers: WorkersOpt = None,
    isolation: IsolationOpt = "full",
    json_output: JsonOpt = False,
) -> None:
    """Build ECCO-style fine-tuning data from a benchmark's train split."""
    from perfcodegen.finetune.build import BuildSettings, build

    settings = BuildSettings(
        benchmark=benchmark,
        format=_choice(method, METHODS, "--method"),  # type: ignore[arg-type]
        paradigm=_choice(paradigm, PARADIGMS, "--paradigm"),  # type: ignore[arg-type]
        data=data,
        load_options=parse_options(option),
        train_split=train_split or None,
        eval_split=eval_split or None,
        eval_data=list(eval_data or []),
        validation_fraction=validation_fraction,
        seed=seed,
        repeats=repeats,
        workers=workers,
        isolation=isolation_level(isolation),
    )

    def judged(done: int, total: int) -> None:
        if not json_output:
            console.print(f"judged input programs: {done}/{total}", highlight=False)

    report = build(settings, out, progress=judged)
    if json_output:
        print_json(report.model_dump(mode="json"))
        return
    console.print(
        f"{report.examples['train']} train and {report.examples['validation']} validation "
        f"examples ({report.origins['train']} + {report.origins['validation']} problems) in {out}; "
        f"{len(report.excluded_eval_problems)} evaluation problems held out, "
        f"{report.duplicates} duplicates and {report.skipped} unusable pairs dropped",
        highlight=False,
    )


@finetune_app.command("train")
def train_command(
    base_model: Annotated[
        str, typer.Option("--base-model", help="Hub id or folder of the LM, local, or PATH.gguf.")
    ],
    data: Annotated[Path, typer.Option("--data", help="Folder written by `finetune build`.")],
    out: Annotated[Path, typer.Option("--out", help="Checkpoints and adapter go here.")],
    epochs: Annotated[
        float | None, typer.Option(help="Default: ECCO's, 1 (edit) or 10 (nl2code).")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    lora_rank: Annotated[int, typer.Option(help="LoRA rank r.")] = 8,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha.")] = 16,
    target_modules: Annotated[
        str | None,
        typer.Option(help="Comma-separated module names to adapt (default: peft's per model)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Per-device batch size.")] = 2,
    gradient_accumulation: Annotated[int, typer.Option(help="Gradient accumulation steps.")] = 1,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate.")] = 1e-3,
    warmup_steps: Annotated[int, typer.Option(help="Linear warm-up steps.")] = 100,
    max_length: Annotated[int, typer.Option(help="Longer examples are dropped.")] = 2048,
    save_steps: Annotated[int, typer.Option(help="Checkpoint every N steps.")] = 200,
    logging_steps: Annotated[int, typer.Option(help="Report the loss every N steps.")] = 10,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    allow_cpu: Annotated[
        bool, typer.Option("--allow-cpu", help="Train without a GPU (tiny models only).")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """LoRA fine-tuning with ECCO's hyper-parameters; rerun to resume from the last checkpoint."""
    from perfcodegen.finetune.train import TrainSettings, train
    from perfcodegen.llm.gguf import adapted_spec

    settings = TrainSettings(
        base_model=base_model, data=data, out=out, epochs=epochs, max_steps=max_steps,
        lora_rank=lora_rank, lora_alpha=lora_alpha, batch_size=batch_size,
        target_modules=[m.strip() for m in target_modules.split(",")] if target_modules else None,
        gradient_accumulation=gradient_accumulation, learning_rate=learning_rate,
        warmup_steps=warmup_steps, max_length=max_length, save_steps=save_steps,
        logging_steps=logging_steps, seed=seed, allow_cpu=allow_cpu,
    )

    def progress(logs: dict[str, float]) -> None:
        if json_output:
            return
        shown = ", ".join(f"{k} {v:.4g}" for k, v in logs.items() if k not in ("step", "max_steps"))
        console.print(f"step {logs['step']:.0f}/{logs['max_steps']:.0f}: {shown}", highlight=False)

    result = train(settings, on_log=progress)
    if json_output:
        print_json(result.model_dump(mode="json"))
        return
    resumed = f", resumed from {result.resumed_from}" if result.resumed_from else ""
    console.print(
        f"{result.steps} steps on {result.device} over {result.examples} examples{resumed}; "
        f"adapter in {result.adapter} (use --model {adapted_spec(base_model, result.adapter)})",
        highlight=False,
    )
