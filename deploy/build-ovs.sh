#!/bin/sh
# Builds lib/libopenvswitch.a from Debian's openvswitch-source package, the
# way OVN builds against an OVS tree, and caches it outside the repository.
# Prints the tree's directory (pass it to configure as --with-ovs-source and
# --with-ovs-build).  A cached tree is reused when it matches the installed
# source package.
#
# Usage: deploy/build-ovs.sh [CACHE_DIR]   (default /var/cache/ovs-dsr)
set -e

cache=${1:-${OVS_DSR_CACHE:-/var/cache/ovs-dsr}}
tarball=/usr/src/openvswitch/openvswitch.tar.gz
version=$(dpkg-query -W -f='${Version}' openvswitch-source 2>/dev/null) || {
    echo "build-ovs: openvswitch-source is not installed" \
         "(run deploy/install-deps.sh)" >&2
    exit 1
}
tree=$cache/openvswitch-$version
stamp=$tree/.ovs-dsr-built

if [ -f "$stamp" ] && [ -f "$tree/lib/.libs/libopenvswitch.a" ]; then
    echo "$tree"
    exit 0
fi

rm -rf "$tree"
mkdir -p "$tree"
tar -xzf "$tarball" -C "$tree" --strip-components=1
cd "$tree"
[ -x configure ] || ./boot.sh >&2
# Same paths as Debian's openvswitch-switch, so ovs_rundir() and friends
# default to /var/run/openvswitch like the installed ovs-ofctl.
./configure --prefix=/usr --localstatedir=/var --sysconfdir=/etc \
    --enable-static --disable-shared >&2
# Generated headers first: automake builds BUILT_SOURCES only for "all".
# Under another make (debian/rules), make would print its directory.
built=$(make -s --no-print-directory -f Makefile -f - print-built-sources <<'MK'
print-built-sources: ; @echo $(BUILT_SOURCES)
MK
)
# shellcheck disable=SC2086
make -j"$(nproc)" $built >&2
make -j"$(nproc)" lib/libopenvswitch.la >&2
touch "$stamp"
echo "$tree"
