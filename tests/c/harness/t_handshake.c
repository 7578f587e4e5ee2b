/* Groups: isc (F 36-56), asc (G 57-64), attributes (I 66-77, L 100),
 * negotiate (P 112-114 when registered). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

void check_ntlm_info_w(const SecPkgInfoW *pi, const char *ctx);
void check_ntlm_info_a(const SecPkgInfoA *pi, const char *ctx);

static ULONG ntlm_max_token(void)
{
    PSecPkgInfoW pi = NULL;
    ULONG m = 2888;
    if (api.QuerySecurityPackageInfoW(W("NTLM"), &pi) == SEC_E_OK && pi) {
        m = pi->cbMaxToken;
        api.FreeContextBuffer(pi);
    }
    return m;
}

/* After a failing first call: whatever is in *ctx must not be a live context (F.41). */
static void check_no_context(CtxtHandle *ctx, const char *what)
{
    CtxtHandle copy = *ctx;
    SECURITY_STATUS st = api.DeleteSecurityContext(&copy);
    CHECK_ST(st, SEC_E_INVALID_HANDLE, "F.41: %s created no context (DeleteSecurityContext on the output handle)", what);
}

static SECURITY_STATUS isc_first(CredHandle *cred, ULONG req, ULONG drep, SecBufferDesc *in, CtxtHandle *ctx,
                                 SecBufferDesc *out, ULONG *attr)
{
    TimeStamp ts;
    return api.InitializeSecurityContextW(cred, NULL, NULL, req, 0, drep, in, 0, ctx, out, attr, &ts);
}

/* ------------------------------------------------------------------ F */

static void isc_first_call_errors(CredHandle *cred, ULONG maxtok)
{
    CtxtHandle ctx;
    ULONG attr;
    unsigned char *buf = malloc(maxtok);
    SecBuffer ob;
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st;

    set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
    st = isc_first(cred, 0, SECURITY_NETWORK_DREP, NULL, &ctx, NULL, &attr);
    CHECK_ST(st, SEC_E_BUFFER_TOO_SMALL, "F.37: ISC first call with pOutput NULL");
    check_no_context(&ctx, "F.37 pOutput NULL");

    set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
    ob.BufferType = SECBUFFER_TOKEN;
    ob.cbBuffer = maxtok;
    ob.pvBuffer = NULL;
    st = isc_first(cred, 0, SECURITY_NETWORK_DREP, NULL, &ctx, &od, &attr);
    CHECK_ST2(st, SEC_E_INTERNAL_ERROR, SEC_I_CONTINUE_NEEDED, "F.38: ISC output TOKEN with pvBuffer NULL");
    if (st == SEC_I_CONTINUE_NEEDED) {
        api.DeleteSecurityContext(&ctx);
        if (ob.pvBuffer) api.FreeContextBuffer(ob.pvBuffer);
    } else {
        check_no_context(&ctx, "F.38 pvBuffer NULL");
    }

    set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
    ob.BufferType = SECBUFFER_TOKEN;
    ob.cbBuffer = 0;
    ob.pvBuffer = buf;
    st = isc_first(cred, 0, SECURITY_NETWORK_DREP, NULL, &ctx, &od, &attr);
    CHECK_ST(st, SEC_E_BUFFER_TOO_SMALL, "F.39: ISC output TOKEN with cbBuffer 0");
    CHECK(ob.cbBuffer == 0, "F.39: cbBuffer stays 0 (got %u)", (unsigned)ob.cbBuffer);
    check_no_context(&ctx, "F.39 cbBuffer 0");

    set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
    ob.BufferType = SECBUFFER_DATA;
    ob.cbBuffer = maxtok;
    ob.pvBuffer = buf;
    st = isc_first(cred, 0, SECURITY_NETWORK_DREP, NULL, &ctx, &od, &attr);
    CHECK_ST(st, SEC_E_BUFFER_TOO_SMALL, "F.40: ISC output with only a SECBUFFER_DATA buffer");
    check_no_context(&ctx, "F.40 DATA-only output");

    /* F.41/36/43: after all that, a normal first leg */
    ob.BufferType = SECBUFFER_TOKEN;
    ob.cbBuffer = maxtok;
    ob.pvBuffer = buf;
    st = isc_first(cred, 0, SECURITY_NETWORK_DREP, NULL, &ctx, &od, &attr);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.41/36: normal first leg after the failing calls");
    if (st == SEC_I_CONTINUE_NEEDED) {
        CHECK(ob.BufferType == SECBUFFER_TOKEN, "F.36: output buffer type is still SECBUFFER_TOKEN");
        CHECK(ob.cbBuffer > 0 && ob.cbBuffer < maxtok, "F.36: cbBuffer rewritten to the token length (got %u)", (unsigned)ob.cbBuffer);
        CHECK(ntlm_msg_type(buf, ob.cbBuffer) == 1, "F.43: first token is an NTLMSSP NEGOTIATE_MESSAGE (type 1)");
        CHECK(handle_is_live_shape(&ctx), "L.100: first-leg context handle shape ({%#lx,%#lx})", (unsigned long)ctx.dwLower, (unsigned long)ctx.dwUpper);
        /* F.51: the first-call probes on a started context */
        SECURITY_STATUS s2 = api.InitializeSecurityContextW(NULL, &ctx, NULL, 0, 0, SECURITY_NETWORK_DREP, NULL, 0, &ctx, NULL, &attr, NULL);
        CHECK_FAILED(s2, "F.51: ISC second call with no input and no output fails");
        PROBE_ST(s2, SEC_E_OUT_OF_SEQUENCE, "F.51 [PROBE]: ISC second call with no input and no output");
        CHECK_ST(api.DeleteSecurityContext(&ctx), SEC_E_OK, "L.99: delete a context after only the first ISC leg");
    }
    free(buf);
}

static void isc_flags_44(CredHandle *cred, ULONG maxtok)
{
    struct { ULONG req; int sign; int seal; const char *name; } cases[] = {
        {0, 0, 0, "0"},
        {ISC_REQ_CONNECTION, 0, 0, "ISC_REQ_CONNECTION"},
        {ISC_REQ_EXTENDED_ERROR, 0, 0, "ISC_REQ_EXTENDED_ERROR"},
        {ISC_REQ_MUTUAL_AUTH, 0, 0, "ISC_REQ_MUTUAL_AUTH"},
        {ISC_REQ_USE_DCE_STYLE, 0, 0, "ISC_REQ_USE_DCE_STYLE"},
        {ISC_REQ_DELEGATE, 0, 0, "ISC_REQ_DELEGATE"},
        {ISC_REQ_INTEGRITY, 1, -1, "ISC_REQ_INTEGRITY"},
        {ISC_REQ_REPLAY_DETECT, 1, -1, "ISC_REQ_REPLAY_DETECT"},
        {ISC_REQ_SEQUENCE_DETECT, 1, -1, "ISC_REQ_SEQUENCE_DETECT"},
        {ISC_REQ_CONFIDENTIALITY, -1, 1, "ISC_REQ_CONFIDENTIALITY"},
    };
    unsigned char *buf = malloc(maxtok);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CtxtHandle ctx;
        ULONG attr;
        SecBuffer ob = {maxtok, SECBUFFER_TOKEN, buf};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS st = isc_first(cred, cases[i].req, SECURITY_NETWORK_DREP, NULL, &ctx, &od, &attr);
        if (!CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.44: first leg with fContextReq %s", cases[i].name)) continue;
        if (ob.cbBuffer >= 16) {
            unsigned char f = buf[12];
            if (cases[i].sign >= 0)
                CHECK(!!(f & 0x10) == cases[i].sign, "F.44: %s -> NEGOTIATE_SIGN (0x10) %s (flags byte 0x%02x)",
                      cases[i].name, cases[i].sign ? "set" : "clear", f);
            if (cases[i].seal >= 0)
                CHECK(!!(f & 0x20) == cases[i].seal, "F.44: %s -> NEGOTIATE_SEAL (0x20) %s (flags byte 0x%02x)",
                      cases[i].name, cases[i].seal ? "set" : "clear", f);
        }
        api.DeleteSecurityContext(&ctx);
    }
    free(buf);
}

