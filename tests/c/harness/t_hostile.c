/* Groups: hostile_handles (E.34-35, F.54, L.101-102, hostile handles for
 * every handle-taking function, calls out of order) and hostile_buffers
 * (bad SecBufferDesc shapes, too-small outputs against guard pages). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ environment */

struct env {
    struct hs h;               /* established client/server pair */
    CredHandle freed_cred;     /* a freed credential (slot since reused) */
    CtxtHandle freed_ctx;      /* a deleted context (slot since reused) */
    CredHandle spare_cred;     /* the credential acquired after freeing */
    CtxtHandle spare_ctx;      /* a first-leg context created after deleting */
    int have_spare_cred, have_spare_ctx;
    unsigned char negotiate[4096], authenticate[4096];
    ULONG neglen, authlen;
    int live; /* the handshake worked: live/freed/wrong-kind handles exist */
};

/* A minimal NEGOTIATE_MESSAGE for when no client works. */
static const unsigned char fallback_negotiate[32] = {
    'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x97, 0x82, 0x08, 0xe2,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static int env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    if (!ntlm_pair(&e->h, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT,
                   ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY)) {
        hs_cleanup(&e->h);
        memcpy(e->negotiate, fallback_negotiate, sizeof fallback_negotiate);
        e->neglen = sizeof fallback_negotiate;
        memcpy(e->authenticate, fallback_negotiate, sizeof fallback_negotiate);
        e->authenticate[8] = 3;
        e->authlen = sizeof fallback_negotiate;
        return 0;
    }
    e->live = 1;
    memcpy(e->negotiate, e->h.tok[0], e->h.toklen[0]);
    e->neglen = e->h.toklen[0];
    memcpy(e->authenticate, e->h.tok[2], e->h.toklen[2]);
    e->authlen = e->h.toklen[2];

    CredHandle c;
    if (acquire_client("NTLM", &c, "testuser", "WORKGROUP", "testpass") == SEC_E_OK) {
        e->freed_cred = c;
        api.FreeCredentialsHandle(&c);
        if (acquire_client("NTLM", &e->spare_cred, "testuser", "WORKGROUP", "testpass") == SEC_E_OK) e->have_spare_cred = 1;
    }
    unsigned char out[4096];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    CtxtHandle x;
    if (api.InitializeSecurityContextW(&e->h.ccred, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &x, &od, &attr, NULL) ==
        SEC_I_CONTINUE_NEEDED) {
        e->freed_ctx = x;
        api.DeleteSecurityContext(&x);
        ob.cbBuffer = sizeof out;
        if (api.InitializeSecurityContextW(&e->h.ccred, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &e->spare_ctx, &od, &attr,
                                           NULL) == SEC_I_CONTINUE_NEEDED)
            e->have_spare_ctx = 1;
    }
    return 1;
}

static void env_free(struct env *e)
{
    if (e->have_spare_cred) api.FreeCredentialsHandle(&e->spare_cred);
    if (e->have_spare_ctx) api.DeleteSecurityContext(&e->spare_ctx);
    hs_cleanup(&e->h);
}

/* The live handles still work after the hostile calls (nothing was freed or corrupted). */
static void env_still_live(struct env *e, const char *fn)
{
    SecPkgContext_Sizes sz;
    SecPkgCredentials_NamesW nm;
    SECURITY_STATUS a = api.QueryContextAttributesW(&e->h.cctx, SECPKG_ATTR_SIZES, &sz);
    SECURITY_STATUS b = api.QueryContextAttributesW(&e->h.sctx, SECPKG_ATTR_SIZES, &sz);
    nm.sUserName = NULL;
    SECURITY_STATUS c = api.QueryCredentialsAttributesW(&e->h.ccred, SECPKG_CRED_ATTR_NAMES, &nm);
    if (c == SEC_E_OK && nm.sUserName) api.FreeContextBuffer(nm.sUserName);
    SECURITY_STATUS d = e->have_spare_cred ? api.QueryCredentialsAttributesW(&e->spare_cred, SECPKG_CRED_ATTR_NAMES, &nm) : SEC_E_OK;
    if (e->have_spare_cred && d == SEC_E_OK && nm.sUserName) api.FreeContextBuffer(nm.sUserName);
    CHECK(a == SEC_E_OK && b == SEC_E_OK && c != SEC_E_INVALID_HANDLE && d != SEC_E_INVALID_HANDLE,
          "L.101: %s with hostile handles left the live handles intact (ctx %s/%s, cred %s/%s)", fn, sec_name(a), sec_name(b),
          sec_name(c), sec_name(d));
}

enum kind { K_NULL, K_ZERO, K_MINUS1, K_DEADBEEF, K_DELETED_MARK, K_FREED, K_WRONG_KIND, K_ALTERED_UPPER, K_ALTERED_LOWER, K_COUNT };
static const char *kind_name[K_COUNT] = {
    "NULL pointer", "{0,0}", "{-1,-1}", "{0xdeadbeef,0xdeadbeef}", "{-2,-2} (SEC_DELETED_HANDLE)",
    "freed handle", "handle of the other kind", "live handle with dwUpper+1", "live handle with dwLower+0x100000 (no such slot)",
};

