/* lsa_test: the LSA exports as a Windows program calls them (BEHAVIOURS.md
 * section Q, items 116-132) and the noninteractive-credential rules of the
 * LSA core: no logon -> SEC_E_NO_CREDENTIALS, impersonation, pvLogonId,
 * wrong password caches nothing, concurrent logons get distinct sessions.
 * Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed".
 * Needs NTLM_USER_FILE with EXAMPLE:alice:alice-Passw0rd and
 * WORKGROUP:testuser:testpass, and the in-process store. */
#include <pthread.h>
#include <security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include "lsa_util.h"

static int passed, failed;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        int c_ = (cond);                                                       \
        printf("%s %d - ", c_ ? "ok" : "not ok", passed + failed + 1);         \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
        if (c_) passed++; else failed++;                                       \
    } while (0)
#define CHECK_NT(expr, want, ...)                                              \
    do {                                                                       \
        NTSTATUS got_ = (expr);                                                \
        CHECK(got_ == (NTSTATUS)(want), __VA_ARGS__);                          \
        if (got_ != (NTSTATUS)(want))                                          \
            printf("#   got 0x%08X, want 0x%08X\n", (unsigned)got_, (unsigned)(want)); \
    } while (0)


static NTSTATUS logon(HANDLE lsa, ULONG pkg, ULONG type, const char *d, const char *u,
                      const char *p, LUID *luid, HANDLE *token, NTSTATUS *sub) {
    ULONG plen = 0;
    PVOID profile = NULL;
    NTSTATUS st = lsa_msv_logon(lsa, pkg, type, "lsa_test", d, u, p, luid, token, &profile, &plen,
                                sub);
    if (st == 0) {
        PMSV1_0_INTERACTIVE_PROFILE pr = profile;
        CHECK(profile && plen >= sizeof(MSV1_0_INTERACTIVE_PROFILE) &&
                  pr->MessageType == MsV1_0InteractiveProfile,
              "Q.131: the profile buffer is an MSV1_0_INTERACTIVE_PROFILE (%u bytes)", plen);
        CHECK_NT(LsaFreeReturnBuffer(profile), 0, "Q.132: LsaFreeReturnBuffer(profile)");
    }
    return st;
}

/* The user name an outbound NTLM credential carries; "" on failure. */
static void cred_user(PLUID logon_id, char *out, size_t n, SECURITY_STATUS *st) {
    CredHandle c;
    out[0] = 0;
    *st = AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, logon_id, NULL, NULL,
                                    NULL, &c, NULL);
    if (*st) return;
    SecPkgCredentials_NamesA names;
    if (QueryCredentialsAttributesA(&c, SECPKG_CRED_ATTR_NAMES, &names) == SEC_E_OK) {
        snprintf(out, n, "%s", names.sUserName);
        FreeContextBuffer(names.sUserName);
    }
    FreeCredentialsHandle(&c);
}

static ULONG session_count(void) {
    ULONG n = 0;
    PLUID list = NULL;
    if (LsaEnumerateLogonSessions(&n, &list) == 0) LsaFreeReturnBuffer(list);
    return n;
}

struct worker { HANDLE lsa; ULONG pkg; LUID luid; NTSTATUS st; };

static void *concurrent_logon(void *arg) {
    struct worker *w = arg;
    HANDLE token = NULL;
    NTSTATUS sub;
    w->st = logon(w->lsa, w->pkg, Interactive, "EXAMPLE", "alice", "alice-Passw0rd", &w->luid,
                  &token, &sub);
    if (token) SspiCloseHandle(token);
    return NULL;
}

static void *impersonating_thread(void *arg) {
    HANDLE token = arg;
    char name[128];
    SECURITY_STATUS st;
    CHECK(SspiImpersonateLoggedOnUser(token) == 1, "ImpersonateLoggedOnUser(testuser's token)");
    cred_user(NULL, name, sizeof name, &st);
    CHECK(st == SEC_E_OK && strstr(name, "testuser"),
          "an impersonating thread's default credentials are testuser's (%s)", name);
    CHECK(SspiRevertToSelf() == 1, "RevertToSelf");
    cred_user(NULL, name, sizeof name, &st);
    CHECK(st == SEC_E_OK && strstr(name, "alice"),
          "after RevertToSelf the process default session (alice) is back (%s)", name);
    return NULL;
}

