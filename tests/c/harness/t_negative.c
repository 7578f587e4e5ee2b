/* Group server_negative: real handshakes that the server must reject
 * (G.58 wrong password / unknown user, tampered AUTHENTICATE, MIC, channel
 * bindings, garbage and truncated tokens). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#define MIC_OFFSET 72
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u

struct field { uint16_t len; uint32_t off; };
static struct field auth_field(const unsigned char *t, int idx)
{
    struct field f = {rd16(t + 12 + 8 * idx), rd32(t + 12 + 8 * idx + 4)};
    return f;
}
enum { F_LM = 0, F_NT = 1, F_DOMAIN = 2, F_USER = 3, F_WKS = 4, F_SESSKEY = 5 };

/* MsvAvFlags of the NTLMv2 response; -1 if absent/unparsable. */
static long auth_av_flags(const unsigned char *t, ULONG len)
{
    if (len < 64) return -1;
    struct field nt = auth_field(t, F_NT);
    if (nt.len <= 24 || (uint64_t)nt.off + nt.len > len) return -1;
    const unsigned char *p = t + nt.off + 16 + 28, *end = t + nt.off + nt.len;
    while (p + 4 <= end) {
        uint16_t id = rd16(p), l = rd16(p + 2);
        if (id == 0) break;
        if (p + 4 + l > end) return -1;
        if (id == 6 && l == 4) return (long)rd32(p + 4);
        p += 4 + l;
    }
    return -1;
}

static int challenge_has_timestamp(const unsigned char *t, ULONG len)
{
    if (len < 48) return 0;
    uint16_t l = rd16(t + 40);
    uint32_t off = rd32(t + 44);
    if ((uint64_t)off + l > len) return 0;
    const unsigned char *p = t + off, *end = t + off + l;
    while (p + 4 <= end) {
        uint16_t id = rd16(p), n = rd16(p + 2);
        if (id == 0) break;
        if (id == 7) return 1;
        p += 4 + n;
    }
    return 0;
}

static int auth_has_mic(const unsigned char *t, ULONG len)
{
    if (len < 88 || !(rd32(t + 60) & NTLMSSP_NEGOTIATE_VERSION)) return 0;
    for (int i = 0; i < 6; i++) {
        struct field f = auth_field(t, i);
        if (f.len && f.off < 88) return 0;
    }
    long fl = auth_av_flags(t, len);
    return fl >= 0 && (fl & 2);
}

/* ---- tampering callbacks (leg 2 = AUTHENTICATE) ---- */
enum tamper_kind { T_NTPROOF, T_BLOB, T_MIC_ZERO, T_MIC_STRIP, T_SESSKEY, T_USER, T_FLAGS };
static void tamper_auth(int leg, unsigned char *t, ULONG *len, ULONG cap, void *arg)
{
    (void)cap;
    if (leg != 2 || ntlm_msg_type(t, *len) != 3) return;
    enum tamper_kind k = *(enum tamper_kind *)arg;
    struct field nt = auth_field(t, F_NT), sk = auth_field(t, F_SESSKEY), us = auth_field(t, F_USER);
    switch (k) {
    case T_NTPROOF:
        if (nt.len >= 16) t[nt.off + 3] ^= 0x01;
        break;
    case T_BLOB:
        if (nt.len > 24) t[nt.off + 16 + 8] ^= 0x80; /* inside the blob's timestamp */
        break;
    case T_MIC_ZERO:
        memset(t + MIC_OFFSET, 0, 16);
        break;
    case T_MIC_STRIP:
        memmove(t + MIC_OFFSET, t + MIC_OFFSET + 16, *len - (MIC_OFFSET + 16));
        *len -= 16;
        for (int i = 0; i < 6; i++) {
            uint32_t off = rd32(t + 12 + 8 * i + 4);
            if (off >= MIC_OFFSET + 16) wr32(t + 12 + 8 * i + 4, off - 16);
        }
        break;
    case T_SESSKEY:
        if (sk.len) t[sk.off] ^= 0x01;
        break;
    case T_USER:
        if (us.len) t[us.off] ^= 0x01; /* 't' -> 'u': a different account name */
        break;
    case T_FLAGS:
        wr32(t + 60, rd32(t + 60) ^ 0x00000020); /* toggle NEGOTIATE_SEAL */
        break;
    }
}

static SECURITY_STATUS run_server_outcome(const char *user, const char *domain, const char *pass, tamper_fn fn, void *arg,
                                          struct hs *h)
{
    hs_init(h, "NTLM");
    h->tamper = fn;
    h->tamper_arg = arg;
    if (!hs_creds(h, user, domain, pass)) return SEC_E_INTERNAL_ERROR;
    hs_run(h);
    return h->server_status;
}