/* Returns NULL for K_NULL, otherwise *slot filled. want_ctx selects which live handle to derive from. */
static SecHandle *hostile(struct env *e, enum kind k, int want_ctx, SecHandle *slot)
{
    SecHandle live = want_ctx ? e->h.cctx : e->h.ccred;
    switch (k) {
    case K_NULL: return NULL;
    case K_ZERO: set_handle(slot, 0, 0); break;
    case K_MINUS1: set_handle(slot, (ULONG_PTR)-1, (ULONG_PTR)-1); break;
    case K_DEADBEEF: set_handle(slot, 0xdeadbeef, 0xdeadbeef); break;
    case K_DELETED_MARK: set_handle(slot, (ULONG_PTR)-2, (ULONG_PTR)-2); break;
    case K_FREED: *slot = want_ctx ? e->freed_ctx : e->freed_cred; break;
    case K_WRONG_KIND: *slot = want_ctx ? e->h.ccred : e->h.cctx; break;
    case K_ALTERED_UPPER: *slot = live; slot->dwUpper += 1; break;
    case K_ALTERED_LOWER: *slot = live; slot->dwLower += 0x100000; break;
    default: break;
    }
    return slot;
}

/* ------------------------------------------------------------------ per-function probes */

typedef SECURITY_STATUS (*probe_fn)(struct env *e, SecHandle *h);

