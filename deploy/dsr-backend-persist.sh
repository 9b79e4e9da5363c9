# shellcheck shell=bash
# dsr-backend-persist.sh: the boot-time half of dsr-backend (--persist and
# --persist-only): the state files and what they generate, sysctl.d,
# modules-load.d, the unit or systemd-networkd's files.  Sourced by
# dsr-backend, whose variables and helpers (mode_vars, plen, die, $ROOT,
# $mode, $vips, $local_ip...) it uses; not a command of its own.
# shellcheck disable=SC2154  # mode, vips: set by dsr-backend

# What the boot-time unit runs: dsr-backend where make install or the
# ovs-dsr-backend package put it, else the make install path.
SBIN=$(readlink -f "$0" 2>/dev/null || true)
case $SBIN in
/usr/sbin/dsr-backend|/usr/local/sbin/dsr-backend) ;;
*) SBIN=/usr/local/sbin/dsr-backend ;;
esac
UNIT_DIR=/etc/systemd/system
NETWORK_DIR=/etc/systemd/network

# Per mode, $STATE_DIR/MODE.conf holds what to set up at boot, in systemd's
# EnvironmentFile syntax (the unit reads it):
#   VIPS=192.0.2.10 192.0.2.11
#   OPTS=--local=10.0.0.11
# Every other file is generated from these, so setup/remove --persist only
# change the VIP list and regenerate.

state_file() { echo "$ROOT$STATE_DIR/$1.conf"; }
state_get() {
    local f
    f=$(state_file "$1")
    [ ! -f "$f" ] || sed -n "s/^$2=//p" "$f"
}

use_networkd() {
    case ${DSR_BACKEND_NETWORKD:-auto} in
    yes) return 0 ;;
    no) return 1 ;;
    esac
    [ -z "$ROOT" ] && systemctl is-active --quiet systemd-networkd 2>/dev/null
}

write_file() {
    mkdir -p "$(dirname "$1")"
    cat > "$1.tmp"
    mv "$1.tmp" "$1"
}

# The unit runs this script at boot with the mode's VIPs; used for l2
# always (a .network for lo would fight any other .network matching lo,
# since networkd applies only the first match) and for tunnels when
# networkd is not running.  It runs before the network is up and need not
# wait for the tunnel's local address: the kernel accepts a tunnel whose
# local address comes later.
write_unit() {
    write_file "$ROOT$UNIT_DIR/dsr-backend@.service" <<EOF
# Written by dsr-backend (ovs-dsr): sets up the DSR backend VIPs of mode %i
# at boot, as listed in $STATE_DIR/%i.conf.
[Unit]
Description=ovs-dsr backend: %i VIPs
After=network-pre.target systemd-modules-load.service systemd-sysctl.service
Wants=network-pre.target
Before=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
EnvironmentFile=$STATE_DIR/%i.conf
ExecStart=$SBIN setup \$VIPS --mode %i \$OPTS
ExecStop=$SBIN remove \$VIPS --mode %i

[Install]
WantedBy=multi-user.target
EOF
}

unit_link() { echo "$ROOT$UNIT_DIR/multi-user.target.wants/dsr-backend@$1.service"; }

# persist_mode MODE: the boot-time files of MODE, from its state file.
persist_mode() {
    local m=$1 vips_now opts link vip netdev network dev kind kmod
    mode_vars "$m"
    vips_now=$(state_get "$m" VIPS)
    opts=$(state_get "$m" OPTS)
    link=$(unit_link "$m")
    if [ -z "$vips_now" ] || { [ "$m" != l2 ] && use_networkd; }; then
        rm -f "$link"
    else
        write_unit
        mkdir -p "$(dirname "$link")"
        ln -sfn "$UNIT_DIR/dsr-backend@.service" "$link"
    fi
    [ "$m" != l2 ] || return 0
    netdev=$ROOT$NETWORK_DIR/50-$dev.netdev
    network=$ROOT$NETWORK_DIR/50-$dev.network
    if [ -z "$vips_now" ] || ! use_networkd; then
        rm -f "$netdev" "$network"
        return 0
    fi
    # networkd creates the device (Independent: bound to no interface, as
    # "remote any" needs) and puts the VIPs on it; rp_filter comes from
    # $SYSCTL_FILE, which udev applies when the device appears.
    write_file "$netdev" <<EOF
# Written by dsr-backend (ovs-dsr): DSR tunnel from any load balancer.
[NetDev]
Name=$dev
Kind=$kind

[Tunnel]
Local=${opts#--local=}
Remote=any
Independent=yes
EOF
    {
        printf '# Written by dsr-backend (ovs-dsr): the VIPs on %s.\n' "$dev"
        printf '[Match]\nName=%s\n\n[Network]\n' "$dev"
        printf 'LinkLocalAddressing=no\nIPv6AcceptRA=no\n'
        for vip in $vips_now; do
            printf 'Address=%s/%s\n' "$vip" "$(plen "$vip")"
        done
    } | write_file "$network"
}

# The sysctl.d and modules-load.d files, for every persisted mode.
persist_common() {
    local m any='' tunnels='' modules='' dev kind kmod
    for m in $MODES; do
        [ -n "$(state_get "$m" VIPS)" ] || continue
        any=yes
        mode_vars "$m"
        [ -n "$kmod" ] || continue
        tunnels="$tunnels
# $m: decapsulated packets come from clients routed via other interfaces
net.ipv4.conf.$dev.rp_filter = 2"
        modules="$modules$kmod
"
    done
    if [ -n "$any" ]; then
        write_file "$ROOT$SYSCTL_FILE" <<EOF
# Written by dsr-backend (ovs-dsr).  Never answer ARP for the VIPs (they
# are on lo or a tunnel device: only the load balancer answers for them),
# never announce them in ARP requests.
net.ipv4.conf.all.arp_ignore = 1
net.ipv4.conf.all.arp_announce = 2$tunnels
EOF
    else
        rm -f "$ROOT$SYSCTL_FILE" "$ROOT$UNIT_DIR/dsr-backend@.service"
    fi
    if [ -n "$modules" ]; then
        printf '# Written by dsr-backend (ovs-dsr): DSR tunnel decapsulation.\n%s' \
            "$modules" | write_file "$ROOT$MODULES_FILE"
    else
        rm -f "$ROOT$MODULES_FILE"
    fi
}

# persist ACTION: adds the VIPs to the mode's state (setup) or takes them
# out (remove), then regenerates everything.
persist() {
    local action=$1 old vip v list='' opts
    old=$(state_get "$mode" VIPS)
    opts=$(state_get "$mode" OPTS)
    for v in $old; do
        if [ "$action" = remove ]; then
            for vip in "${vips[@]}"; do
                [ "$v" != "$vip" ] || continue 2
            done
        fi
        list="$list $v"
    done
    if [ "$action" = setup ]; then
        for vip in "${vips[@]}"; do
            case " $list " in *" $vip "*) ;; *) list="$list $vip" ;; esac
        done
        [ -z "$local_ip" ] || opts=--local=$local_ip
        [ "$mode" = l2 ] || [ -n "$opts" ] \
            || die "--local BACKEND_IP is needed to persist mode $mode"
    fi
    list=${list# }
    if [ -n "$list" ]; then
        write_file "$(state_file "$mode")" <<EOF
# Written by dsr-backend (ovs-dsr) setup/remove --persist; read by
# dsr-backend@$mode.service.
VIPS=$list
OPTS=$opts
EOF
    else
        rm -f "$(state_file "$mode")"
    fi
    persist_mode "$mode"
    persist_common
    # The running systemd learns of the new or removed unit.
    if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
    fi
}