static void package_lookup(HANDLE lsa, ULONG *msv) {
    LSA_STRING n = lsa_str("Negotiate"), k = lsa_str("Kerberos"), m = lsa_str(MSV1_0_PACKAGE_NAME);
    LSA_STRING bad = lsa_str("NoSuchPackage");
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    LSA_STRING lng = lsa_str(longname);
    ULONG id = 99;
    CHECK_NT(LsaLookupAuthenticationPackage(lsa, &n, &id), 0, "Q.117: lookup Negotiate");
    CHECK(id == 0, "Q.117: Negotiate's package id is 0 (%u)", id);
    CHECK_NT(LsaLookupAuthenticationPackage(lsa, &k, &id), 0, "Q.118: lookup Kerberos");
    CHECK_NT(LsaLookupAuthenticationPackage(lsa, &m, msv), 0, "Q.118: lookup MSV1_0");
    CHECK_NT(LsaLookupAuthenticationPackage(lsa, &bad, &id), STATUS_NO_SUCH_PACKAGE,
             "Q.119: unknown package -> STATUS_NO_SUCH_PACKAGE");
    CHECK_NT(LsaLookupAuthenticationPackage(lsa, &lng, &id), STATUS_NAME_TOO_LONG,
             "Q.119: a 199-byte name -> STATUS_NAME_TOO_LONG");
}

static void call_package(HANDLE lsa, int logged_on) {
    NEGOTIATE_CALLER_NAME_REQUEST req = {NegGetCallerName, {0, 0}};
    PVOID resp = (PVOID)1;
    ULONG size = 77;
    NTSTATUS st = 77;
    CHECK_NT(LsaCallAuthenticationPackage(lsa, 0, &req, sizeof req, &resp, &size, &st), 0,
             "Q.120: NegGetCallerName (%s)", logged_on ? "after a logon" : "before any logon");
    if (!logged_on) {
        CHECK(st == STATUS_NO_SUCH_LOGON_SESSION && size == 0 && resp == NULL,
              "Q.120: without a session: STATUS_NO_SUCH_LOGON_SESSION, no buffer (st 0x%08X)", (unsigned)st);
    } else {
        PNEGOTIATE_CALLER_NAME_RESPONSE r = resp;
        int inside = r && (uint8_t *)r->CallerName >= (uint8_t *)r + sizeof *r &&
                     (uint8_t *)r->CallerName < (uint8_t *)r + size;
        CHECK(st == 0 && r && r->MessageType == NegGetCallerName && inside,
              "Q.120: CallerName lies inside the returned block after the structure");
        if (resp) LsaFreeReturnBuffer(resp);
    }
    size = 77; st = 77;
    CHECK_NT(LsaCallAuthenticationPackage(lsa, 0, NULL, 0, NULL, &size, &st), STATUS_INVALID_PARAMETER,
             "Q.121: NULL submit and return buffers -> STATUS_INVALID_PARAMETER");
    CHECK(size == 0 && st == 0, "Q.121: outputs initialised first (size %u, st 0x%08X)", size, (unsigned)st);
    size = 77;
    CHECK_NT(LsaCallAuthenticationPackage(lsa, 0, NULL, 0, NULL, &size, NULL), STATUS_INVALID_PARAMETER,
             "Q.122: ProtocolStatus NULL -> STATUS_INVALID_PARAMETER");
    CHECK(size == 0, "Q.122: size still written");
    st = 77;
    CHECK_NT(LsaCallAuthenticationPackage(lsa, 0, NULL, 0, NULL, NULL, &st), STATUS_INVALID_PARAMETER,
             "Q.122: ReturnBufferLength NULL -> STATUS_INVALID_PARAMETER");
    CHECK(st == 0, "Q.122: status still written");
    resp = (PVOID)1; size = 77; st = 77;
    CHECK_NT(LsaCallAuthenticationPackage(lsa, 0xdeadbeef, &req, sizeof req, &resp, &size, &st),
             STATUS_NO_SUCH_PACKAGE, "Q.123: unknown package id -> STATUS_NO_SUCH_PACKAGE");
    CHECK(st == 0 && size == 0 && resp == NULL, "Q.123: outputs cleared");
    LSA_STRING k = lsa_str("Kerberos");
    ULONG kid;
    LsaLookupAuthenticationPackage(lsa, &k, &kid);
    KERB_QUERY_TKT_CACHE_REQUEST kq = {KerbQueryTicketCacheMessage, {0, 0}};
    resp = NULL;
    CHECK_NT(LsaCallAuthenticationPackage(lsa, kid, &kq, sizeof kq, &resp, &size, &st), 0,
             "Q.124: KerbQueryTicketCacheMessage");
    if (logged_on) {
        PKERB_QUERY_TKT_CACHE_RESPONSE kr = resp;
        CHECK(st == 0 && kr && kr->MessageType == KerbQueryTicketCacheMessage &&
                  size >= sizeof *kr + kr->CountOfTickets * sizeof(KERB_TICKET_CACHE_INFO),
              "Q.124: a KERB_QUERY_TKT_CACHE_RESPONSE (status 0x%08X)", (unsigned)st);
    }
    if (resp) CHECK_NT(LsaFreeReturnBuffer(resp), 0, "Q.124: LsaFreeReturnBuffer(response)");
}

