/* sspi_peer: OUR peer for the line protocol of tests/peers/peerproto.py, written against the
 * Windows SSPI API only (as a Windows program would be).
 *
 *   sspi_peer client|server [--package NTLM|Negotiate|Kerberos] [--user DOMAIN\user|user@dom]
 *       [--password PW] [--default-creds] [--target host/localhost] [--wrap] [--no-seal] [--no-mic]
 *       [--channel-bindings HEX] [--logon-id HIGH:LOW] [--stream-layout] [--delegate] [--report FILE]
 *       [--principal NAME (pszPrincipal of AcquireCredentialsHandle)] [--dlopen LIB.so]
 *
 * Message buffers: by default EncryptMessage/DecryptMessage [TOKEN, DATA] and Make/VerifySignature
 * [TOKEN, DATA]. --stream-layout uses the layouts of pyspnego's SSPI backend and sspilib instead
 * (BEHAVIOURS.md 96a): wrap [TOKEN(cbSecurityTrailer), DATA, PADDING(cbBlockSize)], unwrap
 * [STREAM(whole message), DATA(NULL, 0)] with the plaintext read where DATA then points, sign and
 * verify [DATA, TOKEN].
 *
 * --next-hop SPN (server): once the client is authenticated, reach a third service as the client
 * with the credentials it delegated: ImpersonateSecurityContext, AcquireCredentialsHandleW(NULL,
 * --next-hop-package (default --package), OUTBOUND, pvLogonID NULL), RevertSecurityContext; with
 * --next-hop-by-logon-id instead the client's LUID from QuerySecurityContextToken +
 * SspiGetTokenLogonId (Windows: GetTokenInformation(TokenStatistics).AuthenticationId) as
 * pvLogonID, without impersonating. Then InitializeSecurityContextW to SPN (one leg, no mutual
 * authentication). Reported, not fatal: next_hop_acquire (status), next_hop_user
 * (SECPKG_CRED_ATTR_NAMES), next_hop_isc (status), next_hop_token (base64, for the third service);
 * with --next-hop-by-logon-id also after_delete_acquire: the same ACH once the server context
 * is deleted.
 *
 * --session-data (server): once the client is authenticated, its network logon session as a
 * Windows server reads it: QuerySecurityContextToken + SspiGetTokenLogonId, LsaGetLogonSessionData,
 * reported as session_user, session_domain, session_package, session_logon_type, session_sid,
 * session_upn, session_dns_domain, session_logon_server (or session_error).
 *
 * --logon-id passes that LUID (hex, as sspilogon prints it: 0x0:0x3e7 or 0:3e7) as pvLogonID to
 * AcquireCredentialsHandleW: the credentials of that logon session instead of the caller's.
 * Built two ways (tests/common/mod.rs): linked against libopensspi.so (calls the exported
 * symbols), or with -DOPENSSPI_DLOPEN (-ldl only): then --dlopen LIB is required and the library
 * is used only through dlsym("InitSecurityInterfaceW") and the returned function table.
 * stdout carries protocol lines only; stderr: diagnostics, "AUTHENTICATED <name>" (server) and a
 * final "REPORT {json}" line. Exit 0 iff the handshake (and the message phase) succeeded. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <security.h>

#include "peer_util.h"

#define INIT_MSG "hello from initiator"

static struct {
    int server, wrap, seal, mic, default_creds, stream, delegate, next_hop_by_luid, session_data;
    const char *package, *user, *password, *target, *cbt_hex, *report, *dlopen, *logon_id, *principal;
    const char *next_hop, *next_hop_package;
} opt = {0, 0, 1, 1, 0, 0, 0, 0, 0, "NTLM", NULL, NULL, "host/localhost", NULL, NULL, NULL, NULL, NULL, NULL, NULL};

/* the token calls (exports outside the function table; dlsym'd in the dlopen build) */
static NTSTATUS (*GetTokenLogonId)(HANDLE, LUID *);
static int32_t (*CloseToken)(HANDLE);
static NTSTATUS (*GetSessionData)(LUID *, SECURITY_LOGON_SESSION_DATA **);
static NTSTATUS (*FreeReturnBuffer)(void *);

static SecurityFunctionTableW *T;  /* every SSPI call goes through this table */
static str_t rep;                  /* JSON members of the report, comma-separated */
static char err[512];
static SECURITY_STATUS err_status;

