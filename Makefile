# The two commands of the README:
#   make demo   create the venv, install, seed the embedded SQLite demo, serve on 127.0.0.1:8000
#               (make demo PORT=8765 HOST=0.0.0.0 for another address)
#   make test   the whole suite: lint, types, shared + pack scenarios, invariants, pytest
VENV    ?= .venv
PYTHON  ?= python3
PG_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST    ?= 127.0.0.1
PORT    ?= 8000
SHARED  ?= ../shared
BIN     := $(VENV)/bin

.PHONY: demo test install lint scenarios verify pytest bench bench-log docs chromium clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/sanctuarygate demo --host $(HOST) --port $(PORT)

test: install chromium lint scenarios verify pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# The shared cases (and the public "a claim is not a document" cases) from ../shared when it is
# beside the repo, else from the repo's own copies in tests/legal/.
LEGAL := $(if $(wildcard $(SHARED)/legal/scenarios-claims.yaml),$(SHARED)/legal,tests/legal)

scenarios: install
	$(BIN)/sanctuarygate scenarios run $(LEGAL)/scenarios.yaml $(LEGAL)/scenarios-claims.yaml --packs

# Every profile on every day, then Chicago with the pack the README shows a city adopting for
# its gateway (one day stands for each interval between pack and invariant dates).
verify: install
	$(BIN)/sanctuarygate policy verify
	$(BIN)/sanctuarygate policy verify --profile chicago --extra-pack ocad-proposed-eo-2019

pytest: install
	SANCTUARYGATE_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest

bench: install
	$(BIN)/python bench/decisions.py --quick

# Durable appends and inclusion proofs of the decision log, on SQLite and on PostgreSQL at $(PG_URL).
bench-log: install
	$(BIN)/python bench/log.py --quick --pg-url $(PG_URL)

docs: install
	$(BIN)/python -m sanctuarygate.cli.reference > docs/cli.md

# Debian packages the tests use: Chromium for the browser tests (never a downloaded browser
# build), Pango and fonts for the printed PDFs (a Chinese font for the residents' page), and
# pdftoppm and zbarimg to render a sign and decode its QR codes.
SYSTEM_PACKAGES := chromium libpangoft2-1.0-0 fonts-dejavu-core fonts-wqy-microhei poppler-utils zbar-tools
chromium:
	@{ command -v chromium && command -v pdftoppm && command -v zbarimg \
	   && fc-list | grep -qi WenQuanYi; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES); \
	  else echo "install the Debian packages the tests use: sudo apt-get install $(SYSTEM_PACKAGES)"; fi; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