/* F.42/46 and G.59: attribute words through a full handshake, both DREPs. */
static void isc_full_attrs(void)
{
    ULONG dreps[2] = {SECURITY_NATIVE_DREP, SECURITY_NETWORK_DREP};
    for (int d = 0; d < 2; d++) {
        const char *dn = d ? "NETWORK_DREP" : "NATIVE_DREP";
        struct hs h;
        hs_init(&h, "NTLM");
        h.creq = ISC_REQ_CONFIDENTIALITY;
        h.sreq = 0;
        h.drep = dreps[d];
        if (!hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
            CHECK(0, "F.42: credentials for %s handshake", dn);
            hs_cleanup(&h);
            continue;
        }
        int ok = hs_run(&h);
        CHECK(ok, "F.42: NTLM handshake (%s, second ISC with phCredential NULL) -> client %s, server %s", dn,
              sec_name(h.client_status), sec_name(h.server_status));
        if (h.cleg >= 1) CHECK_ST(h.cst[0], SEC_I_CONTINUE_NEEDED, "F.36: %s first ISC", dn);
        if (h.cleg >= 2) CHECK_ST(h.cst[1], SEC_E_OK, "F.42: %s second ISC (phCredential NULL)", dn);
        if (h.sleg >= 1) CHECK_ST(h.sst[0], SEC_I_CONTINUE_NEEDED, "G.57: %s first ASC", dn);
        if (h.sleg >= 2) CHECK_ST(h.sst[1], SEC_E_OK, "G.58: %s final ASC", dn);
        if (h.cleg >= 1)
            CHECK(h.cattr[0] == 0x00010010, "F.46 [RO]: %s client attrs after 1st ISC == 0x00010010 (got 0x%08x)", dn, (unsigned)h.cattr[0]);
        if (h.cleg >= 2)
            CHECK(h.cattr[1] == 0x0001001C, "F.46 [RO]: %s client attrs after 2nd ISC == 0x0001001C (got 0x%08x)", dn, (unsigned)h.cattr[1]);
        if (h.sleg >= 1)
            CHECK(h.sattr[0] == 0x1C, "G.59 [RO]: %s server attrs after 1st ASC == 0x1C (got 0x%08x)", dn, (unsigned)h.sattr[0]);
        if (h.sleg >= 2)
            CHECK(h.sattr[1] == 0x0002001C, "G.59 [RO]: %s server attrs after final ASC == 0x0002001C (got 0x%08x)", dn, (unsigned)h.sattr[1]);
        if (h.ntok >= 2) CHECK(ntlm_msg_type(h.tok[1], h.toklen[1]) == 2, "G.57: %s server's first token is a CHALLENGE_MESSAGE", dn);
        if (h.ntok >= 3) CHECK(ntlm_msg_type(h.tok[2], h.toklen[2]) == 3, "F: %s client's second token is an AUTHENTICATE_MESSAGE", dn);
        if (h.ntok >= 4) CHECK(h.toklen[3] == 0, "G.58: %s final ASC output cbBuffer == 0 (got %u)", dn, (unsigned)h.toklen[3]);
        CHECK(ok && h.ntok == 4 && h.toklen[3] == 0, "G.58: NTLM is exactly three messages (%s)", dn);
        hs_cleanup(&h);
    }
}

/* F.46 anonymous (RO): identity with empty strings, ISC_REQ_NULL_SESSION. */
static void isc_anonymous(void)
{
    struct hs h;
    hs_init(&h, "NTLM");
    h.creq = ISC_REQ_CONFIDENTIALITY | ISC_REQ_NULL_SESSION;
    h.sreq = 0;
    if (!hs_creds(&h, "", "", "")) {
        PROBE(0, "F.46 [RO]: anonymous credentials acquired");
        hs_cleanup(&h);
        return;
    }
    int ok = hs_run(&h);
    PROBE(ok, "F.46 [RO]: anonymous NTLM handshake completes (client %s, server %s)", sec_name(h.client_status), sec_name(h.server_status));
    if (h.cleg >= 1) PROBE(h.cattr[0] == 0x00050010, "F.46 [RO]: anonymous client attrs 1st == 0x00050010 (got 0x%08x)", (unsigned)h.cattr[0]);
    if (h.cleg >= 2) PROBE(h.cattr[1] == 0x0005001C, "F.46 [RO]: anonymous client attrs 2nd == 0x0005001C (got 0x%08x)", (unsigned)h.cattr[1]);
    if (h.sleg >= 2) PROBE(h.sattr[1] == 0x0012001C, "G.59 [RO]: anonymous server attrs final == 0x0012001C (got 0x%08x)", (unsigned)h.sattr[1]);
    hs_cleanup(&h);
}