static void rep_key(const char *k) {
    if (rep.len) str_add(&rep, ",");
    str_add_json(&rep, k);
    str_add(&rep, ":");
}
static void rep_str(const char *k, const char *v) { rep_key(k), str_add_json(&rep, v); }
static void rep_bool(const char *k, int v) { rep_key(k), str_add(&rep, v ? "true" : "false"); }
static void rep_num(const char *k, unsigned long v) {
    char n[32];
    snprintf(n, sizeof n, "%lu", v);
    rep_key(k), str_add(&rep, n);
}
static void rep_hex32(const char *k, uint32_t v) {
    char n[16];
    snprintf(n, sizeof n, "0x%08X", v);
    rep_str(k, n);
}

/* record the first failure; returns -1 so callers can `return fail(...)` */
static int fail(const char *what, SECURITY_STATUS st) {
    if (!err[0]) {
        if (st)
            snprintf(err, sizeof err, "%s: 0x%08X", what, (uint32_t)st);
        else
            snprintf(err, sizeof err, "%s", what);
        err_status = st;
    }
    fprintf(stderr, "sspi_peer: %s\n", err);
    return -1;
}

/* ---- line I/O ------------------------------------------------------------ */
static void send_line(const char *kw, const char *a, const char *b) {
    if (kw) printf("%s ", kw);
    printf("%s", a);
    if (b) printf(" %s", b);
    printf("\n");
    fflush(stdout);
}

static void send_token(const char *kw, const void *p, size_t n) {
    char *s = b64_encode(p, n);
    send_line(kw, s, NULL);
    free(s);
}

static char *recv_line(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    return line;
}

/* reads "KW b64 [b64]"; returns 0 and malloc'd buffers, or -1 */
static int recv_msg(const char *kw, uint8_t **a, size_t *an, uint8_t **b, size_t *bn) {
    char *line = recv_line(), *p, *q;
    int rc = -1;
    *a = NULL;
    if (b) *b = NULL;
    if (!line) return fail("peer closed the pipe", 0);
    p = strchr(line, ' ');
    if (!p || (size_t)(p - line) != strlen(kw) || strncmp(line, kw, strlen(kw))) {
        fail("unexpected message line", 0);
        goto out;
    }
    p++;
    q = strchr(p, ' ');
    if (q) *q++ = '\0';
    if ((b != NULL) != (q != NULL)) {
        fail("wrong number of fields in message line", 0);
        goto out;
    }
    *a = b64_decode(p, an);
    if (b) *b = b64_decode(q, bn);
    if (!*a || (b && !*b)) {
        fail("bad base64 in message line", 0);
        goto out;
    }
    rc = 0;
out:
    free(line);
    return rc;
}

/* ---- credentials and handshake ------------------------------------------- */
static void split_user(const char *u, char **user, char **domain) {
    const char *bs = strchr(u, '\\');
    if (bs) { /* DOMAIN\user */
        *domain = strndup(u, (size_t)(bs - u));
        *user = strdup(bs + 1);
    } else { /* user or user@domain (UPN form: the package splits it) */
        *domain = strdup("");
        *user = strdup(u);
    }
}

/* "HIGH:LOW" in hex (optional 0x prefixes) -> LUID; 0 on success */
static int parse_luid(const char *s, LUID *l) {
    char *end;
    unsigned long hi = strtoul(s, &end, 16), lo;
    if (end == s || *end != ':' || hi > 0xFFFFFFFFul) return -1;
    s = end + 1;
    lo = strtoul(s, &end, 16);
    if (end == s || *end || lo > 0xFFFFFFFFul) return -1;
    l->HighPart = (int32_t)(uint32_t)hi, l->LowPart = (ULONG)lo;
    return 0;
}