static SECURITY_STATUS p_free_cred(struct env *e, SecHandle *h) { (void)e; return api.FreeCredentialsHandle(h); }
static SECURITY_STATUS p_qcredattr_w(struct env *e, SecHandle *h)
{
    (void)e;
    SecPkgCredentials_NamesW n = {NULL};
    SECURITY_STATUS st = api.QueryCredentialsAttributesW(h, SECPKG_CRED_ATTR_NAMES, &n);
    if (st == SEC_E_OK && n.sUserName) api.FreeContextBuffer(n.sUserName);
    return st;
}
static SECURITY_STATUS p_qcredattr_a(struct env *e, SecHandle *h)
{
    (void)e;
    SecPkgCredentials_NamesA n = {NULL};
    SECURITY_STATUS st = api.QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &n);
    if (st == SEC_E_OK && n.sUserName) api.FreeContextBuffer(n.sUserName);
    return st;
}
static SECURITY_STATUS p_qcredattrex_w(struct env *e, SecHandle *h)
{
    (void)e;
    SecPkgCredentials_NamesW n = {NULL};
    SECURITY_STATUS st = api.QueryCredentialsAttributesExW(h, SECPKG_CRED_ATTR_NAMES, &n, sizeof n);
    if (st == SEC_E_OK && n.sUserName) api.FreeContextBuffer(n.sUserName);
    return st;
}
static SECURITY_STATUS p_qcredattrex_a(struct env *e, SecHandle *h)
{
    (void)e;
    SecPkgCredentials_NamesA n = {NULL};
    SECURITY_STATUS st = api.QueryCredentialsAttributesExA(h, SECPKG_CRED_ATTR_NAMES, &n, sizeof n);
    if (st == SEC_E_OK && n.sUserName) api.FreeContextBuffer(n.sUserName);
    return st;
}
static SECURITY_STATUS p_setcredattr_w(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char buf[16] = {1};
    return api.SetCredentialsAttributesW(h, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, sizeof buf);
}
static SECURITY_STATUS p_setcredattr_a(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char buf[16] = {1};
    return api.SetCredentialsAttributesA(h, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, sizeof buf);
}
static SECURITY_STATUS p_addcred_w(struct env *e, SecHandle *h)
{
    (void)e;
    return api.AddCredentialsW(h, NULL, W("NTLM"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL);
}
static SECURITY_STATUS p_addcred_a(struct env *e, SecHandle *h)
{
    (void)e;
    return api.AddCredentialsA(h, NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL);
}
static SECURITY_STATUS p_isc_cred_w(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char out[4096];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle n;
    ULONG attr;
    SECURITY_STATUS st = api.InitializeSecurityContextW(h, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &n, &od, &attr, NULL);
    if (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK) api.DeleteSecurityContext(&n);
    return st;
}
static SECURITY_STATUS p_isc_cred_a(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char out[4096];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle n;
    ULONG attr;
    SECURITY_STATUS st = api.InitializeSecurityContextA(h, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &n, &od, &attr, NULL);
    if (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK) api.DeleteSecurityContext(&n);
    return st;
}
static SECURITY_STATUS p_asc_cred(struct env *e, SecHandle *h)
{
    unsigned char out[4096];
    SecBuffer ib = {e->neglen, SECBUFFER_TOKEN, e->negotiate}, ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle n;
    ULONG attr;
    SECURITY_STATUS st = api.AcceptSecurityContext(h, NULL, &id, 0, SECURITY_NATIVE_DREP, &n, &od, &attr, NULL);
    if (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK) api.DeleteSecurityContext(&n);
    return st;
}

static SECURITY_STATUS p_delete(struct env *e, SecHandle *h) { (void)e; return api.DeleteSecurityContext(h); }
static SECURITY_STATUS p_complete(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char t[16] = {0};
    SecBuffer b = {sizeof t, SECBUFFER_TOKEN, t};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    return api.CompleteAuthToken(h, &d);
}
static SECURITY_STATUS p_apply(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char t[16] = {0};
    SecBuffer b = {sizeof t, SECBUFFER_TOKEN, t};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    return api.ApplyControlToken(h, &d);
}
static SECURITY_STATUS p_qca_w(struct env *e, SecHandle *h) { (void)e; SecPkgContext_Sizes s; return api.QueryContextAttributesW(h, SECPKG_ATTR_SIZES, &s); }
static SECURITY_STATUS p_qca_a(struct env *e, SecHandle *h) { (void)e; SecPkgContext_Sizes s; return api.QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &s); }
static SECURITY_STATUS p_qcaex_w(struct env *e, SecHandle *h) { (void)e; SecPkgContext_Sizes s; return api.QueryContextAttributesExW(h, SECPKG_ATTR_SIZES, &s, sizeof s); }
static SECURITY_STATUS p_qcaex_a(struct env *e, SecHandle *h) { (void)e; SecPkgContext_Sizes s; return api.QueryContextAttributesExA(h, SECPKG_ATTR_SIZES, &s, sizeof s); }
static SECURITY_STATUS p_setca_w(struct env *e, SecHandle *h) { (void)e; ULONG v = 0; return api.SetContextAttributesW(h, 1108, &v, sizeof v); }
static SECURITY_STATUS p_setca_a(struct env *e, SecHandle *h) { (void)e; ULONG v = 0; return api.SetContextAttributesA(h, 1108, &v, sizeof v); }
static SECURITY_STATUS p_impersonate(struct env *e, SecHandle *h)
{
    (void)e;
    SECURITY_STATUS st = api.ImpersonateSecurityContext(h);
    if (st == SEC_E_OK) api.RevertSecurityContext(h);
    return st;
}
static SECURITY_STATUS p_revert(struct env *e, SecHandle *h) { (void)e; return api.RevertSecurityContext(h); }
static SECURITY_STATUS p_token(struct env *e, SecHandle *h) { (void)e; void *t = NULL; return api.QuerySecurityContextToken(h, &t); }
static SECURITY_STATUS p_make(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char t[16], d[13] = "Hello, world!";
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, t}, {13, SECBUFFER_DATA, d}};
    SecBufferDesc m = {SECBUFFER_VERSION, 2, b};
    return api.MakeSignature(h, 0, &m, 0);
}
static SECURITY_STATUS p_verify(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char t[16] = {1}, d[13] = "Hello, world!";
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, t}, {13, SECBUFFER_DATA, d}};
    SecBufferDesc m = {SECBUFFER_VERSION, 2, b};
    ULONG q;
    return api.VerifySignature(h, &m, 0, &q);
}
static SECURITY_STATUS p_encrypt(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char t[16], d[13] = "Hello, world!";
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, t}, {13, SECBUFFER_DATA, d}};
    SecBufferDesc m = {SECBUFFER_VERSION, 2, b};
    return api.EncryptMessage(h, 0, &m, 0);
}
static SECURITY_STATUS p_decrypt(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char t[16] = {1}, d[13] = "Hello, world!";
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, t}, {13, SECBUFFER_DATA, d}};
    SecBufferDesc m = {SECBUFFER_VERSION, 2, b};
    ULONG q;
    return api.DecryptMessage(h, &m, 0, &q);
}
static SECURITY_STATUS p_export(struct env *e, SecHandle *h)
{
    (void)e;
    SecBuffer p = {0, 0, NULL};
    void *t = NULL;
    SECURITY_STATUS st = api.ExportSecurityContext(h, 0, &p, &t);
    if (st == SEC_E_OK && p.pvBuffer) api.FreeContextBuffer(p.pvBuffer);
    return st;
}
static SECURITY_STATUS p_isc_ctx_w(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char out[4096];
    SecBuffer ib = {148, SECBUFFER_TOKEN, (void *)canned_challenge_network}, ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle n;
    ULONG attr;
    return api.InitializeSecurityContextW(NULL, h, NULL, 0, 0, SECURITY_NATIVE_DREP, &id, 0, &n, &od, &attr, NULL);
}
static SECURITY_STATUS p_isc_ctx_a(struct env *e, SecHandle *h)
{
    (void)e;
    unsigned char out[4096];
    SecBuffer ib = {148, SECBUFFER_TOKEN, (void *)canned_challenge_network}, ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle n;
    ULONG attr;
    return api.InitializeSecurityContextA(NULL, h, NULL, 0, 0, SECURITY_NATIVE_DREP, &id, 0, &n, &od, &attr, NULL);
}
static SECURITY_STATUS p_asc_ctx(struct env *e, SecHandle *h)
{
    unsigned char out[4096];
    SecBuffer ib = {e->authlen, SECBUFFER_TOKEN, e->authenticate}, ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle n;
    ULONG attr;
    return api.AcceptSecurityContext(&e->h.scred, h, &id, 0, SECURITY_NATIVE_DREP, &n, &od, &attr, NULL);
}

