# vnplan — the two commands that work on a fresh machine:
#   make demo   run the pipeline on the bundled samples and show the result
#   make test   run the test suite (what CI runs)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test bootstrap bench clean

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	@rm -rf $(OUT)
	$(BIN)/vnplan run data/samples --out $(OUT)
	$(BIN)/vnplan summary $(OUT)
	$(BIN)/vnplan evaluate --gold data/gold --out $(OUT)

test: bootstrap
	$(BIN)/python -m pytest tests --doctest-modules pipeline extractors gazetteer

bench: bootstrap
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(OUT) .pytest_cache build *.egg-info
