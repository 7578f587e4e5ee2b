/* Group stream (K.96a): the buffer layouts of pyspnego's SSPI backend and
 * sspilib, on NTLM. Wrap = EncryptMessage [TOKEN(cbSecurityTrailer), DATA,
 * PADDING(cbBlockSize)], the wire message being the three concatenated;
 * unwrap = DecryptMessage [STREAM(wire), DATA(NULL, 0)], DATA then pointing at
 * the plaintext inside the STREAM buffer; sign and verify = [DATA, TOKEN].
 * Plus every truncation of a stream (guard page right after it): shorter than
 * the 16-byte signature = SEC_E_INCOMPLETE_MESSAGE with a SECBUFFER_EMPTY turned
 * into SECBUFFER_MISSING (bytes missing) and nothing consumed; longer =
 * SEC_E_MESSAGE_ALTERED. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#define REQ_C (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define REQ_S (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT)
#define WIRE_MAX 256

static const char MSG[] = "hello from initiator";
#define MSGLEN ((ULONG)(sizeof MSG - 1))

static int pair(struct hs *h, SecPkgContext_Sizes *sz)
{
    if (!ntlm_pair(h, REQ_C, REQ_S)) {
        CHECK(0, "K.96a: NTLM handshake for the stream tests");
        hs_cleanup(h);
        return 0;
    }
    memset(sz, 0, sizeof *sz);
    if (api.QueryContextAttributesW(&h->cctx, SECPKG_ATTR_SIZES, sz) != SEC_E_OK ||
        sz->cbSecurityTrailer + MSGLEN + sz->cbBlockSize > WIRE_MAX) {
        CHECK(0, "K.96a: SECPKG_ATTR_SIZES for the stream tests");
        hs_cleanup(h);
        return 0;
    }
    return 1;
}

/* pyspnego/sspilib wrap: [TOKEN, DATA, PADDING] -> token || data || padding in wire */
static SECURITY_STATUS wrap(CtxtHandle *c, const SecPkgContext_Sizes *sz, ULONG qop, const void *msg, ULONG n,
                            unsigned char *wire, ULONG *wire_len)
{
    unsigned char tok[64], data[WIRE_MAX], pad[64];
    memcpy(data, msg, n);
    SecBuffer b[3] = {{sz->cbSecurityTrailer, SECBUFFER_TOKEN, tok},
                      {n, SECBUFFER_DATA, data},
                      {sz->cbBlockSize, SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    SECURITY_STATUS st = api.EncryptMessage(c, qop, &d, 0);
    *wire_len = 0;
    if (st != SEC_E_OK) return st;
    for (int i = 0; i < 3; i++) {
        memcpy(wire + *wire_len, b[i].pvBuffer, b[i].cbBuffer);
        *wire_len += b[i].cbBuffer;
    }
    return st;
}

/* pyspnego/sspilib unwrap: [STREAM(wire), DATA(NULL)] (+ an EMPTY buffer when `empty`) */
struct unwrapped {
    SecBuffer b[3];
    SecBufferDesc d;
    ULONG qop;
};
static SECURITY_STATUS unwrap(CtxtHandle *c, void *wire, ULONG n, int empty, struct unwrapped *u)
{
    memset(u, 0, sizeof *u);
    u->b[0] = (SecBuffer){n, SECBUFFER_STREAM, wire};
    u->b[1] = (SecBuffer){0, SECBUFFER_DATA, NULL};
    u->b[2] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    u->d = (SecBufferDesc){SECBUFFER_VERSION, empty ? 3 : 2, u->b};
    u->qop = 0xdeadbeef;
    return api.DecryptMessage(c, &u->d, 0, &u->qop);
}

static void stream_round_trip(void)
{
    struct hs h;
    SecPkgContext_Sizes sz;
    if (!pair(&h, &sz)) return;
    CtxtHandle *from[2] = {&h.cctx, &h.sctx}, *to[2] = {&h.sctx, &h.cctx};
    const char *dir[2] = {"client -> server", "server -> client"};
    for (int i = 0; i < 2; i++) {
        unsigned char wire[WIRE_MAX];
        ULONG n;
        struct unwrapped u;
        SECURITY_STATUS st = wrap(from[i], &sz, 0, MSG, MSGLEN, wire, &n);
        CHECK_ST(st, SEC_E_OK, "K.96a: %s EncryptMessage [TOKEN, DATA, PADDING(cbBlockSize)]", dir[i]);
        CHECK(n == 16 + MSGLEN, "K.96a: %s wire = 16-byte signature || sealed data, no padding (got %u bytes)", dir[i],
              (unsigned)n);
        st = unwrap(to[i], wire, n, 0, &u);
        CHECK_ST(st, SEC_E_OK, "K.96a: %s DecryptMessage [STREAM, DATA(NULL, 0)]", dir[i]);
        CHECK(u.b[1].pvBuffer == wire + 16 && u.b[1].cbBuffer == MSGLEN,
              "K.96a: %s DATA points at the plaintext inside the STREAM (offset %td, %u bytes)", dir[i],
              u.b[1].pvBuffer ? (unsigned char *)u.b[1].pvBuffer - wire : -1, (unsigned)u.b[1].cbBuffer);
        CHECK(u.b[1].pvBuffer && !memcmp(u.b[1].pvBuffer, MSG, MSGLEN), "K.96a: %s plaintext restored", dir[i]);
        CHECK(u.b[0].BufferType == SECBUFFER_STREAM && u.b[0].cbBuffer == n, "K.96a: %s STREAM buffer unchanged",
              dir[i]);
        CHECK(u.qop == 0xdeadbeef, "K.92: %s stream DecryptMessage leaves *pfQOP unchanged (got 0x%x)", dir[i],
              (unsigned)u.qop);
        /* replay of the same stream */
        st = wrap(from[i], &sz, 0, MSG, MSGLEN, wire, &n);
        unsigned char copy[WIRE_MAX];
        memcpy(copy, wire, n);
        CHECK_ST(unwrap(to[i], wire, n, 0, &u), SEC_E_OK, "K.96a: %s second stream message", dir[i]);
        CHECK_ST2(unwrap(to[i], copy, n, 0, &u), SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE,
                  "K.94: %s replayed stream message", dir[i]);
        CHECK(u.b[1].pvBuffer == NULL && u.b[1].cbBuffer == 0, "K.96a: %s a failed DecryptMessage leaves DATA alone",
              dir[i]);
    }

    /* the stream form and [TOKEN, DATA] share one sequence */
    unsigned char wire[WIRE_MAX], tok[16], data[MSGLEN];
    ULONG n;
    struct unwrapped u;
    wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n);
    memcpy(data, MSG, MSGLEN);
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, tok}, {MSGLEN, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop;
    SECURITY_STATUS st = api.EncryptMessage(&h.cctx, 0, &d, 0);
    st = st == SEC_E_OK ? unwrap(&h.sctx, wire, n, 0, &u) : st;
    st = st == SEC_E_OK ? api.DecryptMessage(&h.sctx, &d, 0, &qop) : st;
    CHECK_ST(st, SEC_E_OK, "K.96a: a stream message then a [TOKEN, DATA] message, in sequence");
    CHECK(!memcmp(data, MSG, MSGLEN), "K.96a: [TOKEN, DATA] after a stream message decrypts");

    /* integrity-only wrap read through a stream reports the QOP */
    wrap(&h.cctx, &sz, SECQOP_WRAP_NO_ENCRYPT, MSG, MSGLEN, wire, &n);
    CHECK(!memcmp(wire + 16, MSG, MSGLEN), "K.97: WRAP_NO_ENCRYPT stream carries plaintext");
    st = unwrap(&h.sctx, wire, n, 0, &u);
    CHECK_ST(st, SEC_E_OK, "K.96a/97: DecryptMessage [STREAM, DATA] of a WRAP_NO_ENCRYPT message");
    CHECK(u.qop == SECQOP_WRAP_NO_ENCRYPT, "K.96a/97: *pfQOP = SECQOP_WRAP_NO_ENCRYPT (got 0x%x)", (unsigned)u.qop);
    CHECK(u.b[1].pvBuffer == wire + 16 && u.b[1].cbBuffer == MSGLEN, "K.96a/97: DATA points inside the STREAM");

    /* tampering inside the stream: signature, sealed data */
    for (int where = 0; where < 2; where++) {
        wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n);
        wire[where ? 16 + 3 : 6] ^= 0x10;
        CHECK_ST(unwrap(&h.sctx, wire, n, 0, &u), SEC_E_MESSAGE_ALTERED, "K.94: stream with a flipped %s byte",
                 where ? "sealed data" : "checksum");
        CHECK(u.b[1].pvBuffer == NULL, "K.94: DATA not pointed at a tampered message");
    }
    hs_cleanup(&h);
}

