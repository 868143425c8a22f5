# The two commands of the README, and the build of the single executable.
SHELL := /bin/bash
URLS ?= http://127.0.0.1:8080
TEST_RESULTS := $(CURDIR)/artifacts/test-results

.PHONY: deps run test publish fuzz clean

deps:
	@scripts/install-deps.sh

# dotnet run starts in the project's folder: the data folder is named here so it is ./data of the checkout.
run: deps
	CUSTOMMODELS_DATA_DIR="$${CUSTOMMODELS_DATA_DIR:-$(CURDIR)/data}" \
	  dotnet run --project src/CustomModels.Api -c Release -- serve --urls $(URLS)

# Starts a throw-away PostgreSQL and Redis on loopback for the PostgreSQL and shared-rate-limit
# tests, runs every test project, and ends with one line that counts them all.
test: deps
	@rm -rf $(TEST_RESULTS)
	@export CUSTOMMODELS_TEST_POSTGRES="$$(scripts/test-postgres.sh start)"; \
	export CUSTOMMODELS_TEST_REDIS="$$(scripts/test-redis.sh start)"; \
	dotnet test CustomModels.slnx -c Release --logger trx --results-directory $(TEST_RESULTS) \
	  --logger "console;verbosity=normal"; status=$$?; \
	scripts/test-summary.sh $(TEST_RESULTS) && exit $$status

# afl-fuzz on one fuzz target for a while: make fuzz TARGET=arpa|normalizer|multipart SECONDS=60
fuzz: deps
	scripts/fuzz.sh $(TARGET) $(or $(SECONDS),60)

publish: deps
	dotnet publish src/CustomModels.Api -c Release -r linux-x64 --self-contained false \
	  -p:PublishSingleFile=true -o artifacts/custom-models

clean:
	rm -rf artifacts; dotnet clean CustomModels.slnx -v quiet
