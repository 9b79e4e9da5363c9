/* A new-connection generator for benchmarks: sends Ethernet frames on an
 * interface through an AF_PACKET socket, each a new 5-tuple (a TCP SYN or
 * a UDP datagram from a distinct source address and port), as fast as it
 * can or at a fixed rate, for a bounded time, and prints how many it sent.
 *
 * usage: newconn-gen IFACE DST_MAC DST_IP DST_PORT SECONDS [PPS] [tcp|udp]
 *                    [SRC_NET]
 *
 * DST_IP is IPv4 or IPv6.  Source addresses run through SRC_NET/16
 * (default 10.200.0.0; for IPv6, SRC_NET/112, default 2001:db8:c8::) and
 * source ports through 1024..65535, so 4 billion packets pass before a
 * 5-tuple repeats.  Run it in a network namespace you own; it sends nothing
 * anywhere else. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_LEN 64            /* IPv4: 54 bytes of headers, padded. */
#define FRAME_LEN6 80           /* IPv6: 74 bytes of headers, padded. */
#define FRAME_PAD 2

static uint16_t
checksum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (p[i] << 8) | p[i + 1];
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return htons(~sum);
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The TCP SYN or UDP datagram at 'l4', 'l4_len' bytes, whose
 * pseudo-header sums to 'sum'. */
static void
build_l4(void *l4, size_t l4_len, uint32_t sum, uint16_t sport,
         uint16_t dport, bool tcp)
{
    if (tcp) {
        struct tcphdr *th = l4;
        th->source = htons(sport);
        th->dest = htons(dport);
        th->seq = htonl(sport * 2654435761u);
        th->doff = 5;
        th->syn = 1;
        th->window = htons(64240);
        th->check = checksum(th, l4_len, sum);
    } else {
        struct udphdr *uh = l4;
        uh->source = htons(sport);
        uh->dest = htons(dport);
        uh->len = htons(l4_len);
        uh->check = checksum(uh, l4_len, sum);
    }
}

static size_t
l4_length(bool tcp)
{
    return tcp ? sizeof(struct tcphdr) : sizeof(struct udphdr) + 8;
}

/* Zeroes the 'len' bytes of frame 'f' and writes its Ethernet header;
 * returns what follows it. */
static void *
put_eth(uint8_t *f, size_t len, const uint8_t *src_mac,
        const uint8_t *dst_mac, uint16_t type)
{
    struct ether_header *eth = (struct ether_header *) f;

    memset(f, 0, len);
    memcpy(eth->ether_dhost, dst_mac, 6);
    memcpy(eth->ether_shost, src_mac, 6);
    eth->ether_type = htons(type);
    return eth + 1;
}

static void
build_frame(uint8_t *f, const uint8_t *src_mac, const uint8_t *dst_mac,
            uint32_t src_ip, uint32_t dst_ip, uint16_t sport,
            uint16_t dport, bool tcp)
{
    struct iphdr *ip = put_eth(f, FRAME_LEN, src_mac, dst_mac, ETHERTYPE_IP);
    size_t l4_len = l4_length(tcp);

    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(sizeof *ip + l4_len);
    ip->ttl = 64;
    ip->protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
    ip->saddr = src_ip;
    ip->daddr = dst_ip;
    ip->check = checksum(ip, sizeof *ip, 0);

    /* Pseudo-header sum for the L4 checksum. */
    uint32_t sum = (ntohl(src_ip) >> 16) + (ntohl(src_ip) & 0xffff)
                   + (ntohl(dst_ip) >> 16) + (ntohl(dst_ip) & 0xffff)
                   + ip->protocol + l4_len;
    build_l4(ip + 1, l4_len, sum, sport, dport, tcp);
}

static uint32_t
sum16(const struct in6_addr *a)
{
    uint32_t sum = 0;

    for (int i = 0; i < 16; i += 2) {
        sum += (a->s6_addr[i] << 8) | a->s6_addr[i + 1];
    }
    return sum;
}

