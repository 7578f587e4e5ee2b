/*
 * krb_hostile: hostile inputs to the Kerberos package through the C ABI,
 * client and server in one process (so one replay cache): every
 * truncation of an AP-REQ through AcceptSecurityContext and of an AP-REP
 * through InitializeSecurityContext, a replayed AP-REQ, forged context
 * handles, a tampered / truncated / replayed Wrap token, every buffer
 * layout of EncryptMessage/DecryptMessage/MakeSignature/VerifySignature,
 * the DCE/RPC multi-buffer layout (several DATA, READONLY_WITH_CHECKSUM
 * sign-only, READONLY ignored).
 * Needs a realm: KRB5_CONFIG, KRB5_KTNAME (host/localhost) and alice's
 * password as argv[1] (tests/kerberos_package.rs runs it, under valgrind
 * with OPENSSPI_VALGRIND=1). Prints failures, then "N passed, M failed";
 * exit 0 iff nothing failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <security.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ASCII -> UTF-16 (malloc'd), *units without the terminator */
static uint16_t *ascii16(const char *s, size_t *units) {
    size_t n = strlen(s);
    uint16_t *w = malloc((n + 1) * sizeof *w);
    for (size_t i = 0; i <= n; i++) w[i] = (unsigned char)s[i];
    *units = n;
    return w;
}

static int passed, failed;

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (cond) {                                                                                                   \
            passed++;                                                                                                 \
        } else {                                                                                                      \
            failed++;                                                                                                 \
            printf("FAIL line %d: ", __LINE__);                                                                       \
            printf(__VA_ARGS__);                                                                                      \
            printf("\n");                                                                                             \
        }                                                                                                             \
    } while (0)

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_MUTUAL_AUTH)
#define AREQ (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_MUTUAL_AUTH)

static CredHandle ccred, scred;
static uint16_t target[] = {'h', 'o', 's', 't', '/', 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0};

typedef struct {
    uint8_t b[8192];
    ULONG n;
} tok_t;

/* ISC first leg into *out; returns the status. */
static SECURITY_STATUS isc(CtxtHandle *ctx, int have, const tok_t *in, tok_t *out) {
    SecBuffer ib = {in ? in->n : 0, SECBUFFER_TOKEN, in ? (void *)in->b : NULL};
    SecBuffer ob = {sizeof out->b, SECBUFFER_TOKEN, out->b};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    TimeStamp exp;
    SECURITY_STATUS st = InitializeSecurityContextW(&ccred, have ? ctx : NULL, target, REQ, 0, SECURITY_NATIVE_DREP,
                                                    in ? &id : NULL, 0, ctx, &od, &attr, &exp);
    out->n = ob.cbBuffer;
    return st;
}

static SECURITY_STATUS asc_req(CtxtHandle *ctx, const uint8_t *in, ULONG n, tok_t *out, ULONG req) {
    SecBuffer ib = {n, SECBUFFER_TOKEN, (void *)in};
    SecBuffer ob = {sizeof out->b, SECBUFFER_TOKEN, out->b};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    TimeStamp exp;
    SECURITY_STATUS st = AcceptSecurityContext(&scred, NULL, &id, req, SECURITY_NATIVE_DREP, ctx, &od, &attr, &exp);
    out->n = ob.cbBuffer;
    return st;
}

static SECURITY_STATUS asc(CtxtHandle *ctx, const uint8_t *in, ULONG n, tok_t *out) {
    return asc_req(ctx, in, n, out, AREQ);
}

/* A fresh client context and its AP-REQ. */
static int ap_req(CtxtHandle *c, tok_t *t) {
    SECURITY_STATUS st = isc(c, 0, NULL, t);
    CHECK(st == SEC_I_CONTINUE_NEEDED, "ISC leg 1: 0x%08X", (unsigned)st);
    return st == SEC_I_CONTINUE_NEEDED;
}

static void truncated_ap_req_and_replay(void) {
    CtxtHandle c, s;
    tok_t req, rep;
    if (!ap_req(&c, &req)) return;
    for (ULONG n = 0; n < req.n; n++) {
        SECURITY_STATUS st = asc(&s, req.b, n, &rep);
        CHECK(st < 0, "ASC with %u of %u AP-REQ bytes: 0x%08X, %u bytes out", (unsigned)n,
              (unsigned)req.n, (unsigned)st, (unsigned)rep.n);
        if (st >= 0) DeleteSecurityContext(&s);
    }
    SECURITY_STATUS st = asc(&s, req.b, req.n, &rep);
    CHECK(st == SEC_E_OK && rep.n > 0, "ASC whole AP-REQ: 0x%08X", (unsigned)st);
    if (st == SEC_E_OK) DeleteSecurityContext(&s);
    /* the same AP-REQ again: KRB_AP_ERR_REPEAT */
    tok_t rep2;
    st = asc(&s, req.b, req.n, &rep2);
    CHECK(st == SEC_E_INVALID_TOKEN, "replayed AP-REQ: 0x%08X (want SEC_E_INVALID_TOKEN)", (unsigned)st);
    if (st >= 0) DeleteSecurityContext(&s);
    /* without ASC_REQ_EXTENDED_ERROR the client is told nothing ... */
    rep2.n = 0;
    st = asc(&s, req.b, req.n, &rep2);
    CHECK(st == SEC_E_INVALID_TOKEN && rep2.n == sizeof rep2.b, "replay, no EXTENDED_ERROR: 0x%08X, %u bytes out",
          (unsigned)st, (unsigned)rep2.n);
    /* ... with it, the KRB-ERROR (KRB_AP_ERR_REPEAT) that the client maps to the same status */
    st = asc_req(&s, req.b, req.n, &rep2, AREQ | ASC_REQ_EXTENDED_ERROR);
    CHECK(st == SEC_E_INVALID_TOKEN && rep2.n > 20 && rep2.n < sizeof rep2.b && rep2.b[0] == 0x60,
          "replay with EXTENDED_ERROR: 0x%08X, %u bytes out", (unsigned)st, (unsigned)rep2.n);
    if (st < 0 && rep2.n > 0 && rep2.n < sizeof rep2.b) {
        CtxtHandle c2;
        tok_t req2, out;
        if (ap_req(&c2, &req2)) {
            st = isc(&c2, 1, &rep2, &out);
            CHECK(st == SEC_E_INVALID_TOKEN, "ISC given the KRB-ERROR: 0x%08X", (unsigned)st);
            DeleteSecurityContext(&c2);
        }
    }
    DeleteSecurityContext(&c);
}

