/* Groups: signatures (J 80-88), seal (K 89-98), canned (F.55, I.66/69,
 * J.81-84, K.89-91 with Wine's canned CHALLENGE), misc (M 103-104,
 * N 105-106, O 108-111). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

static const char MSG[] = "Hello, world!";
#define MSGLEN 13
static const char HDR[] = "Header Test"; /* 12 bytes with the NUL, as in Wine */
#define HDRLEN 12

#define FULL_CREQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define FULL_SREQ (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT)

static int pair(struct hs *h)
{
    if (ntlm_pair(h, FULL_CREQ, FULL_SREQ)) return 1;
    CHECK(0, "J/K: NTLM handshake for message tests -> client %s, server %s", sec_name(h->client_status), sec_name(h->server_status));
    hs_cleanup(h);
    return 0;
}

/* A [TOKEN, DATA] message. */
struct msg {
    SecBuffer b[2];
    SecBufferDesc d;
    unsigned char tok[16];
    unsigned char data[64];
};
static void msg_init(struct msg *m, const void *data, ULONG n)
{
    memset(m, 0, sizeof *m);
    memcpy(m->data, data, n);
    m->b[0].BufferType = SECBUFFER_TOKEN;
    m->b[0].cbBuffer = 16;
    m->b[0].pvBuffer = m->tok;
    m->b[1].BufferType = SECBUFFER_DATA;
    m->b[1].cbBuffer = n;
    m->b[1].pvBuffer = m->data;
    m->d.ulVersion = SECBUFFER_VERSION;
    m->d.cBuffers = 2;
    m->d.pBuffers = m->b;
}
/* deep copy (as if sent over the wire) */
static void msg_copy(struct msg *dst, const struct msg *src)
{
    *dst = *src;
    dst->b[0].pvBuffer = dst->tok;
    dst->b[1].pvBuffer = dst->data;
    dst->d.pBuffers = dst->b;
}

static SECURITY_STATUS sign(CtxtHandle *c, struct msg *m, ULONG seq) { return api.MakeSignature(c, 0, &m->d, seq); }
static SECURITY_STATUS verify(CtxtHandle *c, struct msg *m, ULONG seq, ULONG *qop) { return api.VerifySignature(c, &m->d, seq, qop); }
static SECURITY_STATUS seal(CtxtHandle *c, struct msg *m, ULONG qop, ULONG seq) { return api.EncryptMessage(c, qop, &m->d, seq); }
static SECURITY_STATUS unseal(CtxtHandle *c, struct msg *m, ULONG seq, ULONG *qop) { return api.DecryptMessage(c, &m->d, seq, qop); }

/* ------------------------------------------------------------------ J */

static void sig_basic(void)
{
    struct hs h;
    if (!pair(&h)) return;
    SECURITY_STATUS st;
    ULONG qop;

    /* J.80 */
    unsigned char d1[16], d2[16];
    SecBuffer two[2] = {{16, SECBUFFER_DATA, d1}, {MSGLEN, SECBUFFER_DATA, d2}};
    memcpy(d2, MSG, MSGLEN);
    SecBufferDesc td = {SECBUFFER_VERSION, 2, two};
    CHECK_ST(api.MakeSignature(&h.cctx, 0, &td, 0), SEC_E_INVALID_TOKEN, "J.80: MakeSignature with two DATA, no TOKEN");
    qop = 0xdeadbeef;
    CHECK_ST(api.VerifySignature(&h.sctx, &td, 0, &qop), SEC_E_INVALID_TOKEN, "J.80: VerifySignature with two DATA, no TOKEN");

    /* client -> server */
    struct msg m, r;
    msg_init(&m, MSG, MSGLEN);
    st = sign(&h.cctx, &m, 0);
    CHECK_ST(st, SEC_E_OK, "J: MakeSignature (client) on a real context");
    if (st == SEC_E_OK) {
        CHECK(m.b[0].cbBuffer == 16, "J.85: signature is 16 bytes (got %u)", (unsigned)m.b[0].cbBuffer);
        CHECK(rd32(m.tok) == 1, "J.85: signature Version == 1");
        CHECK(!memcmp(m.data, MSG, MSGLEN), "J: MakeSignature leaves DATA untouched");
        static const unsigned char dummy[16] = {1};
        CHECK(memcmp(m.tok, dummy, 16) != 0, "J: a real (SIGN negotiated) context does not produce the dummy signature");
        if (g_verbose) hexdump("signature", m.tok, 16);
    }
    msg_copy(&r, &m);
    qop = 0xdeadbeef;
    st = verify(&h.sctx, &r, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "J: VerifySignature (server) of the client's signature");
    CHECK(qop == 0xdeadbeef, "J.83: VerifySignature leaves *pfQOP untouched on success (got 0x%x)", (unsigned)qop);
    /* J.87 replay */
    msg_copy(&r, &m);
    st = verify(&h.sctx, &r, 0, &qop);
    CHECK_ST2(st, SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE, "J.87: replayed signed message");

    /* server -> client */
    msg_init(&m, MSG, MSGLEN);
    st = sign(&h.sctx, &m, 0);
    CHECK_ST(st, SEC_E_OK, "J: MakeSignature (server)");
    msg_copy(&r, &m);
    st = verify(&h.cctx, &r, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "J: VerifySignature (client) of the server's signature");

    /* the client's own signature does not verify on the client (direction keys) */
    msg_init(&m, MSG, MSGLEN);
    sign(&h.cctx, &m, 0);
    msg_copy(&r, &m);
    st = verify(&h.cctx, &r, 0, &qop);
    CHECK_FAILED(st, "J [SPEC 3.4.4]: a client signature does not verify with the client's own receive key");

    /* J.88 */
    msg_init(&m, MSG, MSGLEN);
    st = api.MakeSignature(&h.cctx, 1, &m.d, 0);
    PROBE_ST(st, SEC_E_QOP_NOT_SUPPORTED, "J.88 [PROBE]: MakeSignature with fQOP 1");
    hs_cleanup(&h);
}

