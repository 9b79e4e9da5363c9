#!/bin/bash
# Builds what tests/vm/run.sh boots: Debian's stock generic kernel (the
# linux-image-*-amd64 .deb, unpacked, never installed on this host) and a
# small initramfs holding busybox, kmod, the kernel modules the tests need
# (openvswitch, GRE, IPIP, IPVS, veth, virtio, 9p) and
# tests/vm/guest-init.sh.
# Everything else the guest runs comes from the host's root file system,
# shared read-only over 9p, so the guest runs the host's own OVS, iproute2,
# Python and curl.  Cached in $VM_CACHE (default /var/cache/ovs-dsr/vm),
# one per version of this script and guest-init.sh (so a changed module
# list builds a new one).
#
# usage: tests/vm/image.sh     prints "KERNEL INITRAMFS"
# Adapted from ../shared/tools/vm-kernel-datapath-probe.sh.
set -e -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VM_CACHE:-/var/cache/ovs-dsr/vm}
mkdir -p "$cache"

need=
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
[ -x /bin/busybox ] || need="$need busybox-static"
if [ -n "$need" ]; then
    echo "vm/image: missing packages:$need (run deploy/install-deps.sh)" >&2
    exit 1
fi

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
      | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || { echo "vm/image: no linux-image-amd64 in apt" >&2; exit 1; }
kver=${pkg#linux-image-}
kdir=$cache/k-$kver
if [ ! -f "$kdir/boot/vmlinuz-$kver" ]; then
    rm -rf "$kdir" "$cache/debs"
    mkdir -p "$cache/debs" "$kdir"
    (cd "$cache/debs" && apt-get download -q "$pkg" >&2)
    dpkg-deb -x "$cache/debs/${pkg}"_*.deb "$kdir"
    rm -rf "$cache/debs"
fi
mods=$kdir/lib/modules/$kver
[ -f "$mods/modules.dep" ] || depmod -b "$kdir" "$kver"

# Named after what goes into it: work trees with different module lists
# or init scripts (sharing $cache) each get their own.
sum=$(cat "$0" "$here/guest-init.sh" | md5sum | cut -c1-12)
initrd=$cache/initramfs-$kver-$sum.cpio.gz
if [ -f "$initrd" ]; then
    echo "$kdir/boot/vmlinuz-$kver $initrd"
    exit 0
fi

root=$(mktemp -d "$cache/rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,lib,lib64,proc,sys,dev,tmp,run,host}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# kmod reads modules.dep and compressed modules; busybox's modprobe and
# insmod are replaced by it.
cp -L /usr/bin/kmod "$root/usr/bin/kmod"
ldd /usr/bin/kmod | awk '/=>/ {print $3} /^[ \t]*\// {print $1}' \
    | grep '^/' | while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        cp -Ln "$lib" "$root$lib"
    done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
for tool in modprobe insmod lsmod rmmod; do
    rm -f "$root/bin/$tool"
    ln -s /usr/bin/kmod "$root/sbin/$tool"
done

# crc32c_generic before openvswitch (libcrc32c's soft dependency); 9p and
# virtio for the host's file system; the rest for the tests: IPVS and the
# schedulers tests/e2e/import-ipvs.sh asks ipvsadm for (modules.dep
# brings ip_vs's nf_conntrack, nf_defrag_ipv4/6 and libcrc32c along);
# nfnetlink_cttimeout for the conntrack timeout policy dsrd writes (a
# Debian host loads it on demand: without it ovs-vswitchd cannot create
# the policy, yet names it in its ct actions, and the kernel refuses the
# packets it executes with them); nf_conntrack_netlink for conntrack
# dumps (dpctl/dump-conntrack, dsrctl trace's pins).
want="crc32c_generic virtio_pci virtio_net 9p 9pnet_virtio openvswitch
      vport-gre vport-vxlan vport-geneve ipip ip_gre ip6_gre gre veth
      dummy tun sch_ingress cls_fw act_tunnel_key act_mirred bridge
      ip_vs ip_vs_rr ip_vs_wlc ip_vs_sh nfnetlink nfnetlink_cttimeout
      nf_conntrack_netlink"
files=
for m in $want; do
    line=$(grep -E "/$m\.ko(\.[a-z]+)?:" "$mods/modules.dep") || continue
    files="$files ${line%%:*} ${line#*:}"
done
for f in $(echo "$files" | tr ' ' '\n' | sort -u); do
    mkdir -p "$root/lib/modules/$kver/$(dirname "$f")"
    cp "$mods/$f" "$root/lib/modules/$kver/$f"
done
cp "$mods"/modules.order "$mods"/modules.builtin \
   "$mods"/modules.builtin.modinfo "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
install -m755 "$here/guest-init.sh" "$root/init"
(cd "$root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) \
    | gzip -1 > "$initrd.tmp"
mv "$initrd.tmp" "$initrd"
echo "$kdir/boot/vmlinuz-$kver $initrd"