/* F.48 / G ALLOCATE_MEMORY through a whole handshake. */
static void isc_allocate_memory(void)
{
    CredHandle cc, sc;
    if (acquire_client("NTLM", &cc, "testuser", "WORKGROUP", "testpass") != SEC_E_OK) {
        CHECK(0, "F.48: client credential");
        return;
    }
    if (acquire_server("NTLM", &sc) != SEC_E_OK) {
        CHECK(0, "F.48: server credential");
        api.FreeCredentialsHandle(&cc);
        return;
    }
    CtxtHandle cctx, sctx;
    ULONG cattr = 0, sattr = 0;
    TimeStamp ts;
    SecBuffer cb = {0, SECBUFFER_TOKEN, NULL}, sb = {0, SECBUFFER_TOKEN, NULL}, in;
    SecBufferDesc cd = {SECBUFFER_VERSION, 1, &cb}, sd = {SECBUFFER_VERSION, 1, &sb}, ind = {SECBUFFER_VERSION, 1, &in};
    int have_c = 0, have_s = 0;
    SECURITY_STATUS st = api.InitializeSecurityContextW(&cc, NULL, NULL, ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_CONFIDENTIALITY, 0,
                                                        SECURITY_NATIVE_DREP, NULL, 0, &cctx, &cd, &cattr, &ts);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.48: ISC first leg with ISC_REQ_ALLOCATE_MEMORY (pvBuffer NULL, cbBuffer 0)");
    if (st != SEC_I_CONTINUE_NEEDED) goto out;
    have_c = 1;
    CHECK(cb.pvBuffer != NULL && cb.cbBuffer > 0, "F.48: package allocated the output token (%u bytes)", (unsigned)cb.cbBuffer);
    CHECK(cattr & ISC_RET_ALLOCATED_MEMORY, "F.48: ISC_RET_ALLOCATED_MEMORY returned (attrs 0x%08x)", (unsigned)cattr);
    if (!cb.pvBuffer) goto out;

    in = cb;
    st = api.AcceptSecurityContext(&sc, NULL, &ind, ASC_REQ_ALLOCATE_MEMORY, SECURITY_NATIVE_DREP, &sctx, &sd, &sattr, &ts);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.48: ASC first leg with ASC_REQ_ALLOCATE_MEMORY");
    CHECK_ST(api.FreeContextBuffer(cb.pvBuffer), SEC_E_OK, "N.105: FreeContextBuffer(allocated NEGOTIATE)");
    cb.pvBuffer = NULL;
    if (st != SEC_I_CONTINUE_NEEDED) goto out;
    have_s = 1;
    CHECK(sb.pvBuffer != NULL && sb.cbBuffer > 0, "F.48: ASC allocated the CHALLENGE (%u bytes)", (unsigned)sb.cbBuffer);
    CHECK(sattr & ASC_RET_ALLOCATED_MEMORY, "F.48: ASC_RET_ALLOCATED_MEMORY returned (attrs 0x%08x)", (unsigned)sattr);
    if (!sb.pvBuffer) goto out;

    in = sb;
    cb.pvBuffer = NULL;
    cb.cbBuffer = 0;
    st = api.InitializeSecurityContextW(NULL, &cctx, NULL, ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_CONFIDENTIALITY, 0,
                                        SECURITY_NATIVE_DREP, &ind, 0, &cctx, &cd, &cattr, &ts);
    CHECK_ST(st, SEC_E_OK, "F.48: ISC second leg with ISC_REQ_ALLOCATE_MEMORY");
    CHECK_ST(api.FreeContextBuffer(sb.pvBuffer), SEC_E_OK, "N.105: FreeContextBuffer(allocated CHALLENGE)");
    sb.pvBuffer = NULL;
    if (st != SEC_E_OK || !cb.pvBuffer) goto out;
    CHECK(cattr & ISC_RET_ALLOCATED_MEMORY, "F.48: ISC_RET_ALLOCATED_MEMORY on the second leg (attrs 0x%08x)", (unsigned)cattr);

    in = cb;
    sb.pvBuffer = NULL;
    sb.cbBuffer = 0;
    st = api.AcceptSecurityContext(&sc, &sctx, &ind, ASC_REQ_ALLOCATE_MEMORY, SECURITY_NATIVE_DREP, &sctx, &sd, &sattr, &ts);
    CHECK_ST(st, SEC_E_OK, "F.48: final ASC with ASC_REQ_ALLOCATE_MEMORY");
    CHECK_ST(api.FreeContextBuffer(cb.pvBuffer), SEC_E_OK, "N.105: FreeContextBuffer(allocated AUTHENTICATE)");
    cb.pvBuffer = NULL;
    if (sb.pvBuffer) api.FreeContextBuffer(sb.pvBuffer);
    sb.pvBuffer = NULL;
out:
    if (cb.pvBuffer) api.FreeContextBuffer(cb.pvBuffer);
    if (sb.pvBuffer) api.FreeContextBuffer(sb.pvBuffer);
    if (have_c) api.DeleteSecurityContext(&cctx);
    if (have_s) api.DeleteSecurityContext(&sctx);
    api.FreeCredentialsHandle(&cc);
    api.FreeCredentialsHandle(&sc);
}

/* F.52: second ISC call without a TOKEN, or with a malformed one. */
static void isc_bad_second_input(void)
{
    static const unsigned char garbage[64] = "this is not an NTLMSSP CHALLENGE message, just bytes.......";
    unsigned char bad_type[148];
    memcpy(bad_type, canned_challenge_network, sizeof bad_type);
    wr32(bad_type + 8, 3); /* an AUTHENTICATE type where a CHALLENGE belongs */
    struct { const char *name; int kind; } cases[] = {
        {"no SECBUFFER_TOKEN (only EMPTY)", 0},
        {"garbage token", 1},
        {"NTLMSSP with MessageType 3", 2},
        {"NULL pInput", 3},
    };
    for (int i = 0; i < 4; i++) {
        CredHandle cred;
        if (acquire_client("NTLM", &cred, "testuser", "WORKGROUP", "testpass") != SEC_E_OK) {
            CHECK(0, "F.52: credential");
            return;
        }
        unsigned char out[4096];
        SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle ctx;
        ULONG attr;
        TimeStamp ts;
        SECURITY_STATUS st = isc_first(&cred, ISC_REQ_CONFIDENTIALITY, SECURITY_NATIVE_DREP, NULL, &ctx, &od, &attr);
        if (st != SEC_I_CONTINUE_NEEDED) {
            CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.52: first leg");
            api.FreeCredentialsHandle(&cred);
            return;
        }
        SecBuffer ib[1];
        SecBufferDesc id = {SECBUFFER_VERSION, 1, ib};
        switch (cases[i].kind) {
        case 0: ib[0].BufferType = SECBUFFER_EMPTY; ib[0].cbBuffer = 0; ib[0].pvBuffer = NULL; break;
        case 1: ib[0].BufferType = SECBUFFER_TOKEN; ib[0].cbBuffer = sizeof garbage; ib[0].pvBuffer = (void *)garbage; break;
        case 2: ib[0].BufferType = SECBUFFER_TOKEN; ib[0].cbBuffer = sizeof bad_type; ib[0].pvBuffer = bad_type; break;
        default: break;
        }
        ob.cbBuffer = sizeof out;
        st = api.InitializeSecurityContextW(NULL, &ctx, NULL, ISC_REQ_CONFIDENTIALITY, 0, SECURITY_NATIVE_DREP,
                                            cases[i].kind == 3 ? NULL : &id, 0, &ctx, &od, &attr, &ts);
        if (cases[i].kind == 3) {
            CHECK_FAILED(st, "F.52: second ISC with %s", cases[i].name);
        } else {
            CHECK_ST(st, SEC_E_INVALID_TOKEN, "F.52: second ISC with %s", cases[i].name);
        }
        api.DeleteSecurityContext(&ctx);
        api.FreeCredentialsHandle(&cred);
    }
}

