"""ECCO's fine-tuning methods (§4.3): data builders and LoRA training.

`build` turns a benchmark's train split into vanilla, execution-conditioned or
trajectory-conditioned chat data; `train` fits a LoRA adapter on it. Tuned adapters are
served as models by `perfcodegen.llm.adapters` (``hf/<base>+<adapter>``), and evaluated with
the prompts of `perfcodegen.methods.finetuned`. See docs/finetuning.md.
"""
