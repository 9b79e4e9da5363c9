/* The inside of one bridge's struct ofctrl, shared by the files that make
 * up ofctrl and by its unit test; nothing else includes it.
 *
 *   ofctrl.c            the connection: run/wait, messages, packets, hold
 *   ofctrl-reconcile.c  reading the switch back after a (re)connection
 *   ofctrl-bundle.c     the owner tables, and changes sent as bundles
 *   ofctrl-stats.c      statistics rounds (and the request for dsrd's
 *                       flows that the reconciliation's dump uses too)
 *   ofctrl-state.c      the connection/sync states and their transitions
 *
 * Calls go down that list, never up: ofctrl.c drives the others, and
 * each changes the state through ofctrl_transition() only. */
#ifndef DSR_OFCTRL_PRIVATE_H
#define DSR_OFCTRL_PRIVATE_H 1

#include <sys/stat.h>
#include "controller/ofctrl.h"
#include "openvswitch/hmap.h"

struct ofp_header;
struct rconn;

/* A bundle, or a dump, of at least this many messages or owners is
 * followed by malloc_trim(): its memory goes back to the system. */
#define BIG_BUNDLE 10000

/* The life of a connection and of the bridge's synchronization with it.
 *
 *   NEW --start--> DISCONNECTED --connected--> RESYNC --dump sent--> DUMPING
 *   DUMPING --dumped, held--> HELD --reconciled--> READY
 *   DUMPING --reconciled--> READY --bundle sent--> COMMITTING
 *   COMMITTING --committed or undone--> READY
 *   COMMITTING --rejected--> REJECTED --undone--> READY
 *   REJECTED --committed--> RESYNC (what went in is unknown)
 *   any but NEW --disconnected--> DISCONNECTED, --connected--> RESYNC
 */
#define OFCTRL_STATES                                                         \
    /* Created; connects at the first ofctrl_run(). */                        \
    OFCTRL_STATE(NEW)                                                         \
    /* Connecting, or waiting to try again. */                                \
    OFCTRL_STATE(DISCONNECTED)                                                \
    /* Connected; what the switch has is unknown: read it back, once          \
     * 'resync_after' has passed. */                                          \
    OFCTRL_STATE(RESYNC)                                                      \
    /* The flow and group dumps are requested; replies are coming. */         \
    OFCTRL_STATE(DUMPING)                                                     \
    /* The dumps are in, but the hold is on: the switch keeps what it         \
     * has until the hold ends. */                                            \
    OFCTRL_STATE(HELD)                                                        \
    /* What the switch has is known ('installed'): dirty owners go out        \
     * in the next bundle. */                                                 \
    OFCTRL_STATE(READY)                                                       \
    /* A bundle is committed; OVS's answer is awaited. */                     \
    OFCTRL_STATE(COMMITTING)                                                  \
    /* OVS refused a message of the bundle in flight; the commit's            \
     * answer says whether the rest went in. */                               \
    OFCTRL_STATE(REJECTED)

enum ofctrl_state {
#define OFCTRL_STATE(NAME) OFCTRL_S_##NAME,
    OFCTRL_STATES
#undef OFCTRL_STATE
    OFCTRL_N_STATES
};

/* What makes the state change. */
enum ofctrl_event {
    OFCTRL_E_START,             /* First ofctrl_run(): connect. */
    OFCTRL_E_CONNECTED,         /* A new connection is up. */
    OFCTRL_E_DISCONNECTED,      /* The connection is gone. */
    OFCTRL_E_DUMP_SENT,         /* The switch is being read back. */
    OFCTRL_E_DUMPED_HELD,       /* Read back, with a hold to wait out. */
    OFCTRL_E_RECONCILED,        /* 'installed' is what the switch has. */
    OFCTRL_E_BUNDLE_SENT,       /* A bundle's commit is sent. */
    OFCTRL_E_REJECTED,          /* OVS refused a message of the bundle. */
    OFCTRL_E_COMMITTED,         /* OVS committed the bundle. */
    OFCTRL_E_UNDONE,            /* OVS refused the commit: nothing went in,
                                 * and our copy is undone. */
};

enum ofctrl_state ofctrl_state_next(enum ofctrl_state, enum ofctrl_event);
const char *ofctrl_state_name(enum ofctrl_state);
const char *ofctrl_event_name(enum ofctrl_event);
void ofctrl_transition(struct ofctrl *, enum ofctrl_event);

/* An owner's entry in one of the bridge's cookie tables. */
struct owner_entry {
    struct hmap_node node;      /* By cookie_hash() of 'cookie'. */
    uint64_t cookie;
    struct dsr_owner *owner;    /* Reference held; NULL in 'dirty'. */
};

/* The owner behind one message of the bundle in flight: OVS names the
 * message it refuses by its xid. */
struct xid_owner {
    struct hmap_node node;      /* By hash_int() of 'xid'. */
    ovs_be32 xid;
    uint64_t cookie;
};

struct ofctrl {
    char *bridge;
    struct rconn *rconn;
    unsigned int conn_seqno;    /* rconn's seqno we last synced after. */
    ofctrl_packet_in_cb *packet_in_cb;
    void *packet_in_aux;
    enum ofctrl_state state;    /* Changed by ofctrl_transition() only. */

