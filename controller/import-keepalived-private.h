/* What the two halves of the keepalived.conf parser share:
 * import-keepalived-lex.c (tokens, includes, braces, statements, common
 * settings), import-keepalived.c (virtual and real servers) and
 * import-keepalived-check.c (health checkers). */
#ifndef DSR_IMPORT_KEEPALIVED_PRIVATE_H
#define DSR_IMPORT_KEEPALIVED_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "controller/import.h"

/* A word of the configuration, with where it is. */
struct ka_token {
    char *text;
    const char *file;           /* Owned by the parse's 'files'. */
    int line;
    bool quoted;                /* "..." (never a brace). */
};

/* One parse: every token of the file and its includes, in order. */
struct ka_parse {
    struct import_model *m;
    struct svec files;          /* Names of the files read. */
    struct ka_token *tokens;
    size_t n_tokens, allocated_tokens;
    size_t *match;              /* Index of each brace's partner. */
    bool follow_includes;
};

/* A statement: a keyword, the words after it on its line, and maybe a
 * block "{ ... }" (tokens body to body_end, exclusive). */
struct ka_stmt {
    const struct ka_token *kw;
    const struct ka_token *args;
    size_t n_args;
    bool block;
    size_t body, body_end;
};

/* Check settings that a virtual server passes to its real servers and a
 * real server to its checkers; negative: not set. */
struct ka_timers {
    double delay_loop;          /* Seconds. */
    double connect_timeout;     /* Seconds. */
    double delay_before_retry;  /* Seconds. */
    int retry;
    const char *virtualhost;
    const struct ka_token *delay_before_retry_at;   /* Where set. */
};

/* import-keepalived-lex.c. */
struct ds;
int ka_read_file(const char *file, struct ds *text);
bool ka_read(struct ka_parse *, const char *text, size_t len);
bool ka_next_stmt(const struct ka_parse *, size_t *i, size_t end,
                  struct ka_stmt *);
char *ka_where(const struct ka_token *);
bool ka_is(const struct ka_stmt *, const char *keyword);
bool ka_timer_setting(struct ka_parse *, const struct ka_stmt *,
                      struct ka_timers *);
void ka_refuse_stmt(struct ka_parse *, const struct ka_stmt *,
                    const char *why);
bool ka_ignored_setting(struct ka_parse *, const struct ka_stmt *);

/* import-keepalived-check.c. */
json_t *ka_map_checker(struct ka_parse *, const struct ka_stmt *,
                       const struct ka_timers *, const struct import_vs *,
                       const struct import_real *);
bool ka_is_checker(const struct ka_stmt *);

#endif /* controller/import-keepalived-private.h */
