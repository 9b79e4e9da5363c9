/* JSON Schema subset validator; see json-schema.h for what it supports. */
#include <config.h>
#include "controller/json-schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "util.h"

struct validator {
    const json_t *root;         /* Document that local $refs point into. */
    json_schema_loader *loader; /* Resolves $refs to other documents. */
    struct ds path;             /* JSONPath of the value being checked. */
    int depth;                  /* Guards against $ref cycles. */
};

#define MAX_DEPTH 64

static char *validate__(struct validator *, const json_t *schema,
                        const json_t *instance);

static char * OVS_PRINTF_FORMAT(2, 3)
error__(const struct validator *v, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&s, "%s: ", ds_cstr_ro(&v->path));
    va_start(args, format);
    ds_put_format_valist(&s, format, args);
    va_end(args);
    return ds_steal_cstr(&s);
}

static const char *
type_name__(const json_t *instance)
{
    switch (json_typeof(instance)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static bool
type_matches__(const char *type, const json_t *instance)
{
    const char *actual = type_name__(instance);

    return !strcmp(type, actual)
           || (!strcmp(type, "number") && json_is_integer(instance));
}

/* Whether 'instance' satisfies the schema's "type", if any. */
static bool
schema_type_matches__(const json_t *schema, const json_t *instance)
{
    const json_t *type = json_object_get(schema, "type");
    const json_t *t;
    size_t i;

    if (!type) {
        const json_t *c = json_object_get(schema, "const");
        return !c || json_typeof(c) == json_typeof(instance);
    }
    if (json_is_string(type)) {
        return type_matches__(json_string_value(type), instance);
    }
    json_array_foreach (type, i, t) {
        if (type_matches__(json_string_value(t), instance)) {
            return true;
        }
    }
    return false;
}

static void
put_value__(struct ds *s, const json_t *value)
{
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

    ds_put_cstr(s, text ? text : "?");
    free(text);
}

static char *
check_type__(struct validator *v, const json_t *type, const json_t *instance)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const json_t *t;
    size_t i;

    if (json_is_string(type)) {
        if (type_matches__(json_string_value(type), instance)) {
            return NULL;
        }
        ds_put_format(&s, "must be %s %s",
                      strchr("aeiou", json_string_value(type)[0]) ? "an" : "a",
                      json_string_value(type));
    } else {
        json_array_foreach (type, i, t) {
            if (type_matches__(json_string_value(t), instance)) {
                return NULL;
            }
        }
        ds_put_cstr(&s, "must be of type ");
        json_array_foreach (type, i, t) {
            ds_put_format(&s, "%s%s", i ? " or " : "", json_string_value(t));
        }
    }
    char *error = error__(v, "%s, not %s", ds_cstr(&s), type_name__(instance));
    ds_destroy(&s);
    return error;
}

static char *
check_enum__(struct validator *v, const json_t *values, const json_t *instance)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const json_t *value;
    size_t i;

    json_array_foreach (values, i, value) {
        if (json_equal(value, instance)) {
            return NULL;
        }
    }
    json_array_foreach (values, i, value) {
        ds_put_cstr(&s, i ? ", " : "");
        put_value__(&s, value);
    }
    ds_put_cstr(&s, " (got ");
    put_value__(&s, instance);
    ds_put_cstr(&s, ")");
    char *error = error__(v, "must be one of %s", ds_cstr(&s));
    ds_destroy(&s);
    return error;
}

