"""`perfcodegen finetune train`: LoRA on built data with ECCO's hyper-parameters (App. B).

Defaults: LoRA rank 8, alpha 16; per-device batch 2; AdamW, learning rate 1e-3, 100 warm-up
steps; 1 epoch for editing, 10 for NL-instructed generation (ECCO used DeepSpeed ZeRO-2 on
4 GPUs; here one process, Hugging Face `Trainer` + `peft`). The loss is on the target only: the
prompt is the model's chat template with the generation prompt (what `hf/` sends at
evaluation; a model without one, such as `local`, gets the raw prompt of the `local` provider,
llm/local_prompt.py), its labels are masked, and the target is followed by the end-of-sequence token.
Examples longer than `max_length` tokens are dropped, never cut (a cut target teaches a
truncated program). Checkpoints go to ``<out>/checkpoints`` and a rerun resumes from the last;
the adapter and tokenizer go to ``<out>/adapter`` (``--model hf/<base>+<out>/adapter``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from perfcodegen.errors import DataError, PerfCodegenError, require
from perfcodegen.finetune.build import read_manifest, read_split
from perfcodegen.llm.gguf import resolve_weights
from perfcodegen.llm.local_prompt import base_training_pair

ADAPTER_DIR = "adapter"
CHECKPOINTS_DIR = "checkpoints"
SUMMARY_FILE = "training.json"
IGNORED_LABEL = -100
EPOCHS_BY_PARADIGM = {"edit": 1.0, "nl2code": 10.0}
LogCallback = Callable[[dict[str, float]], None]


class NoAcceleratorError(PerfCodegenError):
    exit_code = 2


class TrainSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    base_model: str
    """Hub id or local folder of the causal LM to adapt."""
    data: Path
    """A `perfcodegen finetune build` output folder."""
    out: Path
    epochs: float | None = Field(default=None, gt=0)
    """None: ECCO's (1 for edit, 10 for nl2code, from the data's manifest)."""
    max_steps: int | None = Field(default=None, gt=0)
    lora_rank: int = Field(default=8, ge=1)
    lora_alpha: int = Field(default=16, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | None = None
    """None: peft's default projections for the architecture."""
    batch_size: int = Field(default=2, ge=1)
    gradient_accumulation: int = Field(default=1, ge=1)
    learning_rate: float = Field(default=1e-3, gt=0)
    warmup_steps: int = Field(default=100, ge=0)
    max_length: int = Field(default=2048, ge=8)
    save_steps: int = Field(default=200, ge=1)
    save_total_limit: int | None = 3
    logging_steps: int = Field(default=10, ge=1)
    seed: int = 0
    allow_cpu: bool = False


class TrainResult(BaseModel):
    adapter: Path
    device: str
    examples: int
    dropped_too_long: int
    steps: int
    resumed_from: str | None
    losses: list[float]
    """Training loss at each logging step, in order."""
    eval_loss: float | None = None


def accelerator(torch: Any) -> str | None:
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else None


