/* See check-udp-payload.h. */
#include <config.h>
#include "controller/check-udp-payload.h"

#include <string.h>
#include "controller/model.h"
#include "util.h"

/* A DNS query for 'name', type A, class IN, recursion desired. */
static size_t
build_dns_query(uint8_t *buf, size_t size, const char *name, uint16_t id)
{
    size_t n = 0;

    buf[n++] = id >> 8;
    buf[n++] = id;
    buf[n++] = 0x01;            /* RD. */
    buf[n++] = 0x00;
    memcpy(&buf[n], "\0\1\0\0\0\0\0\0", 8);     /* 1 question. */
    n += 8;
    for (const char *label = name; *label && strcmp(label, ".");) {
        const char *dot = strchr(label, '.');
        size_t len = dot ? dot - label : strlen(label);
        if (!len || len > 63 || n + len + 6 > size) {
            break;
        }
        buf[n++] = len;
        memcpy(&buf[n], label, len);
        n += len;
        label += len + (dot ? 1 : 0);
    }
    buf[n++] = 0;
    memcpy(&buf[n], "\0\1\0\1", 4);     /* Type A, class IN. */
    return n + 4;
}

/* Whether the 'n' bytes a backend sent back are a DNS response to query
 * 'id': the header's id and its QR bit. */
bool
check_udp_dns_reply_ok(const uint8_t *buf, size_t n, uint16_t id)
{
    return n >= 12 && ((buf[0] << 8) | buf[1]) == id && (buf[2] & 0x80);
}

/* The datagram a udp check sends: its payload, or with the dns preset a
 * query with id 'dns_id'.  The DSR-path probe sends the same. */
size_t
check_udp_build_payload(const struct dsr_health_check *check,
                        uint16_t dns_id, uint8_t *buf, size_t size)
{
    size_t len;

    if (check->dns) {
        return build_dns_query(buf, size, check->dns_name, dns_id);
    }
    len = MIN(strlen(check->payload), size);
    memcpy(buf, check->payload, len);
    return len;
}
