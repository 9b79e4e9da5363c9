#!/bin/bash
# Prometheus (deploy/prometheus/, deploy/grafana/): dsrd's /metrics passes
# `promtool check metrics`, the rules and the example configuration pass
# promtool, and a real Prometheus scraping dsrd (announcing by BGP, so
# that dsr_service_announced is there too) fires DsrServiceNoHealthyBackend,
# DsrBackendDown, DsrVipNotAnnounced and DsrVipAnnouncedNowhere when a
# service's backends all die, and DsrRestarted when dsrd restarts.  The
# Grafana dashboard is valid JSON whose queries use only metrics that
# dsrd or the rules provide.
. "$(dirname "$0")/lib.sh"
e2e_any_datapath "the metrics are dsrd's own"
if ! command -v prometheus > /dev/null || ! command -v promtool > /dev/null
then
    echo "SKIP: needs prometheus and promtool (deploy/install-deps.sh)"
    exit 77
fi
RULES=$TOP_SRCDIR/deploy/prometheus/ovs-dsr.rules.yml
DASHBOARD=$TOP_SRCDIR/deploy/grafana/ovs-dsr.json

promtool check rules "$RULES" || sb_fail "promtool check rules"

e2e_setup prometheus 2
# BGP mode (deploy/bgp/README.md): no ARP for the VIP; the client routes
# it to the node's address, at the node's MAC, as a router would.
sb_vsctl set bridge br0 other_config:hwaddr="$SERVICE_MAC"
sb_lb_address 10.0.0.5/24
sb_exec client ip route add "$VIP/32" via 10.0.0.5
e2e_http_backends 2 80
fast='"interval_ms": 100, "timeout_ms": 1000, "rise": 2, "fall": 2'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "announce": {"mode": "bgp", "hold_down_ms": 0},
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "http", "path": "/health", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC
e2e_wait_api /v1/status '.services[0].healthy_backends == 2' \
    || sb_fail "backends never healthy"
e2e_wait_api /v1/status ".announce.announced == [\"$VIP\"]" \
    || sb_fail "VIP never announced"
e2e_curl "http://$VIP/?[1-20]" > /dev/null
e2e_wait_api /v1/stats '.services[0].packets > 0'

api GET /metrics
expect 200
promtool check metrics < "$SB_DIR/body" > "$SB_DIR/lint" 2>&1 \
    || sb_fail "promtool check metrics: $(cat "$SB_DIR/lint")"
[ ! -s "$SB_DIR/lint" ] || sb_fail "metrics lint: $(cat "$SB_DIR/lint")"
grep -qx "dsr_service_announced{service=\"web\",vip=\"$VIP\"} 1" \
    "$SB_DIR/body" || sb_fail "announced VIP not 1 in /metrics"
for m in process_start_time_seconds dsr_service_programmed \
         dsr_backend_probe_duration_seconds dsr_build_info; do
    grep -q "^${m}[{ ]" "$SB_DIR/body" || sb_fail "no $m in /metrics"
done

# The dashboard asks only for what exists: dsrd's metrics, the rules'
# records, and Prometheus's own.
jq -e '.panels | length > 0' "$DASHBOARD" > /dev/null \
    || sb_fail "dashboard is not JSON with panels"
known=$(sed -n 's/^\([a-z_]*\)[{ ].*/\1/p' "$SB_DIR/body" | sort -u;
        sed -n 's/^ *- record: //p' "$RULES"; echo up)
for m in $(jq -r '.panels[].targets[].expr, .templating.list[].query.query? // empty' \
               "$DASHBOARD" | grep -Eo '(dsr[:_][a-z0-9_:]*|process_start_time_seconds)' | sort -u); do
    echo "$known" | grep -x >/dev/null "$m" || sb_fail "dashboard uses unknown metric $m"
done

# A real Prometheus in the load balancer's namespace, evaluating every
# second, with the rules' hold times cut to nothing.
mkdir "$SB_DIR/prom"
sed -E 's/^( *)for: [0-9]+[smh]$/\1for: 0s/' "$RULES" > "$SB_DIR/prom/rules.yml"
cat > "$SB_DIR/prom/prometheus.yml" <<EOC
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [$SB_DIR/prom/rules.yml]
scrape_configs:
  - job_name: ovs-dsr
    static_configs: [{targets: ["127.0.0.1:9180"]}]
