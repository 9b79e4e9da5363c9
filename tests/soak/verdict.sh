# shellcheck shell=bash
# The soak's verdict (sourced by chaos.sh): reads $SB_DIR/{traffic,events,
# writes,restarts,samples}, prints the figures and one PASS or FAIL line
# per invariant, then "soak: N passed, N failed"; fails if any failed.

soak_passed=0
soak_failed=0
soak_check() {
    local what=$1
    shift
    if "$@"; then
        echo "PASS: $what"
        soak_passed=$((soak_passed + 1))
    else
        echo "FAIL: $what"
        soak_failed=$((soak_failed + 1))
    fi
}

# Each failed request, with the event whose window it overlaps (the
# first), or "none": a request may fail only while its backend's server
# is dead, ovs-vswitchd restarts, or a backend's new MAC is unknown.
soak_attribute() {
    awk 'FILENAME == ARGV[1] { n++; s[n] = $1; e[n] = $2; k[n] = $3; next }
         $6 == 0 {
             cause = "none"
             for (i = 1; i <= n; i++)
                 if ($1 <= e[i] && $2 >= s[i] && k[i] != "dsrd-kill") {
                     cause = k[i]; break
                 }
             print cause, $0
         }' "$SB_DIR/events" "$SB_DIR/traffic"
}

# For the last dsrd's samples of column COL (3: RSS in KiB, 4: open
# descriptors): the least-squares slope per minute, the lowest value of
# the first and of the last third (a floor: health probes in flight come
# and go), and the number of samples.  Samples taken before that dsrd was
# in sync or while ovs-vswitchd restarted are left out: dsrd's connections
# to it are not all open then, and a floor from such a moment would make
# the growth seem larger than it is.
soak_slope() {
    local col=$1 pid
    pid=$(tail -1 "$SB_DIR/samples" | cut -d' ' -f2)
    awk -v pid="$pid" -v col="$col" 'BEGIN { n = 0; w = 0 }
        FILENAME == ARGV[1] { if ($1 == pid) since = $2; next }
        FILENAME == ARGV[2] {
            if ($3 == "vswitchd-restart") { a[w] = $1; b[w++] = $2 }
            next
        }
        $2 == pid && $1 >= since {
            for (k = 0; k < w; k++) if ($1 >= a[k] && $1 <= b[k]) next
            t[n] = $1; y[n] = $col; n++
        }
        END {
            for (i = 0; i < n; i++) { st += t[i]; sy += y[i] }
            mt = st / n; my = sy / n
            for (i = 0; i < n; i++) {
                num += (t[i] - mt) * (y[i] - my); den += (t[i] - mt) ^ 2
            }
            third = int(n / 3)
            first = y[0]; last = y[n - 1]
            for (i = 0; i < third; i++) {
                if (y[i] < first) first = y[i]
                if (y[n - 1 - i] < last) last = y[n - 1 - i]
            }
            printf "%.1f %d %d %d\n", den ? 60 * num / den : 0,
                first, last, n
        }' "$SB_DIR/ready" "$SB_DIR/events" "$SB_DIR/samples"
}

soak_verdict() {
    local summary requests failures attributed none restarts clean rss fds
    echo "events: $(cut -d' ' -f3 "$SB_DIR/events" | sort | uniq -c | xargs)"

    summary=$(tail -1 "$SB_DIR/writes")
    echo "$summary"
    grep -E '^check .* (LOST|PHANTOM) ' "$SB_DIR/writes" | head -5 || true
    # shellcheck disable=SC2086
    set -- $summary
    soak_check "writes: $4 acknowledged, every one present after every restart" \
        test "$4" -gt 0 -a "${12}" = 0
    soak_check "writes: no unexpected answer" test "$8" = 0

    restarts=$(wc -l < "$SB_DIR/restarts")
    clean=$(grep -c '^clean$' "$SB_DIR/restarts" || true)
    echo "dsrd restarts that found the switch right and sent nothing: $clean of $restarts"
    grep -v '^clean$' "$SB_DIR/restarts" | head -8 || true
    soak_check "every restart converged to the same switch, nothing re-sent" \
        test "$clean" = "$restarts"

    requests=$(wc -l < "$SB_DIR/traffic")
    failures=$(awk '$6 == 0' "$SB_DIR/traffic" | wc -l)
    soak_attribute > "$SB_DIR/failures"
    none=$(grep -c '^none ' "$SB_DIR/failures" || true)
    echo "requests: $requests ($(awk '$3 == "tcp"' "$SB_DIR/traffic" | wc -l) TCP)," \
         "$failures failed: $(cut -d' ' -f1 "$SB_DIR/failures" | sort | uniq -c | xargs)"
    grep '^none ' "$SB_DIR/failures" | head -5 || true
    soak_check "traffic: $requests requests" \
        test "$requests" -gt $((SOAK_SECONDS * 25))
    soak_check "traffic: every failure during a backend kill, an ovs-vswitchd restart or the MAC change" \
        test "$none" = 0

    read -r rss rss_first rss_last n <<< "$(soak_slope 3)"
    read -r fds fds_first fds_last _ <<< "$(soak_slope 4)"
    echo "the last dsrd, $n samples a second apart: RSS $rss KiB/min" \
         "(floor $rss_first -> $rss_last KiB), fds $fds/min ($fds_first -> $fds_last)"
    soak_check "file descriptors do not grow (floor of the last third within 2 of the first's)" \
        test "$fds_last" -le $((fds_first + 2))
    if ldd "${DSRD:-$SB_TOP/controller/dsrd}" | grep >/dev/null libasan; then
        echo "memory: not judged under ASan (its quarantine holds freed memory)"
    else
        soak_check "memory does not grow (floor of the last third within 10 % + 2 MiB of the first's)" \
            test "$rss_last" -le $((rss_first * 11 / 10 + 2048))
    fi

    echo "soak: $soak_passed passed, $soak_failed failed"
    [ "$soak_failed" = 0 ] || sb_fail "the soak's invariants did not hold"
}