/* [DATA, TOKEN] (pyspnego, sspilib) and [TOKEN, DATA]: buffers are found by type */
static void sign_data_token(void)
{
    struct hs h;
    SecPkgContext_Sizes sz;
    if (!pair(&h, &sz)) return;
    CtxtHandle *from[2] = {&h.cctx, &h.sctx}, *to[2] = {&h.sctx, &h.cctx};
    const char *dir[2] = {"client -> server", "server -> client"};
    for (int i = 0; i < 2; i++) {
        unsigned char data[MSGLEN], sig[64];
        ULONG qop = 0xdeadbeef;
        memcpy(data, MSG, MSGLEN);
        SecBuffer dt[2] = {{MSGLEN, SECBUFFER_DATA, data}, {sz.cbMaxSignature, SECBUFFER_TOKEN, sig}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, dt};
        SECURITY_STATUS st = api.MakeSignature(from[i], 0, &d, 0);
        CHECK_ST(st, SEC_E_OK, "J: %s MakeSignature [DATA, TOKEN(cbMaxSignature)]", dir[i]);
        CHECK(dt[1].cbBuffer == 16 && rd32(sig) == 1, "J.85: %s [DATA, TOKEN] signature: 16 bytes, version 1", dir[i]);
        CHECK_ST(api.VerifySignature(to[i], &d, 0, &qop), SEC_E_OK, "J: %s VerifySignature [DATA, TOKEN]", dir[i]);
        /* the next signature, verified with the buffers the other way round */
        SECURITY_STATUS made = api.MakeSignature(from[i], 0, &d, 0);
        SecBuffer td[2] = {dt[1], dt[0]};
        SecBufferDesc d2 = {SECBUFFER_VERSION, 2, td};
        st = made == SEC_E_OK ? api.VerifySignature(to[i], &d2, 0, &qop) : made;
        CHECK_ST(st, SEC_E_OK, "J: %s a [DATA, TOKEN] signature verifies as [TOKEN, DATA]", dir[i]);
        api.MakeSignature(from[i], 0, &d, 0);
        data[0] ^= 1;
        CHECK_ST(api.VerifySignature(to[i], &d, 0, &qop), SEC_E_MESSAGE_ALTERED,
                 "J.86: %s [DATA, TOKEN] with altered data", dir[i]);
    }
    hs_cleanup(&h);
}