struct probe {
    const char *name;
    probe_fn fn;
    int ctx; /* 1: takes a context handle, 0: a credential handle */
};
static const struct probe probes[] = {
    {"FreeCredentialsHandle", p_free_cred, 0},
    {"QueryCredentialsAttributesW", p_qcredattr_w, 0},
    {"QueryCredentialsAttributesA", p_qcredattr_a, 0},
    {"QueryCredentialsAttributesExW", p_qcredattrex_w, 0},
    {"QueryCredentialsAttributesExA", p_qcredattrex_a, 0},
    {"SetCredentialsAttributesW", p_setcredattr_w, 0},
    {"SetCredentialsAttributesA", p_setcredattr_a, 0},
    {"AddCredentialsW", p_addcred_w, 0},
    {"AddCredentialsA", p_addcred_a, 0},
    {"InitializeSecurityContextW(phCredential)", p_isc_cred_w, 0},
    {"InitializeSecurityContextA(phCredential)", p_isc_cred_a, 0},
    {"AcceptSecurityContext(phCredential)", p_asc_cred, 0},
    {"DeleteSecurityContext", p_delete, 1},
    {"CompleteAuthToken", p_complete, 1},
    {"ApplyControlToken", p_apply, 1},
    {"QueryContextAttributesW", p_qca_w, 1},
    {"QueryContextAttributesA", p_qca_a, 1},
    {"QueryContextAttributesExW", p_qcaex_w, 1},
    {"QueryContextAttributesExA", p_qcaex_a, 1},
    {"SetContextAttributesW", p_setca_w, 1},
    {"SetContextAttributesA", p_setca_a, 1},
    {"ImpersonateSecurityContext", p_impersonate, 1},
    {"RevertSecurityContext", p_revert, 1},
    {"QuerySecurityContextToken", p_token, 1},
    {"MakeSignature", p_make, 1},
    {"VerifySignature", p_verify, 1},
    {"EncryptMessage", p_encrypt, 1},
    {"DecryptMessage", p_decrypt, 1},
    {"ExportSecurityContext", p_export, 1},
    {"InitializeSecurityContextW(phContext)", p_isc_ctx_w, 1},
    {"InitializeSecurityContextA(phContext)", p_isc_ctx_a, 1},
    {"AcceptSecurityContext(phContext)", p_asc_ctx, 1},
};

static void run_probe(void *arg)
{
    const struct probe *p = arg;
    struct env e;
    if (!env_init(&e)) SKIP("%s: live/freed/wrong-kind/altered handles (no working NTLM handshake)", p->name);
    for (int k = 0; k < K_COUNT; k++) {
        if (!e.live && k >= K_FREED) continue;
        /* ISC/ASC(phContext NULL) is a first call, not a handle error: covered by F.54 */
        if (k == K_NULL && (p->fn == p_isc_ctx_w || p->fn == p_isc_ctx_a || p->fn == p_asc_ctx)) continue;
        SecHandle slot;
        SecHandle *h = hostile(&e, (enum kind)k, p->ctx, &slot);
        SECURITY_STATUS st = p->fn(&e, h);
        CHECK_ST(st, SEC_E_INVALID_HANDLE, "L.101/E.34: %s with %s", p->name, kind_name[k]);
    }
    if (e.live) env_still_live(&e, p->name);
    env_free(&e);
}

/* L.102 / E.35 double free, delete twice */
static void double_free(void *unused)
{
    (void)unused;
    struct hs h;
    if (!ntlm_pair(&h, ISC_REQ_CONFIDENTIALITY, 0)) {
        CHECK(0, "L.102: handshake");
        hs_cleanup(&h);
        return;
    }
    CtxtHandle c = h.cctx, s = h.sctx;
    CredHandle cc = h.ccred, sc = h.scred;
    CHECK_ST(api.DeleteSecurityContext(&c), SEC_E_OK, "L.99: delete client context");
    CHECK_ST(api.DeleteSecurityContext(&c), SEC_E_INVALID_HANDLE, "L.102: delete the same client context twice");
    CHECK_ST(api.DeleteSecurityContext(&s), SEC_E_OK, "L.99: delete server context");
    CHECK_ST(api.DeleteSecurityContext(&s), SEC_E_INVALID_HANDLE, "L.102: delete the same server context twice");
    CHECK_ST(api.FreeCredentialsHandle(&cc), SEC_E_OK, "E.33: free client credential");
    CHECK_ST(api.FreeCredentialsHandle(&cc), SEC_E_INVALID_HANDLE, "E.35: free the same client credential twice");
    CHECK_ST(api.FreeCredentialsHandle(&sc), SEC_E_OK, "E.33: free server credential");
    CHECK_ST(api.FreeCredentialsHandle(&sc), SEC_E_INVALID_HANDLE, "E.35: free the same server credential twice");
    /* using a deleted context */
    unsigned char t[16], d[13] = "Hello, world!";
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, t}, {13, SECBUFFER_DATA, d}};
    SecBufferDesc m = {SECBUFFER_VERSION, 2, b};
    CHECK_ST(api.EncryptMessage(&c, 0, &m, 0), SEC_E_INVALID_HANDLE, "L.101: EncryptMessage on a deleted context");
    h.have_cctx = h.have_sctx = h.have_ccred = h.have_scred = 0;
    /* a context outlives its credential (Windows references the credential) */
    struct hs h2;
    if (ntlm_pair(&h2, ISC_REQ_CONFIDENTIALITY, 0)) {
        CHECK_ST(api.FreeCredentialsHandle(&h2.ccred), SEC_E_OK, "E.33: free the client credential while its context lives");
        h2.have_ccred = 0;
        SECURITY_STATUS st = api.EncryptMessage(&h2.cctx, 0, &m, 0);
        PROBE_ST(st, SEC_E_OK, "L [PROBE]: context still usable after its credential was freed");
    }
    hs_cleanup(&h2);
}

