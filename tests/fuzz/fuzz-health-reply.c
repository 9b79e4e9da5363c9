/* libFuzzer harness: what dsrd makes of the bytes a backend answers a
 * health check with.  The input is a 2-byte HTTP status and a 2-byte DNS
 * query id, then the string the check wants in the body (up to a NUL),
 * then the body or datagram. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include "controller/check-udp-payload.h"
#include "controller/health-private.h"
#include "controller/model.h"

/* The slow obvious answer to "does 'body' contain 'want'". */
static bool
contains(const char *body, size_t len, const char *want)
{
    size_t n = strlen(want);

    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (!memcmp(body + i, want, n)) {
            return true;
        }
    }
    return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int statuses[] = { 200, 204, 301 };
    struct dsr_health_check check = { .type = DSR_CHECK_HTTP };
    char reason[128];

    if (size < 4) {
        return 0;
    }
    long status = (data[0] << 8 | data[1]) % 1000;
    uint16_t id = data[2] << 8 | data[3];
    const char *rest = (const char *) data + 4;
    size_t left = size - 4;
    const char *nul = memchr(rest, '\0', left);
    char *want = nul ? xmemdup0(rest, nul - rest) : NULL;
    const char *body = nul ? nul + 1 : rest;
    size_t len = left - (body - rest);

    check.body_contains = want;
    if (status & 1) {
        check.expect_status = statuses;
        check.n_expect_status = ARRAY_SIZE(statuses);
    }
    reason[0] = '\0';
    bool up = check_http_verdict(&check, status, body, len, reason,
                                 sizeof reason);
    bool status_ok = (status & 1
                      ? status == 200 || status == 204 || status == 301
                      : status >= 200 && status < 400);
    ovs_assert(up == (status_ok && (!want || contains(body, len, want))));
    ovs_assert(up || reason[0]);

    bool dns_ok = check_udp_dns_reply_ok((const uint8_t *) body, len, id);
    ovs_assert(!dns_ok || len >= 12);

    free(want);
    return 0;
}