/* F.56: FreeRDP's first call: pInput with one zero-filled (EMPTY) buffer, attrs fed back as requests. */
static void isc_freerdp_contract(void)
{
    CredHandle cc, sc;
    if (acquire_client("NTLM", &cc, "testuser", "WORKGROUP", "testpass") != SEC_E_OK || acquire_server("NTLM", &sc) != SEC_E_OK) {
        CHECK(0, "F.56: credentials");
        return;
    }
    unsigned char ctok[4096], stok[4096];
    SecBuffer empty = {0, SECBUFFER_EMPTY, NULL};
    SecBufferDesc ed = {SECBUFFER_VERSION, 1, &empty};
    SecBuffer cob = {sizeof ctok, SECBUFFER_TOKEN, ctok}, sob = {sizeof stok, SECBUFFER_TOKEN, stok};
    SecBufferDesc cod = {SECBUFFER_VERSION, 1, &cob}, sod = {SECBUFFER_VERSION, 1, &sob};
    CtxtHandle cctx, sctx;
    ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY, sattr;
    SECURITY_STATUS st = api.InitializeSecurityContextW(&cc, NULL, W("TERMSRV/host.example"), req, 0, SECURITY_NATIVE_DREP, &ed, 0,
                                                        &cctx, &cod, &req, NULL);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "F.56 [FRDP]: first ISC with one EMPTY input buffer, SPN target, ptsExpiry NULL");
    if (st != SEC_I_CONTINUE_NEEDED) goto done;
    SecBuffer in = cob;
    SecBufferDesc ind = {SECBUFFER_VERSION, 1, &in};
    ULONG sreq = 0x2 | 0x10 | 0x800 | 0x20 | 0x8 | 0x8000; /* MUTUAL|CONF|CONNECTION|USE_SESSION_KEY|SEQUENCE|EXTENDED_ERROR */
    st = api.AcceptSecurityContext(&sc, NULL, &ind, sreq, SECURITY_NATIVE_DREP, &sctx, &sod, &sattr, NULL);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "G.64 [FRDP]: first ASC with FreeRDP's fContextReq, ptsExpiry NULL");
    if (st != SEC_I_CONTINUE_NEEDED) {
        api.DeleteSecurityContext(&cctx);
        goto done;
    }
    in = sob;
    cob.cbBuffer = sizeof ctok;
    st = api.InitializeSecurityContextW(NULL, &cctx, W("TERMSRV/host.example"), req, 0, SECURITY_NATIVE_DREP, &ind, 0, &cctx, &cod,
                                        &req, NULL);
    CHECK_ST(st, SEC_E_OK, "F.56 [FRDP]: second ISC with the returned attributes fed back as fContextReq");
    if (st == SEC_E_OK) {
        in = cob;
        sob.cbBuffer = sizeof stok;
        st = api.AcceptSecurityContext(&sc, &sctx, &ind, sreq, SECURITY_NATIVE_DREP, &sctx, &sod, &sattr, NULL);
        CHECK_ST(st, SEC_E_OK, "G.64 [FRDP]: final ASC");
        if (st == SEC_E_OK) {
            st = api.ImpersonateSecurityContext(&sctx);
            CHECK_ST(st, SEC_E_OK, "G.64/M.103 [FRDP]: ImpersonateSecurityContext after success");
            if (st == SEC_E_OK) CHECK_ST(api.RevertSecurityContext(&sctx), SEC_E_OK, "G.64/M.103 [FRDP]: RevertSecurityContext");
        }
    }
    api.DeleteSecurityContext(&cctx);
    api.DeleteSecurityContext(&sctx);
done:
    api.FreeCredentialsHandle(&cc);
    api.FreeCredentialsHandle(&sc);
}

/* The whole handshake through the A entry point. */
static void isc_ansi_handshake(void)
{
    struct hs h;
    hs_init(&h, "NTLM");
    h.ansi = 1;
    h.target = "HOST/server.example";
    if (hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        int ok = hs_run(&h);
        CHECK(ok, "F.42/U: NTLM handshake via InitializeSecurityContextA -> client %s, server %s",
              sec_name(h.client_status), sec_name(h.server_status));
        if (ok) {
            unsigned char tok[4096];
            ULONG len = sizeof tok;
            SECURITY_STATUS st = hs_client_leg(&h, h.tok[1], h.toklen[1], tok, &len);
            CHECK_FAILED(st, "F: ISC-A again on a completed context fails");
        }
    }
    hs_cleanup(&h);
}

void t_isc(void)
{
    ULONG maxtok = ntlm_max_token();
    CredHandle cred;
    SECURITY_STATUS st = acquire_client("NTLM", &cred, "testuser", "WORKGROUP", "testpass");
    CHECK_ST(st, SEC_E_OK, "D.22: client credential for ISC tests");
    if (st == SEC_E_OK) {
        isc_first_call_errors(&cred, maxtok);
        isc_flags_44(&cred, maxtok);
        CHECK_ST(api.FreeCredentialsHandle(&cred), SEC_E_OK, "E.33: free client credential");
    }
    CtxtHandle ctx;
    unsigned char out[4096];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    st = api.InitializeSecurityContextW(NULL, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attr, NULL);
    CHECK_ST(st, SEC_E_INVALID_HANDLE, "F.54: ISC-W with phCredential NULL and phContext NULL");
    st = api.InitializeSecurityContextA(NULL, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attr, NULL);
    CHECK_ST(st, SEC_E_INVALID_HANDLE, "F.54: ISC-A with phCredential NULL and phContext NULL");
    isc_full_attrs();
    isc_anonymous();
    isc_allocate_memory();
    isc_bad_second_input();
    isc_freerdp_contract();
    isc_ansi_handshake();
}

/* ------------------------------------------------------------------ G */

static SECURITY_STATUS asc_first(CredHandle *sc, SecBufferDesc *in, CtxtHandle *ctx, unsigned char *out, ULONG *outlen)
{
    SecBuffer ob = {*outlen, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    TimeStamp ts;
    SECURITY_STATUS st = api.AcceptSecurityContext(sc, NULL, in, 0, SECURITY_NATIVE_DREP, ctx, &od, &attr, &ts);
    *outlen = ob.cbBuffer;
    return st;
}

/* A real NEGOTIATE token. */
static ULONG get_negotiate(unsigned char *buf, ULONG cap)
{
    CredHandle cc;
    if (acquire_client("NTLM", &cc, "testuser", "WORKGROUP", "testpass") != SEC_E_OK) return 0;
    SecBuffer ob = {cap, SECBUFFER_TOKEN, buf};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attr;
    SECURITY_STATUS st = isc_first(&cc, ISC_REQ_CONFIDENTIALITY, SECURITY_NATIVE_DREP, NULL, &ctx, &od, &attr);
    ULONG n = st == SEC_I_CONTINUE_NEEDED ? ob.cbBuffer : 0;
    if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);
    api.FreeCredentialsHandle(&cc);
    return n;
}

