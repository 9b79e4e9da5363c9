/* JSON Schema subset validator; see json-schema.h for what it supports. */
#include <config.h>
#include "schemas/json-schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <string.h>
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/util.h"
#include "util.h"

/* One element of the JSONPath being checked: a member name or, when 'key'
 * is NULL, an array index.  The path is only rendered for an error. */
struct path_elem {
    const char *key;
    size_t index;
};

/* A schema object with its keywords looked up once: validation then costs
 * no keyword scans.  Compiled on first use, kept in struct json_schema_cache
 * by the schema's address (and its document's: local $refs depend on it). */
struct compiled {
    struct hmap_node node;
    const json_t *schema;
    const json_t *root;         /* Document that local $refs point into. */
    const char *bad_keyword;    /* An unsupported keyword, or NULL. */
    const json_t *ref;          /* $ref, its target and the target's document
                                 * (NULL target: unresolvable). */
    const json_t *ref_target;
    const json_t *ref_root;
    const json_t *type;
    unsigned int types;         /* Bits of enum json_type allowed by 'type'. */
    const json_t *const_;
    const json_t *enum_;
    const json_t *any_of;
    const json_t *one_of;
    const json_t *min_length, *max_length, *pattern, *format;
    regex_t pattern_re;         /* 'pattern' compiled, if 'pattern_ok'. */
    bool pattern_ok;
    const json_t *minimum, *maximum;
    const json_t *properties, *additional, *required;
    const json_t *items, *min_items, *max_items;
};

struct json_schema_cache {
    struct hmap compiled;       /* struct compiled, by schema address. */
};

struct validator {
    const json_t *root;         /* Document that local $refs point into. */
    json_schema_loader *loader; /* Resolves $refs to other documents. */
    struct json_schema_cache *cache;
    const char *base;           /* Path of the instance, e.g. "$". */
    struct path_elem *path;     /* Path below 'base' of the value checked. */
    size_t n_path, allocated_path;
    int depth;                  /* Guards against $ref cycles. */
};

#define MAX_DEPTH 64

static char *validate__(struct validator *, const json_t *schema,
                        const json_t *instance);
static void path_put_key__(struct ds *, const char *key);