/* Calls out of order: message functions on half-built contexts. */
static void out_of_order(void *unused)
{
    (void)unused;
    CredHandle cc, sc;
    if (acquire_client("NTLM", &cc, "testuser", "WORKGROUP", "testpass") != SEC_E_OK || acquire_server("NTLM", &sc) != SEC_E_OK) {
        CHECK(0, "out-of-order: credentials");
        return;
    }
    unsigned char neg[4096], chal[4096];
    SecBuffer ob = {sizeof neg, SECBUFFER_TOKEN, neg};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle cctx, sctx;
    ULONG attr;
    SECURITY_STATUS st = api.InitializeSecurityContextW(&cc, NULL, NULL, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0,
                                                        SECURITY_NATIVE_DREP, NULL, 0, &cctx, &od, &attr, NULL);
    if (st != SEC_I_CONTINUE_NEEDED) {
        CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "out-of-order: first leg");
        goto out;
    }
    SecBuffer ib = {ob.cbBuffer, SECBUFFER_TOKEN, neg}, sob = {sizeof chal, SECBUFFER_TOKEN, chal};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, sod = {SECBUFFER_VERSION, 1, &sob};
    st = api.AcceptSecurityContext(&sc, NULL, &id, 0, SECURITY_NATIVE_DREP, &sctx, &sod, &attr, NULL);
    if (st != SEC_I_CONTINUE_NEEDED) {
        CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "out-of-order: first ASC");
        api.DeleteSecurityContext(&cctx);
        goto out;
    }
    struct { CtxtHandle *c; const char *n; } sides[2] = {{&cctx, "client after first ISC"}, {&sctx, "server after first ASC"}};
    for (int i = 0; i < 2; i++) {
        unsigned char t[16] = {1}, d[13] = "Hello, world!";
        SecBuffer b[2] = {{16, SECBUFFER_TOKEN, t}, {13, SECBUFFER_DATA, d}};
        SecBufferDesc m = {SECBUFFER_VERSION, 2, b};
        ULONG q;
        CHECK_FAILED(api.EncryptMessage(sides[i].c, 0, &m, 0), "out-of-order: EncryptMessage on the %s", sides[i].n);
        b[0].cbBuffer = 16;
        CHECK_FAILED(api.DecryptMessage(sides[i].c, &m, 0, &q), "out-of-order: DecryptMessage on the %s", sides[i].n);
        b[0].cbBuffer = 16;
        CHECK_FAILED(api.MakeSignature(sides[i].c, 0, &m, 0), "out-of-order: MakeSignature on the %s", sides[i].n);
        b[0].cbBuffer = 16;
        CHECK_FAILED(api.VerifySignature(sides[i].c, &m, 0, &q), "out-of-order: VerifySignature on the %s", sides[i].n);
        SecPkgContext_SessionKey k = {0, NULL};
        st = api.QueryContextAttributesW(sides[i].c, SECPKG_ATTR_SESSION_KEY, &k);
        PROBE(st < 0, "out-of-order [PROBE]: SESSION_KEY on the %s fails (got %s)", sides[i].n, sec_name(st));
        if (st == SEC_E_OK && k.SessionKey) api.FreeContextBuffer(k.SessionKey);
    }
    st = api.ImpersonateSecurityContext(&sctx);
    CHECK_FAILED(st, "out-of-order: ImpersonateSecurityContext on an unfinished server context");
    if (st == SEC_E_OK) api.RevertSecurityContext(&sctx);
    /* wrong roles */
    {
        unsigned char out[4096];
        SecBuffer cb = {sob.cbBuffer, SECBUFFER_TOKEN, chal}, o2 = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc cd = {SECBUFFER_VERSION, 1, &cb}, o2d = {SECBUFFER_VERSION, 1, &o2};
        CtxtHandle n = sctx;
        st = api.InitializeSecurityContextW(NULL, &n, NULL, 0, 0, SECURITY_NATIVE_DREP, &cd, 0, &n, &o2d, &attr, NULL);
        CHECK_FAILED(st, "out-of-order: InitializeSecurityContextW continuing a server context");
        n = cctx;
        o2.cbBuffer = sizeof out;
        st = api.AcceptSecurityContext(&sc, &n, &cd, 0, SECURITY_NATIVE_DREP, &n, &o2d, &attr, NULL);
        CHECK_FAILED(st, "out-of-order: AcceptSecurityContext continuing a client context");
        /* the first NEGOTIATE again to the server's second leg */
        o2.cbBuffer = sizeof out;
        n = sctx;
        st = api.AcceptSecurityContext(&sc, &n, &id, 0, SECURITY_NATIVE_DREP, &n, &o2d, &attr, NULL);
        CHECK_FAILED(st, "out-of-order: NEGOTIATE delivered to the server's second leg");
    }
    api.DeleteSecurityContext(&cctx);
    api.DeleteSecurityContext(&sctx);
