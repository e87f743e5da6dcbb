"""ECCO's fine-tuning methods (§4.3): data builders, LoRA training, adapters as models.

`build` turns a benchmark's train split into vanilla, execution-conditioned or
trajectory-conditioned chat data; `train` fits a LoRA adapter on it; `adapters` lets the
`hf/` and `vllm/` providers load ``<base>+<adapter>``. See docs/finetuning.md.
"""