static char * OVS_PRINTF_FORMAT(2, 3)
error__(const struct validator *v, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_cstr(&s, v->base);
    for (size_t i = 0; i < v->n_path; i++) {
        if (v->path[i].key) {
            path_put_key__(&s, v->path[i].key);
        } else {
            ds_put_format(&s, "[%"PRIuSIZE"]", v->path[i].index);
        }
    }
    ds_put_cstr(&s, ": ");
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

static unsigned int
type_bit__(json_type type)
{
    return 1u << type;
}

/* The json_type bits that the type name 'type' admits. */
static unsigned int
type_mask__(const char *type)
{
    static const struct {
        const char *name;
        unsigned int mask;
    } types[] = {
        { "object", 1u << JSON_OBJECT },
        { "array", 1u << JSON_ARRAY },
        { "string", 1u << JSON_STRING },
        { "integer", 1u << JSON_INTEGER },
        { "number", 1u << JSON_INTEGER | 1u << JSON_REAL },
        { "boolean", 1u << JSON_TRUE | 1u << JSON_FALSE },
        { "null", 1u << JSON_NULL },
    };

    for (size_t i = 0; type && i < ARRAY_SIZE(types); i++) {
        if (!strcmp(type, types[i].name)) {
            return types[i].mask;
        }
    }
    return 0;
}

static bool
type_matches__(const char *type, const json_t *instance)
{
    return (type_mask__(type) & type_bit__(json_typeof(instance))) != 0;
}

static const struct compiled *compile__(struct validator *,
                                        const json_t *schema);

/* Whether 'instance' satisfies the schema's "type", if any. */
static bool
schema_type_matches__(struct validator *v, const json_t *schema,
                      const json_t *instance)
{
    const struct compiled *c = compile__(v, schema);

    if (!c) {
        return false;
    }
    if (!c->type) {
        return !c->const_ || json_typeof(c->const_) == json_typeof(instance);
    }
    return (c->types & type_bit__(json_typeof(instance))) != 0;
}

static void
put_value__(struct ds *s, const json_t *value)
{
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

    ds_put_cstr(s, text ? text : "?");
    free(text);
}

static char *
check_type__(struct validator *v, const struct compiled *c,
             const json_t *instance)
{
    const json_t *type = c->type;
    struct ds s = DS_EMPTY_INITIALIZER;
    const json_t *t;
    size_t i;

    if (c->types & type_bit__(json_typeof(instance))) {
        return NULL;
    }
    if (json_is_string(type)) {
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
    } else if (!strcmp(format, "ipv6")) {
        struct in6_addr addr;
        if (inet_pton(AF_INET6, s, &addr) != 1) {
            return error__(v, "\"%s\" is not an IPv6 address", s);
        }
    } else if (!strcmp(format, "ip")) {
        /* Either family, in any form inet_pton() takes (RFC 4291 2.2). */
        struct in6_addr addr;
        if (inet_pton(AF_INET, s, &addr) != 1
            && inet_pton(AF_INET6, s, &addr) != 1) {
            return error__(v, "\"%s\" is not an IPv4 or IPv6 address", s);
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

/* The pattern is compiled with the rest of its schema object (compile__()),
 * once: schemas have few, and values are many. */
static char *
check_pattern__(struct validator *v, const struct compiled *c, const char *s)
{
    const char *pattern = json_string_value(c->pattern);

    if (!c->pattern_ok) {
        return error__(v, "schema pattern \"%s\" does not compile", pattern);
    }
    if (regexec(&c->pattern_re, s, 0, NULL, 0)) {
        return error__(v, "\"%s\" does not match the pattern %s", s,
                       pattern);
    }
    return NULL;
}

static char *
check_string__(struct validator *v, const struct compiled *c,
               const json_t *instance)
{
    const char *s = json_string_value(instance);
    size_t len = json_string_length(instance);
    const json_t *k;

    if ((k = c->min_length) && len < json_integer_value(k)) {
        return len ? error__(v, "must be at least %"JSON_INTEGER_FORMAT
                             " characters long", json_integer_value(k))
                   : error__(v, "must not be empty");
    }
    if ((k = c->max_length) && len > json_integer_value(k)) {
        return error__(v, "must be at most %"JSON_INTEGER_FORMAT
                       " characters long", json_integer_value(k));
    }
    if (c->pattern) {
        char *error = check_pattern__(v, c, s);
        if (error) {
            return error;
        }
    }
    if ((k = c->format)) {
        return check_format__(v, json_string_value(k), instance);
    }
    return NULL;
}

static char *
check_number__(struct validator *v, const struct compiled *c,
               const json_t *instance)
{
    double x = json_number_value(instance);
    const json_t *k;

    if ((k = c->minimum) && x < json_number_value(k)) {
        return error__(v, "must be at least %g (got %g)",
                       json_number_value(k), x);
    }
    if ((k = c->maximum) && x > json_number_value(k)) {
        return error__(v, "must be at most %g (got %g)",
                       json_number_value(k), x);
    }
    return NULL;
}

/* Appends a member name to the path, bracketed unless it is an
 * identifier. */
static void
path_put_key__(struct ds *path, const char *key)
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

static void
path_push__(struct validator *v, const char *key, size_t index)
{
    if (v->n_path == v->allocated_path) {
        v->path = x2nrealloc(v->path, &v->allocated_path, sizeof *v->path);
    }
    v->path[v->n_path].key = key;
    v->path[v->n_path].index = index;
    v->n_path++;
}

static void
path_pop__(struct validator *v)
{
    v->n_path--;
}

static char *
check_object__(struct validator *v, const struct compiled *c,
               const json_t *instance)
{
    const json_t *properties = c->properties;
    const json_t *additional = c->additional;
    const json_t *member;
    const char *key;
    size_t i;

    json_object_foreach ((json_t *) instance, key, member) {
        const json_t *sub = (properties
                             ? json_object_get(properties, key) : NULL);
        char *error = NULL;

        path_push__(v, key, 0);
        if (sub) {
            error = validate__(v, sub, member);
        } else if (json_is_false(additional)) {
            error = error__(v, "unknown field");
        } else if (json_is_object(additional)) {
            error = validate__(v, additional, member);
        }
        path_pop__(v);
        if (error) {
            return error;
        }
    }
    json_array_foreach (c->required, i, member) {
        key = json_string_value(member);
        if (!json_object_get(instance, key)) {
            path_push__(v, key, 0);
            char *error = error__(v, "required field is missing");
            path_pop__(v);
            return error;
        }
    }
    return NULL;
}

static char *
check_array__(struct validator *v, const struct compiled *c,
              const json_t *instance)
{
    const json_t *items = c->items;
    size_t n = json_array_size(instance);
    const json_t *k;

    if ((k = c->min_items) && n < json_integer_value(k)) {
        return error__(v, "must have at least %"JSON_INTEGER_FORMAT
                       " item%s", json_integer_value(k),
                       json_integer_value(k) == 1 ? "" : "s");
    }
    if ((k = c->max_items) && n > json_integer_value(k)) {
        return error__(v, "must have at most %"JSON_INTEGER_FORMAT" items",
                       json_integer_value(k));
    }
    for (size_t i = 0; items && i < n; i++) {
        path_push__(v, NULL, i);
        char *error = validate__(v, items, json_array_get(instance, i));
        path_pop__(v);
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
        } else if (!best && schema_type_matches__(v, branch, instance)) {
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
    "examples", "readOnly", "$ref", "type", "enum", "const", "properties",
    "required", "additionalProperties", "items", "minItems", "maxItems",
    "minimum", "maximum", "minLength", "maxLength", "pattern", "format",
    "anyOf", "oneOf",
};

/* Looks up the keywords of 'schema' (in the document v->root) once. */
static const struct compiled *
compile__(struct validator *v, const json_t *schema)
{
    uint32_t hash = hash_pointer(schema, hash_pointer(v->root, 0));
    struct compiled *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, hash, &v->cache->compiled) {
        if (c->schema == schema && c->root == v->root) {
            return c;
        }
    }
    if (!json_is_object(schema)) {
        return NULL;
    }

    c = xzalloc(sizeof *c);
    c->schema = schema;
    c->root = v->root;

    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) schema, key, value) {
        bool known = false;
        for (size_t i = 0; !known && i < ARRAY_SIZE(known_keywords); i++) {
            known = !strcmp(key, known_keywords[i]);
        }
        if (!known && !c->bad_keyword) {
            c->bad_keyword = key;
        }
    }

#define KEYWORD(MEMBER, NAME) c->MEMBER = json_object_get(schema, NAME)
    KEYWORD(ref, "$ref");
    KEYWORD(type, "type");
    KEYWORD(const_, "const");
    KEYWORD(enum_, "enum");
    KEYWORD(any_of, "anyOf");
    KEYWORD(one_of, "oneOf");
    KEYWORD(min_length, "minLength");
    KEYWORD(max_length, "maxLength");
    KEYWORD(pattern, "pattern");
    KEYWORD(format, "format");
    KEYWORD(minimum, "minimum");
    KEYWORD(maximum, "maximum");
    KEYWORD(properties, "properties");
    KEYWORD(additional, "additionalProperties");
    KEYWORD(required, "required");
    KEYWORD(items, "items");
    KEYWORD(min_items, "minItems");
    KEYWORD(max_items, "maxItems");
#undef KEYWORD

    if (json_is_string(c->type)) {
        c->types = type_mask__(json_string_value(c->type));
    } else {
        const json_t *t;
        size_t i;
        json_array_foreach (c->type, i, t) {
            c->types |= type_mask__(json_string_value(t));
        }
    }
    if (json_is_string(c->pattern)) {
        c->pattern_ok = !regcomp(&c->pattern_re,
                                 json_string_value(c->pattern),
                                 REG_EXTENDED | REG_NOSUB);
    }
    if (c->ref) {
        c->ref_target = resolve_ref__(v, json_string_value(c->ref),
                                      &c->ref_root);
    }
    hmap_insert(&v->cache->compiled, &c->node, hash);
    return c;
}

static char *
validate__(struct validator *v, const json_t *schema, const json_t *instance)
{
    const struct compiled *c;
    char *error = NULL;

    if (json_is_true(schema)) {
        return NULL;
    }
    c = compile__(v, schema);
    if (!c || v->depth >= MAX_DEPTH) {
        return error__(v, "invalid schema");
    }
    v->depth++;
    if (c->bad_keyword) {
        error = error__(v, "schema uses unsupported keyword \"%s\"",
                        c->bad_keyword);
        goto out;
    }
    if (c->ref) {
        const json_t *saved_root = v->root;

        v->root = c->ref_root;
        error = (c->ref_target ? validate__(v, c->ref_target, instance)
                 : error__(v, "schema has unresolvable $ref \"%s\"",
                           json_string_value(c->ref)));
        v->root = saved_root;
        if (error) {
            goto out;
        }
    }
    if (c->type && (error = check_type__(v, c, instance))) {
        goto out;
    }
    if (c->const_ && !json_equal(c->const_, instance)) {
        struct ds s = DS_EMPTY_INITIALIZER;
        put_value__(&s, c->const_);
        error = error__(v, "must be %s", ds_cstr(&s));
        ds_destroy(&s);
        goto out;
    }
    if (c->enum_ && (error = check_enum__(v, c->enum_, instance))) {
        goto out;
    }
    if (c->any_of
        && (error = check_alternatives__(v, c->any_of, instance, false))) {
        goto out;
    }
    if (c->one_of
        && (error = check_alternatives__(v, c->one_of, instance, true))) {
        goto out;
    }
    if (json_is_string(instance)) {
        error = check_string__(v, c, instance);
    } else if (json_is_number(instance)) {
        error = check_number__(v, c, instance);
    } else if (json_is_object(instance)) {
        error = check_object__(v, c, instance);
    } else if (json_is_array(instance)) {
        error = check_array__(v, c, instance);
    }

out:
    v->depth--;
    return error;
}

struct json_schema_cache *
json_schema_cache_create(void)
{
    struct json_schema_cache *cache = xmalloc(sizeof *cache);

    hmap_init(&cache->compiled);
    return cache;
}

void
json_schema_cache_destroy(struct json_schema_cache *cache)
{
    if (cache) {
        struct compiled *c;

        HMAP_FOR_EACH_POP (c, node, &cache->compiled) {
            if (c->pattern_ok) {
                regfree(&c->pattern_re);
            }
            free(c);
        }
        hmap_destroy(&cache->compiled);
        free(cache);
    }
}

char *
json_schema_validate_cached(struct json_schema_cache *cache,
                            const json_t *schema, const json_t *instance,
                            const char *path, json_schema_loader *loader)
{
    struct validator v = {
        .root = schema,
        .loader = loader,
        .cache = cache,
        .base = path,
    };

    char *error = validate__(&v, schema, instance);
    free(v.path);
    return error;
}

char *
json_schema_validate(const json_t *schema, const json_t *instance,
                     const char *path, json_schema_loader *loader)
{
    struct json_schema_cache *cache = json_schema_cache_create();
    char *error = json_schema_validate_cached(cache, schema, instance, path,
                                              loader);

    json_schema_cache_destroy(cache);
    return error;
}