static void
build_frame6(uint8_t *f, const uint8_t *src_mac, const uint8_t *dst_mac,
             const struct in6_addr *src_ip, const struct in6_addr *dst_ip,
             uint16_t sport, uint16_t dport, bool tcp)
{
    struct ip6_hdr *ip = put_eth(f, FRAME_LEN6, src_mac, dst_mac,
                                 ETHERTYPE_IPV6);
    size_t l4_len = l4_length(tcp);

    ip->ip6_flow = htonl(6 << 28);
    ip->ip6_plen = htons(l4_len);
    ip->ip6_nxt = tcp ? IPPROTO_TCP : IPPROTO_UDP;
    ip->ip6_hlim = 64;
    ip->ip6_src = *src_ip;
    ip->ip6_dst = *dst_ip;
    uint32_t sum = sum16(src_ip) + sum16(dst_ip) + l4_len + ip->ip6_nxt;
    build_l4(ip + 1, l4_len, sum, sport, dport, tcp);
}

int
main(int argc, char *argv[])
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s IFACE DST_MAC DST_IP DST_PORT SECONDS "
                "[PPS] [tcp|udp] [SRC_NET]\n", argv[0]);
        return 2;
    }
    const char *iface = argv[1];
    uint8_t dst_mac[6], src_mac[6];
    struct in_addr dst_ip, src_net = { htonl(0x0ac80000) };
    struct in6_addr dst_ip6, src_net6;
    uint16_t dport = atoi(argv[4]);
    double seconds = atof(argv[5]);
    double pps = argc > 6 ? atof(argv[6]) : 0;
    bool tcp = argc <= 7 || strcmp(argv[7], "udp");

    bool v6 = strchr(argv[3], ':') != NULL;
    inet_pton(AF_INET6, "2001:db8:c8::", &src_net6);
    if (sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst_mac[0],
               &dst_mac[1], &dst_mac[2], &dst_mac[3], &dst_mac[4],
               &dst_mac[5]) != 6
        || (v6 ? inet_pton(AF_INET6, argv[3], &dst_ip6) != 1
            : !inet_aton(argv[3], &dst_ip))
        || (argc > 8 && (v6 ? inet_pton(AF_INET6, argv[8], &src_net6) != 1
                         : !inet_aton(argv[8], &src_net)))
        || seconds <= 0 || seconds > 600) {
        fprintf(stderr, "%s: bad arguments (SECONDS at most 600)\n",
                argv[0]);
        return 2;
    }

    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        perror(iface);
        return 1;
    }
    memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_ifindex = if_nametoindex(iface),
        .sll_halen = 6,
    };
    memcpy(sll.sll_addr, dst_mac, 6);

    /* Each frame starts FRAME_PAD bytes into its 4-byte aligned slot, so
     * that its IP header, after 14 bytes of Ethernet, is aligned as
     * struct iphdr requires. */
    static uint8_t slots[BATCH][FRAME_LEN6 + 4] __attribute__((aligned(4)));
    uint8_t *frames[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    uint64_t sent = 0, n = 0, failed = 0;
    double start = now(), end = start + seconds;

    for (int i = 0; i < BATCH; i++) {
        frames[i] = slots[i] + FRAME_PAD;
        iov[i] = (struct iovec) { frames[i], v6 ? FRAME_LEN6 : FRAME_LEN };
        msgs[i].msg_hdr = (struct msghdr) {
            .msg_name = &sll, .msg_namelen = sizeof sll,
            .msg_iov = &iov[i], .msg_iovlen = 1,
        };
    }
    for (double t = start; t < end; t = now()) {
        if (pps && sent > (t - start) * pps) {
            continue;           /* Ahead of the rate: spin. */
        }
        for (int i = 0; i < BATCH; i++, n++) {
            uint32_t host = (n / 64512) & 0xffff;
            uint16_t sport = 1024 + n % 64512;
            if (v6) {
                struct in6_addr src = src_net6;
                src.s6_addr[14] = host >> 8;
                src.s6_addr[15] = host;
                build_frame6(frames[i], src_mac, dst_mac, &src, &dst_ip6,
                             sport, dport, tcp);
            } else {
                build_frame(frames[i], src_mac, dst_mac,
                            htonl(ntohl(src_net.s_addr) + host), dst_ip.s_addr,
                            sport, dport, tcp);
            }
        }
        int r = sendmmsg(fd, msgs, BATCH, 0);
        if (r > 0) {
            sent += r;
        } else if (errno == ENOBUFS || errno == EAGAIN) {
            failed++;
        } else {
            perror("sendmmsg");
            return 1;
        }
    }
    double elapsed = now() - start;
    printf("sent %"PRIu64" packets in %.2f s: %.0f/s (%"PRIu64" full "
           "queues)\n", sent, elapsed, sent / elapsed, failed);
    return 0;
}