static char *
check_format__(struct validator *v, const char *format, const json_t *instance)
{
    const char *s = json_string_value(instance);

    if (!strcmp(format, "ipv4")) {
        struct in_addr addr;
        if (inet_pton(AF_INET, s, &addr) != 1) {
            return error__(v, "\"%s\" is not an IPv4 address", s);
        }
    } else if (!strcmp(format, "mac")) {
        /* Exactly xx:xx:xx:xx:xx:xx in hex, what eth_addr_from_string()
         * takes without surprises (sscanf would allow signs, spaces and
         * "0x"). */
        bool ok = strlen(s) == 17;
        for (int i = 0; ok && i < 17; i++) {
            ok = i % 3 == 2 ? s[i] == ':' : isxdigit((unsigned char) s[i]);
        }
        if (!ok) {
            return error__(v, "\"%s\" is not a MAC address "
                           "(xx:xx:xx:xx:xx:xx)", s);
        }
    } else {
        return error__(v, "schema uses unsupported format \"%s\"", format);
    }
    return NULL;
}

/* Compiled patterns, kept: schemas have few, and values are many. */
struct pattern {
    char *text;
    regex_t re;
    bool ok;
};

static const struct pattern *
get_pattern__(const char *text)
{
    static struct pattern *patterns;
    static size_t n_patterns, allocated;

    for (size_t i = 0; i < n_patterns; i++) {
        if (!strcmp(patterns[i].text, text)) {
            return &patterns[i];
        }
    }
    if (n_patterns == allocated) {
        patterns = x2nrealloc(patterns, &allocated, sizeof *patterns);
    }
    struct pattern *p = &patterns[n_patterns++];
    p->text = xstrdup(text);
    p->ok = !regcomp(&p->re, text, REG_EXTENDED | REG_NOSUB);
    return p;
}

static char *
check_pattern__(struct validator *v, const char *pattern, const char *s)
{
    const struct pattern *p = get_pattern__(pattern);

    if (!p->ok) {
        return error__(v, "schema pattern \"%s\" does not compile", pattern);
    }
    if (regexec(&p->re, s, 0, NULL, 0)) {
        return error__(v, "\"%s\" does not match the pattern %s", s,
                       pattern);
    }
    return NULL;
}

static char *
check_string__(struct validator *v, const json_t *schema,
               const json_t *instance)
{
    const char *s = json_string_value(instance);
    size_t len = strlen(s);
    const json_t *k;

    if ((k = json_object_get(schema, "minLength"))
        && len < json_integer_value(k)) {
        return len ? error__(v, "must be at least %"JSON_INTEGER_FORMAT
                             " characters long", json_integer_value(k))
                   : error__(v, "must not be empty");
    }
    if ((k = json_object_get(schema, "maxLength"))
        && len > json_integer_value(k)) {
        return error__(v, "must be at most %"JSON_INTEGER_FORMAT
                       " characters long", json_integer_value(k));
    }
    if ((k = json_object_get(schema, "pattern"))) {
        char *error = check_pattern__(v, json_string_value(k), s);
        if (error) {
            return error;
        }
    }
    if ((k = json_object_get(schema, "format"))) {
        return check_format__(v, json_string_value(k), instance);
    }
    return NULL;
}

static char *
check_number__(struct validator *v, const json_t *schema,
               const json_t *instance)
{
    double x = json_number_value(instance);
    const json_t *k;

    if ((k = json_object_get(schema, "minimum"))
        && x < json_number_value(k)) {
        return error__(v, "must be at least %g (got %g)",
                       json_number_value(k), x);
    }
    if ((k = json_object_get(schema, "maximum"))
        && x > json_number_value(k)) {
        return error__(v, "must be at most %g (got %g)",
                       json_number_value(k), x);
    }
    return NULL;
}

/* Appends a member name to the path, bracketed unless it is an
 * identifier. */
static void
path_push_key__(struct ds *path, const char *key)
{
    bool plain = *key != '\0';

    for (const char *p = key; *p; p++) {
        if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-') {
            plain = false;
        }
    }
    if (plain) {
        ds_put_format(path, ".%s", key);
    } else {
        ds_put_cstr(path, "[");
        json_t *j = json_string(key);
        put_value__(path, j);
        json_decref(j);
        ds_put_cstr(path, "]");
    }
}