static void asc_input_shapes(void)
{
    CredHandle sc;
    if (acquire_server("NTLM", &sc) != SEC_E_OK) {
        CHECK(0, "G: server credential");
        return;
    }
    unsigned char neg[4096], out[4096];
    ULONG nlen = get_negotiate(neg, sizeof neg);
    CHECK(nlen > 0, "G: obtained a NEGOTIATE token (%u bytes)", (unsigned)nlen);
    if (!nlen) goto done;
    CtxtHandle ctx;
    ULONG olen;
    SECURITY_STATUS st;

    /* G.60: TOKEN + EMPTY */
    SecBuffer two[2] = {{nlen, SECBUFFER_TOKEN, neg}, {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc td = {SECBUFFER_VERSION, 2, two};
    olen = sizeof out;
    st = asc_first(&sc, &td, &ctx, out, &olen);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "G.60: ASC input TOKEN + EMPTY accepted");
    if (st == SEC_I_CONTINUE_NEEDED) {
        CHECK(olen > 0 && ntlm_msg_type(out, olen) == 2, "G.57: ASC output is a CHALLENGE (%u bytes)", (unsigned)olen);
        api.DeleteSecurityContext(&ctx);
    }
    /* EMPTY first, then TOKEN */
    SecBuffer two_r[2] = {{0, SECBUFFER_EMPTY, NULL}, {nlen, SECBUFFER_TOKEN, neg}};
    td.pBuffers = two_r;
    olen = sizeof out;
    st = asc_first(&sc, &td, &ctx, out, &olen);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "G.60: ASC input EMPTY + TOKEN accepted (token found by type)");
    if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);

    /* G.61: missing input */
    set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
    olen = sizeof out;
    st = asc_first(&sc, NULL, &ctx, out, &olen);
    CHECK_FAILED(st, "G.61: ASC with pInput NULL fails");
    PROBE_ST(st, SEC_E_INCOMPLETE_MESSAGE, "G.61 [WI]: ASC with pInput NULL");
    check_no_context(&ctx, "G.61 ASC pInput NULL");
    SecBufferDesc zero = {SECBUFFER_VERSION, 0, two};
    olen = sizeof out;
    st = asc_first(&sc, &zero, &ctx, out, &olen);
    CHECK_FAILED(st, "G.61: ASC with zero input buffers fails");
    PROBE_ST(st, SEC_E_INCOMPLETE_MESSAGE, "G.61 [WI]: ASC with zero input buffers");
    SecBuffer only_empty = {0, SECBUFFER_EMPTY, NULL};
    SecBufferDesc ed = {SECBUFFER_VERSION, 1, &only_empty};
    olen = sizeof out;
    st = asc_first(&sc, &ed, &ctx, out, &olen);
    CHECK_FAILED(st, "G.61: ASC with only an EMPTY input buffer fails");

    /* G.61: garbage */
    static const unsigned char garbage[40] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n garbage..";
    SecBuffer gb = {sizeof garbage, SECBUFFER_TOKEN, (void *)garbage};
    SecBufferDesc gd = {SECBUFFER_VERSION, 1, &gb};
    set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
    olen = sizeof out;
    st = asc_first(&sc, &gd, &ctx, out, &olen);
    CHECK_ST(st, SEC_E_INVALID_TOKEN, "G.61: ASC with a garbage (non-NTLMSSP) token");
    check_no_context(&ctx, "G.61 garbage token");
    /* an NTLMSSP header with the wrong message type */
    unsigned char wrong[64];
    memcpy(wrong, neg, nlen < sizeof wrong ? nlen : sizeof wrong);
    wr32(wrong + 8, 3);
    gb.pvBuffer = wrong;
    gb.cbBuffer = nlen < sizeof wrong ? nlen : sizeof wrong;
    olen = sizeof out;
    st = asc_first(&sc, &gd, &ctx, out, &olen);
    CHECK_ST(st, SEC_E_INVALID_TOKEN, "G.61: ASC first leg with an AUTHENTICATE-typed token");
    if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);

    /* G.61: token longer than cbMaxToken */
    ULONG maxtok = ntlm_max_token();
    unsigned char *big = calloc(1, maxtok + 64);
    memcpy(big, neg, nlen);
    gb.pvBuffer = big;
    gb.cbBuffer = maxtok + 1;
    olen = sizeof out;
    st = asc_first(&sc, &gd, &ctx, out, &olen);
    CHECK_FAILED(st, "G.61: ASC with a token longer than cbMaxToken (%u) fails", (unsigned)maxtok + 1);
    PROBE_ST(st, SEC_E_INVALID_TOKEN, "G.61 [WI]: ASC with a token longer than cbMaxToken");
    if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);
    free(big);

    /* G.63: OUTBOUND-only credential on the server side */
    CredHandle cc;
    if (acquire_client("NTLM", &cc, "testuser", "WORKGROUP", "testpass") == SEC_E_OK) {
        SecBuffer nb = {nlen, SECBUFFER_TOKEN, neg};
        SecBufferDesc nd = {SECBUFFER_VERSION, 1, &nb};
        olen = sizeof out;
        set_handle(&ctx, 0xdeadbeef, 0xdeadbeef);
        st = asc_first(&cc, &nd, &ctx, out, &olen);
        CHECK_FAILED(st, "G.63: ASC with an OUTBOUND-only credential fails");
        if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);
        api.FreeCredentialsHandle(&cc);
    }
    /* and ISC with an INBOUND-only credential */
    {
        ULONG attr;
        SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        st = isc_first(&sc, 0, SECURITY_NATIVE_DREP, NULL, &ctx, &od, &attr);
        PROBE(st < 0, "G.63 [PROBE]: ISC with an INBOUND-only credential fails (got %s)", sec_name(st));
        if (st == SEC_I_CONTINUE_NEEDED) api.DeleteSecurityContext(&ctx);
    }
done:
    api.FreeCredentialsHandle(&sc);
}

void t_asc(void)
{
    asc_input_shapes();
}

/* ------------------------------------------------------------------ I */

static void sizes_checks(CtxtHandle *ctx, const char *side)
{
    SecPkgContext_Sizes sz;
    memset(&sz, 0xde, sizeof sz);
    SECURITY_STATUS st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, &sz);
    CHECK_ST(st, SEC_E_OK, "I.66/73: %s QueryContextAttributesW(SIZES)", side);
    if (st == SEC_E_OK) {
        CHECK(sz.cbMaxToken == 2888 || sz.cbMaxToken == 1904, "I.66: %s cbMaxToken 2888/1904 (got %u)", side, (unsigned)sz.cbMaxToken);
        CHECK(sz.cbMaxSignature == 16, "I.66: %s cbMaxSignature == 16 (got %u)", side, (unsigned)sz.cbMaxSignature);
        CHECK(sz.cbSecurityTrailer == 16, "I.66: %s cbSecurityTrailer == 16 (got %u)", side, (unsigned)sz.cbSecurityTrailer);
        CHECK(sz.cbBlockSize == 0, "I.66/67: %s cbBlockSize == 0, every field written (got %u)", side, (unsigned)sz.cbBlockSize);
    }
    memset(&sz, 0xde, sizeof sz);
    st = api.QueryContextAttributesA(ctx, SECPKG_ATTR_SIZES, &sz);
    CHECK_ST(st, SEC_E_OK, "I.66: %s QueryContextAttributesA(SIZES)", side);
    if (st == SEC_E_OK) CHECK(sz.cbSecurityTrailer == 16 && sz.cbMaxSignature == 16 && sz.cbBlockSize == 0, "I.66: %s A SIZES values", side);
    memset(&sz, 0xde, sizeof sz);
    st = api.QueryContextAttributesExW(ctx, SECPKG_ATTR_SIZES, &sz, sizeof sz);
    PROBE_ST(st, SEC_E_OK, "I [PROBE]: %s QueryContextAttributesExW(SIZES, sizeof)", side);

    SecPkgContext_StreamSizes ss;
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_STREAM_SIZES, &ss);
    CHECK_ST(st, SEC_E_UNSUPPORTED_FUNCTION, "I.68: %s STREAM_SIZES on NTLM", side);
}

