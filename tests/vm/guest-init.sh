#!/bin/sh
# PID 1 of the test VM (tests/vm/run.sh).  Loads the kernel modules the
# tests need, mounts the host's root file system (read-only, 9p) at /host
# with fresh proc, sys, dev, /run and /tmp over it, mounts the run
# directory (read-write, 9p) at its host path inside it, and runs the
# guest script there under chroot: the guest runs the host's own binaries
# at their usual paths, on its own kernel.  The script's exit status goes
# to RUNDIR/guest-rc, its output to the console; then the VM powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline; }
run=$(arg vmrun)
src=$(arg vmsrc)

# Busybox runs its own applets before $PATH; kmod is called by path.
for m in crc32c_generic virtio_pci virtio_net 9pnet_virtio 9p openvswitch \
         vport-gre vport-vxlan vport-geneve ipip ip_gre ip6_gre veth dummy tun \
         sch_ingress cls_fw act_tunnel_key act_mirred bridge \
         ip_vs ip_vs_rr ip_vs_wlc ip_vs_sh nfnetlink nfnetlink_cttimeout \
         nf_conntrack_netlink; do
    /sbin/modprobe "$m" 2>/dev/null
done

h=/host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro \
    hostroot $h || { echo "GUEST-ERROR: no host file system"; poweroff -f; }
mount -t proc proc $h/proc
mount -t sysfs sys $h/sys
mount -t devtmpfs dev $h/dev
# What udev would add: bash's <(...) opens /dev/fd/N.
ln -s /proc/self/fd $h/dev/fd
mkdir -p $h/dev/pts $h/dev/shm
mount -t devpts devpts $h/dev/pts
for d in /run /tmp /var/tmp /var/log /root /etc/openvswitch; do
    [ -d $h$d ] && mount -t tmpfs tmpfs $h$d
done
mount -t tmpfs tmpfs $h/dev/shm
mkdir -p $h/run/netns $h/run/openvswitch "$h$run"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmrun "$h$run" \
    || { echo "GUEST-ERROR: no run directory"; poweroff -f; }
mkdir -p "$h$src" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro \
    vmsrc "$h$src" || { echo "GUEST-ERROR: no source tree"; poweroff -f; }

# Interfaces by their MACs (tests/vm/run.sh): ctl0 reaches the host's
# loopback as 10.0.2.2 (qemu user networking); up0 is the data link to the
# host's tap.
for i in /sys/class/net/*; do
    case $(cat "$i/address") in
    52:54:00:d5:00:01) /bin/ip link set "${i##*/}" name ctl0 ;;
    52:54:00:d5:00:02) /bin/ip link set "${i##*/}" name up0 ;;
    esac
done
/bin/ip link set lo up
hostname dsr-vm

# Debian's OVS 3.1.0 loses every upcall when ovs-vswitchd starts within
# 10 s of boot (CPU count reads 0; fixed upstream by b354cee2e).
while [ "$(cut -d. -f1 /proc/uptime)" -lt 11 ]; do
    sleep 0.2
done

echo "GUEST-UP uptime=$(cut -d' ' -f1 /proc/uptime)s kernel=$(uname -r)"
chroot $h /bin/bash -c "cd / && . '$run/guest-env' && exec /bin/bash '$run/guest-script'" \
    < /dev/console > /dev/console 2>&1
echo $? > "$h$run/guest-rc"
echo "GUEST-DONE uptime=$(cut -d' ' -f1 /proc/uptime)s"
sync
umount "$h$run"
poweroff -f
