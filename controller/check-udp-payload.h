/* What a udp check sends and how a DNS answer is recognized: shared by
 * the udp check (check-udp.c) and the DSR-path probe (health-dsr.c),
 * which sends the same datagram through the data path.  Depends on the
 * model only. */
#ifndef DSR_CHECK_UDP_PAYLOAD_H
#define DSR_CHECK_UDP_PAYLOAD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dsr_health_check;

size_t check_udp_build_payload(const struct dsr_health_check *,
                               uint16_t dns_id, uint8_t *buf, size_t size);
bool check_udp_dns_reply_ok(const uint8_t *buf, size_t n, uint16_t id);

#endif /* controller/check-udp-payload.h */
