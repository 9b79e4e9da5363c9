/* See config-private.h. */
#include <config.h>
#include "controller/config-private.h"

#include <string.h>
#include "controller/config.h"
#include "ovs-thread.h"
#include "util.h"

/* The defaults, read once: the schemas are compiled in, and a service is
 * parsed or compared many times a document. */
const struct config_defaults *
config_defaults(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;
    static struct config_defaults d;

    if (ovsthread_once_start(&once)) {
        d.service = dsr_config_schema_defaults("service.schema.json", NULL);
        d.backend = dsr_config_schema_defaults("backend.schema.json", NULL);
        d.check = dsr_config_schema_defaults("health-check.schema.json",
                                             NULL);
        d.bridge = dsr_config_schema_defaults("config.schema.json",
                                              "bridge");
        d.ct_timeouts = dsr_config_schema_defaults("config.schema.json",
                                                   "ct_timeouts");
        ovsthread_once_done(&once);
    }
    return &d;
}

/* Member 'key' of 'j' or, if 'j' lacks it, its default among 'defaults'
 * (one of struct config_defaults), which must have one. */
const json_t *
config_member(const json_t *j, const json_t *defaults, const char *key)
{
    const json_t *v = json_object_get(j, key);

    if (!v) {
        v = json_object_get(defaults, key);
        ovs_assert(v);
    }
    return v;
}

const char *
config_member_string(const json_t *j, const json_t *defaults, const char *key)
{
    return json_string_value(config_member(j, defaults, key));
}

/* Whether member 'key' of 'j', or its default, is the string 'value'. */
bool
config_member_is(const json_t *j, const json_t *defaults, const char *key,
                 const char *value)
{
    const char *s = config_member_string(j, defaults, key);

    return s && !strcmp(s, value);
}