static int acquire(CredHandle *cred) {
    SEC_WINNT_AUTH_IDENTITY_W id;
    LUID luid;
    void *auth = NULL;
    char *user = NULL, *domain = NULL;
    size_t ul = 0, dl = 0, pl = 0;
    uint16_t *wu = NULL, *wd = NULL, *wp = NULL, *pkg = utf8_to_utf16(opt.package, NULL);
    uint16_t *wprincipal = opt.principal ? utf8_to_utf16(opt.principal, NULL) : NULL;
    TimeStamp expiry;
    SECURITY_STATUS st;
    if (!opt.server && opt.user && !opt.default_creds) {
        split_user(opt.user, &user, &domain);
        wu = utf8_to_utf16(user, &ul);
        wd = utf8_to_utf16(domain, &dl);
        wp = utf8_to_utf16(opt.password ? opt.password : "", &pl);
        memset(&id, 0, sizeof id);
        id.User = wu, id.UserLength = (ULONG)ul;
        id.Domain = wd, id.DomainLength = (ULONG)dl;
        id.Password = wp, id.PasswordLength = (ULONG)pl;
        id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
        auth = &id;
    }
    if (opt.logon_id && parse_luid(opt.logon_id, &luid)) {
        free(pkg), free(wprincipal);
        return fail("--logon-id: expected HIGH:LOW in hex", 0);
    }
    st = T->AcquireCredentialsHandleW(wprincipal, pkg, opt.server ? SECPKG_CRED_INBOUND : SECPKG_CRED_OUTBOUND,
                                      opt.logon_id ? &luid : NULL, auth, NULL, NULL, cred, &expiry);
    free(user), free(domain), free(wu), free(wd), free(pkg), free(wprincipal);
    if (wp) memset(wp, 0, pl * 2), free(wp);
    return st == SEC_E_OK ? 0 : fail("AcquireCredentialsHandleW", st);
}

static ULONG max_token(void) {
    uint16_t *pkg = utf8_to_utf16(opt.package, NULL);
    SecPkgInfoW *pi = NULL;
    ULONG n = 0;
    SECURITY_STATUS st = T->QuerySecurityPackageInfoW(pkg, &pi);
    free(pkg);
    if (st != SEC_E_OK) return (ULONG)fail("QuerySecurityPackageInfoW", st), 0;
    n = pi->cbMaxToken;
    T->FreeContextBuffer(pi);
    return n;
}

/* The SSPI loop: "send if the output token is non-empty, loop while CONTINUE_NEEDED". */
static int handshake(CredHandle *cred, CtxtHandle *ctx, int *have_ctx, ULONG *attr) {
    ULONG cb_max = max_token(), legs = 0;
    uint8_t *in = NULL, *out = cb_max ? malloc(cb_max) : NULL, *cbt = NULL;
    size_t in_n = 0, cbt_n = 0;
    uint16_t *target = utf8_to_utf16(opt.target, NULL);
    int rc = -1;
    if (!cb_max) goto done;
    if (opt.cbt_hex) { /* SEC_CHANNEL_BINDINGS header + application data */
        uint8_t *app = hex_decode(opt.cbt_hex, &cbt_n);
        SEC_CHANNEL_BINDINGS h;
        if (!app) {
            fail("--channel-bindings: bad hex", 0);
            goto done;
        }
        memset(&h, 0, sizeof h);
        h.cbApplicationDataLength = (ULONG)cbt_n;
        h.dwApplicationDataOffset = sizeof h;
        cbt = malloc(sizeof h + cbt_n);
        memcpy(cbt, &h, sizeof h);
        memcpy(cbt + sizeof h, app, cbt_n);
        cbt_n += sizeof h;
        free(app);
    }
    if (opt.server) {
        char *line = recv_line();
        if (!line) {
            fail("peer closed the pipe", 0);
            goto done;
        }
        in = b64_decode(line, &in_n);
        free(line);
    }
    for (;;) {
        SecBuffer ib[2], ob = {cb_max, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 0, ib}, od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS st;
        TimeStamp expiry;
        if (in) ib[id.cBuffers++] = (SecBuffer){(ULONG)in_n, SECBUFFER_TOKEN, in};
        if (cbt) ib[id.cBuffers++] = (SecBuffer){(ULONG)cbt_n, SECBUFFER_CHANNEL_BINDINGS, cbt};
        if (opt.server)
            st = T->AcceptSecurityContext(cred, *have_ctx ? ctx : NULL, &id,
                                          ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |
                                              ASC_REQ_SEQUENCE_DETECT | ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONNECTION,
                                          SECURITY_NATIVE_DREP, ctx, &od, attr, &expiry);
        else
            st = T->InitializeSecurityContextW(
                cred, *have_ctx ? ctx : NULL, target,
                ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT |
                    ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONNECTION | (opt.delegate ? ISC_REQ_DELEGATE : 0),
                0, SECURITY_NATIVE_DREP, id.cBuffers ? &id : NULL, 0, ctx, &od, attr, &expiry);
        legs++;
        fprintf(stderr, "sspi_peer: leg %u: status 0x%08X, in %zu bytes, out %u bytes\n", legs, (uint32_t)st,
                in_n, ob.cbBuffer);
        if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
            SECURITY_STATUS c = T->CompleteAuthToken(ctx, &od);
            if (c != SEC_E_OK) {
                *have_ctx = 1;
                fail("CompleteAuthToken", c);
                break;
            }
            st = st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
        }
        if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
            fail(opt.server ? "AcceptSecurityContext" : "InitializeSecurityContextW", st);
            break;
        }
        *have_ctx = 1;
        if (ob.cbBuffer) send_token(NULL, out, ob.cbBuffer);
        free(in), in = NULL, in_n = 0;
        if (st == SEC_E_OK) {
            rc = 0;
            break;
        }
        char *line = recv_line();
        if (!line) {
            fail("peer closed the pipe", 0);
            break;
        }
        in = b64_decode(line, &in_n);
        free(line);
        if (!in) {
            fail("bad base64 token line", 0);
            break;
        }
    }