static char *
check_object__(struct validator *v, const json_t *schema,
               const json_t *instance)
{
    const json_t *properties = json_object_get(schema, "properties");
    const json_t *additional = json_object_get(schema, "additionalProperties");
    const json_t *required = json_object_get(schema, "required");
    size_t mark = v->path.length;
    const json_t *member;
    const char *key;
    size_t i;

    json_object_foreach ((json_t *) instance, key, member) {
        const json_t *sub = json_object_get(properties, key);
        char *error = NULL;

        path_push_key__(&v->path, key);
        if (sub) {
            error = validate__(v, sub, member);
        } else if (json_is_false(additional)) {
            error = error__(v, "unknown field");
        } else if (json_is_object(additional)) {
            error = validate__(v, additional, member);
        }
        ds_truncate(&v->path, mark);
        if (error) {
            return error;
        }
    }
    json_array_foreach (required, i, member) {
        key = json_string_value(member);
        if (!json_object_get(instance, key)) {
            path_push_key__(&v->path, key);
            char *error = error__(v, "required field is missing");
            ds_truncate(&v->path, mark);
            return error;
        }
    }
    return NULL;
}

static char *
check_array__(struct validator *v, const json_t *schema,
              const json_t *instance)
{
    const json_t *items = json_object_get(schema, "items");
    size_t n = json_array_size(instance);
    size_t mark = v->path.length;
    const json_t *k;

    if ((k = json_object_get(schema, "minItems"))
        && n < json_integer_value(k)) {
        return error__(v, "must have at least %"JSON_INTEGER_FORMAT
                       " item%s", json_integer_value(k),
                       json_integer_value(k) == 1 ? "" : "s");
    }
    if ((k = json_object_get(schema, "maxItems"))
        && n > json_integer_value(k)) {
        return error__(v, "must have at most %"JSON_INTEGER_FORMAT" items",
                       json_integer_value(k));
    }
    for (size_t i = 0; items && i < n; i++) {
        ds_put_format(&v->path, "[%"PRIuSIZE"]", i);
        char *error = validate__(v, items, json_array_get(instance, i));
        ds_truncate(&v->path, mark);
        if (error) {
            return error;
        }
    }
    return NULL;
}

/* anyOf/oneOf.  When no branch matches, the most useful error is the one
 * from the branch whose type fits the value ("must be at most 65535" rather
 * than "matches no alternative"). */
static char *
check_alternatives__(struct validator *v, const json_t *branches,
                     const json_t *instance, bool exactly_one)
{
    char *best = NULL;
    int n_valid = 0;
    const json_t *branch;
    size_t i;

    json_array_foreach (branches, i, branch) {
        char *error = validate__(v, branch, instance);
        if (!error) {
            n_valid++;
        } else if (!best && schema_type_matches__(branch, instance)) {
            best = error;
        } else {
            free(error);
        }
    }
    if (n_valid && (!exactly_one || n_valid == 1)) {
        free(best);
        return NULL;
    }
    if (n_valid) {
        free(best);
        return error__(v, "matches more than one alternative");
    }
    if (best) {
        return best;
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    json_array_foreach (branches, i, branch) {
        const json_t *d = json_object_get(branch, "description");
        const json_t *t = json_object_get(branch, "type");
        const json_t *c = json_object_get(branch, "const");
        ds_put_cstr(&s, i ? " or " : "");
        if (d) {
            ds_put_cstr(&s, json_string_value(d));
        } else if (c) {
            put_value__(&s, c);
        } else if (json_is_string(t)) {
            ds_put_cstr(&s, json_string_value(t));
        } else {
            ds_put_cstr(&s, "another form");
        }
    }
    char *error = error__(v, "must be %s (got %s)", ds_cstr(&s),
                          type_name__(instance));
    ds_destroy(&s);
    return error;
}

/* Resolves 'ref' to a schema, and '*root' to the document it is in. */
static const json_t *
resolve_ref__(const struct validator *v, const char *ref,
              const json_t **root)
{
    static const char prefix[] = "/$defs/";
    const char *hash = strchr(ref, '#');

    *root = v->root;
    if (hash != ref) {
        char *file = xmemdup0(ref, hash ? hash - ref : strlen(ref));
        *root = v->loader ? v->loader(file) : NULL;
        free(file);
        if (!*root) {
            return NULL;
        }
    }
    if (!hash || !hash[1]) {
        return *root;
    }
    if (strncmp(hash + 1, prefix, strlen(prefix))) {
        return NULL;
    }
    return json_object_get(json_object_get(*root, "$defs"),
                           hash + 1 + strlen(prefix));
}

static const char *const known_keywords[] = {
    "$schema", "$id", "$defs", "$comment", "title", "description", "default",
    "examples", "readOnly", "$ref", "type", "enum", "const", "properties", "required",
    "additionalProperties", "items", "minItems", "maxItems", "minimum",
    "maximum", "minLength", "maxLength", "pattern", "format", "anyOf",
    "oneOf",
};

static char *
check_keywords__(struct validator *v, const json_t *schema)
{
    const char *key;
    json_t *value;

    json_object_foreach ((json_t *) schema, key, value) {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(known_keywords); i++) {
            known = known || !strcmp(key, known_keywords[i]);
        }
        if (!known) {
            return error__(v, "schema uses unsupported keyword \"%s\"", key);
        }
    }
    return NULL;
}

