/* impersonation_test: ImpersonateSecurityContext reaches the credentials
 * (issue 8 item 5). A service logged on as alice (LsaLogonUser) accepts bob
 * (explicit identity) and impersonates him: its default outbound
 * credentials are then bob's network logon session, which has none
 * (SEC_E_NO_CREDENTIALS), never alice's (the confused deputy). After
 * RevertSecurityContext alice's are back. QuerySecurityContextToken names
 * bob's network session (LsaGetLogonSessionData: bob, LogonType Network),
 * which DeleteSecurityContext ends.
 * Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed".
 * Needs NTLM_USER_FILE with EXAMPLE:alice:alice-Passw0rd and
 * EXAMPLE:bob:bob-Passw0rd, and the in-process store. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proof_common.h"
#include "lsa_util.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        int c_ = (cond);                                                                           \
        printf("%s %d - ", c_ ? "ok" : "not ok", passed + failed + 1);                             \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        if (c_) passed++; else failed++;                                                           \
    } while (0)

static NTSTATUS logon(HANDLE lsa, ULONG pkg, const char *d, const char *u, const char *p,
                      LUID *luid, HANDLE *token) {
    NTSTATUS sub = 0;
    return lsa_msv_logon(lsa, pkg, Interactive, "impersonation_test", d, u, p, luid, token, NULL,
                         NULL, &sub);
}

/* ACH(NULL identity, "NTLM", use): its user name ("" when none) and status. */
static SECURITY_STATUS default_cred(ULONG use, PLUID logon_id, char *name, size_t n) {
    CredHandle c;
    name[0] = 0;
    SECURITY_STATUS st = AcquireCredentialsHandleA(NULL, "NTLM", use, logon_id, NULL, NULL, NULL,
                                                   &c, NULL);
    if (st != SEC_E_OK) return st;
    SecPkgCredentials_NamesA names;
    if (QueryCredentialsAttributesA(&c, SECPKG_CRED_ATTR_NAMES, &names) == SEC_E_OK) {
        snprintf(name, n, "%s", names.sUserName);
        FreeContextBuffer(names.sUserName);
    }
    FreeCredentialsHandle(&c);
    return st;
}

/* A handshake with the process's default credentials; the server's NAMES. */
static SECURITY_STATUS default_handshake(CredHandle *server, char *client_name, size_t n) {
    CredHandle c;
    CtxtHandle cctx, sctx;
    client_name[0] = 0;
    SECURITY_STATUS st = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL,
                                                   NULL, NULL, NULL, &c, NULL);
    if (st != SEC_E_OK) return st;
    st = proof_handshake(&c, server, &cctx, &sctx, NULL);
    if (st == SEC_E_OK) {
        SecPkgContext_NamesA names;
        if (QueryContextAttributesA(&sctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK) {
            snprintf(client_name, n, "%s", names.sUserName);
            FreeContextBuffer(names.sUserName);
        }
        DeleteSecurityContext(&cctx);
        DeleteSecurityContext(&sctx);
    }
    FreeCredentialsHandle(&c);
    return st;
}

static int ustr_eq(const LSA_UNICODE_STRING *u, const char *a) {
    size_t n = strlen(a);
    if (u->Length != 2 * n || (n && !u->Buffer)) return 0;
    for (size_t i = 0; i < n; i++)
        if (u->Buffer[i] != (unsigned char)a[i]) return 0;
    return 1;
}

static void *other_thread(void *arg) {
    char name[128];
    SECURITY_STATUS st = default_cred(SECPKG_CRED_OUTBOUND, NULL, name, sizeof name);
    CHECK(st == SEC_E_OK && strstr(name, "alice"),
          "another thread of the impersonating service still gets alice's credentials (%s)", name);
    (void)arg;
    return NULL;
}