/* Every truncation of a stream message, in memory that ends at a guard page.
 * Shorter than the signature: nothing is consumed, so one context serves all
 * those lengths. A truncated body is consumed as a message (the sequence number
 * advances), and the receiver's RC4 key stream falls behind the sender's as it
 * would on Windows: each such length gets its own context. */
static void stream_truncated(void)
{
    struct hs h;
    SecPkgContext_Sizes sz;
    if (!pair(&h, &sz)) return;
    unsigned char wire[WIRE_MAX];
    const ULONG full = 16 + MSGLEN;
    ULONG n;
    struct unwrapped u;
    int incomplete_ok = 1, missing_ok = 1, resync_ok = 1, altered_ok = 1;
    for (ULONG len = 0; len < 16; len++) {
        if (wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n) != SEC_E_OK || n != full) {
            CHECK(0, "K.96a: EncryptMessage for truncation %u", (unsigned)len);
            break;
        }
        unsigned char *cut = guard_alloc(len);
        memcpy(cut, wire, len);
        SECURITY_STATUS st = unwrap(&h.sctx, len ? cut : NULL, len, 1, &u);
        guard_free(cut, len);
        if (st != SEC_E_INCOMPLETE_MESSAGE) {
            incomplete_ok = 0;
            diag("stream of %u bytes: %s", (unsigned)len, sec_name(st));
        }
        if (u.b[2].BufferType != SECBUFFER_MISSING || u.b[2].cbBuffer != 16 - len || u.b[1].pvBuffer) {
            missing_ok = 0;
            diag("stream of %u bytes: buffer 2 type %u cb %u", (unsigned)len, (unsigned)u.b[2].BufferType,
                 (unsigned)u.b[2].cbBuffer);
        }
        /* nothing was consumed: the whole message still decrypts */
        if (unwrap(&h.sctx, wire, n, 1, &u) != SEC_E_OK || memcmp(u.b[1].pvBuffer, MSG, MSGLEN)) resync_ok = 0;
    }
    CHECK(incomplete_ok, "K.96a: every stream shorter than the signature -> SEC_E_INCOMPLETE_MESSAGE");
    CHECK(missing_ok, "K.96a: ... and the EMPTY buffer becomes SECBUFFER_MISSING with the bytes missing");
    CHECK(resync_ok, "K.96a: an incomplete stream consumes nothing (the whole message decrypts next)");

    /* the whole stream, ending at a guard page */
    wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n);
    unsigned char *whole = guard_alloc(full);
    memcpy(whole, wire, full);
    SECURITY_STATUS st = unwrap(&h.sctx, whole, full, 1, &u);
    CHECK_ST(st, SEC_E_OK, "K.96a: a stream ending at a guard page");
    CHECK(u.b[1].pvBuffer == whole + 16 && u.b[1].cbBuffer == MSGLEN && !memcmp(whole + 16, MSG, MSGLEN) &&
              u.b[2].BufferType == SECBUFFER_EMPTY,
          "K.96a: ... decrypts in place, the EMPTY buffer untouched");
    guard_free(whole, full);

    /* without an EMPTY buffer: the status alone */
    unsigned char *cut = guard_alloc(7);
    memcpy(cut, wire, 7);
    CHECK_ST(unwrap(&h.sctx, cut, 7, 0, &u), SEC_E_INCOMPLETE_MESSAGE, "K.96a: 7-byte [STREAM, DATA]");
    guard_free(cut, 7);
    hs_cleanup(&h);

    for (ULONG len = 16; len < full; len++) {
        if (!pair(&h, &sz)) return;
        if (wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n) == SEC_E_OK) {
            cut = guard_alloc(len);
            memcpy(cut, wire, len);
            st = unwrap(&h.sctx, cut, len, 1, &u);
            guard_free(cut, len);
            if (st != SEC_E_MESSAGE_ALTERED || u.b[1].pvBuffer || u.b[2].BufferType != SECBUFFER_EMPTY) {
                altered_ok = 0;
                diag("stream of %u bytes: %s", (unsigned)len, sec_name(st));
            }
        } else {
            altered_ok = 0;
        }
        hs_cleanup(&h);
    }
    CHECK(altered_ok, "K.96a: every stream with a truncated body -> SEC_E_MESSAGE_ALTERED, DATA untouched");
}

