/*
 * Shared helpers of the proof programs (tests/c/hostile.c, tests/c/stress.c):
 * status classification, an NTLM user file, credentials and an in-process
 * NTLM handshake, guard pages. Header-only; every function is static.
 */
#ifndef OPENSSPI_PROOF_COMMON_H
#define OPENSSPI_PROOF_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <uchar.h>
#include <unistd.h>

#include "sspi.h"

/* UTF-16 literals: WSTR("NTLM") is a SEC_WCHAR* to u"NTLM". */
#define WSTR(s) ((SEC_WCHAR *)u##s)
#define WLEN(s) ((ULONG)(sizeof(u##s) / sizeof(char16_t) - 1))

#define PROOF_ISC_REQ                                                                              \
    (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |                         \
     ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define PROOF_ASC_REQ                                                                              \
    (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |                         \
     ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)
#define PROOF_TOKEN_MAX 4096

/* A status a Windows caller can interpret: success, an SEC_I_* information
 * code or an SEC_E_* error (facility 9). Anything else (a random value, an
 * NTSTATUS) is a failure of the library. */
static inline int proof_is_windows_status(SECURITY_STATUS st)
{
    uint32_t u = (uint32_t)st;
    if (u == 0)
        return 1;
    if ((u & 0xFFFFFF00u) == 0x00090300u) /* SEC_I_* */
        return 1;
    if ((u & 0xFFFFFC00u) == 0x80090000u) /* SEC_E_* (0x80090300 ..) */
        return 1;
    return 0;
}

/* Write DOMAIN:USER:PASSWORD to a temporary NTLM_USER_FILE and export it;
 * keep logon sessions in the process (OPENSSPI_LSA_STORE=memory) so that
 * nothing reaches the session keyring other programs share.
 * `path` receives the file name (at least 64 bytes). */
static inline int proof_user_file(char *path, size_t n)
{
    if (setenv("OPENSSPI_LSA_STORE", "memory", 1) != 0)
        return -1;
    snprintf(path, n, "/tmp/opensspi_proof_users.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    const char line[] = "WORKGROUP:testuser:testpass\n";
    if (write(fd, line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) {
        close(fd);
        return -1;
    }
    close(fd);
    return setenv("NTLM_USER_FILE", path, 1);
}

static inline SEC_WINNT_AUTH_IDENTITY_W proof_identity(void)
{
    SEC_WINNT_AUTH_IDENTITY_W id = {
        WSTR("testuser"), WLEN("testuser"), WSTR("WORKGROUP"), WLEN("WORKGROUP"),
        WSTR("testpass"), WLEN("testpass"), SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    return id;
}

static inline SECURITY_STATUS proof_client_cred(CredHandle *h)
{
    SEC_WINNT_AUTH_IDENTITY_W id = proof_identity();
    return AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                     NULL, h, NULL);
}

static inline SECURITY_STATUS proof_server_cred(CredHandle *h)
{
    return AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                     NULL, h, NULL);
}

/* One ISC leg: `ctx` NULL for the first call. Output copied to out/outlen. */
static inline SECURITY_STATUS proof_isc(CredHandle *cred, CtxtHandle *ctx, CtxtHandle *newctx,
                                        const void *in, ULONG inlen, void *out, ULONG *outlen,
                                        ULONG req)
{
    SecBuffer ib = {inlen, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr = 0;
    TimeStamp exp;
    SECURITY_STATUS st = InitializeSecurityContextW(cred, ctx, NULL, req, 0, SECURITY_NATIVE_DREP,
                                                    in ? &id : NULL, 0, newctx, &od, &attr, &exp);
    *outlen = ob.cbBuffer;
    return st;
}

static inline SECURITY_STATUS proof_asc(CredHandle *cred, CtxtHandle *ctx, CtxtHandle *newctx,
                                        const void *in, ULONG inlen, void *out, ULONG *outlen,
                                        ULONG req)
{
    SecBuffer ib = {inlen, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr = 0;
    TimeStamp exp;
    SECURITY_STATUS st = AcceptSecurityContext(cred, ctx, &id, req, SECURITY_NATIVE_DREP, newctx,
                                               &od, &attr, &exp);
    *outlen = ob.cbBuffer;
    return st;
}

/* The three NTLM messages of one handshake. */
typedef struct {
    unsigned char neg[PROOF_TOKEN_MAX], chal[PROOF_TOKEN_MAX], auth[PROOF_TOKEN_MAX];
    ULONG neglen, challen, authlen;
} ProofTokens;

/* A full NTLM handshake into new contexts. Returns SEC_E_OK or the first
 * failing status (the contexts created so far are deleted on failure). */
static inline SECURITY_STATUS proof_handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *cctx,
                                              CtxtHandle *sctx, ProofTokens *t)
{
    ProofTokens local;
    if (!t)
        t = &local;
    unsigned char fin[PROOF_TOKEN_MAX];
    ULONG finlen = 0;
    SECURITY_STATUS st =
        proof_isc(cc, NULL, cctx, NULL, 0, t->neg, &t->neglen, PROOF_ISC_REQ);
    if (st != SEC_I_CONTINUE_NEEDED)
        return st == SEC_E_OK ? SEC_E_INTERNAL_ERROR : st;
    st = proof_asc(sc, NULL, sctx, t->neg, t->neglen, t->chal, &t->challen, PROOF_ASC_REQ);
    if (st != SEC_I_CONTINUE_NEEDED) {
        DeleteSecurityContext(cctx);
        return st == SEC_E_OK ? SEC_E_INTERNAL_ERROR : st;
    }
    st = proof_isc(NULL, cctx, cctx, t->chal, t->challen, t->auth, &t->authlen, PROOF_ISC_REQ);
    if (st != SEC_E_OK) {
        DeleteSecurityContext(cctx);
        DeleteSecurityContext(sctx);
        return st;
    }
    st = proof_asc(sc, sctx, sctx, t->auth, t->authlen, fin, &finlen, PROOF_ASC_REQ);
    if (st != SEC_E_OK) {
        DeleteSecurityContext(cctx);
        DeleteSecurityContext(sctx);
        return st;
    }
    return SEC_E_OK;
}

/* EncryptMessage [TOKEN(16), DATA] in place. */
static inline SECURITY_STATUS proof_seal(CtxtHandle *c, unsigned char *tok, ULONG *toklen,
                                         unsigned char *data, ULONG len)
{
    SecBuffer b[2] = {{*toklen, SECBUFFER_TOKEN, tok}, {len, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = EncryptMessage(c, 0, &d, 0);
    *toklen = b[0].cbBuffer;
    return st;
}

static inline SECURITY_STATUS proof_unseal(CtxtHandle *c, unsigned char *tok, ULONG toklen,
                                           unsigned char *data, ULONG len)
{
    SecBuffer b[2] = {{toklen, SECBUFFER_TOKEN, tok}, {len, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 0;
    return DecryptMessage(c, &d, 0, &qop);
}

static inline SECURITY_STATUS proof_sign(CtxtHandle *c, unsigned char *data, ULONG len,
                                         unsigned char *sig, ULONG siglen)
{
    SecBuffer b[2] = {{len, SECBUFFER_DATA, data}, {siglen, SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    return MakeSignature(c, 0, &d, 0);
}

static inline SECURITY_STATUS proof_verify(CtxtHandle *c, unsigned char *data, ULONG len,
                                           unsigned char *sig, ULONG siglen)
{
    SecBuffer b[2] = {{len, SECBUFFER_DATA, data}, {siglen, SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 0;
    return VerifySignature(c, &d, 0, &qop);
}

/* n bytes that end exactly where a PROT_NONE page begins: any write or read
 * past the end faults. */
typedef struct {
    void *map;
    size_t len;
} ProofGuard;

static inline void *proof_guarded(size_t n, ProofGuard *g)
{
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (n + ps - 1) / ps + 1;
    g->len = pages * ps;
    g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        perror("mmap");
        exit(3);
    }
    unsigned char *guard = (unsigned char *)g->map + (pages - 1) * ps;
    if (mprotect(guard, ps, PROT_NONE) != 0) {
        perror("mprotect");
        exit(3);
    }
    memset(guard - n, 0xA5, n);
    return guard - n;
}

static inline void proof_unguard(ProofGuard *g)
{
    munmap(g->map, g->len);
}

#endif