static void truncated_ap_rep(void) {
    CtxtHandle c, s;
    tok_t req, rep, out;
    ULONG len = 0;
    for (ULONG n = 0;; n++) {
        if (!ap_req(&c, &req)) return;
        SECURITY_STATUS st = asc(&s, req.b, req.n, &rep);
        CHECK(st == SEC_E_OK, "ASC: 0x%08X", (unsigned)st);
        if (st != SEC_E_OK) return;
        DeleteSecurityContext(&s);
        len = rep.n;
        if (n >= len) {
            DeleteSecurityContext(&c);
            break;
        }
        rep.n = n;
        st = isc(&c, 1, &rep, &out);
        CHECK(st < 0, "ISC with %u of %u AP-REP bytes: 0x%08X", (unsigned)n, (unsigned)len,
              (unsigned)st);
        DeleteSecurityContext(&c);
    }
}

/* An established pair. */
static int pair(CtxtHandle *c, CtxtHandle *s) {
    tok_t req, rep, out;
    if (!ap_req(c, &req)) return 0;
    SECURITY_STATUS st = asc(s, req.b, req.n, &rep);
    CHECK(st == SEC_E_OK, "ASC: 0x%08X", (unsigned)st);
    if (st != SEC_E_OK) return 0;
    st = isc(c, 1, &rep, &out);
    CHECK(st == SEC_E_OK && out.n == 0, "ISC leg 2: 0x%08X", (unsigned)st);
    return st == SEC_E_OK;
}

/* a UTF-16 string equals ASCII s */
static int w_is(const uint16_t *w, const char *s) {
    if (!w) return 0;
    for (; *s; s++, w++)
        if (*w != (unsigned char)*s) return 0;
    return *w == 0;
}

/* NAMES, NATIVE_NAMES, AUTHORITY, LIFESPAN, SESSION_KEY (the same on both
 * sides), PACKAGE_INFO; the credential's NAMES */
static void attributes(CtxtHandle *c, CtxtHandle *s) {
    SecPkgCredentials_NamesW cn;
    SECURITY_STATUS st = QueryCredentialsAttributesW(&ccred, SECPKG_CRED_ATTR_NAMES, &cn);
    CHECK(st == SEC_E_OK && w_is(cn.sUserName, "alice@EXAMPLE.TEST"), "credential NAMES: 0x%08X", (unsigned)st);
    if (st == SEC_E_OK) FreeContextBuffer(cn.sUserName);
    SecPkgContext_NamesW names;
    st = QueryContextAttributesW(s, SECPKG_ATTR_NAMES, &names);
    CHECK(st == SEC_E_OK && w_is(names.sUserName, "alice@EXAMPLE.TEST"), "server NAMES: 0x%08X", (unsigned)st);
    if (st == SEC_E_OK) FreeContextBuffer(names.sUserName);
    SecPkgContext_NativeNamesW nn;
    st = QueryContextAttributesW(c, SECPKG_ATTR_NATIVE_NAMES, &nn);
    CHECK(st == SEC_E_OK && w_is(nn.sClientName, "alice@EXAMPLE.TEST") &&
              w_is(nn.sServerName, "host/localhost@EXAMPLE.TEST"),
          "client NATIVE_NAMES: 0x%08X", (unsigned)st);
    if (st == SEC_E_OK) FreeContextBuffer(nn.sClientName), FreeContextBuffer(nn.sServerName);
    SecPkgContext_AuthorityW au;
    st = QueryContextAttributesW(s, SECPKG_ATTR_AUTHORITY, &au);
    CHECK(st == SEC_E_OK && w_is(au.sAuthorityName, "EXAMPLE.TEST"), "AUTHORITY: 0x%08X", (unsigned)st);
    if (st == SEC_E_OK) FreeContextBuffer(au.sAuthorityName);
    SecPkgContext_Lifespan ls;
    st = QueryContextAttributesW(c, SECPKG_ATTR_LIFESPAN, &ls);
    CHECK(st == SEC_E_OK && ls.tsStart.QuadPart < ls.tsExpiry.QuadPart && ls.tsExpiry.QuadPart > 116444736000000000LL,
          "LIFESPAN: 0x%08X", (unsigned)st);
    SecPkgContext_SessionKey kc, ks;
    st = QueryContextAttributesW(c, SECPKG_ATTR_SESSION_KEY, &kc);
    SECURITY_STATUS st2 = QueryContextAttributesW(s, SECPKG_ATTR_SESSION_KEY, &ks);
    CHECK(st == SEC_E_OK && st2 == SEC_E_OK && kc.SessionKeyLength == ks.SessionKeyLength &&
              kc.SessionKeyLength >= 16 && !memcmp(kc.SessionKey, ks.SessionKey, kc.SessionKeyLength),
          "SESSION_KEY equal on both sides: 0x%08X 0x%08X", (unsigned)st, (unsigned)st2);
    if (st == SEC_E_OK) FreeContextBuffer(kc.SessionKey);
    if (st2 == SEC_E_OK) FreeContextBuffer(ks.SessionKey);
    SecPkgContext_PackageInfoW pi;
    st = QueryContextAttributesW(c, SECPKG_ATTR_PACKAGE_INFO, &pi);
    CHECK(st == SEC_E_OK && w_is(pi.PackageInfo->Name, "Kerberos") && pi.PackageInfo->wRPCID == 16,
          "PACKAGE_INFO: 0x%08X", (unsigned)st);
    if (st == SEC_E_OK) FreeContextBuffer(pi.PackageInfo);
}