static void sig_tamper(void)
{
    struct { const char *name; int where; } cases[] = {
        {"a flipped DATA byte", 0},
        {"a flipped checksum byte", 1},
        {"a flipped sequence-number byte", 2},
        {"a changed signature Version", 3},
        {"a truncated DATA buffer", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hs h;
        if (!pair(&h)) return;
        struct msg m;
        msg_init(&m, MSG, MSGLEN);
        if (sign(&h.cctx, &m, 0) == SEC_E_OK) {
            switch (cases[i].where) {
            case 0: m.data[3] ^= 1; break;
            case 1: m.tok[5] ^= 1; break;
            case 2: m.tok[12] ^= 1; break;
            case 3: m.tok[0] = 2; break;
            case 4: m.b[1].cbBuffer--; break;
            }
            ULONG qop = 0xdeadbeef;
            SECURITY_STATUS st = verify(&h.sctx, &m, 0, &qop);
            if (cases[i].where == 2) /* a wrong SeqNum is also "out of sequence" (J.87) */
                CHECK_ST2(st, SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE, "J.87: VerifySignature with %s", cases[i].name);
            else
                CHECK_ST(st, SEC_E_MESSAGE_ALTERED, "J: VerifySignature with %s", cases[i].name);
            CHECK(qop == 0xdeadbeef, "J.83: *pfQOP untouched on failure (%s)", cases[i].name);
        } else {
            CHECK(0, "J: MakeSignature for tamper case");
        }
        hs_cleanup(&h);
    }
}

static void sig_sequence(void)
{
    struct hs h;
    if (!pair(&h)) return;
    struct msg m[3], r;
    for (int i = 0; i < 3; i++) {
        msg_init(&m[i], MSG, MSGLEN);
        m[i].data[0] = (unsigned char)('A' + i);
        CHECK_ST(sign(&h.cctx, &m[i], (ULONG)i), SEC_E_OK, "J.98 [FRDP]: MakeSignature with explicit MessageSeqNo %d", i);
    }
    CHECK(memcmp(m[0].tok + 12, m[1].tok + 12, 4) != 0 || memcmp(m[0].tok, m[1].tok, 16) != 0,
          "J.85: consecutive signatures differ");
    ULONG qop;
    msg_copy(&r, &m[1]);
    SECURITY_STATUS st = verify(&h.sctx, &r, 1, &qop);
    CHECK_ST2(st, SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE, "J.87/94: message 1 verified before message 0 (out of order)");
    hs_cleanup(&h);

    if (!pair(&h)) return;
    for (int i = 0; i < 3; i++) {
        msg_init(&m[i], MSG, MSGLEN);
        sign(&h.cctx, &m[i], (ULONG)i);
    }
    int allok = 1;
    for (int i = 0; i < 3; i++) {
        msg_copy(&r, &m[i]);
        st = verify(&h.sctx, &r, (ULONG)i, &qop);
        if (st != SEC_E_OK) allok = 0;
    }
    CHECK(allok, "J.85/98: three signed messages verify in order with explicit sequence numbers");
    hs_cleanup(&h);
}

/* J.86: token shorter than 16 bytes, against a guard page. */
static void sig_short(void)
{
    struct hs h;
    if (!pair(&h)) return;
    unsigned char *tok = guard_alloc(15);
    memset(tok, 0xA5, 15);
    unsigned char data[MSGLEN];
    memcpy(data, MSG, MSGLEN);
    SecBuffer b[2] = {{15, SECBUFFER_TOKEN, tok}, {MSGLEN, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = api.MakeSignature(&h.cctx, 0, &d, 0);
    CHECK_ST(st, SEC_E_BUFFER_TOO_SMALL, "J.86: MakeSignature with a 15-byte TOKEN (buffer ends at a guard page)");
    ULONG qop = 0xdeadbeef;
    st = api.VerifySignature(&h.sctx, &d, 0, &qop);
    CHECK_ST(st, SEC_E_BUFFER_TOO_SMALL, "J.86: VerifySignature with a 15-byte TOKEN");
    CHECK(qop == 0xdeadbeef, "J.83: *pfQOP untouched after the short-token failure");
    guard_free(tok, 15);
    /* A failed call does not consume a sequence number. */
    struct msg m, r;
    msg_init(&m, MSG, MSGLEN);
    st = sign(&h.cctx, &m, 0);
    msg_copy(&r, &m);
    SECURITY_STATUS st2 = verify(&h.sctx, &r, 0, &qop);
    PROBE(st == SEC_E_OK && st2 == SEC_E_OK, "J.86 [PROBE]: sign/verify still work after the short-token failures (%s/%s)",
          sec_name(st), sec_name(st2));
    /* zero-length TOKEN buffer */
    b[0].cbBuffer = 0;
    b[0].pvBuffer = NULL;
    st = api.MakeSignature(&h.cctx, 0, &d, 0);
    CHECK_ST(st, SEC_E_BUFFER_TOO_SMALL, "J.86: MakeSignature with an empty TOKEN (NULL, 0)");
    hs_cleanup(&h);
}

/* J.84 on a real context: READONLY_WITH_CHECKSUM header buffers in read-only memory. */
static void sig_multi(void)
{
    struct hs h;
    if (!pair(&h)) return;
    void *ro1 = ro_alloc(HDR, HDRLEN), *ro2 = ro_alloc(HDR, HDRLEN);
    unsigned char data[MSGLEN], tok[16];
    memcpy(data, MSG, MSGLEN);
    SecBuffer b[4] = {{HDRLEN, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro1},
                      {MSGLEN, SECBUFFER_DATA, data},
                      {HDRLEN, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro2},
                      {16, SECBUFFER_TOKEN, tok}};
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    SECURITY_STATUS st = api.MakeSignature(&h.cctx, 0, &d, 0);
    CHECK_ST(st, SEC_E_OK, "J.84: MakeSignature [DATA|RO_CHECKSUM, DATA, DATA|RO_CHECKSUM, TOKEN] (headers read-only)");
    ULONG qop = 0xdeadbeef;
    st = api.VerifySignature(&h.sctx, &d, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "J.84: VerifySignature of the multi-buffer message");
    /* tamper a checksummed header on a fresh message */
    st = api.MakeSignature(&h.cctx, 0, &d, 1);
    char hdr2[HDRLEN];
    memcpy(hdr2, HDR, HDRLEN);
    hdr2[0] ^= 1;
    SecBuffer b2[4];
    memcpy(b2, b, sizeof b2);
    b2[0].pvBuffer = hdr2;
    SecBufferDesc d2 = {SECBUFFER_VERSION, 4, b2};
    st = api.VerifySignature(&h.sctx, &d2, 1, &qop);
    CHECK_ST(st, SEC_E_MESSAGE_ALTERED, "J.84: a modified READONLY_WITH_CHECKSUM buffer is detected by VerifySignature");
    ro_free(ro1, HDRLEN);
    ro_free(ro2, HDRLEN);
    hs_cleanup(&h);
}

void t_signatures(void)
{
    sig_basic();
    sig_tamper();
    sig_sequence();
    sig_short();
    sig_multi();
}

/* ------------------------------------------------------------------ K */

static void seal_basic(void)
{
    struct hs h;
    if (!pair(&h)) return;
    SecPkgContext_Sizes sz;
    memset(&sz, 0, sizeof sz);
    api.QueryContextAttributesW(&h.cctx, SECPKG_ATTR_SIZES, &sz);
    struct msg m, r;
    ULONG qop;
    msg_init(&m, MSG, MSGLEN);
    SECURITY_STATUS st = seal(&h.cctx, &m, 0, 0);
    CHECK_ST(st, SEC_E_OK, "K.89: EncryptMessage(client, [TOKEN(16), DATA])");
    if (st == SEC_E_OK) {
        CHECK(m.b[0].cbBuffer <= sz.cbSecurityTrailer && m.b[0].cbBuffer == 16, "K.89/95: trailer length 16 <= cbSecurityTrailer (got %u)",
              (unsigned)m.b[0].cbBuffer);
        CHECK(rd32(m.tok) == 1, "K.89/J.85: trailer starts with Version 1");
        CHECK(m.b[1].cbBuffer == MSGLEN, "K.89: DATA length unchanged (stream cipher)");
        CHECK(memcmp(m.data, MSG, MSGLEN) != 0, "K.89: DATA is encrypted in place");
    }
    msg_copy(&r, &m);
    qop = 0xdeadbeef;
    st = unseal(&h.sctx, &r, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "K: DecryptMessage(server) of the client's message");
    CHECK(r.b[1].cbBuffer == MSGLEN && !memcmp(r.data, MSG, MSGLEN), "K: plaintext restored");
    CHECK(qop == 0xdeadbeef, "K.92: DecryptMessage leaves *pfQOP unchanged (got 0x%x)", (unsigned)qop);
    /* K.94 replay */
    msg_copy(&r, &m);
    st = unseal(&h.sctx, &r, 0, &qop);
    CHECK_ST2(st, SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE, "K.94: replayed sealed message");

    /* server -> client */
    msg_init(&m, MSG, MSGLEN);
    st = seal(&h.sctx, &m, 0, 0);
    CHECK_ST(st, SEC_E_OK, "K: EncryptMessage(server)");
    msg_copy(&r, &m);
    st = unseal(&h.cctx, &r, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "K: DecryptMessage(client) of the server's message");
    CHECK(!memcmp(r.data, MSG, MSGLEN), "K: server->client plaintext restored");

    /* sign and seal share the sequence: sign, seal, sign then verify, unseal, verify */
    struct msg a, b, c;
    msg_init(&a, "one", 3);
    msg_init(&b, "two", 3);
    msg_init(&c, "three", 5);
    int ok = sign(&h.cctx, &a, 1) == SEC_E_OK && seal(&h.cctx, &b, 0, 2) == SEC_E_OK && sign(&h.cctx, &c, 3) == SEC_E_OK;
    ok = ok && verify(&h.sctx, &a, 1, &qop) == SEC_E_OK && unseal(&h.sctx, &b, 2, &qop) == SEC_E_OK &&
         verify(&h.sctx, &c, 3, &qop) == SEC_E_OK && !memcmp(b.data, "two", 3);
    CHECK(ok, "K/J.85: MakeSignature and EncryptMessage share one sequence per direction");
    hs_cleanup(&h);
}

static void seal_tamper(void)
{
    struct { const char *name; int where; } cases[] = {
        {"a flipped ciphertext byte", 0},
        {"a flipped trailer checksum byte", 1},
        {"a flipped trailer sequence byte", 2},
    };
    for (size_t i = 0; i < 3; i++) {
        struct hs h;
        if (!pair(&h)) return;
        struct msg m;
        msg_init(&m, MSG, MSGLEN);
        if (seal(&h.cctx, &m, 0, 0) == SEC_E_OK) {
            if (cases[i].where == 0) m.data[5] ^= 0x40;
            else if (cases[i].where == 1) m.tok[6] ^= 1;
            else m.tok[13] ^= 1;
            ULONG qop = 0xdeadbeef;
            if (cases[i].where == 2)
                CHECK_ST2(unseal(&h.sctx, &m, 0, &qop), SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE, "K.94: DecryptMessage with %s", cases[i].name);
            else
                CHECK_ST(unseal(&h.sctx, &m, 0, &qop), SEC_E_MESSAGE_ALTERED, "K.94: DecryptMessage with %s", cases[i].name);
        } else {
            CHECK(0, "K: EncryptMessage for tamper case");
        }
        hs_cleanup(&h);
    }
    /* K.94: altered messages in a row, each with an empty DATA (both readings of
     * DecryptMessage, sealed and integrity-only, fail), then a genuine one */
    struct hs h;
    if (!pair(&h)) return;
    int altered = 1;
    for (ULONG seq = 0; seq < 3; seq++) {
        struct msg e;
        msg_init(&e, "", 0);
        seal(&h.cctx, &e, 0, seq);
        e.tok[6] ^= 1;
        ULONG qop;
        SECURITY_STATUS st = unseal(&h.sctx, &e, seq, &qop);
        if (st != SEC_E_MESSAGE_ALTERED) {
            altered = 0;
            diag("altered empty message %u: %s", (unsigned)seq, sec_name(st));
        }
    }
    CHECK(altered, "K.94: three altered empty sealed messages in a row -> SEC_E_MESSAGE_ALTERED each");
    {
        struct msg g;
        ULONG qop;
        msg_init(&g, MSG, MSGLEN);
        seal(&h.cctx, &g, 0, 3);
        CHECK_ST(unseal(&h.sctx, &g, 3, &qop), SEC_E_OK, "K.94: the genuine message after them decrypts");
        CHECK(!memcmp(g.data, MSG, MSGLEN), "K.94: ... to the plaintext");
    }
    hs_cleanup(&h);

    /* out of order */
    if (!pair(&h)) return;
    struct msg m0, m1;
    msg_init(&m0, MSG, MSGLEN);
    msg_init(&m1, MSG, MSGLEN);
    seal(&h.cctx, &m0, 0, 0);
    seal(&h.cctx, &m1, 0, 1);
    ULONG qop;
    SECURITY_STATUS st = unseal(&h.sctx, &m1, 1, &qop);
    CHECK_ST2(st, SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE, "K.94: second sealed message decrypted first (out of order)");
    hs_cleanup(&h);
}

static void seal_no_encrypt(void)
{
    struct hs h;
    if (!pair(&h)) return;
    struct msg m, r;
    msg_init(&m, MSG, MSGLEN);
    SECURITY_STATUS st = seal(&h.cctx, &m, SECQOP_WRAP_NO_ENCRYPT, 0);
    CHECK_ST(st, SEC_E_OK, "K.97: EncryptMessage with SECQOP_WRAP_NO_ENCRYPT");
    CHECK(!memcmp(m.data, MSG, MSGLEN), "K.97: WRAP_NO_ENCRYPT leaves DATA in plaintext");
    msg_copy(&r, &m);
    ULONG qop = 0xdeadbeef;
    st = unseal(&h.sctx, &r, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "K.97: DecryptMessage of a WRAP_NO_ENCRYPT message");
    CHECK(qop == SECQOP_WRAP_NO_ENCRYPT, "K.97: DecryptMessage reports SECQOP_WRAP_NO_ENCRYPT in *pfQOP (got 0x%x)", (unsigned)qop);
    CHECK(!memcmp(r.data, MSG, MSGLEN), "K.97: data intact after DecryptMessage");
    /* tampered integrity-only message */
    msg_init(&m, MSG, MSGLEN);
    seal(&h.cctx, &m, SECQOP_WRAP_NO_ENCRYPT, 1);
    m.data[0] ^= 1;
    st = unseal(&h.sctx, &m, 1, &qop);
    CHECK_ST(st, SEC_E_MESSAGE_ALTERED, "K.97/94: tampered WRAP_NO_ENCRYPT message");
    hs_cleanup(&h);
}

static void seal_multi(void)
{
    struct hs h;
    if (!pair(&h)) return;
    void *ro1 = ro_alloc(HDR, HDRLEN), *ro2 = ro_alloc(HDR, HDRLEN);
    unsigned char data[MSGLEN], tok[16];
    memcpy(data, MSG, MSGLEN);
    SecBuffer b[4] = {{HDRLEN, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro1},
                      {MSGLEN, SECBUFFER_DATA, data},
                      {HDRLEN, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro2},
                      {16, SECBUFFER_TOKEN, tok}};
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    SECURITY_STATUS st = api.EncryptMessage(&h.cctx, 0, &d, 0);
    CHECK_ST(st, SEC_E_OK, "K.91: EncryptMessage multi-buffer with READONLY_WITH_CHECKSUM headers in read-only memory");
    CHECK(!memcmp(ro1, HDR, HDRLEN) && !memcmp(ro2, HDR, HDRLEN), "K.91: READONLY_WITH_CHECKSUM buffers stay plaintext");
    CHECK(memcmp(data, MSG, MSGLEN) != 0, "K.91: the plain DATA buffer is encrypted");
    ULONG qop = 0xdeadbeef;
    st = api.DecryptMessage(&h.sctx, &d, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "K.91: DecryptMessage multi-buffer");
    CHECK(!memcmp(data, MSG, MSGLEN), "K.91: middle DATA decrypted");
    /* tampered header */
    memcpy(data, MSG, MSGLEN);
    st = api.EncryptMessage(&h.cctx, 0, &d, 1);
    char hdr2[HDRLEN];
    memcpy(hdr2, HDR, HDRLEN);
    hdr2[1] ^= 1;
    b[0].pvBuffer = hdr2;
    st = api.DecryptMessage(&h.sctx, &d, 1, &qop);
    CHECK_ST(st, SEC_E_MESSAGE_ALTERED, "K.94: a modified READONLY_WITH_CHECKSUM header is detected by DecryptMessage");
    ro_free(ro1, HDRLEN);
    ro_free(ro2, HDRLEN);
    hs_cleanup(&h);
}

static void seal_bad_buffers(void)
{
    struct hs h;
    if (!pair(&h)) return;
    unsigned char data[MSGLEN], tok[16];
    memcpy(data, MSG, MSGLEN);
    SecBuffer onlytok = {16, SECBUFFER_TOKEN, tok}, onlydata = {MSGLEN, SECBUFFER_DATA, data};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, &onlytok}, d2 = {SECBUFFER_VERSION, 1, &onlydata};
    CHECK_ST(api.EncryptMessage(&h.cctx, 0, &d1, 0), SEC_E_INVALID_TOKEN, "K.93: EncryptMessage with no SECBUFFER_DATA");
    CHECK_ST(api.EncryptMessage(&h.cctx, 0, &d2, 0), SEC_E_INVALID_TOKEN, "K.93: EncryptMessage with no SECBUFFER_TOKEN");
    CHECK(!memcmp(data, MSG, MSGLEN), "K.93: failed EncryptMessage leaves DATA untouched");
    ULONG qop;
    CHECK_ST(api.DecryptMessage(&h.sctx, &d2, 0, &qop), SEC_E_INVALID_TOKEN, "K.93: DecryptMessage with no SECBUFFER_TOKEN");
    CHECK_FAILED(api.DecryptMessage(&h.sctx, &d1, 0, &qop), "K.93: DecryptMessage with no SECBUFFER_DATA fails");

    unsigned char *shorttok = guard_alloc(15);
    SecBuffer sb[2] = {{15, SECBUFFER_TOKEN, shorttok}, {MSGLEN, SECBUFFER_DATA, data}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, sb};
    CHECK_ST(api.EncryptMessage(&h.cctx, 0, &sd, 0), SEC_E_BUFFER_TOO_SMALL, "K.93: EncryptMessage with a 15-byte TOKEN (guard page)");
    CHECK(!memcmp(data, MSG, MSGLEN), "K.93: DATA untouched after BUFFER_TOO_SMALL");
    SECURITY_STATUS st = api.DecryptMessage(&h.sctx, &sd, 0, &qop);
    CHECK_FAILED(st, "K.93: DecryptMessage with a 15-byte TOKEN fails");
    PROBE_ST(st, SEC_E_BUFFER_TOO_SMALL, "K.93 [WI]: DecryptMessage with a 15-byte TOKEN");
    guard_free(shorttok, 15);

    /* empty message */
    struct msg m;
    msg_init(&m, "", 0);
    st = seal(&h.cctx, &m, 0, 0);
    PROBE_ST(st, SEC_E_OK, "K [PROBE]: EncryptMessage of an empty DATA buffer");
    if (st == SEC_E_OK) CHECK_ST(unseal(&h.sctx, &m, 0, &qop), SEC_E_OK, "K: DecryptMessage of an empty sealed message");
    hs_cleanup(&h);
}

void t_seal(void)
{
    seal_basic();
    seal_tamper();
    seal_no_encrypt();
    seal_multi();
    seal_bad_buffers();
}

/* ------------------------------------------------------------------ canned CHALLENGE */

static const unsigned char dummy_sig[16] = {0x01};
static const unsigned char crypt_trailer_client[16] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0xc7, 0xaa, 0x26, 0x16, 0x39, 0x07, 0x4e};
static const unsigned char crypt_message_client[13] = {0x86, 0x9c, 0x5a, 0x10, 0x78, 0xb3, 0x30, 0x98, 0x46, 0x15, 0xa0, 0x31, 0xd9};
static const unsigned char crypt_trailer_client2[16] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0xc5, 0xa7, 0xf7, 0x0f, 0x5b, 0x25, 0xbe, 0xa4};
static const unsigned char crypt_message_client2[13] = {0x20, 0x6c, 0x01, 0xab, 0xb0, 0x4c, 0x93, 0xe4, 0x1e, 0xfc, 0xe1, 0xfa, 0xfe};
static const unsigned char crypt_trailer_server[16] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0x1c, 0x46, 0x2e, 0x77, 0xeb, 0xf0, 0xf6, 0x9e};
static const unsigned char crypt_message_server[13] = {0xf6, 0xb7, 0x92, 0x0c, 0xac, 0xea, 0x98, 0xe6, 0xef, 0xa0, 0x29, 0x66, 0xfd};
static const unsigned char crypt_trailer_server2[16] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0xb1, 0x4e, 0x46, 0xb7, 0xca, 0xf7, 0x7f, 0xb3};
static const unsigned char crypt_message_server2[13] = {0xc8, 0xf2, 0x39, 0x7f, 0x0c, 0xaf, 0xf5, 0x5d, 0xef, 0x0c, 0x8b, 0x5f, 0x82};