static void bad_submits(HANDLE lsa, ULONG msv) {
    LUID luid;
    HANDLE token = NULL;
    NTSTATUS sub;
    ULONG before = session_count();
    CHECK_NT(logon(lsa, msv, Interactive, "EXAMPLE", "alice", "wrong", &luid, &token, &sub),
             STATUS_LOGON_FAILURE, "Q.131: wrong password -> STATUS_LOGON_FAILURE");
    CHECK_NT(logon(lsa, msv, Interactive, "EXAMPLE", "nobody", "x", &luid, &token, &sub),
             STATUS_LOGON_FAILURE, "Q.131: unknown user -> STATUS_LOGON_FAILURE");
    CHECK(session_count() == before, "a failed logon caches nothing (%u sessions)", session_count());
    SECURITY_STATUS st;
    char name[128];
    cred_user(NULL, name, sizeof name, &st);
    CHECK(st == SEC_E_NO_CREDENTIALS, "after failed logons ACH(NULL) -> SEC_E_NO_CREDENTIALS (0x%08X)", (unsigned)st);
    CHECK_NT(logon(lsa, msv, 1, "EXAMPLE", "alice", "alice-Passw0rd", &luid, &token, &sub),
             STATUS_INVALID_LOGON_TYPE, "logon type 1 -> STATUS_INVALID_LOGON_TYPE");
    CHECK_NT(logon(lsa, 0x7777, Interactive, "EXAMPLE", "alice", "alice-Passw0rd", &luid, &token, &sub),
             STATUS_NO_SUCH_PACKAGE, "Q.131: unknown package -> STATUS_NO_SUCH_PACKAGE");

    ULONG size;
    MSV1_0_INTERACTIVE_LOGON *l = lsa_interactive_submit("EXAMPLE", "alice", "alice-Passw0rd", &size);
    LSA_STRING origin = lsa_str("lsa_test");
    QUOTA_LIMITS q;
    PVOID profile = NULL;
    ULONG plen;
    l->MessageType = 99;
    CHECK_NT(LsaLogonUser(lsa, &origin, Interactive, msv, l, size, NULL, NULL, &profile, &plen,
                          &luid, &token, &q, &sub),
             STATUS_BAD_VALIDATION_CLASS, "Q.131: unknown MessageType -> STATUS_BAD_VALIDATION_CLASS");
    l->MessageType = MsV1_0InteractiveLogon;
    l->UserName.Buffer = (PWSTR)((uint8_t *)l + size + 64);
    CHECK_NT(LsaLogonUser(lsa, &origin, Interactive, msv, l, size, NULL, NULL, &profile, &plen,
                          &luid, &token, &q, &sub),
             STATUS_INVALID_PARAMETER, "a UNICODE_STRING outside the submit buffer -> STATUS_INVALID_PARAMETER");
    CHECK_NT(LsaLogonUser(lsa, &origin, Interactive, msv, l, 20, NULL, NULL, &profile, &plen,
                          &luid, &token, &q, &sub),
             STATUS_INVALID_PARAMETER, "a 20-byte submit buffer -> STATUS_INVALID_PARAMETER");
    CHECK_NT(LsaLogonUser(lsa, &origin, Interactive, msv, NULL, size, NULL, NULL, &profile, &plen,
                          &luid, &token, &q, &sub),
             STATUS_INVALID_PARAMETER, "a NULL submit buffer -> STATUS_INVALID_PARAMETER");
    CHECK(session_count() == before, "malformed submits cache nothing");
    lsa_submit_free(l, size);
}

