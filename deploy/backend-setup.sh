#!/bin/sh
# Prepares a Linux real server for L2 Direct Server Return: the VIPs on
# the loopback device, and ARP settings so that the server never answers
# or announces them (the load balancer's OVS answers ARP for VIPs).
#
# usage: backend-setup.sh up|down VIP [VIP...]
# Persist it with deploy/dsr-backend@.service or your network manager.
set -e

usage() {
    echo "usage: $0 up|down VIP [VIP...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
action=$1
shift

case $action in
up)
    # arp_ignore=1: answer ARP only for addresses on the receiving
    # interface (never for VIPs on lo).  arp_announce=2: never use a VIP as
    # the source of our own ARP requests.
    sysctl -q -w net.ipv4.conf.all.arp_ignore=1 \
        net.ipv4.conf.all.arp_announce=2
    for vip in "$@"; do
        if ! ip -4 addr show dev lo | grep -q " $vip/32 "; then
            ip addr add "$vip/32" dev lo
        fi
    done
    ;;
down)
    for vip in "$@"; do
        ip addr del "$vip/32" dev lo 2>/dev/null || true
    done
    ;;
*)
    usage
    ;;
esac
