# Two commands do all the set-up on a fresh Debian machine, as root:
#   make demo   lab up, web protected, service killed, VM crashed, switched back, times measured
#   make test   unit tests, ansible-test sanity, integration tests against the lab
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
LAB := python3 -m lab
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# The collection as ansible finds it, and the lab package (lab/) for the
# tests, the chaos suite, the benchmarks and the demo.
export PYTHONPATH := $(CURDIR)/.build/collections:$(CURDIR)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# ansible-rulebook (tests/lab/test_rulebook.py) needs Java 17.
export JAVA_HOME := $(or $(JAVA_HOME),$(firstword $(wildcard /usr/lib/jvm/java-17-openjdk-*)))

.PHONY: help setup demo test unit playbooks environments docs sanity integration molecule lint docs-lint lab-slow lab-tests lab-start lab-stop lab-status bench bench-eda bench-fencing changelog clean chaos chaos-fast chaos-user chaos-mutation

help:
	@echo "make demo    - set up, start the lab, protect web, recover, fail over, switch back, measure"
	@echo "make test    - set up, run unit, sanity and integration tests"
	@echo "make docs    - the collection's documentation site in .build/docs/html (antsibull-docs, Sphinx)"
	@echo "make bench   - vm_health_info vs community.vmware.vmware_vm_info at 100/1,000/5,000 VMs, and bench-eda"
	@echo "make bench-eda - detection latency (a VM, a service checked on its node), recovery time, a watcher takeover, the watcher's cost at 5,000 VMs, and bench-fencing"
	@echo "make bench-fencing - fencing through a BMC (fence_ipmilan, fence_redfish); host crash -> VMs on another host"
	@echo "make chaos   - every fault-injection scenario against the lab (CHAOS='name ...' or CHAOS='--seed N')"
	@echo "make lab-slow - the lab tests marked slow (covered another way in make test)"
	@echo "make lab-start | lab-stop | lab-status"

setup:
	@tools/setup.sh

demo: setup
	@tools/demo.sh

test: setup unit playbooks environments sanity lint docs-lint docs integration molecule chaos-fast chaos-user

unit:
	$(PY) -m pytest -q tests/unit

# Playbooks run as a user runs them (no lab needed).
playbooks:
	$(PY) -m pytest -q tests/playbooks

# The execution and decision environments (extensions/environments): ansible-builder
# create on each, from the collection's tarball, and the build contexts checked (no container engine).
environments:
	$(PY) -m pytest -q tests/environments

sanity:
	tools/ansible-test.sh sanity

# The lab is started (or reused) for the integration tests and left running
# for the next run; `make lab-stop` ends it.
integration: lab-start
	cp .lab/default/vcenter.json tests/integration/integration_config.yml
	tools/ansible-test.sh integration --local
	$(PY) -m pytest -q -m "not slow" --durations=15 tests/lab

# The lab tests marked slow: what a faster test in make test also covers, another way.
lab-slow: lab-start
	$(PY) -m pytest -q -m slow tests/lab

# ansible-lint, production profile, offline, over the whole collection
# (.ansible-lint says what is excluded and why).
lint:
	$(VENV)/bin/ansible-lint --nocolor

# Every plugin's and role's documentation as antsibull-docs renders it
# (docs.ansible.com's tool), on the collection as ansible finds it (.build/collections).
docs-lint:
	cd .build/collections/ansible_collections/vigil/ha && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/collections $(CURDIR)/$(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .

# The documentation site in .build/docs/html (tools/docs.sh): the plugin and role pages
# of antsibull-docs and the guides (docs/*.md), built by Sphinx; a warning fails it.
docs: setup
	tools/docs.sh

# The roles' scenarios on test hosts made of network namespaces with sshd
# (extensions/molecule/resources/create.yml); each destroys what it made.
molecule:
	NO_COLOR=1 $(VENV)/bin/molecule test --all

# Fault injection (docs/chaos.md): scenarios with audits, a table and
# .lab/default/chaos/results.json. chaos-mutation breaks a safety rule in a
# copy of the collection and checks that the suite fails.
CHAOS_RUN := $(PY) tests/chaos/runner.py
chaos: setup lab-start
	$(CHAOS_RUN) $(CHAOS)

# The fast subset but the scenarios chaos-user runs anyway (installed, on the user's names).
chaos-fast: lab-start
	$(CHAOS_RUN) --fast $(addprefix --skip ,$(CHAOS_USER_SCENARIOS)) --json .lab/default/chaos/results-fast.json

# A few fast scenarios as a user runs them: the collection installed with
# ansible-galaxy, no repository ansible.cfg, the lab's cluster under other names.
CHAOS_USER := .lab/default/chaos/user-cluster
CHAOS_USER_SCENARIOS := service_crash node_vm_crash same_event_twice watched_service_crash two_controllers_one_failure \
	frozen_controller_after_a_move frozen_controller_after_its_commit active_watcher_killed budget_across_two_controllers
chaos-user: lab-start
	rm -rf $(CHAOS_USER)
	$(PY) -m lab user-inventory $(CHAOS_USER) --data-dir $(CURDIR)/.lab/default/chaos/shared/web
	$(CHAOS_RUN) --installed --cluster $(CHAOS_USER) --hierarchy shop --json .lab/default/chaos/results-user.json \
		$(CHAOS_USER_SCENARIOS)

chaos-mutation: lab-start
	$(PY) tests/chaos/mutation.py

lab-start:
	@$(LAB) start

lab-stop:
	@$(LAB) stop --all

lab-status:
	@$(LAB) status

bench: setup bench-eda
	$(PY) bench/health_read.py

# Detection latency, recovery time (lab "default") and the watcher's cost at 5,000 VMs.
bench-eda: setup lab-start bench-fencing
	$(PY) bench/detection.py
	$(PY) bench/check_detection.py
	$(PY) bench/recovery.py
	$(PY) bench/cases.py
	$(PY) bench/watcher_takeover.py
	$(PY) bench/watcher_cost.py

# Issue 11: a BMC fence with the product's agent runner; a host crash in host mode under the watcher.
bench-fencing: setup lab-start
	$(PY) bench/fencing.py
	$(PY) bench/host_failover.py

changelog: setup
	$(VENV)/bin/antsibull-changelog lint

clean: lab-stop
	rm -rf .build tests/output tests/integration/integration_config.yml
