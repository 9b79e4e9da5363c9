#!/bin/bash
# The status page, GET / (controller/status-page.h): behind the API's
# token (HTTP Basic for browsers), with a strict Content-Security-Policy,
# readable without JavaScript; in a real headless Chromium it shows the
# services and refreshes a backend's health, without reloading, when its
# server is killed.  Its screenshots are left in the current directory.
. "$(dirname "$0")/lib.sh"
e2e_any_datapath "the status page is dsrd's own"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ] || ! /usr/bin/python3 -c 'import websocket' 2>/dev/null
then
    echo "SKIP: needs chromium and python3-websocket (deploy/install-deps.sh)"
    exit 77
fi

e2e_setup status-page 2
sb_lb_address 10.0.0.5/24
e2e_http_backends 2 80
echo "ops s3cret" > "$SB_DIR/tokens"
SB_DSRD_ARGS="--api-token-file=$SB_DIR/tokens"
fast='"interval_ms": 100, "timeout_ms": 1000, "rise": 2, "fall": 2'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "http", "path": "/health", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12", "weight": 300}]},
  {"name": "dns", "vip": "$VIP", "protocol": "udp", "port": 53,
   "backends": [{"ip": "10.0.0.12"}]}]}
EOC
auth=(-u ops:s3cret)
up() {
    api GET /v1/status "" "${auth[@]}"
    jq -e '[.services[0].backends[].health] == ["up", "up"]' "$SB_DIR/body" \
        > /dev/null
}
sb_wait_until up || sb_fail "backends never up: $(cat "$SB_DIR/body")"

# Without the token: 401, and a Basic challenge so that browsers ask.
api GET /
expect 401
grep -qi '^WWW-Authenticate: Basic realm="dsrd"' "$SB_DIR/headers" \
    || sb_fail "no Basic challenge: $(cat "$SB_DIR/headers")"
api POST / "" "${auth[@]}"
expect 405

# The server's own tables, no JavaScript needed.
api GET / "" "${auth[@]}"
[ "$(cat "$SB_DIR/status")" = 200 ] || sb_fail "GET /: $(cat "$SB_DIR/status")"
nonce=$(sed -n "s/^Content-Security-Policy: .*script-src 'nonce-\([0-9a-f]*\)'.*/\1/p" \
        "$SB_DIR/headers" | tr -d '\r')
[ ${#nonce} = 32 ] || sb_fail "CSP: $(grep -i security-policy "$SB_DIR/headers")"
grep -qi "^Content-Security-Policy: default-src 'none';" "$SB_DIR/headers" \
    || sb_fail "CSP not strict"
[ "$(grep -c "<script" "$SB_DIR/body")" = 1 ] \
    && grep -q "<script nonce=\"$nonce\">" "$SB_DIR/body" \
    || sb_fail "script without the nonce"
! grep -Eq '(src|href)="(https?:)?//' "$SB_DIR/body" \
    || sb_fail "external assets: $(grep -Eo '(src|href)="[^"]*"' "$SB_DIR/body")"
grep -q '<td id="h-web-10.0.0.11" class="up">up</td>' "$SB_DIR/body" \
    && grep -q '<td class="num">75.0 %</td>' "$SB_DIR/body" \
    && grep -q '10.0.0.100 udp port 53, l2 DSR' "$SB_DIR/body" \
    || sb_fail "server-rendered tables: $(cat "$SB_DIR/body")"

# A real browser: it logs in with the token as password, its script
# refreshes the cells; be1's server dies while the page is open.
cell='document.getElementById("h-web-10.0.0.11").textContent'
ip netns exec "$SB_LB" /usr/bin/python3 "$TOP_SRCDIR/tests/e2e/browser.py" \
    "$CHROMIUM" 9222 "http://ops:s3cret@127.0.0.1:9180/" \
    > "$SB_DIR/browser.out" 2> "$SB_DIR/browser.err" <<EOS &
wait document.getElementById("refreshed").textContent.startsWith("refreshed")
wait $cell === "up" && document.querySelectorAll("table[data-service]").length === 2
print document.getElementById("pr-web").textContent
shot $SB_DIR/status-before.png
print window.dsrMarker = "the same document"
signal $SB_DIR/page-ready
wait $cell.startsWith("down") && window.dsrMarker === "the same document"
print $cell
print document.getElementById("s-web-healthy").textContent
print document.querySelector("#transitions tr td:nth-child(3)").textContent + " " + document.querySelector("#transitions tr td:nth-child(4)").textContent
shot $SB_DIR/status-after.png
EOS
browser=$!
page_ready() {
    [ -e "$SB_DIR/page-ready" ] || ! kill -0 "$browser" 2>/dev/null
}
SB_WAIT=90 sb_wait_until page_ready && [ -e "$SB_DIR/page-ready" ] \
    || sb_fail "page never ready: $(cat "$SB_DIR/browser.err")"
sb_pkill be1 "http-backend.py be1 " || true
wait "$browser" || sb_fail "browser: $(cat "$SB_DIR/browser.err")"
cat "$SB_DIR/browser.out"
grep -q '^down' "$SB_DIR/browser.out" \
    && grep -q '^1 of 2$' "$SB_DIR/browser.out" \
    && grep -q '^10.0.0.11 down$' "$SB_DIR/browser.out" \
    || sb_fail "page did not show be1 down: $(cat "$SB_DIR/browser.out")"
for png in status-before status-after; do
    file "$SB_DIR/$png.png" | grep >/dev/null 'PNG image data, 1280 x' \
        || sb_fail "$png.png: $(file "$SB_DIR/$png.png")"
done
# Kept where make check runs, for people to look at.
cp "$SB_DIR/status-before.png" "$SB_DIR/status-after.png" .
echo "screenshots: $PWD/status-before.png $PWD/status-after.png"
e2e_pass "status page: served, protected, refreshed in Chromium"