done:
    rep_num("legs", legs);
    free(in), free(out), free(cbt), free(target);
    return rc;
}

/* ---- after SEC_E_OK: attributes ------------------------------------------ */
static int query_attributes(CtxtHandle *ctx, SecPkgContext_Sizes *sz) {
    SecPkgContext_NamesW names;
    SecPkgContext_SessionKey key;
    SECURITY_STATUS st = T->QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, sz);
    if (st != SEC_E_OK) return fail("QueryContextAttributesW(SECPKG_ATTR_SIZES)", st);
    rep_num("max_token", sz->cbMaxToken), rep_num("max_signature", sz->cbMaxSignature);
    rep_num("security_trailer", sz->cbSecurityTrailer), rep_num("block_size", sz->cbBlockSize);
    st = T->QueryContextAttributesW(ctx, SECPKG_ATTR_NAMES, &names);
    if (st == SEC_E_OK) {
        char *name = utf16_to_utf8(names.sUserName);
        rep_str("client", name);
        if (opt.server) fprintf(stderr, "AUTHENTICATED %s\n", name);
        free(name);
        T->FreeContextBuffer(names.sUserName);
    } else if (opt.server) {
        return fail("QueryContextAttributesW(SECPKG_ATTR_NAMES)", st);
    }
    st = T->QueryContextAttributesW(ctx, SECPKG_ATTR_SESSION_KEY, &key);
    if (st == SEC_E_OK) {
        str_t hex = {0};
        str_add(&hex, "");
        str_add_hex(&hex, key.SessionKey, key.SessionKeyLength);
        rep_str("session_key", hex.s);
        free(hex.s);
        T->FreeContextBuffer(key.SessionKey);
    } else {
        char u[64];
        snprintf(u, sizeof u, "unavailable: 0x%08X", (uint32_t)st);
        rep_str("session_key", u);
    }
    return 0;
}

/* ---- message phase (--wrap) ---------------------------------------------- */
/* EncryptMessage [TOKEN(cbSecurityTrailer), DATA] (--stream-layout: + PADDING(cbBlockSize), as
 * pyspnego and sspilib wrap) -> line "WRAP b64(token || data || padding)" */
static int send_wrap(CtxtHandle *ctx, const SecPkgContext_Sizes *sz, const char *msg) {
    size_t n = strlen(msg), trailer = sz->cbSecurityTrailer;
    uint8_t *wire = malloc(trailer + n + sz->cbBlockSize + 1);
    SecBuffer b[3] = {{(ULONG)trailer, SECBUFFER_TOKEN, wire},
                      {(ULONG)n, SECBUFFER_DATA, wire + trailer},
                      {sz->cbBlockSize, SECBUFFER_PADDING, wire + trailer + n}};
    SecBufferDesc d = {SECBUFFER_VERSION, opt.stream ? 3 : 2, b};
    memcpy(wire + trailer, msg, n);
    SECURITY_STATUS st = T->EncryptMessage(ctx, opt.seal ? 0 : SECQOP_WRAP_NO_ENCRYPT, &d, 0);
    if (st == SEC_E_OK) {
        size_t len = b[0].cbBuffer; /* keep token || data || padding contiguous */
        for (ULONG i = 1; i < d.cBuffers; i++) {
            memmove(wire + len, b[i].pvBuffer, b[i].cbBuffer);
            len += b[i].cbBuffer;
        }
        send_token("WRAP", wire, len);
    }
    free(wire);
    return st == SEC_E_OK ? 0 : fail("EncryptMessage", st);
}

/* line "WRAP b64" -> split at cbSecurityTrailer (--stream-layout: one STREAM buffer, split by the
 * library) -> DecryptMessage; *out = malloc'd plaintext */
