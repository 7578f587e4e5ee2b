/* trace_session: one full session through the C ABI, for tests/trace.rs
 * (OPENSSPI_TRACE): a logon with a wrong password (refused), the logon,
 * an in-process NTLM handshake with the logon session's credentials, the
 * session key (printed "SESSION_KEY <hex>" so that the test can look for it
 * in the trace), one sealed message each way, a handshake whose client has a
 * wrong password (refused by the server), logoff, and a call that finds no
 * logon session. Prints "STEP <name> 0x<status>" per step; exits 0 when each
 * step returned what Windows returns.
 * Usage: trace_session DOMAIN USER PASSWORD MESSAGE1 MESSAGE2 */
#include <security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsa_util.h"

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | \
             ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)

static int bad;

static void step(const char *name, long status, long want) {
    printf("STEP %s 0x%08X%s\n", name, (unsigned)status, status == want ? "" : " UNEXPECTED");
    if (status != want) bad = 1;
}

static NTSTATUS logon(HANDLE lsa, ULONG pkg, const char *d, const char *u, const char *p, LUID *luid) {
    NTSTATUS sub;
    HANDLE token = NULL;
    NTSTATUS st = lsa_msv_logon(lsa, pkg, Interactive, "trace_session", d, u, p, luid, &token,
                                NULL, NULL, &sub);
    if (token) SspiCloseHandle(token);
    return st;
}

/* ISC/ASC until both are done or one fails; returns the failing or last status. */
static SECURITY_STATUS handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *cx, CtxtHandle *sx,
                                 int *have_c, int *have_s) {
    uint8_t t1[4096], t2[4096];
    ULONG attrs, n_in = 0;
    SECURITY_STATUS c = SEC_I_CONTINUE_NEEDED, s = SEC_I_CONTINUE_NEEDED;
    for (int legs = 0; legs < 4 && (c == SEC_I_CONTINUE_NEEDED || s == SEC_I_CONTINUE_NEEDED);
         legs++) {
        SecBuffer ib = {n_in, SECBUFFER_TOKEN, t2}, ob = {sizeof t1, SECBUFFER_TOKEN, t1};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        c = InitializeSecurityContextA(cc, *have_c ? cx : NULL, (SEC_CHAR *)"host/localhost", REQ,
                                       0, SECURITY_NATIVE_DREP, n_in ? &id : NULL, 0, cx, &od,
                                       &attrs, NULL);
        if (c != SEC_E_OK && c != SEC_I_CONTINUE_NEEDED) return c;
        *have_c = 1;
        if (!ob.cbBuffer) break;
        SecBuffer ib2 = {ob.cbBuffer, SECBUFFER_TOKEN, t1}, ob2 = {sizeof t2, SECBUFFER_TOKEN, t2};
        SecBufferDesc id2 = {SECBUFFER_VERSION, 1, &ib2}, od2 = {SECBUFFER_VERSION, 1, &ob2};
        s = AcceptSecurityContext(sc, *have_s ? sx : NULL, &id2, REQ, SECURITY_NATIVE_DREP, sx,
                                  &od2, &attrs, NULL);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) return s;
        *have_s = 1;
        n_in = ob2.cbBuffer;
        if (s == SEC_E_OK && c == SEC_E_OK) break;
    }
    return s;
}