/* Client against Wine's canned CHALLENGE; returns 1 and the context on success. */
/* Wine's vectors use the NTLMv1 password-derived key; the NTLM package reads
 * LM_COMPAT_LEVEL when a credential is acquired (0-2: the client answers with
 * NTLMv1). The canned CHALLENGE offers no extended session security, which
 * opensspi's default minimum session security requires: lower it to Windows'
 * default (NTLMMinClientSec 0x20000000, 128-bit keys only). This group runs
 * in its own process, so the settings stay local. */
static int canned_client(ULONG drep, const unsigned char *challenge, CredHandle *cred, CtxtHandle *ctx, int *ntlmv1)
{
    setenv("LM_COMPAT_LEVEL", "2", 1);
    setenv("OPENSSPI_NTLM_MIN_CLIENT_SEC", "0x20000000", 1);
    SECURITY_STATUS ach = acquire_client("NTLM", cred, "testuser", "WORKGROUP", "testpass");
    unsetenv("LM_COMPAT_LEVEL");
    unsetenv("OPENSSPI_NTLM_MIN_CLIENT_SEC");
    if (ach != SEC_E_OK) {
        CHECK(0, "F.55: client credential");
        return 0;
    }
    unsigned char out[4096];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    TimeStamp ts;
    SECURITY_STATUS st = api.InitializeSecurityContextA(cred, NULL, NULL, 0, 0, drep, NULL, 0, ctx, &od, &attr, &ts);
    if (st != SEC_I_CONTINUE_NEEDED) {
        CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.55: first leg");
        api.FreeCredentialsHandle(cred);
        return 0;
    }
    SecBuffer ib = {148, SECBUFFER_TOKEN, (void *)challenge};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    ob.cbBuffer = sizeof out;
    st = api.InitializeSecurityContextA(NULL, ctx, NULL, 0, 0, drep, &id, 0, ctx, &od, &attr, &ts);
    if (st == SEC_I_COMPLETE_NEEDED) st = api.CompleteAuthToken(ctx, &od);
    CHECK_ST(st, SEC_E_OK, "F.55: second ISC with Wine's canned CHALLENGE (%s), no server",
             drep == SECURITY_NATIVE_DREP ? "native DREP" : "network DREP");
    if (st != SEC_E_OK) {
        api.DeleteSecurityContext(ctx);
        api.FreeCredentialsHandle(cred);
        return 0;
    }
    *ntlmv1 = 0;
    if (ob.cbBuffer >= 28 && ntlm_msg_type(out, ob.cbBuffer) == 3) {
        uint16_t ntlen = rd16(out + 20);
        *ntlmv1 = ntlen == 24;
        diag("canned CHALLENGE: AUTHENTICATE NtChallengeResponse %u bytes (%s), flags 0x%08x", ntlen, *ntlmv1 ? "NTLMv1" : "NTLMv2",
             (unsigned)rd32(out + 60));
    }
    CHECK(*ntlmv1, "F.55/K.90: with LM_COMPAT_LEVEL=2 the client answers the canned CHALLENGE with NTLMv1 (24-byte NT response)");
    return 1;
}