static int recv_wrap(CtxtHandle *ctx, const SecPkgContext_Sizes *sz, char **out) {
    uint8_t *wire;
    size_t n;
    ULONG qop = 0;
    SecBuffer b[2];
    *out = NULL;
    if (recv_msg("WRAP", &wire, &n, NULL, NULL)) return -1;
    if (opt.stream) {
        b[0] = (SecBuffer){(ULONG)n, SECBUFFER_STREAM, wire};
        b[1] = (SecBuffer){0, SECBUFFER_DATA, NULL};
    } else if (n < sz->cbSecurityTrailer) {
        free(wire);
        return fail("WRAP shorter than the security trailer", 0);
    } else {
        b[0] = (SecBuffer){sz->cbSecurityTrailer, SECBUFFER_TOKEN, wire};
        b[1] = (SecBuffer){(ULONG)(n - sz->cbSecurityTrailer), SECBUFFER_DATA, wire + sz->cbSecurityTrailer};
    }
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = T->DecryptMessage(ctx, &d, 0, &qop);
    if (st == SEC_E_OK && opt.stream &&
        (!b[1].pvBuffer || (uint8_t *)b[1].pvBuffer < wire || (uint8_t *)b[1].pvBuffer + b[1].cbBuffer > wire + n)) {
        free(wire);
        return fail("DecryptMessage [STREAM, DATA]: DATA does not point inside the STREAM buffer", 0);
    }
    if (st == SEC_E_OK) {
        *out = strndup((const char *)b[1].pvBuffer, b[1].cbBuffer);
        rep_bool("peer_encrypted", qop != SECQOP_WRAP_NO_ENCRYPT);
        rep_str("unwrapped", *out);
    }
    free(wire);
    return st == SEC_E_OK ? 0 : fail("DecryptMessage", st);
}

/* buffers [TOKEN, DATA], or [DATA, TOKEN] with --stream-layout (pyspnego, sspilib); returns the
 * index of the TOKEN */
static int sig_buffers(SecBuffer b[2], void *data, size_t n, void *sig, size_t sig_n) {
    int t = opt.stream ? 1 : 0;
    b[t] = (SecBuffer){(ULONG)sig_n, SECBUFFER_TOKEN, sig};
    b[1 - t] = (SecBuffer){(ULONG)n, SECBUFFER_DATA, data};
    return t;
}

/* MakeSignature [TOKEN(cbMaxSignature), DATA] (or [DATA, TOKEN]) -> line "MIC b64(msg) b64(sig)" */
static int send_mic(CtxtHandle *ctx, const SecPkgContext_Sizes *sz, const char *msg) {
    uint8_t *sig = malloc(sz->cbMaxSignature ? sz->cbMaxSignature : 1);
    SecBuffer b[2];
    int t = sig_buffers(b, (void *)msg, strlen(msg), sig, sz->cbMaxSignature);
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = T->MakeSignature(ctx, 0, &d, 0);
    if (st == SEC_E_OK) {
        char *m = b64_encode((const uint8_t *)msg, strlen(msg)), *s = b64_encode(sig, b[t].cbBuffer);
        send_line("MIC", m, s);
        free(m), free(s);
    }
    free(sig);
    return st == SEC_E_OK ? 0 : fail("MakeSignature", st);
}

static int recv_mic(CtxtHandle *ctx) {
    uint8_t *msg, *sig;
    size_t mn, sn;
    ULONG qop = 0;
    if (recv_msg("MIC", &msg, &mn, &sig, &sn)) {
        free(msg);
        return -1;
    }
    SecBuffer b[2];
    sig_buffers(b, msg, mn, sig, sn);
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = T->VerifySignature(ctx, &d, 0, &qop);
    if (st == SEC_E_OK) {
        char *s = strndup((const char *)msg, mn);
        rep_str("verified_mic_over", s);
        free(s);
    }
    free(msg), free(sig);
    return st == SEC_E_OK ? 0 : fail("VerifySignature", st);
}

static int message_phase(CtxtHandle *ctx, const SecPkgContext_Sizes *sz) {
    char *got = NULL;
    int rc = -1;
    if (!opt.server) {
        if (send_wrap(ctx, sz, INIT_MSG) || recv_wrap(ctx, sz, &got)) goto out;
        if (strcmp(got, "reply: " INIT_MSG)) {
            fail("unexpected reply to the sealed message", 0);
            goto out;
        }
        if (opt.mic && (send_mic(ctx, sz, "mic from initiator") || recv_mic(ctx))) goto out;
    } else {
        str_t reply = {0};
        if (recv_wrap(ctx, sz, &got)) goto out;
        str_add(&reply, "reply: ");
        str_add(&reply, got);
        int r = send_wrap(ctx, sz, reply.s);
        free(reply.s);
        if (r) goto out;
        if (opt.mic && (recv_mic(ctx) || send_mic(ctx, sz, "mic from acceptor"))) goto out;
    }
    rc = 0;
out:
    free(got);
    return rc;
}

