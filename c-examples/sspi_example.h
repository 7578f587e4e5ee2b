/* Shared by sspi_client.c and sspi_server.c: length-prefixed messages over a TCP socket (as in
 * Microsoft's "Using SSPI with a Windows Sockets Client/Server" sample), status names, UTF-16. */
#ifndef SSPI_EXAMPLE_H
#define SSPI_EXAMPLE_H

#include <security.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* one message = 4-byte big-endian length + payload */
static inline int send_msg(int fd, const void *p, uint32_t n) {
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    const uint8_t *parts[2] = {hdr, p};
    size_t lens[2] = {4, n};
    for (int i = 0; i < 2; i++)
        for (size_t off = 0; off < lens[i];) {
            ssize_t w = send(fd, parts[i] + off, lens[i] - off, MSG_NOSIGNAL);
            if (w <= 0) return -1;
            off += (size_t)w;
        }
    return 0;
}

static inline int read_full(int fd, uint8_t *p, size_t n) {
    for (size_t off = 0; off < n;) {
        ssize_t r = read(fd, p + off, n - off);
        if (r <= 0) return -1;
        off += (size_t)r;
    }
    return 0;
}

/* returns a malloc'd payload (NULL on EOF/error or when longer than max) */
static inline uint8_t *recv_msg(int fd, uint32_t *n, uint32_t max) {
    uint8_t hdr[4], *p;
    if (read_full(fd, hdr, 4)) return NULL;
    *n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (*n > max || !(p = malloc(*n ? *n : 1))) return NULL;
    if (read_full(fd, p, *n)) {
        free(p);
        return NULL;
    }
    return p;
}

static inline const char *status_name(SECURITY_STATUS s) {
    switch (s) {
    case SEC_E_OK: return "SEC_E_OK";
    case SEC_I_CONTINUE_NEEDED: return "SEC_I_CONTINUE_NEEDED";
    case SEC_I_COMPLETE_NEEDED: return "SEC_I_COMPLETE_NEEDED";
    case SEC_I_COMPLETE_AND_CONTINUE: return "SEC_I_COMPLETE_AND_CONTINUE";
    case SEC_E_LOGON_DENIED: return "SEC_E_LOGON_DENIED";
    case SEC_E_INVALID_TOKEN: return "SEC_E_INVALID_TOKEN";
    case SEC_E_INVALID_HANDLE: return "SEC_E_INVALID_HANDLE";
    case SEC_E_SECPKG_NOT_FOUND: return "SEC_E_SECPKG_NOT_FOUND";
    case SEC_E_MESSAGE_ALTERED: return "SEC_E_MESSAGE_ALTERED";
    case SEC_E_NO_CREDENTIALS: return "SEC_E_NO_CREDENTIALS";
    case SEC_E_UNSUPPORTED_FUNCTION: return "SEC_E_UNSUPPORTED_FUNCTION";
    default: return "error";
    }
}

static inline void print_status(const char *call, SECURITY_STATUS s) {
    printf("%s -> %s (0x%08X)\n", call, status_name(s), (uint32_t)s);
    fflush(stdout);
}

/* ASCII/Latin-1 command-line text -> malloc'd UTF-16 (SEC_WCHAR is 16-bit on Linux) */
static inline SEC_WCHAR *to_wide(const char *s, ULONG *len) {
    size_t n = strlen(s);
    SEC_WCHAR *w = calloc(n + 1, sizeof *w);
    for (size_t i = 0; w && i < n; i++) w[i] = (unsigned char)s[i];
    if (len) *len = (ULONG)n;
    return w;
}

#endif
