#!/bin/bash
# The Debian packages (debian/): builds them from a copy of the tree with
# dpkg-buildpackage (libopenvswitch from the build cache, as
# deploy/build-ovs.sh keeps it), runs lintian (no errors), installs them,
# starts the installed dsrd with the installed configuration and the
# unit's state path against a sandbox OVS, asks the installed dsrctl, and
# checks that the state survives "dpkg -r" and goes with "dpkg -P".
set -e -o pipefail
: "${TOP_SRCDIR:?}"
if [ "${DSR_DATAPATH:-userspace}" != userspace ]; then
    echo "SKIP: the packages do not depend on the datapath"
    exit 77
fi
for tool in dpkg-buildpackage lintian dh fakeroot; do
    command -v "$tool" > /dev/null \
        || { echo "SKIP: no $tool (deploy/install-deps.sh)"; exit 77; }
done
if dpkg-query -W -f='${Status}' ovs-dsr ovs-dsr-backend 2>/dev/null \
        | grep >/dev/null installed; then
    echo "SKIP: ovs-dsr is installed on this machine; not touching it"
    exit 77
fi
for dir in /var/lib/ovs-dsr /etc/ovs-dsr /run/ovs-dsr /var/log/ovs-dsr; do
    [ ! -e $dir ] || { echo "FAIL: $dir exists without the package" \
                            "(a failed run's leftover?): remove it"; exit 1; }
done
. "$TOP_SRCDIR/deploy/sandbox.sh"
sb_init pkg
# Whatever happens, the machine is left without the packages, and without
# what a broken postrm may leave (the test found neither there).
pkg_cleanup() {
    local status=$?
    # Else, under set -e, "(exit 1)" below would end the trap before
    # sb_cleanup and leave the sandbox's OVS and dsrd running.
    set +e
    ovs-appctl -t /run/ovs-dsr/store.ctl exit > /dev/null 2>&1
    dpkg -P ovs-dsr ovs-dsr-backend > /dev/null 2>&1
    rm -rf /var/lib/ovs-dsr /etc/ovs-dsr /run/ovs-dsr /var/log/ovs-dsr
    (exit "$status")
    sb_cleanup
}
trap pkg_cleanup EXIT

# A copy of the tree as it is (committed or not), built as Debian would.
mkdir "$SB_DIR/src"
if git -C "$TOP_SRCDIR" rev-parse 2> /dev/null; then
    git -C "$TOP_SRCDIR" ls-files -co --exclude-standard \
        | grep -v '^debian/ovs-build/' \
        | rsync -a --files-from=- "$TOP_SRCDIR/" "$SB_DIR/src/"
else
    cp -a "$TOP_SRCDIR/." "$SB_DIR/src/"
fi
# PKG_CHECK_FULL=1: as a user builds it, libopenvswitch in the package's
# tree (minutes more); else the cached one.
if [ -z "$PKG_CHECK_FULL" ]; then
    OVS_DSR_CACHE=$(dirname "$("$TOP_SRCDIR/deploy/build-ovs.sh")")
    export OVS_DSR_CACHE
else
    unset OVS_DSR_CACHE
fi
start=$(date +%s)
(cd "$SB_DIR/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") \
    > "$SB_DIR/build.log" 2>&1 \
    || sb_fail "dpkg-buildpackage: $(tail -30 "$SB_DIR/build.log")"