out:
    api.FreeCredentialsHandle(&cc);
    api.FreeCredentialsHandle(&sc);
}

void t_hostile_handles(void)
{
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        char d[128];
        snprintf(d, sizeof d, "L.101: %s with hostile handles", probes[i].name);
        run_isolated(d, run_probe, (void *)&probes[i]);
    }
    run_isolated("L.102: double free/delete", double_free, NULL);
    run_isolated("out-of-order calls", out_of_order, NULL);
}

/* ------------------------------------------------------------------ buffers */

/* Descriptor shapes every buffer-taking function must reject without crashing. */
enum shape { S_NULL_DESC, S_NULL_PBUFFERS, S_ZERO_BUFFERS, S_VERSION_1, S_VERSION_BAD, S_NULL_DATA_PTR, S_NULL_TOKEN_PTR, S_COUNT };
static const char *shape_name[S_COUNT] = {
    "NULL SecBufferDesc", "pBuffers NULL (cBuffers 2)", "cBuffers 0", "ulVersion 1", "ulVersion 0xdeadbeef",
    "DATA with pvBuffer NULL (cbBuffer 13)", "TOKEN with pvBuffer NULL (cbBuffer 16)",
};

static SecBufferDesc *shape_desc(enum shape s, SecBufferDesc *d, SecBuffer *b, unsigned char *tok, unsigned char *data)
{
    b[0].BufferType = SECBUFFER_TOKEN; b[0].cbBuffer = 16; b[0].pvBuffer = tok;
    b[1].BufferType = SECBUFFER_DATA; b[1].cbBuffer = 13; b[1].pvBuffer = data;
    d->ulVersion = SECBUFFER_VERSION;
    d->cBuffers = 2;
    d->pBuffers = b;
    switch (s) {
    case S_NULL_DESC: return NULL;
    case S_NULL_PBUFFERS: d->pBuffers = NULL; break;
    case S_ZERO_BUFFERS: d->cBuffers = 0; break;
    case S_VERSION_1: d->ulVersion = 1; break;
    case S_VERSION_BAD: d->ulVersion = 0xdeadbeef; break;
    case S_NULL_DATA_PTR: b[1].pvBuffer = NULL; break;
    case S_NULL_TOKEN_PTR: b[0].pvBuffer = NULL; break;
    default: break;
    }
    return d;
}

struct msgfn { const char *name; int which; };
static void run_shapes(void *arg)
{
    const struct msgfn *f = arg;
    struct hs h;
    if (!ntlm_pair(&h, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY)) {
        CHECK(0, "buffers: handshake");
        hs_cleanup(&h);
        return;
    }
    for (int s = 0; s < S_COUNT; s++) {
        unsigned char tok[16] = {1}, data[13] = "Hello, world!";
        SecBuffer b[2];
        SecBufferDesc d;
        SecBufferDesc *dp = shape_desc((enum shape)s, &d, b, tok, data);
        ULONG q = 0;
        SECURITY_STATUS st;
        switch (f->which) {
        case 0: st = api.MakeSignature(&h.cctx, 0, dp, 0); break;
        case 1: st = api.VerifySignature(&h.sctx, dp, 0, &q); break;
        case 2: st = api.EncryptMessage(&h.cctx, 0, dp, 0); break;
        default: st = api.DecryptMessage(&h.sctx, dp, 0, &q); break;
        }
        CHECK_FAILED(st, "buffers: %s with %s", f->name, shape_name[s]);
    }
    hs_cleanup(&h);
}

