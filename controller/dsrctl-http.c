/* dsrctl's requests to dsrd's API: one HTTP request at a time through
 * libcurl's easy interface, JSON in and out (jansson), and the error
 * documents dsrd answers with turned into messages and exit codes.  See
 * dsrctl.h. */
#include <config.h>
#include "controller/dsrctl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Appends 's' to 'path', percent-encoded as one URL path segment. */
static void
put_segment(struct ds *path, const char *s)
{
    for (; *s; s++) {
        if (strchr("-._~", *s) || (*s >= '0' && *s <= '9')
            || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
            ds_put_char(path, *s);
        } else {
            ds_put_format(path, "%%%02X", (unsigned char) *s);
        }
    }
}

/* Returns "/v1/services/NAME", then "/backends" if 'backends', then "/IP"
 * if 'ip' is nonnull. */
char *
dsrctl_service_path(const char *name, bool backends, const char *ip)
{
    struct ds path = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&path, "/v1/services/");
    put_segment(&path, name);
    if (backends) {
        ds_put_cstr(&path, "/backends");
    }
    if (ip) {
        ds_put_char(&path, '/');
        put_segment(&path, ip);
    }
    return ds_steal_cstr(&path);
}

/* Returns "/v1/trace?protocol=PROTO&client=CLIENT&vip=VIP", each value
 * percent-encoded ("[2001:db8::2]:40000" has reserved characters). */
char *
dsrctl_trace_path(const char *protocol, const char *client, const char *vip)
{
    struct ds path = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&path, "/v1/trace?protocol=");
    put_segment(&path, protocol);
    ds_put_cstr(&path, "&client=");
    put_segment(&path, client);
    ds_put_cstr(&path, "&vip=");
    put_segment(&path, vip);
    return ds_steal_cstr(&path);
}

/* libcurl write callback: appends the received data to a struct ds. */
static size_t
write_body(char *data, size_t size, size_t n, void *body)
{
    ds_put_buffer(body, data, size * n);
    return size * n;
}

/* Prints an error answer: "dsrctl: STATUS KIND: PATH: REASON". */
static void
print_api_error(long status, const json_t *error, const struct ds *body)
{
    const char *kind = json_string_value(json_object_get(error, "error"));
    const char *path = json_string_value(json_object_get(error, "path"));
    const char *reason = json_string_value(json_object_get(error, "reason"));

    fprintf(stderr, "dsrctl: %ld%s%s:", status, kind ? " " : "",
            kind ? kind : "");
    if (path) {
        fprintf(stderr, " %s:", path);
    }
    if (reason) {
        fprintf(stderr, " %s\n", reason);
    } else {
        /* Not dsrd's error document: show the start of what came. */
        fprintf(stderr, " %.*s\n", (int) MIN(strcspn(body->string, "\r\n"),
                                             200), body->string);
    }
}

/* Returns the URL of 'path' on dsrd's API. */
static char *
request_url(const struct dsrctl_api *api, const char *path)
{
    size_t len = strlen(api->url);

    /* "http://host:port/" and "http://host:port" are the same base. */
    while (len && api->url[len - 1] == '/') {
        len--;
    }
    return xasprintf("%.*s%s", (int) len, api->url, path);
}

/* Sets up 'curl' to send 'method' to 'url' with 'text' as a JSON body
 * unless it is NULL (it must outlive the transfer) and an If-Match header
 * unless 'if_match' is NULL, the answer going to 'answer' and curl's
 * error to 'errbuf'.  Returns the headers, for the caller to free after
 * the transfer. */
static struct curl_slist *
set_request(CURL *curl, const struct dsrctl_api *api, const char *method,
            const char *url, const char *text, const char *if_match,
            struct ds *answer, char *errbuf)
{
    struct curl_slist *headers = NULL;

    headers = curl_slist_append(headers, "Accept: application/json");
    if (if_match) {
        char *header = xasprintf("If-Match: %s", if_match);
        headers = curl_slist_append(headers, header);
        free(header);
    }
    headers = curl_slist_append(headers, "Expect:");
    if (text) {
        headers = curl_slist_append(headers,
                                    "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long) strlen(text));
    }
    if (api->token) {
        char *auth = xasprintf("Authorization: Bearer %s", api->token);
        headers = curl_slist_append(headers, auth);
        free(auth);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, api->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "dsrctl/" DSR_VERSION);
    if (api->cacert) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, api->cacert);
    }
    if (api->insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return headers;
}

/* Makes sense of dsrd's answer 'status' 'answer' to 'method' 'path': see
 * dsrctl_request(). */
static int
read_answer(long status, const struct ds *answer, const char *method,
            const char *path, json_t **replyp)
{
    json_t *reply = NULL;
    int error = 0;

    if (answer->length) {
        reply = json_loadb(answer->string, answer->length, 0, NULL);
    }
    if (status >= 400 || status < 200) {
        print_api_error(status, reply, answer);
        error = DSRCTL_EXIT_API;
    } else if (answer->length && !reply) {
        fprintf(stderr, "dsrctl: %s %s: %ld answer is not JSON\n", method,
                path, status);
        error = DSRCTL_EXIT_API;
    } else if (status == 202) {
        fprintf(stderr, "dsrctl: note: the change is saved, but OVS has not "
                "confirmed it yet; it is pending and dsrd applies it as "
                "soon as the bridge answers\n");
        json_t *result = json_object_get(reply, "result");
        *replyp = json_is_null(result) ? NULL : json_incref(result);
    } else {
        *replyp = json_incref(reply);
    }
    json_decref(reply);
    return error;
}

/* Sends METHOD to dsrd's 'path' with 'body' as JSON unless it is NULL.  On
 * success, stores the answer (NULL if it has no body; for 202 Accepted,
 * the pending change's result) in '*replyp' and returns 0.  Otherwise
 * prints why and returns the exit code: DSRCTL_EXIT_API for an error
 * answer, DSRCTL_EXIT_UNREACHABLE if dsrd could not be reached. */
int
dsrctl_request(const struct dsrctl_api *api, const char *method,
               const char *path, const json_t *body, json_t **replyp)
{
    return dsrctl_request_if_match(api, method, path, body, NULL, replyp);
}

/* The same, sending "If-Match: 'if_match'" unless it is NULL: dsrd
 * answers 412 and changes nothing if the object's version differs. */
int
dsrctl_request_if_match(const struct dsrctl_api *api, const char *method,
                        const char *path, const json_t *body,
                        const char *if_match, json_t **replyp)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct ds answer = DS_EMPTY_INITIALIZER;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *url = request_url(api, path);
    CURL *curl = curl_easy_init();
    int error;

    *replyp = NULL;
    if (!curl) {
        ovs_fatal(0, "curl_easy_init failed");
    }
    ds_put_cstr(&answer, "");
    struct curl_slist *headers = set_request(curl, api, method, url, text,
                                             if_match, &answer, errbuf);
    CURLcode res = curl_easy_perform(curl);
    if (res != CURLE_OK) {
        fprintf(stderr, "dsrctl: cannot reach dsrd at %s: %s\n", api->url,
                errbuf[0] ? errbuf : curl_easy_strerror(res));
        error = DSRCTL_EXIT_UNREACHABLE;
    } else {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        error = read_answer(status, &answer, method, path, replyp);
    }
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(text);
    free(url);
    ds_destroy(&answer);
    return error;
}