/* Reproduces Wine's testSignSeal call order (J.80-84, K.89-91). */
static void canned_sign_seal(void)
{
    CredHandle cred;
    CtxtHandle ctx;
    int v1 = 0;
    if (!canned_client(SECURITY_NETWORK_DREP, canned_challenge_network, &cred, &ctx, &v1)) return;

    SecPkgContext_Sizes sz;
    memset(&sz, 0xde, sizeof sz);
    SECURITY_STATUS st = api.QueryContextAttributesA(&ctx, SECPKG_ATTR_SIZES, &sz);
    CHECK(st == SEC_E_OK && (sz.cbMaxToken == 2888 || sz.cbMaxToken == 1904) && sz.cbMaxSignature == 16 && sz.cbSecurityTrailer == 16 &&
              sz.cbBlockSize == 0,
          "I.66: SIZES on the canned-CHALLENGE context (%s)", sec_name(st));
    SecPkgContext_KeyInfoA ki;
    memset(&ki, 0, sizeof ki);
    st = api.QueryContextAttributesA(&ctx, SECPKG_ATTR_KEY_INFO, &ki);
    CHECK_ST(st, SEC_E_OK, "I.69: KEY_INFO on the canned-CHALLENGE context");
    if (st == SEC_E_OK) {
        CHECK(ki.sSignatureAlgorithmName && !strcmp(ki.sSignatureAlgorithmName, "RSADSI RC4-CRC32"),
              "I.69: canned CHALLENGE (no ESS) sSignatureAlgorithmName == \"RSADSI RC4-CRC32\" (got \"%s\")",
              ki.sSignatureAlgorithmName ? ki.sSignatureAlgorithmName : "(null)");
        CHECK(ki.SignatureAlgorithm == 0xFFFFFF7C, "I.69: canned SignatureAlgorithm == 0xFFFFFF7C (got 0x%x)", (unsigned)ki.SignatureAlgorithm);
        CHECK(ki.sEncryptAlgorithmName && !strcmp(ki.sEncryptAlgorithmName, "RSADSI RC4"), "I.69: canned sEncryptAlgorithmName");
        if (ki.sSignatureAlgorithmName) api.FreeContextBuffer(ki.sSignatureAlgorithmName);
        if (ki.sEncryptAlgorithmName) api.FreeContextBuffer(ki.sEncryptAlgorithmName);
    }

    unsigned char f0[16], f1[16], tok[16], data[16];
    SecBuffer fake[2] = {{16, SECBUFFER_DATA, f0}, {MSGLEN, SECBUFFER_DATA, f1}};
    SecBufferDesc crypt = {SECBUFFER_VERSION, 2, fake};
    CHECK_ST(api.MakeSignature(&ctx, 0, &crypt, 0), SEC_E_INVALID_TOKEN, "J.80: canned: MakeSignature with two DATA");

    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, tok}, {MSGLEN, SECBUFFER_DATA, data}};
    crypt.pBuffers = b;
    memcpy(data, MSG, MSGLEN);
    st = api.MakeSignature(&ctx, 0, &crypt, 0);
    CHECK_ST(st, SEC_E_OK, "J.81: canned: MakeSignature");
    CHECK(!memcmp(tok, dummy_sig, 16), "J.81: canned (no SIGN negotiated): the dummy signature 01 00 .. 00");
    if (memcmp(tok, dummy_sig, 16)) hexdump("canned signature", tok, 16);

    ULONG qop = 0xdeadbeef;
    memcpy(tok, crypt_trailer_client, 16);
    st = api.VerifySignature(&ctx, &crypt, 0, &qop);
    CHECK_ST(st, SEC_E_MESSAGE_ALTERED, "J.82: canned: VerifySignature of a non-dummy signature");
    memcpy(tok, dummy_sig, 16);
    st = api.VerifySignature(&ctx, &crypt, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "J.82: canned: VerifySignature of the dummy signature");
    CHECK(qop == 0xdeadbeef, "J.83: canned: *pfQOP untouched (got 0x%x)", (unsigned)qop);

    st = api.EncryptMessage(&ctx, 0, &crypt, 0);
    CHECK_ST(st, SEC_E_OK, "K.89: canned: EncryptMessage");
    if (st == SEC_E_OK) {
        CHECK(!memcmp(tok, crypt_trailer_client, 8), "K.89: canned: trailer starts 01 00 00 00 00 00 00 00");
        int same = !memcmp(tok, crypt_trailer_client, 16) && !memcmp(data, crypt_message_client, MSGLEN);
        if (v1)
            CHECK(same, "K.90: canned NTLMv1: trailer and ciphertext equal Wine's vectors");
        else
            PROBE(same, "K.90 [PROBE]: canned vectors need the NTLMv1 password-derived key; client used NTLMv2");
        if (!same && g_verbose) {
            hexdump("trailer", tok, 16);
            hexdump("ciphertext", data, MSGLEN);
        }
        memcpy(tok, crypt_trailer_server, 16);
        memcpy(data, crypt_message_server, MSGLEN);
        qop = 0xdeadbeef;
        st = api.DecryptMessage(&ctx, &crypt, 0, &qop);
        int dec = st == SEC_E_OK && !memcmp(data, MSG, MSGLEN);
        if (v1)
            CHECK(dec, "K.90: canned NTLMv1: DecryptMessage of Wine's server vector -> \"Hello, world!\" (%s)", sec_name(st));
        else
            PROBE(dec, "K.90 [PROBE]: canned DecryptMessage of Wine's server vector (%s)", sec_name(st));
    }

    /* J.84 / K.91 multi-buffer */
    void *ro1 = ro_alloc(HDR, HDRLEN), *ro2 = ro_alloc(HDR, HDRLEN);
    unsigned char cdata[MSGLEN], ctok[16];
    memcpy(cdata, MSG, MSGLEN);
    SecBuffer cx[4] = {{HDRLEN, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro1},
                       {MSGLEN, SECBUFFER_DATA, cdata},
                       {HDRLEN, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro2},
                       {16, SECBUFFER_TOKEN, ctok}};
    SecBufferDesc cd = {SECBUFFER_VERSION, 4, cx};
    st = api.MakeSignature(&ctx, 0, &cd, 0);
    CHECK_ST(st, SEC_E_OK, "J.84: canned: multi-buffer MakeSignature");
    CHECK(!memcmp(ctok, dummy_sig, 16), "J.84: canned: multi-buffer signature is the dummy");
    st = api.VerifySignature(&ctx, &cd, 0, &qop);
    CHECK_ST(st, SEC_E_OK, "J.84: canned: multi-buffer VerifySignature");
    st = api.EncryptMessage(&ctx, 0, &cd, 0);
    CHECK_ST(st, SEC_E_OK, "K.91: canned: multi-buffer EncryptMessage (headers in read-only memory)");
    if (st == SEC_E_OK) {
        CHECK(!memcmp(ctok, crypt_trailer_client2, 8), "K.91: canned: multi-buffer trailer starts 01 00 00 00 00 00 00 00");
        int same = !memcmp(ctok, crypt_trailer_client2, 16) && !memcmp(cdata, crypt_message_client2, MSGLEN);
        if (v1)
            CHECK(same, "K.91: canned NTLMv1: multi-buffer trailer and ciphertext equal Wine's vectors");
        else
            PROBE(same, "K.91 [PROBE]: canned multi-buffer vectors (client used NTLMv2)");
        memcpy(cdata, crypt_message_server2, MSGLEN);
        memcpy(ctok, crypt_trailer_server2, 16);
        st = api.DecryptMessage(&ctx, &cd, 0, &qop);
        if (v1)
            CHECK_ST(st, SEC_E_OK, "K.91: canned NTLMv1: multi-buffer DecryptMessage of Wine's server vector");
        else
            PROBE_ST(st, SEC_E_OK, "K.91 [PROBE]: canned multi-buffer DecryptMessage of Wine's server vector");
    }
    ro_free(ro1, HDRLEN);
    ro_free(ro2, HDRLEN);
    CHECK_ST(api.DeleteSecurityContext(&ctx), SEC_E_OK, "L.99: delete the canned-CHALLENGE context");
    CHECK_ST(api.FreeCredentialsHandle(&cred), SEC_E_OK, "E.33: free the canned-CHALLENGE credential");
}

