/* UTF-8 validation (RFC 3629).  See utf8.h. */
#include <config.h>
#include "controller/utf8.h"

#include <stdint.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Returns the length of the well-formed UTF-8 sequence at 's' (at most
 * 'len' bytes), or 0 if there is none: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
static size_t
sequence_length__(const uint8_t *s, size_t len)
{
    uint8_t c = s[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;   /* Range of the second byte. */

    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    return n;
}

/* Whether the 'len' bytes at 's' are UTF-8; if not, and 'bad_offset' is
 * nonnull, stores there the offset of the first byte that is not. */
bool
utf8_is_valid(const char *s_, size_t len, size_t *bad_offset)
{
    const uint8_t *s = (const uint8_t *) s_;

    for (size_t i = 0; i < len;) {
        size_t n = sequence_length__(&s[i], len - i);
        if (!n) {
            if (bad_offset) {
                *bad_offset = i;
            }
            return false;
        }
        i += n;
    }
    return true;
}

/* Returns a malloc'd copy of 's' in which every byte that is not part of
 * a UTF-8 sequence is written as "\xNN", so that it can go into JSON and
 * still show what the client sent. */
char *
utf8_sanitize(const char *s_)
{
    const uint8_t *s = (const uint8_t *) s_;
    size_t len = strlen(s_);
    struct ds out = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < len;) {
        size_t n = sequence_length__(&s[i], len - i);
        if (n) {
            ds_put_buffer(&out, (const char *) &s[i], n);
            i += n;
        } else {
            ds_put_format(&out, "\\x%02x", s[i]);
            i++;
        }
    }
    return ds_steal_cstr(&out);
}
