# kg: make help lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install demo test bench lint clean java chromium fuzz eval

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) java chromium ## Create .venv with the kg command (and Java for the reasoner, Chromium for the report's browser test)

java: ## Install a Java runtime for HermiT if none is present
	@command -v java >/dev/null 2>&1 || { \
	  echo "no Java found: installing default-jre-headless"; \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null); \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq default-jre-headless >/dev/null; fi; }

chromium: ## Install Debian's Chromium for the report's browser test, where apt-get can run (the test skips otherwise)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "no Chromium found: installing Debian's chromium (for tests/test_report.py)"; \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: the browser test will skip"; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then (sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: the browser test will skip"; \
	  else echo "no root: Chromium not installed, the browser test will skip"; fi; }

demo: install ## Build the bundled MSC/liver sample into kg-store, ask it a question, recommend, write the report and the table
	@mkdir -p out
	$(BIN)/kg build samples/msc-liver -o out/msc-liver.ttl --store kg-store
	$(BIN)/kg validate out/msc-liver.ttl
	$(BIN)/kg stats out/msc-liver.ttl
	$(BIN)/kg ontology check
	$(BIN)/kg query --name trials-by-condition --param term="liver failure"
	$(BIN)/kg recommend NCT03945487 --explain --top 5
	$(BIN)/kg table -o out/msc-liver-trials.csv
	$(BIN)/kg report --condition "liver diseases" -o out/msc-liver-report.html
	@echo; echo "make demo: the graph is out/msc-liver.ttl, the store kg-store (what kg query, recommend, table and report read by default),"; \
	echo "the trial table out/msc-liver-trials.csv and the landscape report out/msc-liver-report.html (open it in a browser)."

test: install ## Run the test suite
	$(BIN)/pytest

fuzz: install ## A long fuzzing campaign over every parser (3,000 mutated inputs per parser)
	KG_FUZZ=long $(BIN)/pytest tests/test_fuzz.py -q

bench: install ## Benchmarks: build at 10k/50k/200k trials (trials/s, peak memory, store, naive rdflib), SPARQL, recommendations, updates, peers (naive rdflib, morph-kgc) at 2k
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_query.py --sizes 2000,10000,50000
	$(BIN)/python bench/bench_recommend.py --sizes 1000,50000
	$(BIN)/python bench/bench_update.py --sizes 10000,50000
	bash bench/rml/setup.sh
	$(BIN)/python bench/bench_peers.py --trials 2000
	$(BIN)/python bench/bench_serve.py --clients 8 --seconds 60

SHARED := ../shared/data/ctgov
EVAL_INPUTS := $(SHARED)/v2-json $(SHARED)/legacy-xml $(SHARED)/v1-studyfields-json $(SHARED)/relatedness/records

out/relatedness.ttl: $(STAMP)
	@mkdir -p out
	$(BIN)/kg build $(EVAL_INPUTS) -o $@

eval: ## Score recommendations (and the TF-IDF/BM25 baselines) on the relatedness truth set, doses, schedules and eligibility thresholds on the gold, cell products, learned MeSH ancestry (tune and held-out halves)
	@if [ ! -f $(SHARED)/relatedness/truth-dev.tsv ]; then echo "make eval: skipped, $(SHARED)/relatedness is absent"; exit 0; fi; \
	if [ -z "$$(find $(EVAL_INPUTS) -newer out/relatedness.ttl -print -quit 2>/dev/null)" ] && [ -f out/relatedness.ttl ]; \
	then echo "out/relatedness.ttl is up to date"; else rm -f out/relatedness.ttl; $(MAKE) --no-print-directory out/relatedness.ttl; fi; \
	for half in held-out tune; do echo; echo "## $$half half"; \
	$(BIN)/kg evaluate --graph out/relatedness.ttl --truth $(SHARED)/relatedness/truth-dev.tsv --half $$half; done
	@if [ -f $(SHARED)/gold/doses-dev.json ]; then for half in held-out tune; do echo; \
	echo "## doses and schedules, $$half half of the gold"; \
	$(BIN)/kg score-doses --gold $(SHARED)/gold/doses-dev.json --half $$half; done; fi
	@if [ -f $(SHARED)/gold/eligibility-dev.json ]; then for half in held-out tune; do echo; \
	echo "## eligibility thresholds, $$half half of the gold (the held-out half's misses were read on 2026-12-07: development data since)"; \
	$(BIN)/kg score-thresholds --gold $(SHARED)/gold/eligibility-dev.json --half $$half; done; fi
	@if [ -d $(SHARED)/v1-studyfields-json ]; then for half in held-out tune; do echo; \
	echo "## eligibility thresholds on ten more variables, $$half half of kg's own gold (gold/eligibility-more.json; the held-out half's misses were read on 2026-12-07: development data since)"; \
	$(BIN)/kg score-thresholds --gold gold/eligibility-more.json --half $$half; done; \
	echo; echo "## eligibility thresholds on ten more variables, fresh records (gold/eligibility-more-fresh.json: X1-X2 first scored unseen, then development data; X3-X4 scored unseen with the final rules)"; \
	$(BIN)/kg score-thresholds --gold gold/eligibility-more-fresh.json --half all; \
	echo; echo "## eligibility thresholds, kg's own extra gold (gold/eligibility-extra.json, used to develop the rules)"; \
	$(BIN)/kg score-thresholds --gold gold/eligibility-extra.json --half all; \
	echo; echo "## eligibility thresholds, kg's fresh gold (gold/eligibility-fresh.json: each batch first scored unseen, see its README; now used to develop the rules)"; \
	$(BIN)/kg score-thresholds --gold gold/eligibility-fresh.json --half all; fi
	@if [ -d ../shared/data/ctgov/v1-studyfields-json ]; then for half in held-out tune; do echo; \
	echo "## cell products, $$half half of kg's own gold (gold/cell-products-dev.json)"; \
	$(BIN)/kg score-cell-products --gold gold/cell-products-dev.json --half $$half; done; fi
	@if [ -d $(SHARED)/v1-studyfields-json ]; then for half in held-out tune; do echo; \
	echo "## MeSH ancestry learned from the other half's records, tested on the $$half half"; \
	$(BIN)/kg score-mesh-ancestry $(SHARED)/v1-studyfields-json $(SHARED)/v2-json $(SHARED)/relatedness/records --half $$half; done; fi

lint: install ## ruff (lint and format) and mypy --strict (strict is set in pyproject.toml); CI runs it
	$(BIN)/ruff check kg tests bench
	$(BIN)/ruff format --check kg tests bench
	$(BIN)/mypy kg

clean: ## Remove .venv and outputs
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache build dist
