# The two commands of the README. Each does its own set-up: a virtual environment in
# .venv with the project installed (re-done whenever pyproject.toml changes).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= ci
# make test's profile: the gate (theorems/profiles.py: the suite's own properties at 30 examples,
# every engine run at ci's budgets); `make test PROFILE=thorough` still runs the whole suite deep.
TEST_PROFILE ?= $(if $(filter command line environment,$(origin PROFILE)),$(PROFILE),gate)

.PHONY: verify test quick dist docs user-journey browser redis flakiness bench cluster-bench calibrate fold-calibration mutation record quadrature-record audit-pyro

# One BLAS/OpenMP thread per process: the suite's tensors are tiny, and pytest-xdist
# gives each worker a core; more threads only contend (measured 50x slower fold checks).
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
# Bytecode is written (some machines set PYTHONDONTWRITEBYTECODE): pytest caches the modules it
# rewrites for assertions only where it may, and without that every test process (each worker,
# each pytest or theorems process a test starts) rewrote and compiled about 230 modules again,
# 4 of a collection's 9 s here. The caches are __pycache__ folders, ignored by git.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Check every theorem and transcribed claim; write reports/index.html.
verify: $(STAMP)
	$(BIN)/theorems verify --profile $(PROFILE) --jobs auto

# The report's browser test needs Debian's chromium (Playwright drives it; it never
# downloads a browser). Installed with apt when missing, through sudo unless root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing chromium for the report's browser test" >&2; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The cluster tests (tests/engine/test_cluster.py) start Debian's redis-server for the shared
# example database; installed with apt when missing, as chromium is. Dask comes with the
# project's dependencies.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing redis-server for the cluster tests" >&2; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# The property tests. Two workers with work stealing, the costly tests (marked slow)
# first (conftest.py): a worker that runs out takes half of the other's queue, so the
# long properties spread over both workers. Under xdist's load distribution the first
# tests are dealt out once and never moved: on the thorough profile one worker was left
# alone for minutes (627 s; 1.5 cores busy on average). pytest's exit code 5 (nothing collected) would mean the suite
# verified nothing, so it is reported as a failure in words, not passed over.
test: $(STAMP) browser redis
	@$(BIN)/python -m pytest -n 2 --dist worksteal --hypothesis-profile $(TEST_PROFILE); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: the suite verified nothing" >&2; fi; exit $$rc

# The inner loop (not the gate): every test that starts no process, no cluster, no browser and
# is not marked slow, each property at the quick profile's handful of examples. conftest.py
# fails a test of this tier that spends over 1 s of CPU in a phase (QUICK_CPU_SECONDS).
quick: $(STAMP)
	@$(BIN)/python -m pytest -n 2 --dist worksteal --hypothesis-profile quick -m "not e2e and not cluster and not slow"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: the suite verified nothing" >&2; fi; exit $$rc

# The distribution a user installs: the wheel and the source distribution in dist/ (PEP 517's
# `build`, without isolation: the backend is the one installed with the tests).
dist: $(STAMP)
	rm -rf dist build/lib  # setuptools reuses build/lib: a module moved out of the package would ship again
	$(BIN)/python -m build --no-isolation --outdir dist
	@ls -l dist

# The API reference from the docstrings (Sphinx autodoc, docs/), warnings as errors, then its
# examples run as doctests; the HTML is in build/docs. tests/doors/test_docs.py runs the same
# examples in make test.
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs build/docs
	$(BIN)/python -m sphinx -W --keep-going -q -b doctest docs build/doctest
	@echo "API reference: build/docs/index.html"

# A user's first hour from nothing: a fresh virtual environment, the wheel of `make dist` with
# the core only (torch, numpy, SciPy, Hypothesis from the package index), a right and a wrong
# fold checked, a report refused in one line, then the [report] extra and the report written.
# Prints the installed size after each step. Not part of make test (it installs torch).
# JOURNEY_PIP_ARGS picks the torch build, e.g. JOURNEY_PIP_ARGS='torch==2.13.0+cpu' for the
# CPU-only wheel in /opt/wheels (the index's default build carries CUDA: gigabytes).
JOURNEY := build/user-journey
JOURNEY_PIP_ARGS ?=
user-journey: dist
	rm -rf $(JOURNEY) && mkdir -p $(JOURNEY)/mylib
	$(PYTHON) -m venv $(JOURNEY)/venv
	$(JOURNEY)/venv/bin/python -m pip install --quiet "$$(ls dist/theorems-*.whl)" $(JOURNEY_PIP_ARGS)
	@echo "core installed: $$(du -sh $(JOURNEY)/venv | cut -f1)"
	printf 'import torch\n\ndef fold(conv, bn):\n    return torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)\n\ndef wrong(conv, bn):\n    return conv\n' > $(JOURNEY)/mylib/fuse.py
	cd $(JOURNEY) && venv/bin/theorems check fold-conv --impl mylib/fuse.py:fold --assume dims=2
	cd $(JOURNEY) && ! venv/bin/theorems check fold-conv --impl mylib/fuse.py:wrong
	cd $(JOURNEY) && venv/bin/theorems check fold-conv --impl mylib/fuse.py:fold --report r.html; test $$? -eq 2
	$(JOURNEY)/venv/bin/python -m pip install --quiet "$$(ls dist/theorems-*.whl)[report]"
	@echo "with [report]: $$(du -sh $(JOURNEY)/venv | cut -f1)"
	cd $(JOURNEY) && venv/bin/theorems check fold-conv --impl mylib/fuse.py:fold --assume dims=2 --report r.html

