# The README's two commands: `make run` (main job on embedded defaults) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,hub,finetune,report,ray,serve]'
	touch $(STAMP)

venv: $(STAMP)

## Main job: evaluate the HumanEval reference solutions in the sandboxed judge.
run: $(STAMP)
	$(BIN)/perfcodegen eval humaneval --out runs/humaneval-references

## Test suite (what CI runs): lint, type-check, tests.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