int main(void) {
    HANDLE lsa, reg;
    ULONG msv = 0, mode;
    CHECK_NT(LsaConnectUntrusted(&lsa), 0, "Q.116: LsaConnectUntrusted");
    package_lookup(lsa, &msv);
    call_package(lsa, 0);
    bad_submits(lsa, msv);

    LUID alice, tu;
    HANDLE ta = NULL, tt = NULL;
    NTSTATUS sub = 77;
    CHECK_NT(logon(lsa, msv, Interactive, "EXAMPLE", "alice", "alice-Passw0rd", &alice, &ta, &sub),
             0, "Q.131: LsaLogonUser(Interactive, MSV1_0) alice");
    CHECK(sub == 0 && ta != NULL && (alice.LowPart || alice.HighPart),
          "Q.131: a token, a LUID and substatus 0");
    call_package(lsa, 1);
    CHECK_NT(logon(lsa, msv, Interactive, "WORKGROUP", "testuser", "testpass", &tu, &tt, &sub),
             0, "LsaLogonUser testuser");
    CHECK(memcmp(&alice, &tu, sizeof alice) != 0, "two logons, two sessions");

    PSECURITY_LOGON_SESSION_DATA d = NULL;
    CHECK_NT(LsaGetLogonSessionData(&alice, &d), 0, "Q.128: LsaGetLogonSessionData(alice)");
    if (d) {
        CHECK(d->Size >= sizeof(SECURITY_LOGON_SESSION_DATA) && d->Size >= 272, "Q.128: Size %u", d->Size);
        CHECK(!memcmp(&d->LogonId, &alice, sizeof alice), "Q.128: LogonId is the one asked for");
        CHECK(d->AuthenticationPackage.Length > 0 && d->UserName.Length == 10 &&
                  d->LogonType == Interactive && d->Sid != NULL,
              "Q.128: user name, package, logon type and SID are filled in");
        CHECK_NT(LsaFreeReturnBuffer(d), 0, "Q.132: LsaFreeReturnBuffer(session data)");
    }
    ULONG n = 0;
    PLUID list = NULL;
    CHECK_NT(LsaEnumerateLogonSessions(&n, &list), 0, "Q.130: LsaEnumerateLogonSessions");
    int found = 0;
    for (ULONG i = 0; i < n; i++) found += !memcmp(&list[i], &alice, sizeof alice) || !memcmp(&list[i], &tu, sizeof tu);
    CHECK(found == 2, "Q.130: both sessions are listed (%u listed)", n);
    if (list) LsaFreeReturnBuffer(list);

    /* which session a call uses */
    char name[128];
    SECURITY_STATUS st;
    cred_user(NULL, name, sizeof name, &st);
    CHECK(st == SEC_E_OK && strstr(name, "alice"),
          "ACH(NULL) uses the process default session: the first logon, alice (%s)", name);
    cred_user(&tu, name, sizeof name, &st);
    CHECK(st == SEC_E_OK && strstr(name, "testuser"), "pvLogonId selects testuser's session (%s)", name);
    LUID bogus = {0x1234, 0x5678};
    cred_user(&bogus, name, sizeof name, &st);
    CHECK(st == SEC_E_LOGON_DENIED, "pvLogonId of no session of ours -> SEC_E_LOGON_DENIED (0x%08X)", (unsigned)st);
    pthread_t th;
    pthread_create(&th, NULL, impersonating_thread, tt);
    pthread_join(th, NULL);

    /* concurrent logons */
    struct worker w[6];
    pthread_t ths[6];
    for (int i = 0; i < 6; i++) {
        w[i].lsa = lsa;
        w[i].pkg = msv;
        pthread_create(&ths[i], NULL, concurrent_logon, &w[i]);
    }
    int distinct = 1, ok = 1;
    for (int i = 0; i < 6; i++) pthread_join(ths[i], NULL);
    for (int i = 0; i < 6; i++) {
        ok &= w[i].st == 0;
        for (int j = 0; j < i; j++) distinct &= memcmp(&w[i].luid, &w[j].luid, sizeof(LUID)) != 0;
    }
    CHECK(ok && distinct, "six concurrent logons from six threads get six distinct sessions");
    for (int i = 0; i < 6; i++) SspiLogoffSession(&w[i].luid);

    /* logoff */
    CHECK_NT(SspiLogoffSession(&alice), 0, "logoff alice");
    CHECK_NT(LsaGetLogonSessionData(&alice, &d), STATUS_NO_SUCH_LOGON_SESSION,
             "a logged-off session is gone");
    cred_user(&alice, name, sizeof name, &st);
    CHECK(st == SEC_E_LOGON_DENIED || st == SEC_E_NO_CREDENTIALS,
          "pvLogonId of a logged-off session fails (0x%08X)", (unsigned)st);
    CHECK_NT(SspiLogoffSession(&tu), 0, "logoff testuser");
    cred_user(NULL, name, sizeof name, &st);
    CHECK(st == SEC_E_NO_CREDENTIALS, "after logoff ACH(NULL) -> SEC_E_NO_CREDENTIALS (0x%08X)", (unsigned)st);
    SspiCloseHandle(ta);
    SspiCloseHandle(tt);
    CHECK(SspiCloseHandle(ta) == 0, "closing a token twice fails");

    LSA_STRING proc = lsa_str("lsa_test");
    NTSTATUS rs = LsaRegisterLogonProcess(&proc, &reg, &mode);
    CHECK(rs == 0 || rs == STATUS_PORT_CONNECTION_REFUSED,
          "Q.127: LsaRegisterLogonProcess -> SUCCESS (uid 0) or PORT_CONNECTION_REFUSED (0x%08X)", (unsigned)rs);
    if (rs == 0) CHECK_NT(LsaDeregisterLogonProcess(reg), 0, "Q.126: deregister it");
    CHECK_NT(LsaDeregisterLogonProcess(lsa), 0, "Q.126: LsaDeregisterLogonProcess");
    CHECK_NT(LsaDeregisterLogonProcess(lsa), STATUS_INVALID_HANDLE, "Q.126: a closed handle -> STATUS_INVALID_HANDLE");
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