static void forged_handles(void) {
    CtxtHandle forged = {0x1234, 0x5678}, out;
    tok_t t;
    SecBuffer ib = {4, SECBUFFER_TOKEN, "abcd"}, ob = {sizeof t.b, SECBUFFER_TOKEN, t.b};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    TimeStamp exp;
    SECURITY_STATUS st =
        AcceptSecurityContext(&scred, &forged, &id, AREQ, SECURITY_NATIVE_DREP, &out, &od, &attr, &exp);
    CHECK(st == SEC_E_INVALID_HANDLE, "ASC forged context: 0x%08X", (unsigned)st);
    st = InitializeSecurityContextW(&ccred, &forged, target, REQ, 0, SECURITY_NATIVE_DREP, &id, 0, &out, &od, &attr,
                                    &exp);
    CHECK(st == SEC_E_INVALID_HANDLE, "ISC forged context: 0x%08X", (unsigned)st);
    SecBuffer m[2] = {{16, SECBUFFER_TOKEN, t.b}, {4, SECBUFFER_DATA, t.b + 16}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
    st = EncryptMessage(&forged, 0, &md, 0);
    CHECK(st == SEC_E_INVALID_HANDLE, "EncryptMessage forged context: 0x%08X", (unsigned)st);
}

static void messages(void) {
    CtxtHandle c, s;
    SecPkgContext_Sizes sz;
    if (!pair(&c, &s)) return;
    attributes(&c, &s);
    SECURITY_STATUS st = QueryContextAttributesW(&c, SECPKG_ATTR_SIZES, &sz);
    CHECK(st == SEC_E_OK && sz.cbSecurityTrailer >= 60, "SIZES: 0x%08X", (unsigned)st);
    uint8_t wire[256], keep[256];
    const char *msg = "a message to tamper with";
    size_t n = strlen(msg);
    /* [TOKEN, DATA, PADDING] */
    SecBuffer b[3] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, wire},
                      {(ULONG)n, SECBUFFER_DATA, wire + sz.cbSecurityTrailer},
                      {sz.cbBlockSize, SECBUFFER_PADDING, wire + sz.cbSecurityTrailer + n}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    memcpy(wire + sz.cbSecurityTrailer, msg, n);
    st = EncryptMessage(&c, 0, &d, 0);
    CHECK(st == SEC_E_OK && b[0].cbBuffer <= sz.cbSecurityTrailer && b[2].cbBuffer == 0,
          "EncryptMessage [TOKEN, DATA, PADDING]: 0x%08X token %u padding %u", (unsigned)st, (unsigned)b[0].cbBuffer,
          (unsigned)b[2].cbBuffer);
    ULONG tn = b[0].cbBuffer;
    memmove(wire + tn, wire + sz.cbSecurityTrailer, n);
    size_t total = tn + n;
    memcpy(keep, wire, total);
    /* every truncation of the token part */
    for (ULONG k = 0; k < tn; k++) {
        memcpy(wire, keep, total);
        SecBuffer r[2] = {{k, SECBUFFER_TOKEN, wire}, {(ULONG)n, SECBUFFER_DATA, wire + tn}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
        ULONG qop = 0;
        st = DecryptMessage(&s, &rd, 0, &qop);
        CHECK(st < 0, "DecryptMessage with %u of %u token bytes: 0x%08X", (unsigned)k, (unsigned)tn, (unsigned)st);
    }
    /* one flipped bit in the data, then in the token */
    for (int where = 0; where < 2; where++) {
        memcpy(wire, keep, total);
        wire[where ? tn / 2 : tn + 3] ^= 0x01;
        SecBuffer r[2] = {{tn, SECBUFFER_TOKEN, wire}, {(ULONG)n, SECBUFFER_DATA, wire + tn}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
        ULONG qop = 0;
        st = DecryptMessage(&s, &rd, 0, &qop);
        CHECK(st == SEC_E_MESSAGE_ALTERED, "tampered %s: 0x%08X (want SEC_E_MESSAGE_ALTERED)", where ? "token" : "data",
              (unsigned)st);
    }
    /* the intact token still opens (a refused token consumes nothing) */
    memcpy(wire, keep, total);
    {
        SecBuffer r[2] = {{tn, SECBUFFER_TOKEN, wire}, {(ULONG)n, SECBUFFER_DATA, wire + tn}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
        ULONG qop = 0;
        st = DecryptMessage(&s, &rd, 0, &qop);
        CHECK(st == SEC_E_OK && r[1].cbBuffer == n && !memcmp(r[1].pvBuffer, msg, n),
              "DecryptMessage intact: 0x%08X", (unsigned)st);
    }
    /* replayed: out of sequence */
    memcpy(wire, keep, total);
    {
        SecBuffer r[2] = {{tn, SECBUFFER_TOKEN, wire}, {(ULONG)n, SECBUFFER_DATA, wire + tn}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
        ULONG qop = 0;
        st = DecryptMessage(&s, &rd, 0, &qop);
        CHECK(st == SEC_E_OUT_OF_SEQUENCE, "replayed Wrap: 0x%08X (want SEC_E_OUT_OF_SEQUENCE)", (unsigned)st);
    }
    /* [STREAM, DATA], the server's reply, integrity only */
    {
        uint8_t w2[256];
        SecBuffer e[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, w2}, {5, SECBUFFER_DATA, w2 + sz.cbSecurityTrailer}};
        SecBufferDesc ed = {SECBUFFER_VERSION, 2, e};
        memcpy(w2 + sz.cbSecurityTrailer, "reply", 5);
        st = EncryptMessage(&s, SECQOP_WRAP_NO_ENCRYPT, &ed, 0);
        CHECK(st == SEC_E_OK, "EncryptMessage NO_ENCRYPT: 0x%08X", (unsigned)st);
        memmove(w2 + e[0].cbBuffer, w2 + sz.cbSecurityTrailer, 5);
        SecBuffer r[2] = {{e[0].cbBuffer + 5, SECBUFFER_STREAM, w2}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
        ULONG qop = 0;
        st = DecryptMessage(&c, &rd, 0, &qop);
        CHECK(st == SEC_E_OK && qop == SECQOP_WRAP_NO_ENCRYPT && r[1].cbBuffer == 5 && !memcmp(r[1].pvBuffer, "reply", 5),
              "DecryptMessage [STREAM, DATA]: 0x%08X qop 0x%X", (unsigned)st, (unsigned)qop);
    }
    /* MakeSignature [DATA, TOKEN], VerifySignature, tampered signature */
    {
        uint8_t sig[128], data[] = "signed data";
        SecBuffer m[2] = {{sizeof data, SECBUFFER_DATA, data}, {sz.cbMaxSignature, SECBUFFER_TOKEN, sig}};
        SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
        st = MakeSignature(&c, 0, &md, 0);
        CHECK(st == SEC_E_OK, "MakeSignature [DATA, TOKEN]: 0x%08X", (unsigned)st);
        uint8_t good[128];
        ULONG sn = m[1].cbBuffer, qop;
        memcpy(good, sig, sn);
        sig[sn - 1] ^= 1;
        st = VerifySignature(&s, &md, 0, &qop);
        CHECK(st == SEC_E_MESSAGE_ALTERED, "tampered MIC: 0x%08X", (unsigned)st);
        memcpy(sig, good, sn);
        for (ULONG k = 0; k < sn; k++) {
            m[1].cbBuffer = k;
            st = VerifySignature(&s, &md, 0, &qop);
            CHECK(st < 0, "VerifySignature with %u of %u bytes: 0x%08X", (unsigned)k, (unsigned)sn, (unsigned)st);
        }
        m[1].cbBuffer = sn;
        st = VerifySignature(&s, &md, 0, &qop);
        CHECK(st == SEC_E_OK, "VerifySignature: 0x%08X", (unsigned)st);
        /* a read-only TOKEN / missing buffers */
        SecBuffer only = {sizeof data, SECBUFFER_DATA, data};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &only};
        st = MakeSignature(&c, 0, &od, 0);
        CHECK(st < 0, "MakeSignature without TOKEN: 0x%08X", (unsigned)st);
        st = EncryptMessage(&c, 0, &od, 0);
        CHECK(st < 0, "EncryptMessage without TOKEN: 0x%08X", (unsigned)st);
        SecBuffer small[2] = {{8, SECBUFFER_TOKEN, sig}, {sizeof data, SECBUFFER_DATA, data}};
        SecBufferDesc sd = {SECBUFFER_VERSION, 2, small};
        st = EncryptMessage(&c, 0, &sd, 0);
        CHECK(st == SEC_E_BUFFER_TOO_SMALL, "EncryptMessage 8-byte TOKEN: 0x%08X", (unsigned)st);
    }
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
}

/* The DCE/RPC layout [DATA|READONLY_WITH_CHECKSUM, DATA, DATA|READONLY,
 * DATA, DATA|READONLY_WITH_CHECKSUM, TOKEN, PADDING] (MS-KILE 3.4.5.4):
 * both DATA sealed as one message, the sign-only buffers signed in place
 * and never written (they live in read-only memory here), the READONLY one
 * ignored. Sealed and SECQOP_WRAP_NO_ENCRYPT; then MakeSignature over the
 * same kinds of buffers. */
static const uint8_t pdu_header[] = "\x05\x00\x00\x03PDU header";
static const uint8_t pdu_ignored[] = "not protected";
static const uint8_t pdu_trailer[] = "\x10\x06\x08\x00";
#define RO_CK (SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM)
#define RO (SECBUFFER_DATA | SECBUFFER_READONLY)

static void pdu_buffers(SecBuffer *b, uint8_t *hdr, uint8_t *s1, uint8_t *ign, uint8_t *s2, uint8_t *trl,
                        uint8_t *tok, ULONG tn, uint8_t *pad) {
    SecBuffer m[7] = {{sizeof pdu_header, RO_CK, hdr},   {9, SECBUFFER_DATA, s1},       {sizeof pdu_ignored, RO, ign},
                      {11, SECBUFFER_DATA, s2},          {sizeof pdu_trailer, RO_CK, trl}, {tn, SECBUFFER_TOKEN, tok},
                      {16, SECBUFFER_PADDING, pad}};
    memcpy(b, m, sizeof m);
}

static void multi_buffer(void) {
    CtxtHandle c, s;
    SecPkgContext_Sizes sz;
    if (!pair(&c, &s)) return;
    SECURITY_STATUS st = QueryContextAttributesW(&c, SECPKG_ATTR_SIZES, &sz);
    CHECK(st == SEC_E_OK, "SIZES: 0x%08X", (unsigned)st);
    uint8_t *hdr = (uint8_t *)pdu_header, *ign = (uint8_t *)pdu_ignored, *trl = (uint8_t *)pdu_trailer;
    for (int q = 0; q < 2; q++) {
        ULONG want = q ? SECQOP_WRAP_NO_ENCRYPT : 0;
        uint8_t s1[9], s2[11], tok[128], pad[16], ks1[9], ks2[11], ktok[128];
        memcpy(s1, "stub one!", 9);
        memcpy(s2, "stub two!!!", 11);
        SecBuffer b[7];
        pdu_buffers(b, hdr, s1, ign, s2, trl, tok, sz.cbSecurityTrailer, pad);
        SecBufferDesc d = {SECBUFFER_VERSION, 7, b};
        st = EncryptMessage(&c, want, &d, 0);
        ULONG tn = b[5].cbBuffer;
        CHECK(st == SEC_E_OK && tn <= sz.cbSecurityTrailer && b[6].cbBuffer == 0,
              "EncryptMessage multi-buffer qop 0x%X: 0x%08X", (unsigned)want, (unsigned)st);
        CHECK((memcmp(s1, "stub one!", 9) != 0) == !q && (memcmp(s2, "stub two!!!", 11) != 0) == !q,
              "DATA sealed iff confidential (qop 0x%X)", (unsigned)want);
        memcpy(ks1, s1, 9), memcpy(ks2, s2, 11), memcpy(ktok, tok, tn);
        /* an altered sign-only buffer (the PDU header), then trailer */
        for (int which = 0; which < 2; which++) {
            uint8_t forged[sizeof pdu_header];
            const uint8_t *orig = which ? pdu_trailer : pdu_header;
            size_t on = which ? sizeof pdu_trailer : sizeof pdu_header;
            memcpy(forged, orig, on);
            forged[1] ^= 0x01;
            memcpy(s1, ks1, 9), memcpy(s2, ks2, 11), memcpy(tok, ktok, tn);
            pdu_buffers(b, which ? hdr : forged, s1, ign, s2, which ? forged : trl, tok, tn, pad);
            ULONG qop = 0;
            st = DecryptMessage(&s, &d, 0, &qop);
            CHECK(st == SEC_E_MESSAGE_ALTERED, "altered sign-only buffer %d (qop 0x%X): 0x%08X (want SEC_E_MESSAGE_ALTERED)",
                  which, (unsigned)want, (unsigned)st);
        }
        /* an altered READONLY buffer is not covered: still SEC_E_OK */
        {
            uint8_t ign2[sizeof pdu_ignored];
            memcpy(ign2, pdu_ignored, sizeof ign2);
            ign2[0] ^= 0xFF;
            memcpy(s1, ks1, 9), memcpy(s2, ks2, 11), memcpy(tok, ktok, tn);
            pdu_buffers(b, hdr, s1, ign2, s2, trl, tok, tn, pad);
            ULONG qop = 0xFFFF;
            st = DecryptMessage(&s, &d, 0, &qop);
            CHECK(st == SEC_E_OK && qop == want && !memcmp(s1, "stub one!", 9) && !memcmp(s2, "stub two!!!", 11),
                  "DecryptMessage multi-buffer, altered READONLY buffer: 0x%08X qop 0x%X", (unsigned)st, (unsigned)qop);
        }
        /* an altered sealed/signed DATA buffer */
        {
            uint8_t t1[9], t2[11], ttok[128];
            SecBuffer e[7];
            memcpy(t1, "stub one!", 9);
            memcpy(t2, "stub two!!!", 11);
            pdu_buffers(e, hdr, t1, ign, t2, trl, ttok, sz.cbSecurityTrailer, pad);
            SecBufferDesc ed = {SECBUFFER_VERSION, 7, e};
            st = EncryptMessage(&c, want, &ed, 0);
            ULONG etn = e[5].cbBuffer;
            memcpy(ks1, t1, 9), memcpy(ks2, t2, 11), memcpy(ktok, ttok, etn);
            t2[4] ^= 0x01;
            ULONG qop = 0;
            SECURITY_STATUS st2 = DecryptMessage(&s, &ed, 0, &qop);
            CHECK(st == SEC_E_OK && st2 == SEC_E_MESSAGE_ALTERED, "altered DATA (qop 0x%X): 0x%08X", (unsigned)want,
                  (unsigned)st2);
            /* the refused message consumed nothing: the intact one opens */
            memcpy(t1, ks1, 9), memcpy(t2, ks2, 11), memcpy(ttok, ktok, etn);
            pdu_buffers(e, hdr, t1, ign, t2, trl, ttok, etn, pad);
            st2 = DecryptMessage(&s, &ed, 0, &qop);
            CHECK(st2 == SEC_E_OK && !memcmp(t2, "stub two!!!", 11), "intact after altered DATA: 0x%08X", (unsigned)st2);
        }
    }
    /* MakeSignature / VerifySignature over the same kinds of buffers */
    {
        uint8_t data[] = "signed stub", sig[128], ign2[sizeof pdu_ignored], forged[sizeof pdu_header];
        SecBuffer m[4] = {{sizeof pdu_header, RO_CK, hdr},
                          {sizeof data, SECBUFFER_DATA, data},
                          {sizeof pdu_ignored, RO, ign},
                          {sz.cbMaxSignature, SECBUFFER_TOKEN, sig}};
        SecBufferDesc md = {SECBUFFER_VERSION, 4, m};
        st = MakeSignature(&c, 0, &md, 0);
        CHECK(st == SEC_E_OK, "MakeSignature multi-buffer: 0x%08X", (unsigned)st);
        ULONG qop;
        memcpy(forged, pdu_header, sizeof forged);
        forged[1] ^= 0x01;
        m[0].pvBuffer = forged;
        st = VerifySignature(&s, &md, 0, &qop);
        CHECK(st == SEC_E_MESSAGE_ALTERED, "VerifySignature altered sign-only: 0x%08X", (unsigned)st);
        m[0].pvBuffer = hdr;
        memcpy(ign2, pdu_ignored, sizeof ign2);
        ign2[0] ^= 0xFF;
        m[2].pvBuffer = ign2;
        st = VerifySignature(&s, &md, 0, &qop);
        CHECK(st == SEC_E_OK, "VerifySignature altered READONLY: 0x%08X", (unsigned)st);
    }
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
}

/* Review 4: the multi-buffer layout attacked. A sealed (and an
 * integrity-only) PDU is opened with its sign-only buffers dropped
 * (declared READONLY), swapped, moved after a DATA buffer; its DATA
 * buffers swapped, a DATA buffer declared sign-only (sealed only), a
 * DATA buffer of another message: each SEC_E_MESSAGE_ALTERED, and none consumes the
 * sequence number (the intact PDU opens after them). Then the edges: an
 * empty DATA buffer, only sign-only buffers and no DATA, no DATA-typed
 * buffer at all, 256 buffers (254 sign-only) and 257 buffers. */
static SECURITY_STATUS open7(CtxtHandle *s, SecBuffer *b) {
    SecBufferDesc d = {SECBUFFER_VERSION, 7, b};
    ULONG qop = 0;
    return DecryptMessage(s, &d, 0, &qop);
}

static void multi_buffer_hostile(void) {
    CtxtHandle c, s;
    SecPkgContext_Sizes sz;
    if (!pair(&c, &s)) return;
    SECURITY_STATUS st = QueryContextAttributesW(&c, SECPKG_ATTR_SIZES, &sz);
    CHECK(st == SEC_E_OK, "SIZES: 0x%08X", (unsigned)st);
    uint8_t *hdr = (uint8_t *)pdu_header, *ign = (uint8_t *)pdu_ignored, *trl = (uint8_t *)pdu_trailer;
    for (int q = 0; q < 2; q++) {
        ULONG want = q ? SECQOP_WRAP_NO_ENCRYPT : 0;
        uint8_t s1[9], s2[11], tok[128], pad[16], ks1[9], ks2[11], ktok[128];
        uint8_t o1[9], o2[11], otok[128];
        memcpy(s1, "stub one!", 9);
        memcpy(s2, "stub two!!!", 11);
        SecBuffer b[7];
        pdu_buffers(b, hdr, s1, ign, s2, trl, tok, sz.cbSecurityTrailer, pad);
        SecBufferDesc d = {SECBUFFER_VERSION, 7, b};
        st = EncryptMessage(&c, want, &d, 0);
        ULONG tn = b[5].cbBuffer;
        CHECK(st == SEC_E_OK, "EncryptMessage PDU qop 0x%X: 0x%08X", (unsigned)want, (unsigned)st);
        memcpy(ks1, s1, 9), memcpy(ks2, s2, 11), memcpy(ktok, tok, tn);
        /* another PDU of the same context, same lengths */
        memcpy(o1, "stub ONE!", 9);
        memcpy(o2, "stub TWO!!!", 11);
        pdu_buffers(b, hdr, o1, ign, o2, trl, otok, sz.cbSecurityTrailer, pad);
        st = EncryptMessage(&c, want, &d, 0);
        ULONG otn = b[5].cbBuffer;
        CHECK(st == SEC_E_OK, "EncryptMessage 2nd PDU: 0x%08X", (unsigned)st);
        const char *what[] = {"sign-only header dropped (READONLY)", "sign-only header and trailer swapped",
                              "sign-only header moved after the first DATA", "DATA buffers swapped",
                              "DATA declared sign-only", "sign-only declared DATA",
                              "2nd DATA of another PDU", "sign-only header dropped from the list"};
        for (int k = 0; k < 8; k++) {
            uint8_t t1[9], t2[11], tt[128], x[11];
            memcpy(t1, ks1, 9), memcpy(t2, ks2, 11), memcpy(tt, ktok, tn);
            pdu_buffers(b, hdr, t1, ign, t2, trl, tt, tn, pad);
            SecBuffer h = b[0];
            /* integrity only, DATA and sign-only are both signed in place and
             * never encrypted: exchanging their types changes nothing the
             * checksum covers (RFC 4121 4.2.4; MIT's gss_unwrap_iov alike) */
            if (q && (k == 4 || k == 5)) continue;
            switch (k) {
            case 0: b[0].BufferType = RO; break;
            case 1: b[0].pvBuffer = trl, b[0].cbBuffer = sizeof pdu_trailer;
                    b[4].pvBuffer = hdr, b[4].cbBuffer = sizeof pdu_header; break;
            case 2: b[0] = b[1], b[1] = h; break;
            case 3: b[1].pvBuffer = t2, b[1].cbBuffer = 11, b[3].pvBuffer = t1, b[3].cbBuffer = 9; break;
            case 4: b[1].BufferType = RO_CK; break;
            case 5: memcpy(x, pdu_trailer, sizeof pdu_trailer), b[4].pvBuffer = x, b[4].BufferType = SECBUFFER_DATA; break;
            case 6: memcpy(t2, o2, 11); break;
            case 7: b[0].BufferType = SECBUFFER_EMPTY; break;
            }
            st = open7(&s, b);
            CHECK(st == SEC_E_MESSAGE_ALTERED, "%s (qop 0x%X): 0x%08X (want SEC_E_MESSAGE_ALTERED)", what[k],
                  (unsigned)want, (unsigned)st);
        }
        /* nothing consumed: both PDUs open, in order */
        memcpy(s1, ks1, 9), memcpy(s2, ks2, 11), memcpy(tok, ktok, tn);
        pdu_buffers(b, hdr, s1, ign, s2, trl, tok, tn, pad);
        st = open7(&s, b);
        CHECK(st == SEC_E_OK && !memcmp(s1, "stub one!", 9) && !memcmp(s2, "stub two!!!", 11),
              "intact PDU after the attacks (qop 0x%X): 0x%08X", (unsigned)want, (unsigned)st);
        pdu_buffers(b, hdr, o1, ign, o2, trl, otok, otn, pad);
        st = open7(&s, b);
        CHECK(st == SEC_E_OK && !memcmp(o2, "stub TWO!!!", 11), "2nd PDU: 0x%08X", (unsigned)st);
    }
    /* an empty DATA buffer, alone and beside a sign-only one */
    for (int k = 0; k < 2; k++) {
        uint8_t tok[128], empty[1] = {0x5A};
        SecBuffer b[3] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok}, {0, SECBUFFER_DATA, empty},
                          {sizeof pdu_header, RO_CK, hdr}};
        SecBufferDesc d = {SECBUFFER_VERSION, k ? 3 : 2, b};
        st = EncryptMessage(&c, 0, &d, 0);
        CHECK(st == SEC_E_OK && b[1].cbBuffer == 0 && empty[0] == 0x5A, "EncryptMessage empty DATA (%d): 0x%08X", k,
              (unsigned)st);
        ULONG qop;
        SECURITY_STATUS st2 = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st2 == SEC_E_OK && b[1].cbBuffer == 0 && empty[0] == 0x5A, "DecryptMessage empty DATA (%d): 0x%08X", k,
              (unsigned)st2);
    }
    /* only sign-only buffers, no DATA to seal */
    {
        uint8_t tok[128], forged[sizeof pdu_header];
        SecBuffer b[3] = {{sizeof pdu_header, RO_CK, hdr}, {sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok},
                          {sizeof pdu_trailer, RO_CK, trl}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        st = EncryptMessage(&c, 0, &d, 0);
        CHECK(st == SEC_E_OK, "EncryptMessage sign-only buffers only: 0x%08X", (unsigned)st);
        ULONG qop;
        memcpy(forged, pdu_header, sizeof forged);
        forged[2] ^= 0x10;
        b[0].pvBuffer = forged;
        SECURITY_STATUS st2 = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st2 == SEC_E_MESSAGE_ALTERED, "sign-only only, altered: 0x%08X", (unsigned)st2);
        b[0].pvBuffer = hdr;
        st2 = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st2 == SEC_E_OK, "sign-only only, intact: 0x%08X", (unsigned)st2);
    }
    /* no DATA-typed buffer at all: SEC_E_INVALID_TOKEN both ways */
    {
        uint8_t tok[128], pad[16];
        SecBuffer b[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok}, {16, SECBUFFER_PADDING, pad}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        st = EncryptMessage(&c, 0, &d, 0);
        CHECK(st == SEC_E_INVALID_TOKEN, "EncryptMessage without DATA: 0x%08X", (unsigned)st);
        ULONG qop;
        st = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st == SEC_E_INVALID_TOKEN, "DecryptMessage without DATA: 0x%08X", (unsigned)st);
    }
    /* 256 buffers: TOKEN, DATA, 254 one-byte sign-only ones (read-only
     * memory, shared); 257: a corrupt descriptor */
    {
        enum { N = 257 };
        static SecBuffer b[N];
        static const uint8_t one[1] = {'#'};
        uint8_t tok[128], data[6];
        memcpy(data, "sealed", 6);
        b[0] = (SecBuffer){sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok};
        b[1] = (SecBuffer){6, SECBUFFER_DATA, data};
        for (int i = 2; i < N; i++) b[i] = (SecBuffer){1, RO_CK, (void *)one};
        SecBufferDesc d = {SECBUFFER_VERSION, N, b};
        st = EncryptMessage(&c, 0, &d, 0);
        CHECK(st == SEC_E_INVALID_TOKEN, "EncryptMessage 257 buffers: 0x%08X", (unsigned)st);
        ULONG qop;
        st = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st == SEC_E_INVALID_TOKEN, "DecryptMessage 257 buffers: 0x%08X", (unsigned)st);
        d.cBuffers = N - 1;
        st = EncryptMessage(&c, 0, &d, 0);
        CHECK(st == SEC_E_OK && memcmp(data, "sealed", 6), "EncryptMessage 256 buffers: 0x%08X", (unsigned)st);
        uint8_t ktok[128], kdata[6];
        ULONG tn = b[0].cbBuffer;
        memcpy(ktok, tok, tn), memcpy(kdata, data, 6);
        /* one sign-only buffer fewer */
        d.cBuffers = N - 2;
        st = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st == SEC_E_MESSAGE_ALTERED, "255 of 256 buffers: 0x%08X", (unsigned)st);
        d.cBuffers = N - 1;
        memcpy(tok, ktok, tn), memcpy(data, kdata, 6);
        st = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st == SEC_E_OK && !memcmp(data, "sealed", 6), "DecryptMessage 256 buffers: 0x%08X", (unsigned)st);
    }
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
}