/* ISC/ASC token descriptors. */
static void handshake_shapes(void *unused)
{
    (void)unused;
    CredHandle cc, sc;
    if (acquire_client("NTLM", &cc, "testuser", "WORKGROUP", "testpass") != SEC_E_OK || acquire_server("NTLM", &sc) != SEC_E_OK) {
        CHECK(0, "buffers: credentials");
        return;
    }
    unsigned char neg[4096];
    ULONG neglen = 0;
    {
        SecBuffer ob = {sizeof neg, SECBUFFER_TOKEN, neg};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle c;
        ULONG a;
        if (api.InitializeSecurityContextW(&cc, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &a, NULL) == SEC_I_CONTINUE_NEEDED) {
            neglen = ob.cbBuffer;
            api.DeleteSecurityContext(&c);
        }
    }
    struct { const char *name; ULONG ver; ULONG n; int nullbufs; } shapes[] = {
        {"pBuffers NULL (cBuffers 1)", SECBUFFER_VERSION, 1, 1},
        {"cBuffers 0", SECBUFFER_VERSION, 0, 0},
        {"ulVersion 1", 1, 1, 0},
        {"ulVersion 0xdeadbeef", 0xdeadbeef, 1, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        unsigned char out[4096];
        SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc od = {shapes[i].ver, shapes[i].n, shapes[i].nullbufs ? NULL : &ob};
        CtxtHandle c;
        ULONG a;
        SECURITY_STATUS st = api.InitializeSecurityContextW(&cc, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &a, NULL);
        CHECK_FAILED(st, "buffers: ISC first leg, output descriptor with %s", shapes[i].name);
        if (st >= 0) api.DeleteSecurityContext(&c);

        SecBuffer ib = {neglen, SECBUFFER_TOKEN, neg};
        SecBufferDesc id = {shapes[i].ver, shapes[i].n, shapes[i].nullbufs ? NULL : &ib};
        SecBufferDesc good = {SECBUFFER_VERSION, 1, &ob};
        ob.cbBuffer = sizeof out;
        st = api.AcceptSecurityContext(&sc, NULL, &id, 0, SECURITY_NATIVE_DREP, &c, &good, &a, NULL);
        CHECK_FAILED(st, "buffers: ASC first leg, input descriptor with %s", shapes[i].name);
        if (st >= 0) api.DeleteSecurityContext(&c);

        SecBufferDesc ig = {SECBUFFER_VERSION, 1, &ib};
        ob.cbBuffer = sizeof out;
        st = api.AcceptSecurityContext(&sc, NULL, &ig, 0, SECURITY_NATIVE_DREP, &c, &od, &a, NULL);
        CHECK_FAILED(st, "buffers: ASC first leg, output descriptor with %s", shapes[i].name);
        if (st >= 0) api.DeleteSecurityContext(&c);
    }
    /* TOKEN input with pvBuffer NULL but a length */
    {
        unsigned char out[4096];
        SecBuffer ib = {neglen, SECBUFFER_TOKEN, NULL}, ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle c;
        ULONG a;
        SECURITY_STATUS st = api.AcceptSecurityContext(&sc, NULL, &id, 0, SECURITY_NATIVE_DREP, &c, &od, &a, NULL);
        CHECK_FAILED(st, "buffers: ASC input TOKEN with pvBuffer NULL and cbBuffer %u", (unsigned)neglen);
        if (st >= 0) api.DeleteSecurityContext(&c);
        /* NULL phNewContext on a first call */
        ib.pvBuffer = neg;
        st = api.AcceptSecurityContext(&sc, NULL, &id, 0, SECURITY_NATIVE_DREP, NULL, &od, &a, NULL);
        CHECK_FAILED(st, "buffers: ASC first leg with phNewContext NULL");
        ob.cbBuffer = sizeof out;
        st = api.InitializeSecurityContextW(&cc, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, NULL, &od, &a, NULL);
        CHECK_FAILED(st, "buffers: ISC first leg with phNewContext NULL");
        ob.cbBuffer = sizeof out;
        st = api.InitializeSecurityContextW(&cc, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, NULL, NULL);
        CHECK(st == SEC_I_CONTINUE_NEEDED || st < 0, "buffers: ISC with pfContextAttr NULL -> CONTINUE or an error, no crash (got %s)", sec_name(st));
        if (st >= 0) api.DeleteSecurityContext(&c);
    }
    api.FreeCredentialsHandle(&cc);
    api.FreeCredentialsHandle(&sc);
}

/* Too-small outputs placed so the buffer ends at a PROT_NONE page. */
static int too_small_ok(SECURITY_STATUS st) { return st == SEC_E_BUFFER_TOO_SMALL || st == SEC_E_INSUFFICIENT_MEMORY; }

static void guard_outputs(void *arg)
{
    (void)arg;
    struct hs h;
    hs_init(&h, "NTLM");
    if (!hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        CHECK(0, "guard: credentials");
        hs_cleanup(&h);
        return;
    }
    /* reference lengths from a normal run */
    struct hs ref;
    if (!ntlm_pair(&ref, h.creq, h.sreq)) {
        CHECK(0, "guard: reference handshake");
        hs_cleanup(&ref);
        hs_cleanup(&h);
        return;
    }
    ULONG nl = ref.toklen[0], cl = ref.toklen[1], al = ref.toklen[2];
    hs_cleanup(&ref);

    /* ISC first leg */
    ULONG sizes[3] = {nl - 1, nl / 2, 1};
    for (int i = 0; i < 3; i++) {
        unsigned char *g = guard_alloc(sizes[i]);
        SecBuffer ob = {sizes[i], SECBUFFER_TOKEN, g};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle c;
        set_handle(&c, 0xdeadbeef, 0xdeadbeef);
        ULONG a;
        SECURITY_STATUS st = api.InitializeSecurityContextW(&h.ccred, NULL, NULL, h.creq, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &a, NULL);
        CHECK(too_small_ok(st), "F/hostile: ISC NEGOTIATE into %u of %u bytes (guard page) -> BUFFER_TOO_SMALL or INSUFFICIENT_MEMORY (got %s)",
              (unsigned)sizes[i], (unsigned)nl, sec_name(st));
        if (st >= 0) api.DeleteSecurityContext(&c);
        else CHECK_ST(api.DeleteSecurityContext(&c), SEC_E_INVALID_HANDLE, "F.41: the too-small ISC created no context (%u bytes)", (unsigned)sizes[i]);
        guard_free(g, sizes[i]);
    }
    {
        unsigned char *g = guard_alloc(nl);
        SecBuffer ob = {nl, SECBUFFER_TOKEN, g};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle c;
        ULONG a;
        SECURITY_STATUS st = api.InitializeSecurityContextW(&h.ccred, NULL, NULL, h.creq, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &a, NULL);
        CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.36: ISC NEGOTIATE into exactly %u bytes ending at a guard page", (unsigned)nl);
        if (st >= 0) api.DeleteSecurityContext(&c);
        guard_free(g, nl);
    }

    /* ASC first leg: CHALLENGE into too little */
    unsigned char neg[4096], chal[4096], auth[4096];
    ULONG l1 = sizeof neg;
    SECURITY_STATUS st = hs_client_leg(&h, NULL, 0, neg, &l1);
    if (st != SEC_I_CONTINUE_NEEDED) {
        CHECK(0, "guard: first leg");
        hs_cleanup(&h);
        return;
    }
    ULONG csz[2] = {cl - 1, 1};
    for (int i = 0; i < 2; i++) {
        unsigned char *g = guard_alloc(csz[i]);
        SecBuffer ib = {l1, SECBUFFER_TOKEN, neg}, ob = {csz[i], SECBUFFER_TOKEN, g};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle c;
        set_handle(&c, 0xdeadbeef, 0xdeadbeef);
        ULONG a;
        st = api.AcceptSecurityContext(&h.scred, NULL, &id, h.sreq, SECURITY_NATIVE_DREP, &c, &od, &a, NULL);
        CHECK(too_small_ok(st), "G/hostile: ASC CHALLENGE into %u of %u bytes (guard page) -> BUFFER_TOO_SMALL or INSUFFICIENT_MEMORY (got %s)",
              (unsigned)csz[i], (unsigned)cl, sec_name(st));
        if (st >= 0) api.DeleteSecurityContext(&c);
        else CHECK_ST(api.DeleteSecurityContext(&c), SEC_E_INVALID_HANDLE, "G: the too-small ASC created no context (%u bytes)", (unsigned)csz[i]);
        guard_free(g, csz[i]);
    }
    ULONG l2 = sizeof chal;
    st = hs_server_leg(&h, neg, l1, chal, &l2);
    if (st != SEC_I_CONTINUE_NEEDED) {
        CHECK(0, "guard: first ASC");
        hs_cleanup(&h);
        return;
    }
    /* ISC second leg: AUTHENTICATE into too little */
    {
        unsigned char *g = guard_alloc(al - 1);
        SecBuffer ib = {l2, SECBUFFER_TOKEN, chal}, ob = {al - 1, SECBUFFER_TOKEN, g};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG a;
        st = api.InitializeSecurityContextW(NULL, &h.cctx, NULL, h.creq, 0, SECURITY_NATIVE_DREP, &id, 0, &h.cctx, &od, &a, NULL);
        CHECK(too_small_ok(st), "F/hostile: ISC AUTHENTICATE into %u of %u bytes (guard page) -> BUFFER_TOO_SMALL or INSUFFICIENT_MEMORY (got %s)",
              (unsigned)(al - 1), (unsigned)al, sec_name(st));
        guard_free(g, al - 1);
        /* a retry with a big enough buffer */
        ULONG l3 = sizeof auth;
        st = hs_client_leg(&h, chal, l2, auth, &l3);
        PROBE_ST(st, SEC_E_OK, "F [PROBE]: ISC second leg retried with a large enough buffer after BUFFER_TOO_SMALL");
    }
    hs_cleanup(&h);

    /* QueryContextAttributesEx / QueryCredentialsAttributesEx with too small a buffer */
    struct hs p;
    if (ntlm_pair(&p, ISC_REQ_CONFIDENTIALITY, 0)) {
        unsigned char *g = guard_alloc(8);
        st = api.QueryContextAttributesExW(&p.cctx, SECPKG_ATTR_SIZES, g, 8);
        CHECK_FAILED(st, "hostile: QueryContextAttributesExW(SIZES) with cbBuffer 8 (guard page) fails");
        PROBE_ST(st, SEC_E_BUFFER_TOO_SMALL, "hostile [PROBE]: QueryContextAttributesExW(SIZES, 8 bytes)");
        guard_free(g, 8);
        g = guard_alloc(4);
        st = api.QueryCredentialsAttributesExW(&p.ccred, SECPKG_CRED_ATTR_NAMES, g, 4);
        CHECK_FAILED(st, "hostile: QueryCredentialsAttributesExW(NAMES) with cbBuffer 4 (guard page) fails");
        guard_free(g, 4);
    }
    hs_cleanup(&p);
}

void t_hostile_buffers(void)
{
    static const struct msgfn fns[4] = {{"MakeSignature", 0}, {"VerifySignature", 1}, {"EncryptMessage", 2}, {"DecryptMessage", 3}};
    for (int i = 0; i < 4; i++) {
        char d[96];
        snprintf(d, sizeof d, "buffers: %s with bad descriptors", fns[i].name);
        run_isolated(d, run_shapes, (void *)&fns[i]);
    }
    run_isolated("buffers: ISC/ASC with bad descriptors", handshake_shapes, NULL);
    run_isolated("guard-page outputs", guard_outputs, NULL);
}
