#!/bin/bash
# make check-vm: the end-to-end tests that depend on the datapath, on the
# kernel datapath, in a VM with Debian's stock kernel (tests/vm/run.sh),
# dsr-backend-tunnels and -ip6gre, which need that kernel's gre, ipip and
# ip6gre, and
# import-ipvs, which needs its IPVS (dsrctl, next to DSRD, only);
# dsrd runs on this host, against OVS in the guest (OpenFlow and OVSDB
# through qemu's port forwarding, health checks through the VM's data link),
# so a sanitizer build of dsrd runs at full speed.  Everything in the
# guest is emulated: the tests' waits get 180 s (SB_WAIT) instead of 10
# (on a 2-core host beside two CPU burners, a Python server in the guest
# was seen taking more than 60 s to listen).
#
# usage: DSRD=BUILD/controller/dsrd tests/vm/check-e2e.sh [TEST...]
# (default: the tests below; tests/vm/README.md says which are left out)
set -e -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
DSRD=$(realpath "${DSRD:?set DSRD to the dsrd binary}")
VALIDATE_JSON=$(realpath "${VALIDATE_JSON:-$(dirname "$DSRD")/../tests/validate-json}")
tests=${*:-l2-tcp l2-udp l2-ipv6 all-ports source-ip trace mac-change health
         l3-kernel dsr-backend-tunnels dsr-backend-ip6gre import-ipvs}
tests=$(echo $tests)

echo "check-vm: kernel datapath in a VM; tests: $tests"
echo "check-vm: not run here (they test dsrd itself, not the datapath;" \
     "make check runs them on userspace and DPDK): bad-config" \
     "docs-examples api api-crash api-concurrency api-security dsrctl" \
     "ovs-rejects ovs-restart restart-hitless valgrind audit status-page" \
     "prometheus; dsr-backend" \
     "(the backend script's parts that need no gre or ipip)"
# The VM's time limit only stops a hung guest: 900 s a test covers the
# slowest seen (690 s under emulation on a 2-core host beside two CPU
# burners, when the VM still ran at nice 10).  It runs at the host's
# priority: niced, it got a tenth of a core beside two burners and took
# 8 times as long as without (l2-udp: 772 s against 92 s).
n_tests=$(echo "$tests" | wc -w)
export VM_TIMEOUT=${VM_TIMEOUT:-$((900 * n_tests))}
start=$SECONDS
set +e
VM_HOST_CMD="exec python3 '$here/dsrd-agent.py' '$DSRD' 9190 \"\$VM_RUN\"" \
"$here/run.sh" "$here/e2e-guest.sh" \
    "VM_E2E_TESTS=$tests" DSR_DATAPATH=system SB_VM_LINKS=1 \
    "SB_WAIT=${SB_WAIT:-180}" \
    SB_DSRD_AGENT=http://10.0.2.2:9190 API_URL=http://10.0.2.2:9180 \
    "TOP_SRCDIR=$TOP_SRCDIR" "VALIDATE_JSON=$VALIDATE_JSON" "DSRD=$DSRD" \
    | grep -E --line-buffered '^(PASS|FAIL|SKIP|GUEST-|vm/run|    |[0-9]+ passed)'
status=${PIPESTATUS[0]}
echo "check-vm: $((SECONDS - start)) s"
exit "$status"
