#define _GNU_SOURCE
#include "harness.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

uintptr_t ptrval(const void *pp, size_t n)
{
    uintptr_t v = 0;
    memcpy(&v, pp, n < sizeof v ? n : sizeof v);
    return v;
}

size_t wlen(const SEC_WCHAR *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int w_eq(const SEC_WCHAR *s, const char *a)
{
    if (!s) return 0;
    size_t i = 0;
    for (; a[i]; i++)
        if (s[i] != (unsigned char)a[i]) return 0;
    return s[i] == 0;
}

int w_ieq(const SEC_WCHAR *s, const char *a)
{
    if (!s) return 0;
    size_t i = 0;
    for (; a[i]; i++)
        if (s[i] > 0x7f || tolower(s[i]) != tolower((unsigned char)a[i])) return 0;
    return s[i] == 0;
}

int a_ieq(const char *a, const char *b)
{
    if (!a || !b) return 0;
    return strcasecmp(a, b) == 0;
}

SEC_WCHAR *w_dup(const char *a)
{
    size_t n = strlen(a);
    SEC_WCHAR *w = malloc((n + 1) * sizeof *w);
    for (size_t i = 0; i <= n; i++) w[i] = (unsigned char)a[i];
    return w;
}

const char *w_to_a(const SEC_WCHAR *s)
{
    static char buf[4][256];
    static int slot;
    slot = (slot + 1) % 4;
    if (!s) return "(null)";
    size_t i = 0;
    for (; s[i] && i < sizeof buf[slot] - 1; i++) buf[slot][i] = s[i] < 0x80 ? (char)s[i] : '?';
    buf[slot][i] = 0;
    return buf[slot];
}

void ident_init(struct ident *id, const char *user, const char *domain, const char *pass)
{
    memset(id, 0, sizeof *id);
    id->a.User = (void *)user;
    id->a.UserLength = user ? (ULONG)strlen(user) : 0;
    id->a.Domain = (void *)domain;
    id->a.DomainLength = domain ? (ULONG)strlen(domain) : 0;
    id->a.Password = (void *)pass;
    id->a.PasswordLength = pass ? (ULONG)strlen(pass) : 0;
    id->a.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    id->wu = user ? w_dup(user) : NULL;
    id->wd = domain ? w_dup(domain) : NULL;
    id->wp = pass ? w_dup(pass) : NULL;
    id->w.User = (void *)id->wu;
    id->w.UserLength = id->a.UserLength;
    id->w.Domain = (void *)id->wd;
    id->w.DomainLength = id->a.DomainLength;
    id->w.Password = (void *)id->wp;
    id->w.PasswordLength = id->a.PasswordLength;
    id->w.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
}

void ident_free(struct ident *id)
{
    free(id->wu);
    free(id->wd);
    free(id->wp);
    memset(id, 0, sizeof *id);
}

SECURITY_STATUS acquire_client(const char *pkg, CredHandle *cred, const char *user,
                               const char *domain, const char *pass)
{
    struct ident id;
    TimeStamp ts;
    ident_init(&id, user, domain, pass);
    SEC_WCHAR *wpkg = w_dup(pkg);
    SECURITY_STATUS st = api.AcquireCredentialsHandleW(NULL, wpkg, SECPKG_CRED_OUTBOUND, NULL,
                                                       &id.w, NULL, NULL, cred, &ts);
    free(wpkg);
    ident_free(&id);
    return st;
}

SECURITY_STATUS acquire_server(const char *pkg, CredHandle *cred)
{
    TimeStamp ts;
    SEC_WCHAR *wpkg = w_dup(pkg);
    SECURITY_STATUS st = api.AcquireCredentialsHandleW(NULL, wpkg, SECPKG_CRED_INBOUND, NULL, NULL,
                                                       NULL, NULL, cred, &ts);
    free(wpkg);
    return st;
}

void hs_init(struct hs *h, const char *pkg)
{
    memset(h, 0, sizeof *h);
    h->pkg = pkg;
    h->drep = SECURITY_NATIVE_DREP;
    h->creq = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
              ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION;
    h->sreq = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |
              ASC_REQ_SEQUENCE_DETECT;
    h->client_status = h->server_status = SEC_I_CONTINUE_NEEDED;
}

int hs_creds(struct hs *h, const char *user, const char *domain, const char *pass)
{
    SECURITY_STATUS st = acquire_client(h->pkg, &h->ccred, user, domain, pass);
    if (st != SEC_E_OK) {
        diag("hs_creds: client AcquireCredentialsHandleW(%s) -> %s", h->pkg, sec_name(st));
        return 0;
    }
    h->have_ccred = 1;
    st = acquire_server(h->pkg, &h->scred);
    if (st != SEC_E_OK) {
        diag("hs_creds: server AcquireCredentialsHandleW(%s) -> %s", h->pkg, sec_name(st));
        return 0;
    }
    h->have_scred = 1;
    return 1;
}

static ULONG fill_input(SecBuffer *b, const unsigned char *in, ULONG inlen, const void *cb,
                        ULONG cblen)
{
    ULONG n = 0;
    if (in) {
        b[n].BufferType = SECBUFFER_TOKEN;
        b[n].cbBuffer = inlen;
        b[n].pvBuffer = (void *)in;
        n++;
    }
    if (cb) {
        b[n].BufferType = SECBUFFER_CHANNEL_BINDINGS;
        b[n].cbBuffer = cblen;
        b[n].pvBuffer = (void *)cb;
        n++;
    }
    return n;
}

SECURITY_STATUS hs_client_leg(struct hs *h, const unsigned char *in, ULONG inlen,
                              unsigned char *out, ULONG *outlen)
{
    SecBuffer ib[2], ob[1];
    SecBufferDesc id = {SECBUFFER_VERSION, 0, ib}, od = {SECBUFFER_VERSION, 1, ob};
    TimeStamp ts;
    ULONG attr = 0;
    id.cBuffers = fill_input(ib, in, inlen, h->cb_client, h->cb_client_len);
    ob[0].BufferType = SECBUFFER_TOKEN;
    ob[0].cbBuffer = *outlen;
    ob[0].pvBuffer = out;
    SECURITY_STATUS st;
    int first = !h->have_cctx;
    if (h->ansi)
        st = api.InitializeSecurityContextA(first ? &h->ccred : NULL, first ? NULL : &h->cctx,
                                            (SEC_CHAR *)h->target, h->creq, 0, h->drep,
                                            id.cBuffers ? &id : NULL, 0, &h->cctx, &od, &attr, &ts);
    else {
        SEC_WCHAR *wt = h->target ? w_dup(h->target) : NULL;
        st = api.InitializeSecurityContextW(first ? &h->ccred : NULL, first ? NULL : &h->cctx, wt,
                                            h->creq, 0, h->drep, id.cBuffers ? &id : NULL, 0,
                                            &h->cctx, &od, &attr, &ts);
        free(wt);
    }
    if (first && (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED || st == SEC_I_COMPLETE_NEEDED ||
                  st == SEC_I_COMPLETE_AND_CONTINUE))
        h->have_cctx = 1;
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
        SECURITY_STATUS c = api.CompleteAuthToken(&h->cctx, &od);
        if (c != SEC_E_OK) diag("CompleteAuthToken(client) -> %s", sec_name(c));
        st = st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
    }
    if (h->cleg < 4) {
        h->cattr[h->cleg] = attr;
        h->cst[h->cleg] = st;
    }
    h->cleg++;
    *outlen = ob[0].cbBuffer;
    return st;
}