static void logon_denied_cases(void)
{
    struct hs h;
    SECURITY_STATUS st = run_server_outcome("alice", "EXAMPLE", "alice-Passw0rd", NULL, NULL, &h);
    CHECK_ST(st, SEC_E_OK, "G.58: EXAMPLE\\alice with the right password is accepted (user file read)");
    hs_cleanup(&h);

    st = run_server_outcome("testuser", "WORKGROUP", "wrongpass", NULL, NULL, &h);
    CHECK_ST(h.client_status, SEC_E_OK, "G.58: client side completes with a wrong password (the server decides)");
    CHECK_ST(st, SEC_E_LOGON_DENIED, "G.58: wrong password -> AcceptSecurityContext SEC_E_LOGON_DENIED");
    hs_cleanup(&h);

    st = run_server_outcome("nosuchuser", "WORKGROUP", "testpass", NULL, NULL, &h);
    CHECK_ST(st, SEC_E_LOGON_DENIED, "G.58: unknown user");
    hs_cleanup(&h);

    st = run_server_outcome("alice", "EXAMPLE", "", NULL, NULL, &h);
    CHECK_ST(st, SEC_E_LOGON_DENIED, "G.58: empty password for alice");
    hs_cleanup(&h);

    st = run_server_outcome("TESTUSER", "WORKGROUP", "testpass", NULL, NULL, &h);
    PROBE_ST(st, SEC_E_OK, "G.58 [PROBE]: user name matched case-insensitively (TESTUSER)");
    hs_cleanup(&h);
}