static void key_info_checks(CtxtHandle *ctx, const char *side)
{
    SecPkgContext_KeyInfoW kw;
    memset(&kw, 0, sizeof kw);
    SECURITY_STATUS st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_KEY_INFO, &kw);
    CHECK_ST(st, SEC_E_OK, "I.69: %s QueryContextAttributesW(KEY_INFO)", side);
    if (st == SEC_E_OK) {
        CHECK(w_eq(kw.sEncryptAlgorithmName, "RSADSI RC4"), "I.69: %s sEncryptAlgorithmName == \"RSADSI RC4\" (got \"%s\")", side, w_to_a(kw.sEncryptAlgorithmName));
        CHECK(kw.KeySize == 128, "I.69: %s KeySize == 128 (got %u)", side, (unsigned)kw.KeySize);
        CHECK(kw.EncryptAlgorithm == CALG_RC4, "I.69: %s EncryptAlgorithm == CALG_RC4 (got 0x%x)", side, (unsigned)kw.EncryptAlgorithm);
        CHECK(w_eq(kw.sSignatureAlgorithmName, "HMAC-MD5"), "I.69: %s sSignatureAlgorithmName == \"HMAC-MD5\" with a real server (got \"%s\")", side, w_to_a(kw.sSignatureAlgorithmName));
        CHECK(kw.SignatureAlgorithm == 0xFFFFFF76, "I.69: %s SignatureAlgorithm == 0xFFFFFF76 (got 0x%x)", side, (unsigned)kw.SignatureAlgorithm);
        if (kw.sSignatureAlgorithmName) CHECK_ST(api.FreeContextBuffer(kw.sSignatureAlgorithmName), SEC_E_OK, "I.69/N.105: free sSignatureAlgorithmName");
        if (kw.sEncryptAlgorithmName) CHECK_ST(api.FreeContextBuffer(kw.sEncryptAlgorithmName), SEC_E_OK, "I.69/N.105: free sEncryptAlgorithmName");
    }
    SecPkgContext_KeyInfoA ka;
    memset(&ka, 0, sizeof ka);
    st = api.QueryContextAttributesA(ctx, SECPKG_ATTR_KEY_INFO, &ka);
    CHECK_ST(st, SEC_E_OK, "I.69: %s QueryContextAttributesA(KEY_INFO)", side);
    if (st == SEC_E_OK) {
        CHECK(ka.sEncryptAlgorithmName && !strcmp(ka.sEncryptAlgorithmName, "RSADSI RC4"), "I.69: %s A sEncryptAlgorithmName", side);
        CHECK(ka.sSignatureAlgorithmName && !strcmp(ka.sSignatureAlgorithmName, "HMAC-MD5"), "I.69: %s A sSignatureAlgorithmName", side);
        if (ka.sSignatureAlgorithmName) api.FreeContextBuffer(ka.sSignatureAlgorithmName);
        if (ka.sEncryptAlgorithmName) api.FreeContextBuffer(ka.sEncryptAlgorithmName);
    }
}

static void negotiation_info_checks(CtxtHandle *ctx, const char *side)
{
    SecPkgContext_NegotiationInfoW nw;
    memset(&nw, 0xde, sizeof nw);
    SECURITY_STATUS st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &nw);
    CHECK_ST(st, SEC_E_OK, "I.71/73: %s QueryContextAttributesW(NEGOTIATION_INFO)", side);
    if (st == SEC_E_OK) {
        CHECK(nw.NegotiationState == SECPKG_NEGOTIATION_COMPLETE, "I.71: %s NegotiationState == COMPLETE (got %u)", side, (unsigned)nw.NegotiationState);
        if (nw.PackageInfo) {
            char ctxd[64];
            snprintf(ctxd, sizeof ctxd, "I.71 %s NEGOTIATION_INFO W", side);
            check_ntlm_info_w(nw.PackageInfo, ctxd);
            CHECK_ST(api.FreeContextBuffer(nw.PackageInfo), SEC_E_OK, "I.71/N.105: FreeContextBuffer(PackageInfo)");
        } else {
            CHECK(0, "I.71: %s PackageInfo != NULL", side);
        }
    }
    SecPkgContext_NegotiationInfoA na;
    memset(&na, 0, sizeof na);
    st = api.QueryContextAttributesA(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &na);
    CHECK_ST(st, SEC_E_OK, "I.71: %s QueryContextAttributesA(NEGOTIATION_INFO)", side);
    if (st == SEC_E_OK && na.PackageInfo) {
        char ctxd[64];
        snprintf(ctxd, sizeof ctxd, "I.71 %s NEGOTIATION_INFO A", side);
        check_ntlm_info_a(na.PackageInfo, ctxd);
        api.FreeContextBuffer(na.PackageInfo);
    }
}

static void session_key_checks(CtxtHandle *c, CtxtHandle *s)
{
    SecPkgContext_SessionKey kc, ks;
    memset(&kc, 0, sizeof kc);
    memset(&ks, 0, sizeof ks);
    SECURITY_STATUS st1 = api.QueryContextAttributesW(c, SECPKG_ATTR_SESSION_KEY, &kc);
    SECURITY_STATUS st2 = api.QueryContextAttributesW(s, SECPKG_ATTR_SESSION_KEY, &ks);
    CHECK_ST(st1, SEC_E_OK, "I.70: client SESSION_KEY");
    CHECK_ST(st2, SEC_E_OK, "I.70: server SESSION_KEY");
    if (st1 == SEC_E_OK) {
        CHECK(kc.SessionKeyLength == 16 && kc.SessionKey != NULL, "I.70: client SessionKeyLength 16, SessionKey set (got %u)", (unsigned)kc.SessionKeyLength);
    }
    if (st2 == SEC_E_OK) {
        CHECK(ks.SessionKeyLength == 16 && ks.SessionKey != NULL, "I.70: server SessionKeyLength 16, SessionKey set (got %u)", (unsigned)ks.SessionKeyLength);
    }
    if (st1 == SEC_E_OK && st2 == SEC_E_OK && kc.SessionKey && ks.SessionKey) {
        CHECK(kc.SessionKeyLength == ks.SessionKeyLength && !memcmp(kc.SessionKey, ks.SessionKey, kc.SessionKeyLength),
              "I.70 [SPEC]: client and server report the same session key");
        static const unsigned char zero[16];
        CHECK(kc.SessionKeyLength < 16 || memcmp(kc.SessionKey, zero, 16) != 0, "I.70: session key is not all zero");
    }
    if (st1 == SEC_E_OK && kc.SessionKey) CHECK_ST(api.FreeContextBuffer(kc.SessionKey), SEC_E_OK, "I.70/N.105: free client SessionKey");
    if (st2 == SEC_E_OK && ks.SessionKey) CHECK_ST(api.FreeContextBuffer(ks.SessionKey), SEC_E_OK, "I.70/N.105: free server SessionKey");
}

