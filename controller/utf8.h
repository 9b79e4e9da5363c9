/* UTF-8 checks for text that comes from clients (URL paths, bodies,
 * header values) before it reaches JSON, which must be valid UTF-8:
 * jansson refuses to build a string from anything else. */
#ifndef DSR_UTF8_H
#define DSR_UTF8_H 1

#include <stdbool.h>
#include <stddef.h>

bool utf8_is_valid(const char *, size_t len, size_t *bad_offset);
char *utf8_sanitize(const char *);

#endif /* controller/utf8.h */