void t_canned(void)
{
    canned_sign_seal();
    CredHandle cred;
    CtxtHandle ctx;
    int v1;
    if (canned_client(SECURITY_NATIVE_DREP, canned_challenge_native, &cred, &ctx, &v1)) {
        api.DeleteSecurityContext(&ctx);
        api.FreeCredentialsHandle(&cred);
    }
}

/* ------------------------------------------------------------------ misc */

static void free_null(void *arg)
{
    (void)arg;
    SECURITY_STATUS st = api.FreeContextBuffer(NULL);
    PROBE_ST(st, SEC_E_OK, "N.106 [PROBE]: FreeContextBuffer(NULL)");
}

static void export_import(int ansi)
{
    struct hs h;
    if (!pair(&h)) return;
    struct msg m;
    ULONG qop;
    msg_init(&m, MSG, MSGLEN);
    seal(&h.cctx, &m, 0, 0);
    unseal(&h.sctx, &m, 0, &qop);

    SecBuffer packed = {0, 0, NULL};
    void *token = NULL;
    /* opensspi exports an NTLM context only with DELETE_OLD: two live
     * contexts would seal with one RC4 key stream (docs/BEHAVIOURS.md V). */
    SECURITY_STATUS st = api.ExportSecurityContext(&h.cctx, 0, &packed, &token);
    CHECK_ST(st, SEC_E_UNSUPPORTED_FUNCTION, "O.111: ExportSecurityContext(client, 0) is refused (SEC_E_NOT_SUPPORTED)");
    if (st == SEC_E_OK && packed.pvBuffer) api.FreeContextBuffer(packed.pvBuffer);
    packed = (SecBuffer){0, 0, NULL};
    st = api.ExportSecurityContext(&h.cctx, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, &token);
    CHECK_ST(st, SEC_E_OK, "O.111: ExportSecurityContext(client, DELETE_OLD)");
    if (st != SEC_E_OK) {
        hs_cleanup(&h);
        return;
    }
    h.have_cctx = 0;
    CHECK(packed.pvBuffer != NULL && packed.cbBuffer > 0, "O.111: packed context returned (%u bytes)", (unsigned)packed.cbBuffer);
    if (token) diag("ExportSecurityContext returned a token handle %p", token);
    CtxtHandle imp;
    set_handle(&imp, 0, 0);
    if (ansi)
        st = api.ImportSecurityContextA((SEC_CHAR *)"NTLM", &packed, token, &imp);
    else
        st = api.ImportSecurityContextW(W("NTLM"), &packed, token, &imp);
    CHECK_ST(st, SEC_E_OK, "O.111: ImportSecurityContext%s(\"NTLM\")", ansi ? "A" : "W");
    if (packed.pvBuffer) CHECK_ST(api.FreeContextBuffer(packed.pvBuffer), SEC_E_OK, "O.111/N.105: FreeContextBuffer(packed context)");
    if (st == SEC_E_OK) {
        CHECK(handle_is_live_shape(&imp), "L.100: imported context handle shape");
        msg_init(&m, MSG, MSGLEN);
        SECURITY_STATUS s1 = seal(&imp, &m, 0, 1);
        SECURITY_STATUS s2 = unseal(&h.sctx, &m, 1, &qop);
        CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK && !memcmp(m.data, MSG, MSGLEN),
              "O.111: imported client context continues the sequence: Encrypt (imported) -> Decrypt (server) (%s/%s)", sec_name(s1),
              sec_name(s2));
        msg_init(&m, MSG, MSGLEN);
        s1 = sign(&h.sctx, &m, 1);
        s2 = verify(&imp, &m, 1, &qop);
        CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK, "O.111: server -> imported client: MakeSignature/VerifySignature (%s/%s)", sec_name(s1),
              sec_name(s2));
        CHECK_ST(api.DeleteSecurityContext(&imp), SEC_E_OK, "O.111: delete the imported context");
    }
    hs_cleanup(&h);
}