static void stream_bad_forms(void)
{
    struct hs h;
    SecPkgContext_Sizes sz;
    if (!pair(&h, &sz)) return;
    unsigned char wire[WIRE_MAX];
    ULONG n, qop;
    wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n);
    SecBuffer only = {n, SECBUFFER_STREAM, wire};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, &only};
    CHECK_ST(api.DecryptMessage(&h.sctx, &d1, 0, &qop), SEC_E_INVALID_TOKEN, "K.93: [STREAM] without a DATA buffer");
    SecBuffer ro[2] = {{n, SECBUFFER_STREAM | SECBUFFER_READONLY, wire}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d2 = {SECBUFFER_VERSION, 2, ro};
    CHECK_ST(api.DecryptMessage(&h.sctx, &d2, 0, &qop), SEC_E_INVALID_TOKEN, "K.93: read-only STREAM (decrypted in place)");
    SecBuffer nul[2] = {{n, SECBUFFER_STREAM, NULL}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d3 = {SECBUFFER_VERSION, 2, nul};
    CHECK_ST(api.DecryptMessage(&h.sctx, &d3, 0, &qop), SEC_E_INVALID_TOKEN, "K.93: STREAM with a length and no memory");
    SecBuffer sd[2] = {{n, SECBUFFER_STREAM, wire}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d4 = {SECBUFFER_VERSION, 2, sd};
    CtxtHandle forged;
    set_handle(&forged, 0xdeadbeef, 0xdeadbeef);
    CHECK_ST(api.DecryptMessage(&forged, &d4, 0, &qop), SEC_E_INVALID_HANDLE, "L.101: [STREAM, DATA] on a forged context");
    /* the message was not consumed by any of these */
    CHECK_ST(api.DecryptMessage(&h.sctx, &d4, 0, &qop), SEC_E_OK, "K.96a: the stream decrypts after the refusals");
    CHECK(sd[1].pvBuffer == wire + 16 && !memcmp(wire + 16, MSG, MSGLEN), "K.96a: plaintext inside the STREAM");
    /* a DATA buffer that already has memory is pointed into the stream too */
    unsigned char elsewhere[4] = {0};
    wrap(&h.cctx, &sz, 0, MSG, MSGLEN, wire, &n);
    SecBuffer given[2] = {{n, SECBUFFER_STREAM, wire}, {sizeof elsewhere, SECBUFFER_DATA, elsewhere}};
    SecBufferDesc d5 = {SECBUFFER_VERSION, 2, given};
    CHECK_ST(api.DecryptMessage(&h.sctx, &d5, 0, &qop), SEC_E_OK, "K.96a: [STREAM, DATA(4 bytes elsewhere)]");
    CHECK(given[1].pvBuffer == wire + 16 && given[1].cbBuffer == MSGLEN, "K.96a: DATA re-pointed into the STREAM");
    hs_cleanup(&h);
}

void t_stream(void)
{
    stream_round_trip();
    sign_data_token();
    stream_truncated();
    stream_bad_forms();
}