static void names_checks(CtxtHandle *c, CtxtHandle *s)
{
    SecPkgContext_NamesW nw;
    nw.sUserName = NULL;
    SECURITY_STATUS st = api.QueryContextAttributesW(s, SECPKG_ATTR_NAMES, &nw);
    CHECK_ST(st, SEC_E_OK, "I.75: server QueryContextAttributesW(NAMES)");
    if (st == SEC_E_OK) {
        CHECK(nw.sUserName != NULL, "I.75: server sUserName set");
        PROBE(w_ieq(nw.sUserName, "WORKGROUP\\testuser"), "I.75 [PROBE]: server sUserName == \"WORKGROUP\\testuser\" (got \"%s\")", w_to_a(nw.sUserName));
        if (nw.sUserName) CHECK_ST(api.FreeContextBuffer(nw.sUserName), SEC_E_OK, "I.75/N.105: free NAMES string");
    }
    SecPkgContext_NamesA na;
    na.sUserName = NULL;
    st = api.QueryContextAttributesA(s, SECPKG_ATTR_NAMES, &na);
    CHECK_ST(st, SEC_E_OK, "I.75: server QueryContextAttributesA(NAMES)");
    if (st == SEC_E_OK && na.sUserName) {
        PROBE(a_ieq(na.sUserName, "WORKGROUP\\testuser"), "I.75 [PROBE]: server A sUserName (got \"%s\")", na.sUserName);
        api.FreeContextBuffer(na.sUserName);
    }
    nw.sUserName = NULL;
    st = api.QueryContextAttributesW(c, SECPKG_ATTR_NAMES, &nw);
    CHECK_ST(st, SEC_E_OK, "I.76: client QueryContextAttributesW(NAMES)");
    if (st == SEC_E_OK && nw.sUserName) {
        PROBE(w_ieq(nw.sUserName, "WORKGROUP\\testuser"), "I.76 [PROBE]: client sUserName (got \"%s\")", w_to_a(nw.sUserName));
        api.FreeContextBuffer(nw.sUserName);
    }

    SecPkgContext_NativeNamesW nn;
    memset(&nn, 0, sizeof nn);
    st = api.QueryContextAttributesW(s, SECPKG_ATTR_NATIVE_NAMES, &nn);
    CHECK_ST(st, SEC_E_OK, "I.76: server QueryContextAttributesW(NATIVE_NAMES)");
    if (st == SEC_E_OK) {
        diag("NATIVE_NAMES server: client \"%s\" server \"%s\"", w_to_a(nn.sClientName), w_to_a(nn.sServerName));
        if (nn.sClientName) api.FreeContextBuffer(nn.sClientName);
        if (nn.sServerName) api.FreeContextBuffer(nn.sServerName);
    }
    SecPkgContext_NativeNamesA nna;
    memset(&nna, 0, sizeof nna);
    st = api.QueryContextAttributesA(c, SECPKG_ATTR_NATIVE_NAMES, &nna);
    CHECK_ST(st, SEC_E_OK, "I.76: client QueryContextAttributesA(NATIVE_NAMES)");
    if (st == SEC_E_OK) {
        if (nna.sClientName) api.FreeContextBuffer(nna.sClientName);
        if (nna.sServerName) api.FreeContextBuffer(nna.sServerName);
    }
}

static void misc_attr_checks(CtxtHandle *ctx, const char *side)
{
    SecPkgContext_Flags fl;
    fl.Flags = 0xdeadbeef;
    SECURITY_STATUS st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_FLAGS, &fl);
    CHECK_ST(st, SEC_E_OK, "I.74/76: %s QueryContextAttributesW(FLAGS)", side);
    if (st == SEC_E_OK) {
        int server = !strcmp(side, "server");
        ULONG want = server ? (ASC_RET_INTEGRITY | ASC_RET_CONFIDENTIALITY) : (ISC_RET_INTEGRITY | ISC_RET_CONFIDENTIALITY);
        PROBE((fl.Flags & want) == want && fl.Flags != 0xdeadbeef, "I.74 [WI]: %s FLAGS carry %s_RET_INTEGRITY and CONFIDENTIALITY (got 0x%08x)",
              side, server ? "ASC" : "ISC", (unsigned)fl.Flags);
    }
    SecPkgContext_Lifespan ls;
    memset(&ls, 0, sizeof ls);
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_LIFESPAN, &ls);
    CHECK_ST(st, SEC_E_OK, "I.76: %s QueryContextAttributesW(LIFESPAN)", side);

    H_PackageInfoW pk = {NULL};
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_PACKAGE_INFO, &pk);
    CHECK_ST(st, SEC_E_OK, "I.76: %s QueryContextAttributesW(PACKAGE_INFO)", side);
    if (st == SEC_E_OK && pk.PackageInfo) {
        CHECK(w_eq(pk.PackageInfo->Name, "NTLM"), "I.76: %s PACKAGE_INFO Name == NTLM", side);
        api.FreeContextBuffer(pk.PackageInfo);
    }

    /* Other documented NTLM attributes (I.76): record what the library answers. */
    struct { SEC_WCHAR *p; } one = {NULL};
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_AUTHORITY, &one);
    PROBE_ST(st, SEC_E_OK, "I.76 [DOC]: %s AUTHORITY", side);
    if (st == SEC_E_OK && one.p) api.FreeContextBuffer(one.p);
    TimeStamp exp;
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_PASSWORD_EXPIRY, &exp);
    PROBE_ST(st, SEC_E_OK, "I.76 [DOC]: %s PASSWORD_EXPIRY", side);
    struct { ULONG len; unsigned char *p; } ti = {0, NULL};
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_TARGET_INFORMATION, &ti);
    PROBE_ST(st, SEC_E_OK, "I.76 [DOC]: %s TARGET_INFORMATION", side);
    if (st == SEC_E_OK && ti.p) api.FreeContextBuffer(ti.p);

    /* I.77 */
    unsigned char junk[256];
    st = api.QueryContextAttributesW(ctx, 0x7fff, junk);
    CHECK_FAILED(st, "I.77: %s unknown attribute 0x7fff fails", side);
    PROBE_ST(st, SEC_E_UNSUPPORTED_FUNCTION, "I.77 [WI]: %s unknown attribute 0x7fff", side);
    st = api.QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, NULL);
    CHECK_FAILED(st, "I.77: %s SIZES with pBuffer NULL fails without crashing", side);
    st = api.QueryContextAttributesW(NULL, SECPKG_ATTR_SIZES, junk);
    CHECK_ST(st, SEC_E_INVALID_HANDLE, "I.77: QueryContextAttributesW(NULL handle)");
}