static char *
validate__(struct validator *v, const json_t *schema, const json_t *instance)
{
    const json_t *k;
    char *error;

    if (json_is_true(schema)) {
        return NULL;
    }
    if (!json_is_object(schema) || v->depth >= MAX_DEPTH) {
        return error__(v, "invalid schema");
    }
    v->depth++;
    if ((error = check_keywords__(v, schema))) {
        goto out;
    }
    if ((k = json_object_get(schema, "$ref"))) {
        const json_t *saved_root = v->root;
        const json_t *root;
        const json_t *target = resolve_ref__(v, json_string_value(k), &root);

        v->root = root;
        error = target ? validate__(v, target, instance)
                       : error__(v, "schema has unresolvable $ref \"%s\"",
                                 json_string_value(k));
        v->root = saved_root;
        if (error) {
            goto out;
        }
    }
    if ((k = json_object_get(schema, "type"))
        && (error = check_type__(v, k, instance))) {
        goto out;
    }
    if ((k = json_object_get(schema, "const")) && !json_equal(k, instance)) {
        struct ds s = DS_EMPTY_INITIALIZER;
        put_value__(&s, k);
        error = error__(v, "must be %s", ds_cstr(&s));
        ds_destroy(&s);
        goto out;
    }
    if ((k = json_object_get(schema, "enum"))
        && (error = check_enum__(v, k, instance))) {
        goto out;
    }
    if ((k = json_object_get(schema, "anyOf"))
        && (error = check_alternatives__(v, k, instance, false))) {
        goto out;
    }
    if ((k = json_object_get(schema, "oneOf"))
        && (error = check_alternatives__(v, k, instance, true))) {
        goto out;
    }
    if (json_is_string(instance)) {
        error = check_string__(v, schema, instance);
    } else if (json_is_number(instance)) {
        error = check_number__(v, schema, instance);
    } else if (json_is_object(instance)) {
        error = check_object__(v, schema, instance);
    } else if (json_is_array(instance)) {
        error = check_array__(v, schema, instance);
    }

out:
    v->depth--;
    return error;
}

char *
json_schema_validate(const json_t *schema, const json_t *instance,
                     const char *path, json_schema_loader *loader)
{
    struct validator v = {
        .root = schema,
        .loader = loader,
        .path = DS_EMPTY_INITIALIZER,
        .depth = 0,
    };

    ds_put_cstr(&v.path, path);
    char *error = validate__(&v, schema, instance);
    ds_destroy(&v.path);
    return error;
}