SECURITY_STATUS hs_server_leg(struct hs *h, const unsigned char *in, ULONG inlen,
                              unsigned char *out, ULONG *outlen)
{
    SecBuffer ib[2], ob[1];
    SecBufferDesc id = {SECBUFFER_VERSION, 0, ib}, od = {SECBUFFER_VERSION, 1, ob};
    TimeStamp ts;
    ULONG attr = 0;
    id.cBuffers = fill_input(ib, in, inlen, h->cb_server, h->cb_server_len);
    ob[0].BufferType = SECBUFFER_TOKEN;
    ob[0].cbBuffer = *outlen;
    ob[0].pvBuffer = out;
    int first = !h->have_sctx;
    SECURITY_STATUS st = api.AcceptSecurityContext(&h->scred, first ? NULL : &h->sctx, &id,
                                                   h->sreq, h->drep, &h->sctx, &od, &attr, &ts);
    if (first && (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED || st == SEC_I_COMPLETE_NEEDED ||
                  st == SEC_I_COMPLETE_AND_CONTINUE))
        h->have_sctx = 1;
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
        SECURITY_STATUS c = api.CompleteAuthToken(&h->sctx, &od);
        if (c != SEC_E_OK) diag("CompleteAuthToken(server) -> %s", sec_name(c));
        st = st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
    }
    if (h->sleg < 4) {
        h->sattr[h->sleg] = attr;
        h->sst[h->sleg] = st;
    }
    h->sleg++;
    *outlen = ob[0].cbBuffer;
    return st;
}

