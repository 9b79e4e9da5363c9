#!/bin/bash
# Boots a throw-away VM with Debian's stock kernel (qemu, software
# emulation) and runs a script in it; exits with the script's status.
#
# usage: tests/vm/run.sh GUEST-SCRIPT [VAR=VALUE...]
#
# The guest sees the host's root file system read-only (its own /run, /tmp
# and /proc over it), so GUEST-SCRIPT and everything it calls are host
# paths; it runs as root in the guest's root namespace with the VAR=VALUE
# settings and VM_RUN, a directory shared read-write with the host.  The
# guest has the kernel modules the host lacks: openvswitch (the kernel
# datapath), GRE, IPIP, VXLAN, Geneve.
#
# Networking: the VM runs inside a host network namespace, $VM_NS, created
# here and deleted afterwards.  Two guest interfaces:
#   ctl0  qemu user networking: the guest reaches the namespace's 127.0.0.1
#         as 10.0.2.2, and the namespace's 127.0.0.1:PORT reaches the guest
#         (10.0.2.15) on the ports in $VM_FORWARD (default 6640 6653: OVSDB
#         and OpenFlow)
#   up0   a data link to the tap "vmtap0" in $VM_NS
# $VM_HOST_CMD, if set, runs in $VM_NS in the background while the VM is
# up (e.g. a daemon the guest talks to) and is killed afterwards.
#
# Also: VM_SMP (default 2), VM_MEM (MB, default 1024), VM_TIMEOUT (seconds,
# default 900), VM_LOG (console log, default VM_RUN/console.log; the
# console is also copied to stdout), VM_KEEP=1 keeps VM_RUN.
set -e -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# The source tree (and the builds in it) again on its own, since the guest
# lays fresh file systems over /tmp and the like, where a checkout may be.
src=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,/^set/p' "$0" | sed 's/^# \{0,1\}//;/^set/d'; exit 2; }
script=$(realpath "$1")
shift
[ "$(id -u)" = 0 ] || { echo "vm/run: needs root" >&2; exit 99; }

read -r kernel initrd < <("$here/image.sh")
VM_NS=${VM_NS:-dsrvm-$$}
VM_RUN=$(mktemp -d /tmp/dsrvm.XXXXXX)
export VM_NS VM_RUN
log=${VM_LOG:-$VM_RUN/console.log}
host_pid=

cleanup() {
    local status=$?
    set +e
    [ -z "$host_pid" ] || kill "$host_pid" 2>/dev/null
    if ip netns list | grep >/dev/null "^$VM_NS\b"; then
        ip netns pids "$VM_NS" | xargs -r kill -9 2>/dev/null
        ip netns delete "$VM_NS"
    fi
    [ -n "$VM_KEEP" ] || rm -rf "$VM_RUN"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
    for setting in "$@"; do
        printf 'export %q\n' "$setting"
    done
    printf 'export VM_RUN=%q PATH=%q\n' "$VM_RUN" \
        /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
} > "$VM_RUN/guest-env"
cp "$script" "$VM_RUN/guest-script"

ip netns add "$VM_NS"
ip -n "$VM_NS" link set lo up
ip -n "$VM_NS" tuntap add dev vmtap0 mode tap
ip -n "$VM_NS" link set vmtap0 up
if [ -n "$VM_HOST_CMD" ]; then
    ip netns exec "$VM_NS" bash -c "$VM_HOST_CMD" &
    host_pid=$!
fi

fwd=
for port in ${VM_FORWARD:-6640 6653}; do
    fwd="$fwd,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:$port"
done
start=$SECONDS
set +e
ip netns exec "$VM_NS" timeout "${VM_TIMEOUT:-900}" \
    qemu-system-x86_64 -accel tcg -smp "${VM_SMP:-2}" -m "${VM_MEM:-1024}" \
    -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet vmrun=$VM_RUN vmsrc=$src" \
    -netdev "user,id=ctl,net=10.0.2.0/24$fwd" \
    -device virtio-net-pci,netdev=ctl,mac=52:54:00:d5:00:01 \
    -netdev tap,id=data,ifname=vmtap0,script=no,downscript=no \
    -device virtio-net-pci,netdev=data,mac=52:54:00:d5:00:02 \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$VM_RUN,mount_tag=vmrun,security_model=none" \
    -virtfs "local,path=$src,mount_tag=vmsrc,security_model=none,readonly=on" \
    < /dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e
echo "vm/run: qemu exited $qemu_status after $((SECONDS - start)) s"
rc=$(cat "$VM_RUN/guest-rc" 2>/dev/null) || {
    echo "vm/run: the guest script did not finish" >&2
    exit 1
}
exit "$rc"