void t_attributes(void)
{
    struct hs h;
    if (!ntlm_pair(&h, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT, 0)) {
        CHECK(0, "I: NTLM handshake for attribute tests");
        hs_cleanup(&h);
        return;
    }
    CHECK(handle_is_live_shape(&h.cctx) && handle_is_live_shape(&h.sctx), "L.100: client/server context handles are live-shaped");
    CHECK(handle_is_live_shape(&h.ccred) && handle_is_live_shape(&h.scred), "L.100: credential handles are live-shaped");
    sizes_checks(&h.cctx, "client");
    sizes_checks(&h.sctx, "server");
    key_info_checks(&h.cctx, "client");
    key_info_checks(&h.sctx, "server");
    negotiation_info_checks(&h.cctx, "client");
    negotiation_info_checks(&h.sctx, "server");
    session_key_checks(&h.cctx, &h.sctx);
    names_checks(&h.cctx, &h.sctx);
    misc_attr_checks(&h.cctx, "client");
    misc_attr_checks(&h.sctx, "server");
    /* L.99 */
    CHECK_ST(api.DeleteSecurityContext(&h.cctx), SEC_E_OK, "L.99: delete established client context");
    CHECK_ST(api.DeleteSecurityContext(&h.sctx), SEC_E_OK, "L.99: delete established server context");
    h.have_cctx = h.have_sctx = 0;
    hs_cleanup(&h);
}

/* ------------------------------------------------------------------ P (Negotiate) */

/* MS-SPNG 3.2.5.2: AcceptSecurityContext with no input token speaks first with a NegTokenInit2
 * (negHints); the client's first InitializeSecurityContext takes it as input. */
static void negotiate_server_first(void)
{
    struct hs h;
    hs_init(&h, "Negotiate");
    if (!hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        CHECK(0, "P [MS-SPNG]: Negotiate credentials");
        hs_cleanup(&h);
        return;
    }
    static const char hint[] = "not_defined_in_RFC4178@please_ignore";
    unsigned char t0[4096], t[4][4096];
    ULONG l0 = sizeof t0;
    SECURITY_STATUS st = hs_server_leg(&h, NULL, 0, t0, &l0);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "P [MS-SPNG]: ASC(Negotiate) with no input token speaks first");
    CHECK(l0 > 10 && t0[0] == 0x60 && memmem(t0, l0, hint, sizeof hint - 1),
          "P [MS-SPNG]: the server's first token is a NegTokenInit2 with negHints (%u bytes)", (unsigned)l0);
    ULONG l[4] = {sizeof t[0], sizeof t[1], sizeof t[2], sizeof t[3]};
    SECURITY_STATUS c1 = hs_client_leg(&h, t0, l0, t[0], &l[0]);
    SECURITY_STATUS s1 = c1 == SEC_I_CONTINUE_NEEDED ? hs_server_leg(&h, t[0], l[0], t[1], &l[1]) : c1;
    SECURITY_STATUS c2 = s1 == SEC_I_CONTINUE_NEEDED ? hs_client_leg(&h, t[1], l[1], t[2], &l[2]) : s1;
    SECURITY_STATUS s2 = c2 == SEC_I_CONTINUE_NEEDED ? hs_server_leg(&h, t[2], l[2], t[3], &l[3]) : c2;
    ULONG lf = sizeof t[0];
    SECURITY_STATUS c3 = s2 == SEC_E_OK ? hs_client_leg(&h, t[3], l[3], t[0], &lf) : s2;
    CHECK(s2 == SEC_E_OK && c3 == SEC_E_OK, "P [MS-SPNG]: handshake after the server's NegTokenInit2 -> server %s, client %s",
          sec_name(s2), sec_name(c3));
    hs_cleanup(&h);
}

/* RFC 4178 section 5: a mechListMIC altered in transit (the last bytes of the client's
 * NegTokenResp carrying AUTHENTICATE) fails the server with SEC_E_MESSAGE_ALTERED. */
static void flip_client_mic(int leg, unsigned char *tok, ULONG *len, ULONG cap, void *arg)
{
    (void)cap, (void)arg;
    if (leg == 2 && *len > 0) tok[*len - 1] ^= 0x01;
}

static void negotiate_altered_mic(void)
{
    struct hs h;
    hs_init(&h, "Negotiate");
    if (!hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        CHECK(0, "P [RFC 4178]: Negotiate credentials");
        hs_cleanup(&h);
        return;
    }
    h.tamper = flip_client_mic;
    int ok = hs_run(&h);
    CHECK(!ok && h.server_status == SEC_E_MESSAGE_ALTERED,
          "P [RFC 4178 5]: altered mechListMIC -> server SEC_E_MESSAGE_ALTERED (got %s)", sec_name(h.server_status));
    hs_cleanup(&h);
}

void t_negotiate(void)
{
    if (!package_registered("Negotiate")) {
        SKIP("P.112-114, I.67/72: Negotiate is not registered");
        return;
    }
    struct hs h;
    hs_init(&h, "Negotiate");
    if (!hs_creds(&h, "testuser", "WORKGROUP", "testpass")) {
        CHECK(0, "P.112: Negotiate credentials");
        hs_cleanup(&h);
        return;
    }
    int ok = hs_run(&h);
    CHECK(ok, "P.112: Negotiate handshake -> client %s, server %s", sec_name(h.client_status), sec_name(h.server_status));
    if (h.ntok >= 1) {
        static const unsigned char spnego_oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
        CHECK(h.toklen[0] > 10 && h.tok[0][0] == 0x60 && memmem(h.tok[0], h.toklen[0], spnego_oid, sizeof spnego_oid),
              "P.113: first Negotiate token is a GSS InitialContextToken with the SPNEGO OID");
        static const unsigned char ntlm_oid[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
        CHECK(memmem(h.tok[0], h.toklen[0], ntlm_oid, sizeof ntlm_oid) != NULL, "P.113: mechTypes include NTLMSSP");
    }
    if (ok) {
        SecPkgContext_NegotiationInfoW nw;
        memset(&nw, 0, sizeof nw);
        SECURITY_STATUS st = api.QueryContextAttributesW(&h.cctx, SECPKG_ATTR_NEGOTIATION_INFO, &nw);
        CHECK_ST(st, SEC_E_OK, "I.72: NEGOTIATION_INFO on a Negotiate context");
        if (st == SEC_E_OK && nw.PackageInfo) {
            CHECK(w_eq(nw.PackageInfo->Name, "NTLM") && nw.PackageInfo->wRPCID == 10,
                  "I.72: Negotiate context reports the selected package NTLM/10 (got %s/%u)", w_to_a(nw.PackageInfo->Name),
                  nw.PackageInfo->wRPCID);
            api.FreeContextBuffer(nw.PackageInfo);
        }
        SecPkgContext_Sizes sz;
        memset(&sz, 0xde, sizeof sz);
        st = api.QueryContextAttributesW(&h.cctx, SECPKG_ATTR_SIZES, &sz);
        CHECK(st == SEC_E_OK && (sz.cbMaxToken == 2888 || sz.cbMaxToken == 1904) && sz.cbMaxSignature == 16 &&
                  sz.cbSecurityTrailer == 16 && sz.cbBlockSize == 0,
              "I.67/114: Negotiate->NTLM SIZES are NTLM's, every field written (%s: %u/%u/%u/%u)", sec_name(st),
              (unsigned)sz.cbMaxToken, (unsigned)sz.cbMaxSignature, (unsigned)sz.cbSecurityTrailer, (unsigned)sz.cbBlockSize);
    }
    hs_cleanup(&h);
    negotiate_server_first();
    negotiate_altered_mic();
}