/* ExportSecurityContext (DELETE_OLD) + ImportSecurityContextW: the
 * imported client's next sealed message opens at the server in order */
static void export_import(void) {
    CtxtHandle c, s, c2;
    if (!pair(&c, &s)) return;
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    void *token = NULL;
    SECURITY_STATUS st = ExportSecurityContext(&c, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, &token);
    CHECK(st == SEC_E_OK && packed.cbBuffer > 0, "ExportSecurityContext: 0x%08X", (unsigned)st);
    if (st != SEC_E_OK) return;
    uint16_t pkg[] = {'K', 'e', 'r', 'b', 'e', 'r', 'o', 's', 0};
    st = ImportSecurityContextW(pkg, &packed, NULL, &c2);
    CHECK(st == SEC_E_OK, "ImportSecurityContextW: 0x%08X", (unsigned)st);
    ((uint8_t *)packed.pvBuffer)[packed.cbBuffer - 1] ^= 1;
    CtxtHandle c3;
    SECURITY_STATUS st3 = ImportSecurityContextW(pkg, &packed, NULL, &c3);
    CHECK(st3 == SEC_E_INVALID_TOKEN, "ImportSecurityContextW tampered blob: 0x%08X", (unsigned)st3);
    FreeContextBuffer(packed.pvBuffer);
    if (st == SEC_E_OK) {
        uint8_t wire[128];
        SecBuffer b[2] = {{64, SECBUFFER_TOKEN, wire}, {5, SECBUFFER_DATA, wire + 64}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        memcpy(wire + 64, "moved", 5);
        st = EncryptMessage(&c2, 0, &d, 0);
        CHECK(st == SEC_E_OK, "EncryptMessage on the imported context: 0x%08X", (unsigned)st);
        ULONG qop;
        st = DecryptMessage(&s, &d, 0, &qop);
        CHECK(st == SEC_E_OK && b[1].cbBuffer == 5 && !memcmp(b[1].pvBuffer, "moved", 5),
              "DecryptMessage from the imported context: 0x%08X", (unsigned)st);
        DeleteSecurityContext(&c2);
    }
    DeleteSecurityContext(&s);
}

int main(int argc, char **argv) {
    SEC_WINNT_AUTH_IDENTITY_W id;
    TimeStamp exp;
    size_t ul, pl;
    if (argc != 2) return fprintf(stderr, "usage: krb_hostile PASSWORD\n"), 2;
    uint16_t *u = ascii16("alice@EXAMPLE.TEST", &ul), *p = ascii16(argv[1], &pl);
    uint16_t pkg[] = {'K', 'e', 'r', 'b', 'e', 'r', 'o', 's', 0};
    memset(&id, 0, sizeof id);
    id.User = u, id.UserLength = (ULONG)ul, id.Password = p, id.PasswordLength = (ULONG)pl;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    SECURITY_STATUS st = AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &ccred, &exp);
    free(u), free(p);
    CHECK(st == SEC_E_OK, "ACH outbound: 0x%08X", (unsigned)st);
    st = AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &scred, &exp);
    CHECK(st == SEC_E_OK, "ACH inbound: 0x%08X", (unsigned)st);
    if (!failed) {
        truncated_ap_req_and_replay();
        truncated_ap_rep();
        forged_handles();
        messages();
        multi_buffer();
        multi_buffer_hostile();
        export_import();
        FreeCredentialsHandle(&ccred);
        FreeCredentialsHandle(&scred);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