/* ---- --next-hop ------------------------------------------------------------ */
static SECURITY_STATUS next_hop_acquire(CtxtHandle *ctx, LUID *luid, CredHandle *cred) {
    uint16_t *pkg = utf8_to_utf16(opt.next_hop_package ? opt.next_hop_package : opt.package, NULL);
    SECURITY_STATUS st;
    TimeStamp expiry;
    if (opt.next_hop_by_luid) {
        HANDLE token = NULL;
        st = T->QuerySecurityContextToken(ctx, &token);
        if (st == SEC_E_OK) {
            if (GetTokenLogonId(token, luid) != 0) st = SEC_E_INTERNAL_ERROR;
            CloseToken(token);
        }
        if (st == SEC_E_OK)
            st = T->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, luid, NULL, NULL, NULL, cred, &expiry);
    } else {
        st = T->ImpersonateSecurityContext(ctx);
        if (st == SEC_E_OK) {
            st = T->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, cred, &expiry);
            T->RevertSecurityContext(ctx);
        }
    }
    free(pkg);
    return st;
}

static void next_hop(CtxtHandle *ctx, LUID *luid) {
    CredHandle cred;
    CtxtHandle hop;
    SecPkgCredentials_NamesW names;
    ULONG cb_max = max_token(), attr;
    uint8_t *out = malloc(cb_max ? cb_max : 1);
    uint16_t *target = utf8_to_utf16(opt.next_hop, NULL);
    SecBuffer ob = {cb_max, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    TimeStamp expiry;
    SECURITY_STATUS st = next_hop_acquire(ctx, luid, &cred);
    rep_hex32("next_hop_acquire", (uint32_t)st);
    if (st == SEC_E_OK) {
        if (T->QueryCredentialsAttributesW(&cred, SECPKG_CRED_ATTR_NAMES, &names) == SEC_E_OK) {
            char *n = utf16_to_utf8(names.sUserName);
            rep_str("next_hop_user", n);
            free(n);
            T->FreeContextBuffer(names.sUserName);
        }
        st = T->InitializeSecurityContextW(&cred, NULL, target, ISC_REQ_CONNECTION, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                           &hop, &od, &attr, &expiry);
        rep_hex32("next_hop_isc", (uint32_t)st);
        if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
            char *b = b64_encode(out, ob.cbBuffer);
            rep_str("next_hop_token", b);
            free(b);
            T->DeleteSecurityContext(&hop);
        }
        T->FreeCredentialsHandle(&cred);
    }
    free(out), free(target);
}

/* ---- --session-data -------------------------------------------------------- */
static void rep_unicode(const char *k, const LSA_UNICODE_STRING *u) {
    size_t n = u->Buffer ? u->Length / 2 : 0;
    uint16_t *w = calloc(n + 1, sizeof *w);
    char *s;
    if (!w) return;
    if (n) memcpy(w, u->Buffer, n * sizeof *w);
    s = utf16_to_utf8(w);
    rep_str(k, s ? s : "");
    free(s), free(w);
}

/* S-1-<authority>-<sub>... from the binary SID (MS-DTYP 2.4.2.2) */
static void rep_sid(const char *k, const uint8_t *sid) {
    char out[256];
    uint64_t auth = 0;
    int n;
    if (!sid) {
        rep_str(k, "");
        return;
    }
    for (int i = 2; i < 8; i++) auth = auth << 8 | sid[i];
    n = snprintf(out, sizeof out, "S-%u-%llu", sid[0], (unsigned long long)auth);
    for (int i = 0; i < sid[1] && n > 0 && (size_t)n < sizeof out; i++) {
        const uint8_t *b = sid + 8 + 4 * i;
        uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        n += snprintf(out + n, sizeof out - (size_t)n, "-%u", v);
    }
    rep_str(k, out);
}