EOC
promtool check config "$SB_DIR/prom/prometheus.yml" \
    || sb_fail "promtool check config"
# TZ=UTC: its API's times end in Z, as jq's fromdateiso8601 wants.
TZ=UTC ip netns exec "$SB_LB" prometheus --config.file="$SB_DIR/prom/prometheus.yml" \
    --storage.tsdb.path="$SB_DIR/prom/data" \
    --web.listen-address=127.0.0.1:9090 --log.level=warn \
    > "$SB_DIR/prom/log" 2>&1 &
prom() {
    ip netns exec "$SB_LB" curl -sS --max-time 5 \
        "http://127.0.0.1:9090/api/v1/$1" > "$SB_DIR/prom/answer"
}
scraped() {
    prom 'query?query=up%7Bjob%3D%22ovs-dsr%22%7D' \
        && jq -e '.data.result[0].value[1] == "1"' "$SB_DIR/prom/answer" \
            > /dev/null
}
SB_WAIT=60 sb_wait_until scraped \
    || sb_fail "never scraped: $(cat "$SB_DIR/prom/answer" "$SB_DIR/prom/log")"
# ALERT fires, about the service web (or, for the alerts by VIP alone,
# about its VIP).
firing() {
    prom alerts && jq -e --arg a "$1" --arg vip "$VIP" '[.data.alerts[]
        | select(.labels.alertname == $a and .state == "firing"
                 and (.labels.service // "web") == "web"
                 and (.labels.vip // $vip) == $vip)] | length > 0' \
        "$SB_DIR/prom/answer" > /dev/null
}
firing_nothing() {
    prom alerts && jq -e '[.data.alerts[] | select(.state == "firing")]
        | length == 0' "$SB_DIR/prom/answer" > /dev/null
}
announced() {
    prom 'query?query=dsr_service_announced%3D%3D1' \
        && jq -e '.data.result | length == 1' "$SB_DIR/prom/answer" > /dev/null
}
SB_WAIT=60 sb_wait_until announced || sb_fail "announced VIP never scraped"
# Two evaluations later nothing fires: the rules hold on a healthy node.
prom 'query?query=time()'
t=$(jq -r '.data.result[0]' "$SB_DIR/prom/answer")
evaluated_since() {
    prom rules && jq -e --argjson t "$t" '[.data.groups[]
        | .lastEvaluation | sub("\\.[0-9]+"; "")
        | fromdateiso8601 > $t + 1] | all' "$SB_DIR/prom/answer" > /dev/null
}
SB_WAIT=60 sb_wait_until evaluated_since || sb_fail "rules not evaluated"
firing_nothing || sb_fail "alerts on a healthy node: $(cat "$SB_DIR/prom/answer")"
recorded() {
    prom 'query?query=dsr%3Aservice_packets%3Arate1m' \
        && jq -e '.data.result | length > 0' "$SB_DIR/prom/answer" > /dev/null
}
SB_WAIT=60 sb_wait_until recorded || sb_fail "no recorded rate"

sb_pkill be1 "http-backend.py be1 " || true
sb_pkill be2 "http-backend.py be2 " || true
SB_WAIT=60 sb_wait_until firing DsrServiceNoHealthyBackend \
    || sb_fail "alert never fired: $(cat "$SB_DIR/prom/answer")"
for a in DsrBackendDown DsrVipNotAnnounced DsrVipAnnouncedNowhere; do
    SB_WAIT=60 sb_wait_until firing $a || sb_fail "$a never fired"
done
jq -c '.data.alerts[] | select(.state == "firing") | {alert: .labels.alertname, service: .labels.service, vip: .labels.vip, summary: .annotations.summary}' \
    "$SB_DIR/prom/answer"

# dsrd restarts: a new start time.
! firing DsrRestarted || sb_fail "DsrRestarted before any restart"
sb_stop_dsrd
sb_start_dsrd ""
SB_WAIT=60 sb_wait_until firing DsrRestarted || sb_fail "DsrRestarted never fired"
e2e_pass "metrics lint clean, rules loaded, alerts fired on a dead service and a restart"