int main(void) {
    HANDLE lsa, alice_token = NULL;
    ULONG msv = 0;
    LUID alice;
    LSA_STRING m = lsa_str(MSV1_0_PACKAGE_NAME);
    if (LsaConnectUntrusted(&lsa) != 0 || LsaLookupAuthenticationPackage(lsa, &m, &msv) != 0) {
        printf("not ok 1 - LSA connection\n0 passed, 1 failed\n");
        return 1;
    }
    CHECK(logon(lsa, msv, "EXAMPLE", "alice", "alice-Passw0rd", &alice, &alice_token) == 0,
          "the service logs on as alice (LsaLogonUser)");

    CredHandle server, bob;
    CtxtHandle bcctx, sctx;
    SEC_WINNT_AUTH_IDENTITY_W bob_id = {
        WSTR("bob"), WLEN("bob"), WSTR("EXAMPLE"), WLEN("EXAMPLE"),
        WSTR("bob-Passw0rd"), WLEN("bob-Passw0rd"), SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    CHECK(proof_server_cred(&server) == SEC_E_OK, "server credential");
    CHECK(AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &bob_id, NULL,
                                    NULL, &bob, NULL) == SEC_E_OK,
          "bob's explicit client credential");
    SECURITY_STATUS st = proof_handshake(&bob, &server, &bcctx, &sctx, NULL);
    CHECK(st == SEC_E_OK, "the service accepts bob (0x%08X)", (unsigned)st);

    char name[128];
    st = default_cred(SECPKG_CRED_OUTBOUND, NULL, name, sizeof name);
    CHECK(st == SEC_E_OK && strstr(name, "alice"), "before impersonation ACH(NULL) is alice (%s)", name);

    /* impersonate bob */
    st = ImpersonateSecurityContext(&sctx);
    CHECK(st == SEC_E_OK, "ImpersonateSecurityContext(bob's server context) (0x%08X)", (unsigned)st);
    st = default_cred(SECPKG_CRED_OUTBOUND, NULL, name, sizeof name);
    CHECK(st == SEC_E_NO_CREDENTIALS,
          "impersonating bob: ACH(NULL, NTLM, OUTBOUND) -> SEC_E_NO_CREDENTIALS, not alice's "
          "(0x%08X, %s)", (unsigned)st, name);
    CredHandle both;
    CtxtHandle bctx;
    unsigned char tok[PROOF_TOKEN_MAX];
    ULONG toklen = 0;
    st = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_BOTH, NULL, NULL, NULL, NULL,
                                   &both, NULL);
    if (st == SEC_E_OK) {
        SECURITY_STATUS ist = proof_isc(&both, NULL, &bctx, NULL, 0, tok, &toklen, PROOF_ISC_REQ);
        CHECK(ist == SEC_E_NO_CREDENTIALS,
              "impersonating bob: a BOTH credential cannot initiate (0x%08X)", (unsigned)ist);
        if (ist == SEC_E_OK || ist == SEC_I_CONTINUE_NEEDED) DeleteSecurityContext(&bctx);
        FreeCredentialsHandle(&both);
    } else {
        CHECK(st == SEC_E_NO_CREDENTIALS, "impersonating bob: ACH(NULL, BOTH) (0x%08X)", (unsigned)st);
    }
    pthread_t th;
    pthread_create(&th, NULL, other_thread, NULL);
    pthread_join(th, NULL);

    /* the token and the network logon session */
    HANDLE token = NULL, token2 = NULL;
    LUID net = {0, 0}, net2 = {0, 0};
    st = QuerySecurityContextToken(&sctx, &token);
    CHECK(st == SEC_E_OK && token, "QuerySecurityContextToken(server context) (0x%08X)", (unsigned)st);
    CHECK(SspiGetTokenLogonId(token, &net) == 0 && memcmp(&net, &alice, sizeof net) != 0,
          "the token names a session that is not alice's");
    PSECURITY_LOGON_SESSION_DATA d = NULL;
    NTSTATUS ns = LsaGetLogonSessionData(&net, &d);
    CHECK(ns == 0 && d, "LsaGetLogonSessionData(bob's network session) (0x%08X)", (unsigned)ns);
    if (d) {
        CHECK(ustr_eq(&d->UserName, "bob") && ustr_eq(&d->LogonDomain, "EXAMPLE"),
              "the network session is EXAMPLE\\bob");
        CHECK(d->LogonType == Network, "its LogonType is Network (%u)", (unsigned)d->LogonType);
        CHECK(ustr_eq(&d->AuthenticationPackage, "NTLM"), "its AuthenticationPackage is NTLM");
        LsaFreeReturnBuffer(d);
    }
    st = default_cred(SECPKG_CRED_OUTBOUND, &net, name, sizeof name);
    CHECK(st == SEC_E_NO_CREDENTIALS, "pvLogonId = bob's network session -> SEC_E_NO_CREDENTIALS (0x%08X)",
          (unsigned)st);

    /* revert */
    CHECK(RevertSecurityContext(&sctx) == SEC_E_OK, "RevertSecurityContext");
    st = default_cred(SECPKG_CRED_OUTBOUND, NULL, name, sizeof name);
    CHECK(st == SEC_E_OK && strstr(name, "alice"), "after revert ACH(NULL) is alice again (%s)", name);
    st = default_handshake(&server, name, sizeof name);
    CHECK(st == SEC_E_OK && strstr(name, "alice"),
          "after revert a handshake with default credentials authenticates alice (0x%08X, %s)",
          (unsigned)st, name);

    /* the same context reuses its network session */
    CHECK(ImpersonateSecurityContext(&sctx) == SEC_E_OK, "impersonate bob again");
    CHECK(QuerySecurityContextToken(&sctx, &token2) == SEC_E_OK &&
              SspiGetTokenLogonId(token2, &net2) == 0 && memcmp(&net, &net2, sizeof net) == 0,
          "one network session per server context");

    /* deleting the context ends the session; the thread does not fall back to alice */
    CHECK(DeleteSecurityContext(&sctx) == SEC_E_OK, "DeleteSecurityContext(server context)");
    ns = LsaGetLogonSessionData(&net, &d);
    CHECK(ns == (NTSTATUS)STATUS_NO_SUCH_LOGON_SESSION,
          "the network session ended with the context (0x%08X)", (unsigned)ns);
    st = default_cred(SECPKG_CRED_OUTBOUND, NULL, name, sizeof name);
    CHECK(st == SEC_E_NO_CREDENTIALS,
          "a thread still impersonating the deleted context gets no credentials, not alice's "
          "(0x%08X, %s)", (unsigned)st, name);
    CHECK(SspiRevertToSelf() == 1, "RevertToSelf");
    st = default_cred(SECPKG_CRED_OUTBOUND, NULL, name, sizeof name);
    CHECK(st == SEC_E_OK && strstr(name, "alice"), "then alice's credentials are back (%s)", name);

    /* a client context cannot be impersonated */
    st = ImpersonateSecurityContext(&bcctx);
    CHECK(st == SEC_E_NO_IMPERSONATION, "ImpersonateSecurityContext(client context) -> SEC_E_NO_IMPERSONATION (0x%08X)",
          (unsigned)st);
    st = QuerySecurityContextToken(&bcctx, &token2);
    CHECK(st == SEC_E_NO_IMPERSONATION, "QuerySecurityContextToken(client context) -> SEC_E_NO_IMPERSONATION (0x%08X)",
          (unsigned)st);

    DeleteSecurityContext(&bcctx);
    SspiCloseHandle(token);
    SspiCloseHandle(token2);
    FreeCredentialsHandle(&bob);
    FreeCredentialsHandle(&server);
    SspiLogoffSession(&alice);
    SspiCloseHandle(alice_token);
    LsaDeregisterLogonProcess(lsa);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