/* Seal `text` on `from`, unseal on `to`; returns the first failure. */
static SECURITY_STATUS seal_unseal(CtxtHandle *from, CtxtHandle *to, const char *text) {
    size_t len = strlen(text);
    uint8_t buf[16 + 512];
    if (len > 512) return SEC_E_BUFFER_TOO_SMALL;
    memcpy(buf + 16, text, len);
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, buf}, {(ULONG)len, SECBUFFER_DATA, buf + 16}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS s = EncryptMessage(from, 0, &d, 0);
    if (s) return s;
    ULONG qop;
    s = DecryptMessage(to, &d, 0, &qop);
    if (s) return s;
    return b[1].cbBuffer == len && !memcmp(b[1].pvBuffer, text, len) ? SEC_E_OK
                                                                     : SEC_E_MESSAGE_ALTERED;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: trace_session DOMAIN USER PASSWORD MESSAGE1 MESSAGE2\n");
        return 2;
    }
    const char *domain = argv[1], *user = argv[2], *password = argv[3];
    HANDLE lsa;
    ULONG pkg;
    LSA_STRING name = {37, 38, (char *)MSV1_0_PACKAGE_NAME};
    LUID luid;
    step("LsaConnectUntrusted", LsaConnectUntrusted(&lsa), 0);
    step("LsaLookupAuthenticationPackage", LsaLookupAuthenticationPackage(lsa, &name, &pkg), 0);

    /* 1. a wrong password, then the right one */
    step("logon-wrong-password", logon(lsa, pkg, domain, user, "not-the-password", &luid),
         (NTSTATUS)0xC000006D);
    step("logon", logon(lsa, pkg, domain, user, password, &luid), 0);

    /* 2. the handshake with the logon session's credentials */
    CredHandle cc, sc;
    CtxtHandle cx, sx;
    int have_c = 0, have_s = 0;
    step("acquire-outbound",
         AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL,
                                   NULL, NULL, &cc, NULL),
         SEC_E_OK);
    step("acquire-inbound",
         AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, NULL,
                                   NULL, NULL, &sc, NULL),
         SEC_E_OK);
    step("handshake", handshake(&cc, &sc, &cx, &sx, &have_c, &have_s), SEC_E_OK);

    /* 3. the session key, for the test's search of the trace */
    SecPkgContext_SessionKey key;
    SECURITY_STATUS s = QueryContextAttributesA(&cx, SECPKG_ATTR_SESSION_KEY, &key);
    step("session-key", s, SEC_E_OK);
    if (s == SEC_E_OK) {
        printf("SESSION_KEY ");
        for (ULONG i = 0; i < key.SessionKeyLength; i++) printf("%02x", key.SessionKey[i]);
        printf("\n");
        FreeContextBuffer(key.SessionKey);
    }

    /* 4. one sealed message each way */
    step("seal-client-to-server", seal_unseal(&cx, &sx, argv[4]), SEC_E_OK);
    step("seal-server-to-client", seal_unseal(&sx, &cx, argv[5]), SEC_E_OK);
    if (have_c) DeleteSecurityContext(&cx);
    if (have_s) DeleteSecurityContext(&sx);
    FreeCredentialsHandle(&cc);

    /* 5. a client with a wrong password: the server refuses the AUTHENTICATE */
    SEC_WINNT_AUTH_IDENTITY_A id = {
        (unsigned char *)user,          (ULONG)strlen(user),
        (unsigned char *)domain,        (ULONG)strlen(domain),
        (unsigned char *)"not-the-password", 16,
        SEC_WINNT_AUTH_IDENTITY_ANSI};
    have_c = have_s = 0;
    step("acquire-wrong-password",
         AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id,
                                   NULL, NULL, &cc, NULL),
         SEC_E_OK);
    step("handshake-wrong-password", handshake(&cc, &sc, &cx, &sx, &have_c, &have_s),
         SEC_E_LOGON_DENIED);
    if (have_c) DeleteSecurityContext(&cx);
    if (have_s) DeleteSecurityContext(&sx);
    FreeCredentialsHandle(&cc);
    FreeCredentialsHandle(&sc);

    /* 6. logoff: default credentials are gone */
    step("logoff", SspiLogoffSession(&luid), 0);
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                  NULL, &cc, NULL);
    step("acquire-after-logoff", s, SEC_E_NO_CREDENTIALS);
    if (s == SEC_E_OK) FreeCredentialsHandle(&cc);
    LsaDeregisterLogonProcess(lsa);
    printf("%s\n", bad ? "FAILED" : "OK");
    return bad;
}
