/* GET /: dsrd's status page, one self-contained HTML document in the
 * spirit of HAProxy's stats page.  The server renders its tables (the
 * page reads without JavaScript); its one inline script, allowed by the
 * per-response nonce of a strict Content-Security-Policy, refreshes their
 * cells from /v1/status and /v1/stats.  The template is
 * controller/status-page.html, compiled in. */
#ifndef DSR_STATUS_PAGE_H
#define DSR_STATUS_PAGE_H 1

#include <jansson.h>

struct ds;
struct dsr_config;

void status_page_render(const struct dsr_config *, const json_t *status,
                        const char *nonce, struct ds *html);

/* The template, generated from status-page.html by Makefile.am. */
extern const char status_page_template[];

#endif /* controller/status-page.h */
