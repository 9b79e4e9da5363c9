#!/bin/sh
# Installs the Debian 12 packages that building, testing and the demo need
# (with the DPDK build of ovs-vswitchd and the DPDK drivers it only
# recommends, for "make check DATAPATH=dpdk", qemu for "make check-vm", and
# keepalived and ipvsadm, whose sample configurations tests/test-import.c
# and tests/e2e/import.sh import; the policy below keeps keepalived down;
# and a headless Chromium for tests/e2e/status-page.sh).
# Idempotent: packages already present are left alone, and nothing is
# started (a policy-rc.d keeps Debian's openvswitch-switch service down,
# since ovs-dsr runs its own private ovsdb-server and ovs-vswitchd).
set -e

PACKAGES="
    autoconf automake libtool pkg-config make gcc clang
    libjansson-dev check libssl-dev libcap-ng-dev libunbound-dev
    libmicrohttpd-dev libcurl4-openssl-dev jq openssl valgrind binutils
    libmnl-dev
    python3 bc unbound
    openvswitch-source openvswitch-switch openvswitch-common
    iproute2 ethtool procps curl kmod iputils-ping iputils-arping tcpdump
    ndisc6
    openvswitch-switch-dpdk librte-mempool-ring23 librte-bus-vdev23
    librte-net-af-packet23
    qemu-system-x86 busybox-static
    keepalived ipvsadm
    chromium python3-websocket file prometheus
    debhelper lintian fakeroot dpkg-dev rsync man-db bash-completion
    bird2 frr
"

missing=
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root)" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' > $policy
    chmod +x $policy
    created_policy=yes
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

if [ -n "$created_policy" ]; then
    rm -f $policy
fi