int hs_run(struct hs *h)
{
    const unsigned char *in = NULL;
    ULONG inlen = 0;
    for (int round = 0; round < 6; round++) {
        /* client */
        if (h->client_status == SEC_I_CONTINUE_NEEDED) {
            if (h->ntok >= 6) return 0;
            ULONG olen = sizeof h->tok[0];
            h->client_status = hs_client_leg(h, in, inlen, h->tok[h->ntok], &olen);
            if (h->client_status != SEC_E_OK && h->client_status != SEC_I_CONTINUE_NEEDED)
                return 0;
            h->toklen[h->ntok] = olen;
            if (h->tamper) h->tamper(h->ntok, h->tok[h->ntok], &h->toklen[h->ntok],
                                     sizeof h->tok[0], h->tamper_arg);
            in = h->tok[h->ntok];
            inlen = h->toklen[h->ntok];
            h->ntok++;
        }
        if (h->client_status == SEC_E_OK && h->server_status == SEC_E_OK) return 1;
        if (inlen == 0 && h->server_status == SEC_E_OK) return 0;
        /* server */
        if (h->server_status == SEC_I_CONTINUE_NEEDED) {
            if (h->ntok >= 6) return 0;
            ULONG olen = sizeof h->tok[0];
            h->server_status = hs_server_leg(h, in, inlen, h->tok[h->ntok], &olen);
            if (h->server_status != SEC_E_OK && h->server_status != SEC_I_CONTINUE_NEEDED)
                return 0;
            h->toklen[h->ntok] = olen;
            if (h->tamper) h->tamper(h->ntok, h->tok[h->ntok], &h->toklen[h->ntok],
                                     sizeof h->tok[0], h->tamper_arg);
            in = h->tok[h->ntok];
            inlen = h->toklen[h->ntok];
            h->ntok++;
        }
        if (h->client_status == SEC_E_OK && h->server_status == SEC_E_OK) return 1;
        if (h->client_status == SEC_E_OK && inlen == 0) return 0;
    }
    return 0;
}

void hs_cleanup(struct hs *h)
{
    SECURITY_STATUS st;
    if (h->have_cctx && (st = api.DeleteSecurityContext(&h->cctx)) != SEC_E_OK)
        diag("hs_cleanup: DeleteSecurityContext(client) -> %s", sec_name(st));
    if (h->have_sctx && (st = api.DeleteSecurityContext(&h->sctx)) != SEC_E_OK)
        diag("hs_cleanup: DeleteSecurityContext(server) -> %s", sec_name(st));
    if (h->have_ccred && (st = api.FreeCredentialsHandle(&h->ccred)) != SEC_E_OK)
        diag("hs_cleanup: FreeCredentialsHandle(client) -> %s", sec_name(st));
    if (h->have_scred && (st = api.FreeCredentialsHandle(&h->scred)) != SEC_E_OK)
        diag("hs_cleanup: FreeCredentialsHandle(server) -> %s", sec_name(st));
    h->have_cctx = h->have_sctx = h->have_ccred = h->have_scred = 0;
}