# A record of the whole package hashes every module of it (theorems.provenance); the
# strategies are named apart, since a source checkout installs them from properties/.
PACKAGE_MODULES := --package theorems --package theorems.strategies

# Twenty runs of the whole suite with the gate's example counts (make test's) under different seeds; any
# failure on correct code is flakiness. Prints the count of failing runs and writes it
# to reports/flakiness.json (shown in the report's "power of this suite" section), with its
# provenance: the whole suite ran, so every module of the package is hashed.
FLAKINESS_RUNS ?= 20
flakiness: $(STAMP) browser redis
	@mkdir -p reports; failures=0; failed=""; for seed in $$(seq 1 $(FLAKINESS_RUNS)); do \
	  if $(BIN)/python -m pytest -q -n 2 --dist worksteal --hypothesis-profile gate-reseeded --hypothesis-seed=$$seed > reports/flakiness-$$seed.log 2>&1; \
	  then echo "seed $$seed: passed"; else failures=$$((failures + 1)); failed="$$failed$${failed:+, }$$seed"; echo "seed $$seed: FAILED (reports/flakiness-$$seed.log)"; fi; \
	done; echo "$$failures of $(FLAKINESS_RUNS) runs failed"; \
	printf '{"runs": %d, "failures": %d, "failed_seeds": [%s], "profile": "gate-reseeded", "date": "%s"}\n' \
	  $(FLAKINESS_RUNS) $$failures "$$failed" "$$(date -u '+%Y-%m-%d %H:%M:%S UTC')" > reports/flakiness.json; \
	$(BIN)/python -m theorems.provenance reports/flakiness.json $(PACKAGE_MODULES); \
	[ $$failures -eq 0 ]

# Benchmarks (pytest-benchmark), skipped in the normal run; one process so timings are clean.
# The JSON feeds the report's benchmark table; its provenance hashes every module of the
# package (the benchmarks time every theorem's check).
bench: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m pytest --benchmark-only -p no:xdist --benchmark-columns=min,median,mean,rounds --benchmark-json reports/benchmarks.json
	$(BIN)/python -m theorems.provenance reports/benchmarks.json $(PACKAGE_MODULES)

# The cluster figures (README, "On a cluster"): the same checks in this process and on a
# local Dask cluster of 1 and of 2 workers, under ci and thorough, with the machine's load,
# and the model of larger clusters fitted to them. Writes reports/cluster_bench.json.
cluster-bench: $(STAMP)
	$(BIN)/python -m tools.cluster_bench --json reports/cluster_bench.json

# Each random check run many times on correct and on wrong input: measured false-alarm
# rate and power beside the stated ones (reports/calibration.json, shown in the report).
CALIBRATION_RUNS ?= 200
calibrate: $(STAMP)
	$(BIN)/python -m tools.calibration --runs $(CALIBRATION_RUNS)

# fold-network's float32 tolerance measured: two right folds (the reference, torch.fx's fuse)
# on FOLD_CALIBRATION_CASES random float32 networks, each fold's largest error-to-tolerance
# ratio (tools.fold_network_calibration; about five seconds a case on one core).
FOLD_CALIBRATION_CASES ?= 500
fold-calibration: $(STAMP)
	$(BIN)/python -m tools.fold_network_calibration --cases $(FOLD_CALIBRATION_CASES) --json reports/fold_network_calibration.json

# The quadrature oracles' error estimates against the true error on integrals with known
# values (tools.quadrature_record, about 90 s of one core). QUADRATURE_SAFETY is derived
# from this record, so it is written straight into measurements/ and committed with the
# constant (tests/tools/test_quadrature_record.py checks the one against the other).
# Every audited theorem on every class of Pyro's distributions and transforms (theorems.audits.pyro): the
# table and the findings with their minimal examples. Apart from verify: about four minutes at ci.
audit-pyro: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m tools.audit_pyro --profile $(PROFILE) --json reports/audit-pyro.json --page reports/audit-pyro.md

quadrature-record: $(STAMP)
	$(BIN)/python -m tools.quadrature_record --json measurements/quadrature.json

# Copy this machine's measurements (reports/) into measurements/, the record committed
# with the code: a fresh clone's report shows it, marked by its path, until rerun there.
# measurements/ is the one copy: the wheel ships it as the package data of
# theorems.measurements (pyproject.toml), where an installed report finds it. Each record
# carries its provenance (theorems.provenance); one without it is refused, since the report
# could not tell whether the code it measured has changed.
MEASURED := calibration.json flakiness.json benchmarks.json mutation.json
record:
	@mkdir -p measurements; for f in $(MEASURED); do \
	  if [ ! -f reports/$$f ]; then echo "reports/$$f is missing: nothing recorded for it" >&2; \
	  elif ! grep -q '"provenance"' reports/$$f; then echo "reports/$$f has no provenance (written by an older command): rerun it" >&2; \
	  else cp reports/$$f measurements/$$f; echo "recorded measurements/$$f"; fi; done

# Mutation testing of the reference implementations (mutmut; what is mutated and which
# properties run is in pyproject.toml's [tool.mutmut]). Not part of `make test`: it takes
# tens of minutes. Writes reports/mutation.json (score, and every survivor with its
# explanation from tests/mutation_equivalents.json); fails on an unexplained survivor.
# mutmut keeps verdicts in mutants/ and re-runs only what changed; `rm -rf mutants` for a
# run from scratch.
mutation: $(STAMP)
	@mkdir -p reports
	$(BIN)/mutmut run
	$(BIN)/python -m tools.mutation