static void session_data(CtxtHandle *ctx) {
    HANDLE token = NULL;
    LUID luid;
    SECURITY_LOGON_SESSION_DATA *d = NULL;
    SECURITY_STATUS st = T->QuerySecurityContextToken(ctx, &token);
    if (st != SEC_E_OK) {
        rep_hex32("session_error", (uint32_t)st);
        return;
    }
    NTSTATUS nt = GetTokenLogonId(token, &luid);
    if (!nt) nt = GetSessionData(&luid, &d);
    CloseToken(token);
    if (nt) {
        rep_hex32("session_error", (uint32_t)nt);
        return;
    }
    rep_unicode("session_user", &d->UserName);
    rep_unicode("session_domain", &d->LogonDomain);
    rep_unicode("session_package", &d->AuthenticationPackage);
    rep_num("session_logon_type", d->LogonType);
    rep_sid("session_sid", d->Sid);
    rep_unicode("session_upn", &d->Upn);
    rep_unicode("session_dns_domain", &d->DnsDomainName);
    rep_unicode("session_logon_server", &d->LogonServer);
    FreeReturnBuffer(d);
}

/* ---- main ------------------------------------------------------------------ */
static int usage(void) {
    fprintf(stderr, "usage: sspi_peer client|server [--package P] [--user U] [--password PW] [--default-creds]\n"
                    "       [--target SPN] [--wrap] [--no-seal] [--no-mic] [--channel-bindings HEX]\n"
                    "       [--logon-id HIGH:LOW] [--stream-layout] [--delegate] [--principal P]\n"
                    "       [--next-hop SPN [--next-hop-package P] [--next-hop-by-logon-id]]\n"
                    "       [--session-data] [--report FILE] [--dlopen LIB.so]\n");
    return 2;
}

static int parse_args(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) return usage();
    opt.server = !strcmp(argv[1], "server");
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], **val = NULL;
        if (!strcmp(a, "--wrap")) opt.wrap = 1;
        else if (!strcmp(a, "--no-seal")) opt.seal = 0;
        else if (!strcmp(a, "--no-mic")) opt.mic = 0;
        else if (!strcmp(a, "--default-creds")) opt.default_creds = 1;
        else if (!strcmp(a, "--stream-layout")) opt.stream = 1;
        else if (!strcmp(a, "--delegate")) opt.delegate = 1;
        else if (!strcmp(a, "--next-hop-by-logon-id")) opt.next_hop_by_luid = 1;
        else if (!strcmp(a, "--session-data")) opt.session_data = 1;
        else if (!strcmp(a, "--next-hop")) val = &opt.next_hop;
        else if (!strcmp(a, "--next-hop-package")) val = &opt.next_hop_package;
        else if (!strcmp(a, "--principal")) val = &opt.principal;
        else if (!strcmp(a, "--package")) val = &opt.package;
        else if (!strcmp(a, "--user")) val = &opt.user;
        else if (!strcmp(a, "--password")) val = &opt.password;
        else if (!strcmp(a, "--target")) val = &opt.target;
        else if (!strcmp(a, "--channel-bindings")) val = &opt.cbt_hex;
        else if (!strcmp(a, "--logon-id")) val = &opt.logon_id;
        else if (!strcmp(a, "--report")) val = &opt.report;
        else if (!strcmp(a, "--dlopen")) val = &opt.dlopen;
        else return usage();
        if (val) {
            if (++i >= argc) return usage();
            *val = argv[i];
        }
    }
    return 0;
}

