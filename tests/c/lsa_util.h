/*
 * Shared helpers of the LSA test programs (tests/c/lsa_test.c,
 * impersonation_test.c, secrets_core.c, trace_session.c): an LSA_STRING over
 * a C string, a contiguous MSV1_0_INTERACTIVE_LOGON submit buffer and an
 * LsaLogonUser with it. Header-only; every function is static. Include
 * <security.h> (or proof_common.h) first.
 */
#ifndef OPENSSPI_LSA_UTIL_H
#define OPENSSPI_LSA_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An LSA_STRING over `s` (not copied). */
static inline LSA_STRING lsa_str(const char *s)
{
    LSA_STRING l = {(USHORT)strlen(s), (USHORT)(strlen(s) + 1), (char *)s};
    return l;
}

/* A contiguous MSV1_0_INTERACTIVE_LOGON (the UTF-16 strings right after the
 * header, as LsaLogonUser expects them); its size in `*size`. Exits 2 when
 * out of memory. Free it with lsa_submit_free. */
static inline MSV1_0_INTERACTIVE_LOGON *lsa_interactive_submit(const char *d, const char *u,
                                                              const char *p, ULONG *size)
{
    const char *src[3] = {d, u, p};
    size_t total = 0;
    for (int i = 0; i < 3; i++) total += 2 * strlen(src[i]);
    *size = (ULONG)(sizeof(MSV1_0_INTERACTIVE_LOGON) + total);
    MSV1_0_INTERACTIVE_LOGON *l = calloc(1, *size);
    if (!l) exit(2);
    uint16_t *s = (uint16_t *)(l + 1);
    LSA_UNICODE_STRING *dst[3] = {&l->LogonDomainName, &l->UserName, &l->Password};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(src[i]);
        for (size_t k = 0; k < n; k++) s[k] = (unsigned char)src[i][k];
        dst[i]->Length = dst[i]->MaximumLength = (USHORT)(2 * n);
        dst[i]->Buffer = s;
        s += n;
    }
    l->MessageType = MsV1_0InteractiveLogon;
    return l;
}

/* Wipes (it holds a password) and frees a submit buffer. */
static inline void lsa_submit_free(MSV1_0_INTERACTIVE_LOGON *l, ULONG size)
{
    if (!l) return;
    memset(l, 0, size);
    free(l);
}

/* LsaLogonUser(`type`, package `pkg`) of DOMAIN `d`, user `u`, password `p`
 * with a contiguous submit buffer, origin `origin` and source "test".
 * `profile`/`plen` receive the profile buffer (the caller frees it with
 * LsaFreeReturnBuffer); when `profile` is NULL it is freed here. */
static inline NTSTATUS lsa_msv_logon(HANDLE lsa, ULONG pkg, ULONG type,
                                     const char *origin, const char *d, const char *u,
                                     const char *p, LUID *luid, HANDLE *token, PVOID *profile,
                                     ULONG *plen, NTSTATUS *sub)
{
    ULONG size, own_plen = 0;
    MSV1_0_INTERACTIVE_LOGON *l = lsa_interactive_submit(d, u, p, &size);
    LSA_STRING o = lsa_str(origin);
    TOKEN_SOURCE source = {{'t', 'e', 's', 't', 0, 0, 0, 0}, {0, 0}};
    QUOTA_LIMITS q;
    PVOID own_profile = NULL;
    NTSTATUS st = LsaLogonUser(lsa, &o, type, pkg, l, size, NULL, &source,
                               profile ? profile : &own_profile, plen ? plen : &own_plen, luid,
                               token, &q, sub);
    if (own_profile) LsaFreeReturnBuffer(own_profile);
    lsa_submit_free(l, size);
    return st;
}

#endif
