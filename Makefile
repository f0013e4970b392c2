# kefu — one command per task, the same locally and in CI.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint eval bench bench-load venv clean bench-llm eval-llm vllm-prepare

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml scripts/install_llama_cpp.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.lock
	scripts/install_llama_cpp.sh $(VENV)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

## run: install, migrate, seed the demo tenant if empty, serve on 127.0.0.1:8000; the demo bank's help
## centre (data/demo_helpcentre) is served on 127.0.0.1:8010 alongside, registered as the demo tenant's
## website source "demo-help-centre" (sync it from the admin console's Sources page)
DEMO_SITE := http://127.0.0.1:8010
run: venv
	$(BIN)/kefu migrate
	$(BIN)/kefu demo --if-empty
	$(BIN)/kefu source add web --tenant harbor --name demo-help-centre --url $(DEMO_SITE)/ \
		--sitemap $(DEMO_SITE)/sitemap.xml --allow-private --delay 0.2 --if-absent
	$(BIN)/kefu demo-site --port 8010 & site=$$!; trap 'kill $$site 2>/dev/null' EXIT INT TERM; \
		ACTIONS__DEMO_BANK_IN_PROCESS=true $(BIN)/kefu serve

## test: every tier; integration tests run when DATABASE_URL / REDIS_URL point at real servers.
## The browser tier runs in its own pytest process: Playwright's sync API keeps an event loop running in
## the main thread for the session, which would break every asyncio test collected after it.
TEST_PARTS := "tests --ignore=tests/e2e" "tests/e2e"
test: venv
	@rc=0; for part in $(TEST_PARTS); do \
	  $(BIN)/python -m pytest $$part; r=$$?; \
	  if [ $$r -eq 5 ]; then echo "pytest collected no tests in: $$part" >&2; r=1; fi; \
	  if [ $$r -ne 0 ]; then rc=$$r; fi; \
	done; exit $$rc

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app retrieval dialog llm_backend privacy

# eval / bench: each area adds its own prerequisite target (eval-retrieval, eval-pii, bench-llm, ...).
EVAL_TARGETS :=
BENCH_TARGETS :=
EVAL_TARGETS += eval-llm
BENCH_TARGETS += bench-llm
EVAL_TARGETS += eval-pii
BENCH_TARGETS += bench-pii
BENCH_TARGETS += bench-turn
EVAL_TARGETS += eval-retrieval
BENCH_TARGETS += bench-retrieval
EVAL_TARGETS += eval-dialog
EVAL_TARGETS += eval-answerability
EVAL_TARGETS += eval-answers
BENCH_TARGETS += bench-analytics

eval: venv $(EVAL_TARGETS)

bench: venv $(BENCH_TARGETS)

# With DATABASE_URL / REDIS_URL set (as in CI), the run uses a fresh database on that PostgreSQL server and
# its own Redis namespace; otherwise SQLite and in-process stores (docs/BENCHMARKS.md, "Load"). WORKERS=N:
# kefu serve --workers N (N > 1 needs both).
bench-load: venv
	$(BIN)/kefu bench load $(if $(DATABASE_URL),--database-server $(DATABASE_URL)) $(if $(REDIS_URL),--redis-url $(REDIS_URL)) $(if $(WORKERS),--workers $(WORKERS))

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

## LLM backend (docs/BENCHMARKS.md, "LLM backend"). vllm-prepare: the vLLM (CPU) venv + tiny MoE, cached per machine.
vllm-prepare: venv
	scripts/prepare_vllm.sh $(VENV)

bench-llm: venv vllm-prepare
	$(BIN)/kefu bench llm-cpu
	$(BIN)/kefu bench llm-client
	$(BIN)/kefu bench llm-prefix
	$(BIN)/kefu bench llm-cache

eval-llm: venv
	$(BIN)/kefu eval llm-answers