echo "built in $(( $(date +%s) - start )) s:"
ls "$SB_DIR"/*.deb
deb=$(ls "$SB_DIR"/ovs-dsr_*.deb)
backend_deb=$(ls "$SB_DIR"/ovs-dsr-backend_*.deb)

lintian --tag-display-limit 0 "$SB_DIR"/*.changes > "$SB_DIR/lintian" 2>&1 \
    || true
cat "$SB_DIR/lintian"
! grep -q '^E:' "$SB_DIR/lintian" || sb_fail "lintian reports errors"

# What each package holds, and what it must not.
dpkg-deb -c "$deb" > "$SB_DIR/ovs-dsr.files"
dpkg-deb -c "$backend_deb" > "$SB_DIR/ovs-dsr-backend.files"
for f in ./usr/sbin/dsrd ./usr/sbin/dsrctl ./etc/ovs-dsr/dsrd.json \
         ./lib/systemd/system/dsrd.service \
         ./lib/systemd/system/ovs-dsr-store.service \
         ./usr/share/ovs-dsr/ovs-dsr.ovsschema \
         ./usr/share/man/man8/dsrd.8.gz ./usr/share/man/man8/dsrctl.8.gz \
         ./usr/share/bash-completion/completions/dsrctl \
         ./usr/share/doc/ovs-dsr/examples/prometheus/ovs-dsr.rules.yml \
         ./usr/share/doc/ovs-dsr/examples/grafana/ovs-dsr.json; do
    grep -q " $f\$" "$SB_DIR/ovs-dsr.files" || sb_fail "ovs-dsr lacks $f"
done
for f in ./usr/sbin/dsr-backend ./usr/lib/ovs-dsr/dsr-backend-persist.sh \
         ./usr/share/man/man8/dsr-backend.8.gz; do
    grep -q " $f\$" "$SB_DIR/ovs-dsr-backend.files" \
        || sb_fail "ovs-dsr-backend lacks $f"
done
! dpkg-deb -f "$backend_deb" Depends | grep >/dev/null openvswitch \
    || sb_fail "ovs-dsr-backend depends on OVS"

dpkg -i "$deb" "$backend_deb" > "$SB_DIR/install.log" 2>&1 \
    || sb_fail "dpkg -i: $(cat "$SB_DIR/install.log")"
[ "$(man -w dsrctl)" = /usr/share/man/man8/dsrctl.8.gz ] \
    || sb_fail "man dsrctl not found"
/usr/sbin/dsr-backend --help > "$SB_DIR/usage"
grep -q '^usage: dsr-backend' "$SB_DIR/usage" || sb_fail "dsr-backend --help"
# Its --persist half, found where the package put it.
DSR_BACKEND_ROOT=$SB_DIR/root DSR_BACKEND_NETWORKD=no /usr/sbin/dsr-backend \
    setup 192.0.2.10 --persist-only > "$SB_DIR/persist.log" 2>&1 \
    || sb_fail "dsr-backend setup --persist-only: $(cat "$SB_DIR/persist.log")"
grep -q '^VIPS=192.0.2.10$' "$SB_DIR/root/etc/dsr-backend/l2.conf" \
    || sb_fail "dsr-backend --persist-only wrote no l2.conf"
grep -q '^ExecStart=/usr/sbin/dsr-backend ' \
    "$SB_DIR/root/etc/systemd/system/dsr-backend@.service" \
    || sb_fail "the unit does not run /usr/sbin/dsr-backend"

# The unit is installed, not enabled, and names the paths used below.
unit=/lib/systemd/system/dsrd.service
state=/var/lib/ovs-dsr/dsrd.state.json
grep -q -- "--config=/etc/ovs-dsr/dsrd.json" $unit \
    && grep -q -- "--state-file=$state" $unit \
    || sb_fail "$unit: not the paths this test runs dsrd with"
for u in dsrd ovs-dsr-store; do
    [ ! -e /etc/systemd/system/multi-user.target.wants/$u.service ] \
        || sb_fail "$u.service enabled by the install"
done

# The installed dsrd, with the unit's paths, on a sandbox bridge named as
# the installed configuration says.
sb_start_ovs
sb_vsctl add-br br-lb -- set bridge br-lb datapath_type=netdev \
    fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow15
ip netns exec "$SB_LB" /usr/sbin/dsrd --config=/etc/ovs-dsr/dsrd.json \
    --state-file=$state --pidfile="$SB_DIR/dsrd.pid" \
    --log-file="$SB_DIR/dsrd.log" -vconsole:off --detach
ctl() { ip netns exec "$SB_LB" /usr/sbin/dsrctl "$@"; }
connected() { ctl status 2>/dev/null | grep >/dev/null 'br-lb.*connected'; }
sb_wait_until connected || sb_fail "dsrctl status: $(ctl status 2>&1)"
ctl status
ctl service add web --vip 192.0.2.10 --proto tcp --port 80 \
    --backend 198.51.100.11 > /dev/null || sb_fail "dsrctl service add"
pid=$(cat "$SB_DIR/dsrd.pid")
ovs-appctl -t "$SB_DIR/dsrd.$pid.ctl" exit
gone() { ! kill -0 "$pid" 2> /dev/null; }
sb_wait_until gone || sb_fail "dsrd $pid did not exit"
[ -s "$state" ] || sb_fail "no state in /var/lib/ovs-dsr"

# The store's unit: a one-member cluster of the installed schema, started
# by the unit's own command line (as systemd would: its directories
# made, its default options), seeded by the installed dsrd with --db.
store_unit=/lib/systemd/system/ovs-dsr-store.service
store_cmd=$(sed -n '/^ExecStart=/,/[^\\]$/p' $store_unit \
            | sed 's/^ExecStart=//; s/\\$//' | tr '\n' ' ')
store_opts=$(sed -n 's/^Environment=OVS_DSR_STORE_OPTS=//p' $store_unit)
mkdir -p /run/ovs-dsr /var/log/ovs-dsr
ovsdb-tool create-cluster /var/lib/ovs-dsr/store.db \
    /usr/share/ovs-dsr/ovs-dsr.ovsschema tcp:127.0.0.1:6644
OVS_DSR_STORE_OPTS=$store_opts eval "ip netns exec $SB_LB $store_cmd" \
    || sb_fail "$store_unit: $store_cmd"
ip netns exec "$SB_LB" /usr/sbin/dsrd --config=/etc/ovs-dsr/dsrd.json \
    --state-file=$state --pidfile="$SB_DIR/dsrd.pid" \
    --log-file="$SB_DIR/dsrd.log" -vconsole:off --detach \
    --db=unix:/run/ovs-dsr/store.sock,tcp:127.0.0.1:6641 --node-name=pkg
seeded() {
    ctl cluster 2>/dev/null | grep >/dev/null '^pkg  *[1-9]'
}
sb_wait_until seeded || sb_fail "dsrctl cluster: $(ctl cluster 2>&1)"
ctl cluster
ip netns exec "$SB_LB" ovsdb-client dump tcp:127.0.0.1:6641 OVS_DSR \
    Service name 2>&1 | grep -x >/dev/null 'web' \
    || sb_fail "the store on port 6641 does not hold web"
pid=$(cat "$SB_DIR/dsrd.pid")
ovs-appctl -t "$SB_DIR/dsrd.$pid.ctl" exit
sb_wait_until gone || sb_fail "dsrd $pid did not exit"
eval "$(sed -n 's/^ExecStop=//p' $store_unit)"
rm -rf /run/ovs-dsr /var/log/ovs-dsr /var/lib/ovs-dsr/store.db

dpkg -r ovs-dsr ovs-dsr-backend > /dev/null
[ ! -e /usr/sbin/dsrd ] || sb_fail "dsrd left after remove"
[ ! -e /usr/sbin/dsr-backend ] || sb_fail "dsr-backend left after remove"
# The write is in the journal until the next fold into the state file
# (if dsrd folded it, there is no journal).
cat "$state" "$state.journal" > "$SB_DIR/saved" 2> /dev/null || true
grep -q '"web"' "$SB_DIR/saved" || sb_fail "state lost by remove"
[ -e /etc/ovs-dsr/dsrd.json ] || sb_fail "conffile lost by remove"
# ovs-dsr-backend has no conffiles: "dpkg -r" left nothing to purge.
dpkg -P ovs-dsr > /dev/null
[ ! -e /var/lib/ovs-dsr ] || sb_fail "state left after purge"
[ ! -e /etc/ovs-dsr/dsrd.json ] || sb_fail "conffile left after purge"
echo "PASS: packages built, lintian clean of errors, installed, run," \
     "removed and purged"
