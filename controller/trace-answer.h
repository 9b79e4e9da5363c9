/* The answer to "where does this client go?" (controller/trace.h) once
 * the connection's pin is known: the slot its packets hash to
 * (trace-hash.c) and the backend there, the pin found in the conntrack
 * dump (trace-pins.c) and whether it wins, the delivery, the
 * ofproto/trace command, as JSON with its text form.  It reads the
 * configuration and lb's view of the service, and talks to nothing. */
#ifndef DSR_TRACE_ANSWER_H
#define DSR_TRACE_ANSWER_H 1

#include <jansson.h>
#include "controller/datapath.h"

struct dsr_service;
struct lb;
struct trace_query;

json_t *trace_answer(const struct lb *, const struct dsr_service *,
                     enum datapath_kind, const struct trace_query *,
                     const char *dump, const char *pin_error);

#endif /* controller/trace-answer.h */