int ntlm_pair(struct hs *h, ULONG creq, ULONG sreq)
{
    hs_init(h, "NTLM");
    h->creq = creq;
    h->sreq = sreq;
    if (!hs_creds(h, "testuser", "WORKGROUP", "testpass")) return 0;
    int ok = hs_run(h);
    if (!ok)
        diag("ntlm_pair: handshake failed (client %s, server %s)", sec_name(h->client_status),
             sec_name(h->server_status));
    return ok;
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t round_up(size_t n)
{
    size_t pg = page_size();
    return (n + pg - 1) / pg * pg;
}

void *guard_alloc(size_t n)
{
    size_t body = round_up(n), pg = page_size();
    unsigned char *base = mmap(NULL, body + pg, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        abort();
    }
    if (mprotect(base + body, pg, PROT_NONE) != 0) {
        perror("mprotect");
        abort();
    }
    memset(base, 0xA5, body);
    return base + body - n;
}

void guard_free(void *p, size_t n)
{
    size_t body = round_up(n);
    unsigned char *base = (unsigned char *)p + n - body;
    munmap(base, body + page_size());
}

void *ro_alloc(const void *data, size_t n)
{
    size_t body = round_up(n ? n : 1);
    unsigned char *base = mmap(NULL, body, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        abort();
    }
    memcpy(base, data, n);
    mprotect(base, body, PROT_READ);
    return base;
}

void ro_free(void *p, size_t n)
{
    munmap(p, round_up(n ? n : 1));
}

int handle_is_live_shape(const SecHandle *h)
{
    if (h->dwLower == 0) return 0;
    if (h->dwLower == (ULONG_PTR)-1 && h->dwUpper == (ULONG_PTR)-1) return 0;
    if (h->dwLower == (ULONG_PTR)-1 || h->dwUpper == (ULONG_PTR)-1) return 0;
    return 1;
}

void set_handle(SecHandle *h, ULONG_PTR lo, ULONG_PTR up)
{
    h->dwLower = lo;
    h->dwUpper = up;
}

int package_registered(const char *name)
{
    ULONG n = 0;
    PSecPkgInfoW pi = NULL;
    int found = 0;
    if (api.EnumerateSecurityPackagesW(&n, &pi) != SEC_E_OK || !pi) return 0;
    for (ULONG i = 0; i < n; i++)
        if (w_ieq(pi[i].Name, name)) found = 1;
    api.FreeContextBuffer(pi);
    return found;
}

uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

int ntlm_msg_type(const unsigned char *tok, ULONG len)
{
    if (len < 12 || memcmp(tok, "NTLMSSP\0", 8) != 0) return -1;
    return (int)rd32(tok + 8);
}

/* Wine dlls/secur32/tests/ntlm.c network_challenge / native_challenge (test data). */
#define CANNED_CHALLENGE_BODY(c0, c1, c2, c3, c4, c5, c6, c7) \
    {0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10, \
     0x00, 0x30, 0x00, 0x00, 0x00, 0x05, 0x82, 0x82, 0xa0, c0, c1, c2, c3, c4, c5, c6, c7, \
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x54, 0x00, 0x54, 0x00, 0x40, 0x00, 0x00, \
     0x00, 0x43, 0x00, 0x41, 0x00, 0x53, 0x00, 0x49, 0x00, 0x4e, 0x00, 0x4f, 0x00, 0x30, 0x00, \
     0x31, 0x00, 0x02, 0x00, 0x10, 0x00, 0x43, 0x00, 0x41, 0x00, 0x53, 0x00, 0x49, 0x00, 0x4e, \
     0x00, 0x4f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x01, 0x00, 0x10, 0x00, 0x43, 0x00, 0x41, 0x00, \
     0x53, 0x00, 0x49, 0x00, 0x4e, 0x00, 0x4f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x04, 0x00, 0x10, \
     0x00, 0x63, 0x00, 0x61, 0x00, 0x73, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x6f, 0x00, 0x30, 0x00, \
     0x31, 0x00, 0x03, 0x00, 0x10, 0x00, 0x63, 0x00, 0x61, 0x00, 0x73, 0x00, 0x69, 0x00, 0x6e, \
     0x00, 0x6f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00}
const unsigned char canned_challenge_network[148] =
    CANNED_CHALLENGE_BODY(0xe9, 0x58, 0x7f, 0x14, 0xa2, 0x86, 0x3b, 0x63);
const unsigned char canned_challenge_native[148] =
    CANNED_CHALLENGE_BODY(0xb5, 0x60, 0x8e, 0x95, 0xb5, 0x3c, 0xee, 0x03);