def train(settings: TrainSettings, on_log: LogCallback | None = None) -> TrainResult:
    torch: Any = require("torch", "finetune")
    device = accelerator(torch)
    if device is None and not settings.allow_cpu:
        raise NoAcceleratorError(
            "no GPU found: LoRA training of a 7B model needs one (pass --allow-cpu to train "
            "on the CPU anyway, e.g. a tiny model)"
        )
    transformers: Any = require("transformers", "finetune")
    peft: Any = require("peft", "finetune")
    datasets: Any = require("datasets", "finetune")
    manifest = read_manifest(settings.data)
    paradigm = str(manifest.settings.get("paradigm", "edit"))
    base = resolve_weights(settings.base_model)  # `local`, PATH.gguf: converted (llm/gguf.py)
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_rows, dropped = tokenize_rows(read_split(settings.data, "train"), tokenizer, settings.max_length)
    eval_rows, _ = tokenize_rows(read_split(settings.data, "validation"), tokenizer, settings.max_length)
    if not train_rows:
        raise DataError(
            f"no training example fits --max-length {settings.max_length} tokens "
            f"({dropped} dropped as too long)"
        )
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
    lora = peft.LoraConfig(
        r=settings.lora_rank,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )
    model = peft.get_peft_model(model, lora)
    checkpoints = settings.out / CHECKPOINTS_DIR
    bf16 = dtype == torch.bfloat16
    arguments = _training_arguments(transformers, settings, checkpoints, paradigm, device, bf16)
    losses: list[float] = []
    trainer = transformers.Trainer(
        model=model,
        args=arguments,
        train_dataset=datasets.Dataset.from_list(train_rows),
        eval_dataset=datasets.Dataset.from_list(eval_rows) if eval_rows else None,
        data_collator=transformers.DataCollatorForSeq2Seq(
            tokenizer, padding=True, label_pad_token_id=IGNORED_LABEL
        ),
        callbacks=[_log_callback(transformers, losses, on_log)],
    )
    trainer.remove_callback(transformers.PrinterCallback)  # our callback reports progress
    last = transformers.trainer_utils.get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    trainer.train(resume_from_checkpoint=last)
    eval_loss = trainer.evaluate()["eval_loss"] if eval_rows else None
    adapter = settings.out / ADAPTER_DIR
    trainer.model.save_pretrained(str(adapter))
    tokenizer.save_pretrained(str(adapter))
    result = TrainResult(
        adapter=adapter,
        device=device or "cpu",
        examples=len(train_rows),
        dropped_too_long=dropped,
        steps=int(trainer.state.global_step),
        resumed_from=last,
        losses=losses,
        eval_loss=None if eval_loss is None else float(eval_loss),
    )
    summary = {"settings": settings.model_dump(mode="json"), "result": result.model_dump(mode="json")}
    (settings.out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return result


def _training_arguments(
    transformers: Any, settings: TrainSettings, checkpoints: Path, paradigm: str,
    device: str | None, bf16: bool,
) -> Any:
    return transformers.TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        learning_rate=settings.learning_rate,
        warmup_steps=settings.warmup_steps,
        num_train_epochs=settings.epochs or EPOCHS_BY_PARADIGM.get(paradigm, 1.0),
        max_steps=settings.max_steps or -1,
        optim="adamw_torch",
        logging_steps=settings.logging_steps,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        seed=settings.seed,
        bf16=bf16,
        use_cpu=device is None,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=device == "cuda",
    )


def tokenize_rows(
    rows: Sequence[Mapping[str, Any]], tokenizer: Any, max_length: int
) -> tuple[list[dict[str, list[int]]], int]:
    """Chat rows -> input ids and labels masked outside the target; also the count dropped."""
    features = []
    dropped = 0
    for row in rows:
        messages = row["messages"]
        if getattr(tokenizer, "chat_template", None):
            prompt_ids, target = chat_prompt_ids(tokenizer, messages[:-1]), messages[-1]["content"]
        else:  # a base model: the raw prompt that the `local` provider sends it
            prompt, target = base_training_pair(messages)
            prompt_ids = list(tokenizer(prompt)["input_ids"])
        target_ids = list(tokenizer(target, add_special_tokens=False)["input_ids"])
        target_ids.append(tokenizer.eos_token_id)
        input_ids = prompt_ids + target_ids
        if len(input_ids) > max_length:
            dropped += 1
            continue
        features.append(
            {
                "input_ids": input_ids,
                "attention_mask": [1] * len(input_ids),
                "labels": [IGNORED_LABEL] * len(prompt_ids) + target_ids,
            }
        )
    return features, dropped


def chat_prompt_ids(tokenizer: Any, messages: Sequence[Mapping[str, str]]) -> list[int]:
    """The prompt as the `hf/` provider sends it: chat template plus the generation prompt."""
    if not getattr(tokenizer, "chat_template", None):
        raise PerfCodegenError(
            "the base model's tokenizer has no chat template; fine-tune an instruct model "
            "(evaluation formats prompts with the same template)"
        )
    ids = tokenizer.apply_chat_template(
        [dict(m) for m in messages], add_generation_prompt=True, tokenize=True, return_dict=False
    )
    return [int(i) for i in ids]


def _log_callback(transformers: Any, losses: list[float], on_log: LogCallback | None) -> Any:
    class _Progress(transformers.TrainerCallback):  # type: ignore[misc]
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            logs = dict(logs or {})
            if "loss" in logs:
                losses.append(float(logs["loss"]))
            if on_log is not None:
                numbers = {k: float(v) for k, v in logs.items() if isinstance(v, (int, float))}
                on_log({"step": float(state.global_step), "max_steps": float(state.max_steps), **numbers})

    return _Progress()