static void export_misc(void)
{
    struct hs h;
    if (!pair(&h)) return;
    SecBuffer packed = {0, 0, NULL};
    void *token = NULL;
    CtxtHandle old = h.cctx;
    SECURITY_STATUS st = api.ExportSecurityContext(&h.cctx, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, &token);
    PROBE_ST(st, SEC_E_OK, "O.111 [DOC]: ExportSecurityContext(SECPKG_CONTEXT_EXPORT_DELETE_OLD)");
    if (st == SEC_E_OK) {
        SECURITY_STATUS d = api.DeleteSecurityContext(&old);
        PROBE_ST(d, SEC_E_INVALID_HANDLE, "O.111 [DOC]: after DELETE_OLD the old handle is gone");
        if (d == SEC_E_OK) h.have_cctx = 0;
        else h.have_cctx = 0;
        if (packed.pvBuffer) api.FreeContextBuffer(packed.pvBuffer);
    }
    /* Import garbage */
    unsigned char junk[64];
    memset(junk, 0x41, sizeof junk);
    SecBuffer jb = {sizeof junk, SECBUFFER_EMPTY, junk};
    CtxtHandle imp;
    st = api.ImportSecurityContextW(W("NTLM"), &jb, NULL, &imp);
    CHECK_FAILED(st, "O.111: ImportSecurityContextW of garbage fails");
    if (st == SEC_E_OK) api.DeleteSecurityContext(&imp);
    st = api.ImportSecurityContextW(W("NTLM"), NULL, NULL, &imp);
    CHECK_FAILED(st, "O.111: ImportSecurityContextW(NULL packed) fails");
    jb.cbBuffer = 0;
    st = api.ImportSecurityContextW(W("NTLM"), &jb, NULL, &imp);
    CHECK_FAILED(st, "O.111: ImportSecurityContextW of an empty buffer fails");
    st = api.ImportSecurityContextW(W("Winetest"), &jb, NULL, &imp);
    CHECK_FAILED(st, "O.111: ImportSecurityContextW for an unknown package fails");
    st = api.ExportSecurityContext(&h.sctx, 0, NULL, NULL);
    CHECK_FAILED(st, "O.111: ExportSecurityContext with NULL output fails without crashing");
    hs_cleanup(&h);
}