static void tamper_cases(void)
{
    struct hs h;
    struct { enum tamper_kind k; const char *name; } cases[] = {
        {T_NTPROOF, "a flipped NTProofStr byte"},
        {T_BLOB, "a flipped byte of the NTLMv2 blob"},
        {T_USER, "a flipped byte of the user name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SECURITY_STATUS st = run_server_outcome("testuser", "WORKGROUP", "testpass", tamper_auth, &cases[i].k, &h);
        CHECK(st == SEC_E_LOGON_DENIED || st == SEC_E_INVALID_TOKEN,
              "G: AUTHENTICATE with %s rejected with LOGON_DENIED or INVALID_TOKEN (got %s)", cases[i].name, sec_name(st));
        hs_cleanup(&h);
    }

    /* MIC */
    SECURITY_STATUS st = run_server_outcome("testuser", "WORKGROUP", "testpass", NULL, NULL, &h);
    int have_ts = h.ntok >= 2 && challenge_has_timestamp(h.tok[1], h.toklen[1]);
    int have_mic = h.ntok >= 3 && auth_has_mic(h.tok[2], h.toklen[2]);
    if (h.ntok >= 3 && g_verbose) hexdump("AUTHENTICATE", h.tok[2], h.toklen[2]);
    CHECK_ST(st, SEC_E_OK, "G: untampered control handshake");
    if (have_ts)
        CHECK(have_mic, "G [SPEC MS-NLMP 3.1.5.1.2]: CHALLENGE has MsvAvTimestamp, so AUTHENTICATE carries a MIC (MsvAvFlags 0x2, VERSION, MIC at 72)");
    hs_cleanup(&h);
    if (!have_mic) {
        SKIP("G: MIC tampering (client sent no MIC)");
        return;
    }
    struct { enum tamper_kind k; const char *name; } mcases[] = {
        {T_MIC_ZERO, "the MIC zeroed"},
        {T_MIC_STRIP, "the MIC stripped (16 bytes removed, offsets fixed)"},
        {T_SESSKEY, "a flipped EncryptedRandomSessionKey byte (covered by the MIC)"},
        {T_FLAGS, "NegotiateFlags changed (covered by the MIC)"},
    };
    for (size_t i = 0; i < sizeof mcases / sizeof mcases[0]; i++) {
        st = run_server_outcome("testuser", "WORKGROUP", "testpass", tamper_auth, &mcases[i].k, &h);
        CHECK(st == SEC_E_LOGON_DENIED || st == SEC_E_INVALID_TOKEN,
              "G: AUTHENTICATE with %s rejected with INVALID_TOKEN or LOGON_DENIED (got %s)", mcases[i].name, sec_name(st));
        hs_cleanup(&h);
    }
}

/* The same AUTHENTICATE replayed to a second server context (other challenge). */
static void replay_authenticate(void)
{
    struct hs a, b;
    if (run_server_outcome("testuser", "WORKGROUP", "testpass", NULL, NULL, &a) != SEC_E_OK || a.ntok < 3) {
        CHECK(0, "G: control handshake for replay");
        hs_cleanup(&a);
        return;
    }
    hs_init(&b, "NTLM");
    if (hs_creds(&b, "testuser", "WORKGROUP", "testpass")) {
        unsigned char neg[4096], chal[4096], out[4096];
        ULONG nl = sizeof neg, cl = sizeof chal, ol = sizeof out;
        hs_client_leg(&b, NULL, 0, neg, &nl);
        SECURITY_STATUS st = hs_server_leg(&b, neg, nl, chal, &cl);
        if (st == SEC_I_CONTINUE_NEEDED) {
            st = hs_server_leg(&b, a.tok[2], a.toklen[2], out, &ol);
            CHECK(st == SEC_E_LOGON_DENIED || st == SEC_E_INVALID_TOKEN,
                  "G: an AUTHENTICATE replayed to another server context is rejected (got %s)", sec_name(st));
        } else {
            CHECK(0, "G: replay setup ASC -> %s", sec_name(st));
        }
    }
    hs_cleanup(&b);
    hs_cleanup(&a);
}

/* Channel bindings (SEC_CHANNEL_BINDINGS + application data). */
struct cbblob {
    H_ChannelBindings h;
    char data[64];
};
static ULONG make_cb(struct cbblob *b, const char *app)
{
    memset(b, 0, sizeof *b);
    size_t n = strlen(app);
    b->h.cbApplicationDataLength = (ULONG)n;
    b->h.dwApplicationDataOffset = sizeof b->h;
    memcpy(b->data, app, n);
    return (ULONG)(sizeof b->h + n);
}

static void channel_bindings(void)
{
    struct cbblob c1, c2;
    ULONG l1 = make_cb(&c1, "tls-server-end-point:0123456789abcdef0123456789abcdef");
    ULONG l2 = make_cb(&c2, "tls-server-end-point:fedcba9876543210fedcba9876543210");
    struct hs h;

    hs_init(&h, "NTLM");
    h.cb_client = &c1; h.cb_client_len = l1;
    h.cb_server = &c1; h.cb_server_len = l1;
    if (hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        hs_run(&h);
        CHECK_ST(h.server_status, SEC_E_OK, "G: same SECBUFFER_CHANNEL_BINDINGS on client and server -> accepted");
    }
    hs_cleanup(&h);

    hs_init(&h, "NTLM");
    h.cb_client = &c1; h.cb_client_len = l1;
    h.cb_server = &c2; h.cb_server_len = l2;
    if (hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        hs_run(&h);
        CHECK_ST(h.server_status, SEC_E_BAD_BINDINGS, "G: different channel bindings");
    }
    hs_cleanup(&h);

    hs_init(&h, "NTLM");
    h.cb_server = &c1; h.cb_server_len = l1;
    if (hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        hs_run(&h);
        PROBE(h.server_status == SEC_E_BAD_BINDINGS || h.server_status == SEC_E_OK,
              "G [PROBE]: server bindings, client none -> BAD_BINDINGS (strict) or OK (got %s)", sec_name(h.server_status));
        diag("server-only channel bindings -> %s", sec_name(h.server_status));
    }
    hs_cleanup(&h);

    /* the NTLM package's strict setting (read when the credential is acquired) */
    setenv("OPENSSPI_NTLM_REQUIRE_BINDINGS", "1", 1);
    hs_init(&h, "NTLM");
    h.cb_server = &c1; h.cb_server_len = l1;
    int got = hs_creds(&h, "testuser", "WORKGROUP", "testpass");
    unsetenv("OPENSSPI_NTLM_REQUIRE_BINDINGS");
    if (got) {
        hs_run(&h);
        CHECK_ST(h.server_status, SEC_E_BAD_BINDINGS, "G: OPENSSPI_NTLM_REQUIRE_BINDINGS=1: server bindings, client none");
    }
    hs_cleanup(&h);
}

/* ---- truncation: every prefix of each token is an error, never a crash ---- */
struct trunc_arg { int which; };
static void truncations(void *argp)
{
    struct trunc_arg *a = argp;
    static const char *names[] = {"NEGOTIATE (to ASC)", "CHALLENGE (to ISC)", "AUTHENTICATE (to ASC)"};
    char bad[512] = "";
    int nbad = 0, nlegacy = 0;
    ULONG full = 0;
    for (ULONG L = 0;; L++) {
        struct hs h;
        hs_init(&h, "NTLM");
        if (!hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
            hs_cleanup(&h);
            CHECK(0, "G.61: credentials for truncation");
            return;
        }
        /* fresh, real tokens each round; the one under test is cut to L bytes */
        unsigned char b1[4096], b2[4096], b3[4096], o[4096];
        ULONG l1 = sizeof b1, l2 = sizeof b2, l3 = sizeof b3, lo = sizeof o;
        SECURITY_STATUS st = hs_client_leg(&h, NULL, 0, b1, &l1);
        unsigned char *cut = b1;
        ULONG cutlen = l1;
        if (a->which >= 1 && st == SEC_I_CONTINUE_NEEDED) {
            st = hs_server_leg(&h, b1, l1, b2, &l2);
            cut = b2;
            cutlen = l2;
        }
        if (a->which >= 2 && st == SEC_I_CONTINUE_NEEDED) {
            st = hs_client_leg(&h, b2, l2, b3, &l3);
            cut = b3;
            cutlen = l3;
        }
        if (st != SEC_I_CONTINUE_NEEDED && st != SEC_E_OK) {
            CHECK(0, "G.61: truncation setup failed at L=%u (%s)", (unsigned)L, sec_name(st));
            hs_cleanup(&h);
            return;
        }
        if (L == 0) full = cutlen;
        if (L >= cutlen) {
            hs_cleanup(&h);
            break;
        }
        if (a->which == 1) st = hs_client_leg(&h, cut, L, o, &lo);
        else st = hs_server_leg(&h, cut, L, o, &lo);
        /* A NEGOTIATE cut to 16+ bytes is still a legacy 16-byte NEGOTIATE
         * (signature, type, flags): recorded, not failed. */
        if (st >= 0 && a->which == 0 && L >= 16) {
            nlegacy++;
        } else if (st >= 0) {
            nbad++;
            size_t used = strlen(bad);
            if (used < sizeof bad - 32) snprintf(bad + used, sizeof bad - used, " %u:%s", (unsigned)L, sec_name(st));
        }
        hs_cleanup(&h);
    }
    if (a->which == 0) {
        CHECK(nbad == 0, "G.61: every NEGOTIATE cut below 16 bytes is rejected with an error status%s%s", nbad ? "; accepted at lengths" : "", bad);
        PROBE(nlegacy == 0, "G.61 [PROBE]: NEGOTIATE cut to 16..%u bytes (legacy-NEGOTIATE sized) rejected too (%d of %u accepted)",
              (unsigned)full - 1, nlegacy, full > 16 ? (unsigned)full - 16 : 0);
    } else {
        CHECK(nbad == 0, "G.61/F.52: all %u truncations of a fresh %s are rejected with an error status%s%s", (unsigned)full,
              names[a->which], nbad ? "; accepted at lengths" : "", bad);
    }
}

static void garbage_cases(void)
{
    CredHandle sc;
    if (acquire_server("NTLM", &sc) != SEC_E_OK) {
        CHECK(0, "G.61: server credential");
        return;
    }
    unsigned char junk[300], out[4096];
    srand(12345);
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rand();
    memcpy(junk, "NTLMSSP\0\x01\0\0\0", 12); /* NEGOTIATE header, random fields */
    SecBuffer ib = {sizeof junk, SECBUFFER_TOKEN, junk}, ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attr;
    SECURITY_STATUS st = api.AcceptSecurityContext(&sc, NULL, &id, 0, SECURITY_NATIVE_DREP, &ctx, &od, &attr, NULL);
    diag("NEGOTIATE header + random fields -> %s", sec_name(st));
    if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);
    CHECK(st == SEC_I_CONTINUE_NEEDED || st == SEC_E_INVALID_TOKEN,
          "G.61: NEGOTIATE header with random fields -> CONTINUE_NEEDED or INVALID_TOKEN, no crash (got %s)", sec_name(st));
    api.FreeCredentialsHandle(&sc);

    /* garbage as the third leg */
    struct hs h;
    hs_init(&h, "NTLM");
    if (hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        unsigned char b1[4096], b2[4096], b3[4096];
        ULONG l1 = sizeof b1, l2 = sizeof b2, l3 = sizeof b3;
        hs_client_leg(&h, NULL, 0, b1, &l1);
        hs_server_leg(&h, b1, l1, b2, &l2);
        memcpy(junk, "NTLMSSP\0\x03\0\0\0", 12);
        st = hs_server_leg(&h, junk, sizeof junk, b3, &l3);
        CHECK(st == SEC_E_INVALID_TOKEN || st == SEC_E_LOGON_DENIED,
              "G.61: AUTHENTICATE header with random fields rejected (INVALID_TOKEN/LOGON_DENIED, got %s)", sec_name(st));
    }
    hs_cleanup(&h);
}

void t_server_negative(void)
{
    logon_denied_cases();
    tamper_cases();
    replay_authenticate();
    channel_bindings();
    garbage_cases();
    for (int i = 0; i < 3; i++) {
        struct trunc_arg a = {i};
        run_isolated(i == 0 ? "G.61: truncated NEGOTIATE" : i == 1 ? "F.52: truncated CHALLENGE" : "G.61: truncated AUTHENTICATE",
                     truncations, &a);
    }
}