    struct hmap desired;        /* struct owner_entry. */
    struct hmap installed;      /* struct owner_entry: as sent to OVS. */
    struct hmap dirty;          /* struct owner_entry without owner. */
    struct hmap rejected;       /* struct owner_entry: desired owners that
                                 * OVS refused; left off the switch until
                                 * they change. */
    struct hmap xids;           /* struct xid_owner, for the bundle in
                                 * flight. */
    struct hmap undo;           /* struct undo_entry, for the bundle in
                                 * flight. */
    long long int hold_until;   /* While nonzero, the first sync after a
                                 * connection waits (see ofctrl.h), until
                                 * released or until this time. */
    long long int resync_after; /* Not before this time (ms). */
    long long int hold_from;    /* When the hold began. */
    bool deferred;              /* See ofctrl_defer_sync(). */

    /* Reading back (DUMPING): what the switch reported. */
    ovs_be32 dump_flow_xid, dump_group_xid;
    int dumps_pending;          /* Dumps whose last reply is to come. */
    struct hmap dumped;         /* struct dumped_owner, by cookie. */
    struct hmap dumped_groups;  /* struct dumped_group, by group id. */
    uint32_t group_limit;       /* Groups 1..this not wanted are dsrd's
                                 * stale ones. */
    long long int connected_at; /* When the connection came up, or 0 once
                                 * the first sync after it is reported. */
    size_t n_sent_flow_mods;    /* Since 'connected_at'. */
    size_t n_sent_group_mods;

    /* The bundle in flight (COMMITTING, REJECTED): only one at a time, so
     * changes queue up and go in the next one. */
    uint32_t bundle_id;
    ovs_be32 commit_xid;
    long long int sent_at;
    size_t bundle_flow_mods;    /* In the bundle being built or in flight. */
    size_t bundle_group_mods;

    /* Change tracking (see ofctrl.h): changes up to 'acked_seqno' are on
     * the switch; those in [failed_from, failed_to] were rejected. */
    uint64_t change_seqno;      /* Latest ofctrl_set_owner(). */
    uint64_t rejected_seqno;    /* Bumped when OVS rejects an owner. */
    uint64_t sending_seqno;     /* Latest change in the bundle in flight. */
    uint64_t acked_seqno;
    uint64_t failed_from, failed_to;
    char *last_error;           /* OVS's text for the last failure. */

    struct ofctrl_stats *stats; /* Statistics rounds (ofctrl-stats.c). */

    /* A unix socket target is watched while disconnected, so that a
     * restarted ovs-vswitchd is reached as soon as its socket is back,
     * not after rconn's next backoff (a second or more). */
    char *target;
    long long int next_socket_check;
    ino_t socket_ino;           /* The socket file last tried. */
    struct timespec socket_ctime;

    /* Statistics for status and logs. */
    unsigned long long n_bundles;
    unsigned long long n_errors;
    unsigned long long n_messages;
    size_t bundle_size;         /* Messages in the last bundle sent. */
};

/* ofctrl-bundle.c: the cookie tables, and changes sent as bundles. */
uint32_t ofctrl_cookie_hash(uint64_t cookie);
struct owner_entry *ofctrl_entry_find(const struct hmap *, uint64_t cookie);
void ofctrl_entry_set(struct hmap *, uint64_t cookie, struct dsr_owner *);
void ofctrl_entries_clear(struct hmap *);
void ofctrl_mark_dirty(struct ofctrl *, uint64_t cookie);
void ofctrl_bundle_init(struct ofctrl *);
void ofctrl_bundle_destroy(struct ofctrl *);
void ofctrl_bundle_forget(struct ofctrl *);
void ofctrl_send_changes(struct ofctrl *);
void ofctrl_handle_error(struct ofctrl *, const struct ofp_header *);
void ofctrl_handle_bundle_reply(struct ofctrl *, const struct ofp_header *);

/* ofctrl-reconcile.c: reading the switch back. */
void ofctrl_reconcile_init(struct ofctrl *);
void ofctrl_reconcile_destroy(struct ofctrl *);
void ofctrl_start_reconcile(struct ofctrl *);
void ofctrl_handle_dump_flows(struct ofctrl *, const struct ofp_header *);
void ofctrl_handle_dump_groups(struct ofctrl *, const struct ofp_header *);
bool ofctrl_dump_is_empty(const struct ofctrl *);
void ofctrl_reconcile(struct ofctrl *);

/* ofctrl-stats.c: statistics rounds. */
struct ofctrl_stats *ofctrl_stats_create(void);
void ofctrl_stats_destroy(struct ofctrl_stats *);
void ofctrl_stats_disconnected(struct ofctrl_stats *);
struct ofpbuf *ofctrl_encode_dsr_flows_request(void);
void ofctrl_handle_flow_stats_reply(struct ofctrl *,
                                    const struct ofp_header *);

/* ofctrl.c: what ofctrl_run() does when rconn connects or disconnects,
 * and with each message; the unit test, which has no switch, calls them
 * itself. */
void ofctrl_connected(struct ofctrl *);
void ofctrl_disconnected(struct ofctrl *);
void ofctrl_handle_message(struct ofctrl *, const struct ofpbuf *);

#endif /* controller/ofctrl-private.h */