void t_misc(void)
{
    struct hs h;
    if (pair(&h)) {
        /* M.103/104 */
        SECURITY_STATUS st = api.ImpersonateSecurityContext(&h.sctx);
        CHECK_ST(st, SEC_E_OK, "M.103: ImpersonateSecurityContext(server context)");
        if (st == SEC_E_OK) CHECK_ST(api.RevertSecurityContext(&h.sctx), SEC_E_OK, "M.103: RevertSecurityContext(server context)");
        st = api.ImpersonateSecurityContext(&h.cctx);
        CHECK_FAILED(st, "M.104: ImpersonateSecurityContext(client context) fails");
        PROBE(st == SEC_E_NO_IMPERSONATION || st == SEC_E_UNSUPPORTED_FUNCTION,
              "M.104 [PROBE]: client context -> NO_IMPERSONATION or UNSUPPORTED_FUNCTION (got %s)", sec_name(st));
        if (st == SEC_E_OK) api.RevertSecurityContext(&h.cctx);

        /* O.108 */
        unsigned char tb[16] = {0};
        SecBuffer b = {sizeof tb, SECBUFFER_TOKEN, tb};
        SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
        CHECK_ST(api.ApplyControlToken(&h.cctx, &d), SEC_E_UNSUPPORTED_FUNCTION, "O.108: ApplyControlToken on an NTLM client context");
        CHECK_ST(api.ApplyControlToken(&h.sctx, &d), SEC_E_UNSUPPORTED_FUNCTION, "O.108: ApplyControlToken on an NTLM server context");

        /* O.109 */
        ULONG v = 0;
        st = api.SetContextAttributesW(&h.cctx, 1108, &v, sizeof v);
        CHECK_FAILED(st, "O.109: SetContextAttributesW(WinPR-private 1108) fails");
        PROBE_ST(st, SEC_E_UNSUPPORTED_FUNCTION, "O.109 [PROBE]: SetContextAttributesW(1108)");
        st = api.SetContextAttributesA(&h.cctx, 1108, &v, sizeof v);
        PROBE_ST(st, SEC_E_UNSUPPORTED_FUNCTION, "O.109 [PROBE]: SetContextAttributesA(1108)");

        /* H.65: CompleteAuthToken on an established context is harmless */
        SecBufferDesc empty = {SECBUFFER_VERSION, 0, NULL};
        st = api.CompleteAuthToken(&h.cctx, &empty);
        diag("CompleteAuthToken(established client context, no buffers) -> %s", sec_name(st));
        hs_cleanup(&h);
    }
    /* O.110 */
    if (package_registered("Negotiate")) {
        CredHandle c;
        if (acquire_client("Negotiate", &c, "testuser", "WORKGROUP", "testpass") == SEC_E_OK) {
            struct { ULONG Version, Flags; USHORT ProxyServerOffset, ProxyServerLength, ClientTlsCredOffset, ClientTlsCredLength; char16_t s[16]; } kp;
            memset(&kp, 0, sizeof kp);
            kp.Version = 1;
            kp.ProxyServerOffset = 16;
            memcpy(kp.s, u"kdcproxy.example", 16 * 2);
            kp.ProxyServerLength = 32;
            SECURITY_STATUS st = api.SetCredentialsAttributesW(&c, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, &kp, 16 + 32);
            PROBE_ST(st, SEC_E_OK, "O.110 [FRDP]: SetCredentialsAttributesW(KDC_PROXY_SETTINGS) on a Negotiate credential");
            api.FreeCredentialsHandle(&c);
        }
    } else {
        SKIP("O.110: Negotiate is not registered");
    }
    run_isolated("N.106: FreeContextBuffer(NULL)", free_null, NULL);
    export_import(0);
    export_import(1);
    export_misc();
}
