/* Small helpers for sspi_peer.c: base64, UTF-8 <-> UTF-16, hex, a growable string.
 * Header-only (static functions) so that every C test compiles from one .c file. */
#ifndef OPENSSPI_PEER_UTIL_H
#define OPENSSPI_PEER_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable string ---------------------------------------------------- */
typedef struct {
    char *s;
    size_t len, cap;
} str_t;

static void str_addn(str_t *b, const char *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) abort();
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void str_add(str_t *b, const char *p) { str_addn(b, p, strlen(p)); }

/* JSON string literal (with quotes) */
static void str_add_json(str_t *b, const char *p) {
    str_add(b, "\"");
    for (; p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            str_addn(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            str_add(b, esc);
        } else {
            str_addn(b, (const char *)p, 1);
        }
    }
    str_add(b, "\"");
}

/* ---- base64 (standard alphabet, padded) --------------------------------- */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const uint8_t *p, size_t n) {
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out) abort();
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        *o++ = B64[(v >> 18) & 63];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? B64[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* returns malloc'd bytes (NULL on bad input); *n = length */
static uint8_t *b64_decode(const char *s, size_t *n) {
    size_t len = strlen(s);
    uint8_t *out = malloc(len / 4 * 3 + 3);
    uint32_t v = 0;
    int bits = 0;
    *n = 0;
    if (!out) abort();
    for (size_t i = 0; i < len; i++) {
        const char *c = strchr(B64, s[i]);
        if (s[i] == '=') break;
        if (!c || !s[i]) {
            free(out);
            return NULL;
        }
        v = (v << 6) | (uint32_t)(c - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*n)++] = (uint8_t)(v >> bits);
        }
    }
    return out;
}

/* ---- hex ---------------------------------------------------------------- */
static uint8_t *hex_decode(const char *s, size_t *n) {
    size_t len = strlen(s);
    uint8_t *out = malloc(len / 2 + 1);
    if (!out) abort();
    *n = 0;
    if (len % 2) goto bad;
    for (size_t i = 0; i < len; i += 2) {
        unsigned int byte;
        if (sscanf(s + i, "%2x", &byte) != 1) goto bad;
        out[(*n)++] = (uint8_t)byte;
    }
    return out;
bad:
    free(out);
    return NULL;
}

static void str_add_hex(str_t *b, const uint8_t *p, size_t n) {
    char h[3];
    for (size_t i = 0; i < n; i++) {
        snprintf(h, sizeof h, "%02x", p[i]);
        str_addn(b, h, 2);
    }
}

/* ---- UTF-8 <-> UTF-16 (SEC_WCHAR is a 16-bit unit on Linux) -------------- */
/* malloc'd, NUL-terminated; *units = length without the terminator */
static uint16_t *utf8_to_utf16(const char *s, size_t *units) {
    size_t len = strlen(s), n = 0;
    uint16_t *out = malloc((len + 1) * sizeof *out);
    if (!out) abort();
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        cp = extra ? c & (0x3F >> extra) : c;
        for (int k = 1; k <= extra && i + k < len; k++) cp = (cp << 6) | (s[i + k] & 0x3F);
        i += 1 + extra;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[n++] = (uint16_t)(0xD800 | (cp >> 10));
            out[n++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
        } else {
            out[n++] = (uint16_t)cp;
        }
    }
    out[n] = 0;
    if (units) *units = n;
    return out;
}

static char *utf16_to_utf8(const uint16_t *w) {
    str_t b = {0};
    str_add(&b, "");
    for (; w && *w; w++) {
        uint32_t cp = *w;
        char u[4];
        size_t k = 0;
        if (cp >= 0xD800 && cp < 0xDC00 && w[1] >= 0xDC00 && w[1] < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (w[1] - 0xDC00);
            w++;
        }
        if (cp < 0x80) {
            u[k++] = (char)cp;
        } else if (cp < 0x800) {
            u[k++] = (char)(0xC0 | (cp >> 6));
            u[k++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            u[k++] = (char)(0xE0 | (cp >> 12));
            u[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[k++] = (char)(0x80 | (cp & 0x3F));
        } else {
            u[k++] = (char)(0xF0 | (cp >> 18));
            u[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            u[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[k++] = (char)(0x80 | (cp & 0x3F));
        }
        str_addn(&b, u, k);
    }
    return b.s;
}

#endif