## Privacy (docs/BENCHMARKS.md, "Privacy"): presidio-research vs default Presidio, CLUENER2020, generated zh set; latency.
.PHONY: eval-pii bench-pii
eval-pii: venv
	$(BIN)/kefu eval pii-suite

bench-pii: venv
	$(BIN)/kefu bench pii

## Spine (docs/BENCHMARKS.md, "Turn latency (spine)"): 200 turns through the real layers, without and with the LLM.
.PHONY: bench-turn
bench-turn: venv
	$(BIN)/kefu migrate
	$(BIN)/kefu demo --if-empty
	$(BIN)/kefu bench turn --turns 200 --no-llm
	$(BIN)/kefu bench turn --turns 200 --llm

## Retrieval (docs/BENCHMARKS.md, "Retrieval"): five public sets, BM25 / dense / LangChain dense / hybrid; speed.
.PHONY: eval-retrieval bench-retrieval
eval-retrieval: venv
	$(BIN)/kefu eval retrieval-suite

bench-retrieval: venv
	$(BIN)/kefu bench retrieval

## Dialog (docs/BENCHMARKS.md, "Dialog"): BANKING77 intents, CLINC150 out-of-scope, the multi-turn dialog set
## (decisions, rewrites, tracker latency). Figures also land in var/eval/dialog-*.json.
.PHONY: eval-dialog
eval-dialog: venv
	mkdir -p var/eval
	$(BIN)/kefu eval intents --train $${EVAL_DATA_DIR:-../shared/data}/banking77/train.csv \
		--test $${EVAL_DATA_DIR:-../shared/data}/banking77/test.csv --embedder all-minilm-l6-v2 --json \
		> var/eval/dialog-banking77.json && cat var/eval/dialog-banking77.json
	$(BIN)/kefu eval clinc --embedder all-minilm-l6-v2 --json > var/eval/dialog-clinc150.json \
		&& cat var/eval/dialog-clinc150.json
	$(BIN)/kefu eval dialogs --data data/dialog_eval.jsonl --json > var/eval/dialog-dialogs.json \
		&& cat var/eval/dialog-dialogs.json
	$(BIN)/kefu eval dialogs --data data/handoff_eval.jsonl --json > var/eval/dialog-handoff.json \
		&& cat var/eval/dialog-handoff.json
	$(BIN)/kefu eval dialogs --data data/handoff_heldout.jsonl --json > var/eval/dialog-handoff-heldout.json \
		&& cat var/eval/dialog-handoff-heldout.json

## Answerability (docs/BENCHMARKS.md, "Answerability"): the demo KB's golden questions and an unanswerable set
## through tracker + retrieval floor + policy, as the turn decides before any model call.
.PHONY: eval-answerability
eval-answerability: venv
	$(BIN)/kefu eval answerability

## Answers end to end (docs/BENCHMARKS.md, "Answers (end to end)"): fresh widget conversations through the
## served API of the embedded default (started and stopped by the command); dev + bad input, held-out, held-out b, BANKING77.
.PHONY: eval-answers
eval-answers: venv
	mkdir -p var/eval
	$(BIN)/kefu eval answers --data data/answers/answers_dev.jsonl --data data/answers/bad_input.jsonl \
		--output var/eval/answers-dev.json
	$(BIN)/kefu eval answers --data data/answers/answers_heldout.jsonl --output var/eval/answers-heldout.json
	$(BIN)/kefu eval answers --data data/answers/answers_heldout_b.jsonl --output var/eval/answers-heldout-b.json
	$(BIN)/kefu eval answers --banking77 60 --output var/eval/answers-banking77.json

## Admin analytics (docs/BENCHMARKS.md, "Admin analytics"): the near-duplicate rule on BQ corpus / AFQMC pairs,
## its speed, and the report's time over 2,000 and 10,000 seeded conversations (temporary SQLite).
.PHONY: bench-analytics
bench-analytics: venv
	$(BIN)/kefu bench analytics
