#!/bin/bash
# The chaos soak of tests/soak/ (its README), for 2 minutes in every run
# of the suite; tests/soak/chaos.sh runs it for as long as asked.
SOAK_SECONDS=${SOAK_SECONDS:-120} exec "$(dirname "$0")/../soak/chaos.sh"