static void *load_table(void) {
#ifdef OPENSSPI_DLOPEN
    void *lib;
    INIT_SECURITY_INTERFACE_W init;
    if (!opt.dlopen) return fail("this build needs --dlopen LIB.so", 0), NULL;
    lib = dlopen(opt.dlopen, RTLD_NOW | RTLD_LOCAL);
    if (!lib) return fail(dlerror(), 0), NULL;
    *(void **)&init = dlsym(lib, SECURITY_ENTRYPOINT_ANSIW);
    T = init ? init() : NULL;
    if (!T) fail("dlsym/InitSecurityInterfaceW failed", 0);
    *(void **)&GetTokenLogonId = dlsym(lib, "SspiGetTokenLogonId");
    *(void **)&CloseToken = dlsym(lib, "SspiCloseHandle");
    *(void **)&GetSessionData = dlsym(lib, "LsaGetLogonSessionData");
    *(void **)&FreeReturnBuffer = dlsym(lib, "LsaFreeReturnBuffer");
    if (!GetTokenLogonId || !CloseToken || !GetSessionData || !FreeReturnBuffer)
        fail("dlsym(SspiGetTokenLogonId, SspiCloseHandle, LsaGetLogonSessionData, LsaFreeReturnBuffer) failed", 0);
    return lib;
#else
    /* linked build: a table of the exported symbols themselves */
    static SecurityFunctionTableW direct;
    if (opt.dlopen) return fail("--dlopen needs the -DOPENSSPI_DLOPEN build", 0), NULL;
    direct.AcquireCredentialsHandleW = AcquireCredentialsHandleW;
    direct.FreeCredentialsHandle = FreeCredentialsHandle;
    direct.InitializeSecurityContextW = InitializeSecurityContextW;
    direct.AcceptSecurityContext = AcceptSecurityContext;
    direct.CompleteAuthToken = CompleteAuthToken;
    direct.DeleteSecurityContext = DeleteSecurityContext;
    direct.QueryContextAttributesW = QueryContextAttributesW;
    direct.MakeSignature = MakeSignature;
    direct.VerifySignature = VerifySignature;
    direct.FreeContextBuffer = FreeContextBuffer;
    direct.QuerySecurityPackageInfoW = QuerySecurityPackageInfoW;
    direct.EncryptMessage = EncryptMessage;
    direct.DecryptMessage = DecryptMessage;
    direct.QueryCredentialsAttributesW = QueryCredentialsAttributesW;
    direct.ImpersonateSecurityContext = ImpersonateSecurityContext;
    direct.RevertSecurityContext = RevertSecurityContext;
    direct.QuerySecurityContextToken = QuerySecurityContextToken;
    GetTokenLogonId = SspiGetTokenLogonId;
    CloseToken = SspiCloseHandle;
    GetSessionData = LsaGetLogonSessionData;
    FreeReturnBuffer = LsaFreeReturnBuffer;
    T = &direct;
    return &direct;
#endif
}

int main(int argc, char **argv) {
    CredHandle cred;
    CtxtHandle ctx;
    SecPkgContext_Sizes sizes;
    int have_cred = 0, have_ctx = 0, ok = 0, hopped = 0;
    ULONG attr = 0;
    LUID luid = {0, 0};
    void *lib;
    if (parse_args(argc, argv)) return 2;
    str_add(&rep, "");
    rep_str("role", opt.server ? "server" : "client");
#ifdef OPENSSPI_DLOPEN
    rep_str("lib", "opensspi (dlopen + InitSecurityInterfaceW)");
#else
    rep_str("lib", "opensspi (linked)");
#endif
    rep_str("package", opt.package);
    rep_str("buffers", opt.stream ? "stream layout (pyspnego, sspilib)" : "token+data");
    lib = load_table();
    if (lib && !acquire(&cred)) {
        have_cred = 1;
        if (!handshake(&cred, &ctx, &have_ctx, &attr)) {
            rep_hex32("flags", attr);
            if (!query_attributes(&ctx, &sizes) && (!opt.wrap || !message_phase(&ctx, &sizes))) ok = 1;
            if (ok && opt.server && opt.session_data) session_data(&ctx);
            if (ok && opt.server && opt.next_hop) next_hop(&ctx, &luid), hopped = 1;
        }
    }
    if (have_ctx && T->DeleteSecurityContext(&ctx) != SEC_E_OK) ok = 0, fail("DeleteSecurityContext", 0);
    if (hopped && opt.next_hop_by_luid) { /* the client's logon session ended with the context */
        uint16_t *pkg = utf8_to_utf16(opt.next_hop_package ? opt.next_hop_package : opt.package, NULL);
        CredHandle c;
        TimeStamp e;
        SECURITY_STATUS st = T->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, &luid, NULL, NULL, NULL, &c, &e);
        rep_hex32("after_delete_acquire", (uint32_t)st);
        if (st == SEC_E_OK) T->FreeCredentialsHandle(&c);
        free(pkg);
    }
    if (have_cred && T->FreeCredentialsHandle(&cred) != SEC_E_OK) ok = 0, fail("FreeCredentialsHandle", 0);
    /* No dlclose: the library keeps process-wide state (handle tables, caches) in statics that
     * live until exit, like a loaded Windows SSP; unmapping it would make valgrind report those
     * still-referenced blocks as "definitely lost". */
    (void)lib;
    rep_bool("ok", ok);
    if (!ok) {
        rep_str("error", err[0] ? err : "unknown failure");
        if (err_status) rep_hex32("status", (uint32_t)err_status);
    }
    fprintf(stderr, "REPORT {%s}\n", rep.s);
    if (opt.report) {
        FILE *f = fopen(opt.report, "w");
        if (f) fprintf(f, "{%s}\n", rep.s), fclose(f);
    }
    free(rep.s);
    return ok ? 0 : 1;
}
