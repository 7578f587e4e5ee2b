/* Group creds: D 18-27, 29-32 (AcquireCredentialsHandle), E 33-35
 * (FreeCredentialsHandle), O 107 (QueryCredentialsAttributes NAMES). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

static SECURITY_STATUS ach_a(const char *pkg, ULONG use, void *auth, CredHandle *c)
{
    TimeStamp ts;
    return api.AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkg, use, NULL, auth, NULL, NULL, c, &ts);
}

static SECURITY_STATUS ach_w(const char *pkg, ULONG use, void *auth, CredHandle *c)
{
    TimeStamp ts;
    SEC_WCHAR *w = w_dup(pkg);
    SECURITY_STATUS st = api.AcquireCredentialsHandleW(NULL, w, use, NULL, auth, NULL, NULL, c, &ts);
    free(w);
    return st;
}

/* Acquire, check status, check handle shape, free. */
static void ach_case(int wide, const char *pkg, ULONG use, void *auth, SECURITY_STATUS want,
                     const char *desc)
{
    CredHandle c;
    set_handle(&c, 0xdeadbeef, 0xdeadbeef);
    SECURITY_STATUS st = wide ? ach_w(pkg, use, auth, &c) : ach_a(pkg, use, auth, &c);
    CHECK_ST(st, want, "%s", desc);
    if (st == SEC_E_OK) {
        CHECK(handle_is_live_shape(&c), "L.100: %s: credential handle is not {0,0}/{-1,-1}/dwLower 0 ({%#lx,%#lx})",
              desc, (unsigned long)c.dwLower, (unsigned long)c.dwUpper);
        CHECK_ST(api.FreeCredentialsHandle(&c), SEC_E_OK, "E.33: FreeCredentialsHandle after %s", desc);
    }
}

/* D.25: Windows always has a logon session for the caller, so ACH(NULL) succeeds there. Here a
 * session exists only after a logon: without one the answer is SEC_E_NO_CREDENTIALS (the
 * project's rule, issue "LSA core"), after LogonUser it is SEC_E_OK, after logoff NO_CREDENTIALS. */
static void default_credentials(void)
{
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, NULL, SEC_E_NO_CREDENTIALS,
             "D.25: ACH-W NTLM OUTBOUND, pAuthData NULL, no logon session yet");
    HANDLE token = NULL;
    SEC_WCHAR *u = w_dup("testuser"), *d = w_dup("WORKGROUP"), *p = w_dup("testpass");
    int32_t ok = api.SspiLogonUserW(u, d, p, 2 /* LOGON32_LOGON_INTERACTIVE */, 0, &token);
    free(u);
    free(d);
    free(p);
    CHECK(ok == 1, "D.25: SspiLogonUserW(testuser, WORKGROUP) succeeds");
    if (ok != 1) return;
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, NULL, SEC_E_OK,
             "D.25: ACH-W NTLM OUTBOUND, pAuthData NULL after a logon (default credentials)");
    LUID luid;
    CHECK(api.SspiGetTokenLogonId(token, &luid) == 0, "D.25: the token names its logon session");
    CHECK(api.SspiLogoffSession(&luid) == 0, "D.25: logoff");
    CHECK(api.SspiCloseHandle(token) == 1, "D.25: close the token");
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, NULL, SEC_E_NO_CREDENTIALS,
             "D.25: ACH-W NTLM OUTBOUND, pAuthData NULL after logoff");
}

static void ach_identity_a(void)
{
    struct ident id;
    ident_init(&id, "testuser", "WORKGROUP", "testpass");
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &id.a, SEC_E_OK, "D.18: ACH-A NTLM OUTBOUND identity A testuser/WORKGROUP/testpass");
    id.a.DomainLength = 0;
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &id.a, SEC_E_OK, "D.19: ACH-A DomainLength 0");
    id.a.Domain = NULL;
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &id.a, SEC_E_OK, "D.19: ACH-A Domain NULL");
    id.a.Domain = (void *)"WORKGROUP";
    id.a.DomainLength = 9;
    id.a.User = NULL;
    id.a.UserLength = 0;
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &id.a, SEC_E_OK, "D.20: ACH-A User NULL, UserLength 0");
    id.a.User = (void *)"testuser";
    id.a.UserLength = 8;
    id.a.Password = NULL;
    id.a.PasswordLength = 0;
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &id.a, SEC_E_OK, "D.21: ACH-A Password NULL, PasswordLength 0");
    ident_free(&id);
}

static void ach_identity_w(void)
{
    struct ident id;
    static SEC_WCHAR empty[1] = {0};
    ident_init(&id, "testuser", "WORKGROUP", "testpass");
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &id.w, SEC_E_OK, "D.22: ACH-W NTLM OUTBOUND identity W");
    id.w.DomainLength = 0;
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &id.w, SEC_E_OK, "D.22: ACH-W DomainLength 0");
    id.w.Domain = NULL;
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &id.w, SEC_E_OK, "D.22: ACH-W Domain NULL");
    id.w.Domain = (void *)id.wd;
    id.w.DomainLength = 9;
    id.w.User = NULL;
    id.w.UserLength = 0;
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &id.w, SEC_E_OK, "D.22: ACH-W User NULL, UserLength 0");
    id.w.User = (void *)id.wu;
    id.w.UserLength = 8;
    id.w.Password = (void *)empty;
    id.w.PasswordLength = 0;
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &id.w, SEC_E_OK, "D.22: ACH-W non-NULL password, PasswordLength 0");
    ident_free(&id);

    /* D.23: W entry point with an ANSI-flagged A identity */
    ident_init(&id, "testuser", "WORKGROUP", "testpass");
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &id.a, SEC_E_OK, "D.23: ACH-W accepts ANSI-flagged SEC_WINNT_AUTH_IDENTITY_A");
    /* and the A entry point with a UNICODE-flagged W identity (Flags select the width) */
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &id.w, SEC_E_OK, "D.23/30: ACH-A accepts UNICODE-flagged SEC_WINNT_AUTH_IDENTITY_W");
    ident_free(&id);
}

/* D.30/31: EX identities, FreeRDP's EXW-through-A with flag 0x200 and trailing bytes. */
static void ach_identity_ex(void)
{
    struct ident id;
    ident_init(&id, "testuser", "WORKGROUP", "testpass");
    SEC_WINNT_AUTH_IDENTITY_EXW exw;
    memset(&exw, 0, sizeof exw);
    exw.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    exw.Length = sizeof exw;
    exw.User = (void *)id.wu;
    exw.UserLength = 8;
    exw.Domain = (void *)id.wd;
    exw.DomainLength = 9;
    exw.Password = (void *)id.wp;
    exw.PasswordLength = 8;
    exw.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    ach_case(1, "NTLM", SECPKG_CRED_OUTBOUND, &exw, SEC_E_OK, "D.30: ACH-W SEC_WINNT_AUTH_IDENTITY_EXW");

    SEC_WINNT_AUTH_IDENTITY_EXA exa;
    memset(&exa, 0, sizeof exa);
    exa.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    exa.Length = sizeof exa;
    exa.User = (void *)"testuser";
    exa.UserLength = 8;
    exa.Domain = (void *)"WORKGROUP";
    exa.DomainLength = 9;
    exa.Password = (void *)"testpass";
    exa.PasswordLength = 8;
    exa.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND, &exa, SEC_E_OK, "D.30: ACH-A SEC_WINNT_AUTH_IDENTITY_EXA");

    /* FreeRDP: EXW via the A entry point, Flags UNICODE|0x200, trailing private fields. */
    struct {
        SEC_WINNT_AUTH_IDENTITY_EXW ex;
        unsigned char trailing[64];
    } frdp;
    memset(&frdp, 0x5a, sizeof frdp);
    frdp.ex = exw;
    frdp.ex.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE | 0x200;
    frdp.ex.PackageList = NULL;
    frdp.ex.PackageListLength = 0;
    ach_case(0, "NTLM", SECPKG_CRED_OUTBOUND | SECPKG_CRED_INBOUND, &frdp, SEC_E_OK,
             "D.31 [FRDP]: ACH-A NTLM OUTBOUND|INBOUND with EXW, flags 0x202, trailing bytes");
    if (package_registered("Negotiate")) {
        static const char16_t pl[] = u"!kerberos";
        frdp.ex.PackageList = (void *)pl;
        frdp.ex.PackageListLength = 9;
        ach_case(0, "Negotiate", SECPKG_CRED_OUTBOUND | SECPKG_CRED_INBOUND, &frdp, SEC_E_OK,
                 "D.31 [FRDP]: ACH-A Negotiate with EXW, PackageList \"!kerberos\"");
    }
    ident_free(&id);
}

static void ach_other(void)
{
    ach_case(1, "NTLM", SECPKG_CRED_INBOUND, NULL, SEC_E_OK, "D.24: ACH-W NTLM INBOUND, pAuthData NULL");
    ach_case(0, "NTLM", SECPKG_CRED_INBOUND, NULL, SEC_E_OK, "D.24: ACH-A NTLM INBOUND, pAuthData NULL");
    if (package_registered("Negotiate"))
        ach_case(1, "Negotiate", SECPKG_CRED_INBOUND, NULL, SEC_E_OK, "D.24: ACH-W Negotiate INBOUND, pAuthData NULL");
    else
        SKIP("D.24: Negotiate is not registered");
    default_credentials();

    /* ptsExpiry NULL */
    CredHandle c;
    struct ident id;
    ident_init(&id, "testuser", "WORKGROUP", "testpass");
    SECURITY_STATUS st = api.AcquireCredentialsHandleW(NULL, W("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &id.w,
                                                       NULL, NULL, &c, NULL);
    CHECK_ST(st, SEC_E_OK, "D.26/31: ACH-W NTLM with ptsExpiry NULL");
    if (st == SEC_E_OK) api.FreeCredentialsHandle(&c);
    if (package_registered("Kerberos")) {
        st = api.AcquireCredentialsHandleW(NULL, W("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &c, NULL);
        CHECK_ST(st, SEC_E_OK, "D.26: ACH-W Kerberos OUTBOUND, pAuthData NULL, ptsExpiry NULL");
        if (st == SEC_E_OK) api.FreeCredentialsHandle(&c);
    } else {
        SKIP("D.26: Kerberos is not registered");
    }

    /* D.27 unknown / NULL package */
    set_handle(&c, 0xdeadbeef, 0xdeadbeef);
    st = ach_w("Winetest", SECPKG_CRED_OUTBOUND, &id.w, &c);
    CHECK_ST(st, SEC_E_SECPKG_NOT_FOUND, "D.27: ACH-W unknown package");
    st = ach_a("Winetest", SECPKG_CRED_OUTBOUND, &id.a, &c);
    CHECK_ST(st, SEC_E_SECPKG_NOT_FOUND, "D.27: ACH-A unknown package");
    st = api.AcquireCredentialsHandleW(NULL, NULL, SECPKG_CRED_OUTBOUND, NULL, &id.w, NULL, NULL, &c, NULL);
    CHECK_FAILED(st, "D.27: ACH-W NULL package name fails");
    PROBE_ST(st, SEC_E_SECPKG_NOT_FOUND, "D.27 [WI]: ACH-W NULL package name");
    st = api.AcquireCredentialsHandleA(NULL, NULL, SECPKG_CRED_OUTBOUND, NULL, &id.a, NULL, NULL, &c, NULL);
    CHECK_FAILED(st, "D.27: ACH-A NULL package name fails");
    PROBE_ST(st, SEC_E_SECPKG_NOT_FOUND, "D.27 [WI]: ACH-A NULL package name");
    st = ach_w("ntlm", SECPKG_CRED_OUTBOUND, &id.w, &c);
    CHECK_ST(st, SEC_E_OK, "C.17: ACH-W package name is case-insensitive (\"ntlm\")");
    if (st == SEC_E_OK) api.FreeCredentialsHandle(&c);

    /* NULL phCredential */
    st = api.AcquireCredentialsHandleW(NULL, W("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &id.w, NULL, NULL, NULL, NULL);
    CHECK_FAILED(st, "D: ACH-W with phCredential NULL fails without crashing");

    /* D.29 fCredentialUse */
    ULONG bad[] = {0, 4, 8, 0x10};
    for (int i = 0; i < 4; i++) {
        set_handle(&c, 0, 0);
        st = ach_w("NTLM", bad[i], &id.w, &c);
        PROBE_ST(st, SEC_E_UNKNOWN_CREDENTIALS, "D.29 [WI]: ACH-W fCredentialUse 0x%x", (unsigned)bad[i]);
        if (st == SEC_E_OK) api.FreeCredentialsHandle(&c);
    }
    st = ach_w("NTLM", SECPKG_CRED_BOTH, &id.w, &c);
    CHECK_ST(st, SEC_E_OK, "D.29: ACH-W SECPKG_CRED_BOTH is supported (Windows)");
    if (st == SEC_E_OK) api.FreeCredentialsHandle(&c);
    ident_free(&id);
}

/* D.32: one credential, two contexts. */
static void cred_multiple_use(void)
{
    CredHandle cred;
    SECURITY_STATUS st = acquire_client("NTLM", &cred, "testuser", "WORKGROUP", "testpass");
    CHECK_ST(st, SEC_E_OK, "D.32: ACH for multiple use");
    if (st != SEC_E_OK) return;
    CtxtHandle c1, c2;
    unsigned char b1[4096], b2[4096];
    SecBuffer o1 = {sizeof b1, SECBUFFER_TOKEN, b1}, o2 = {sizeof b2, SECBUFFER_TOKEN, b2};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, &o1}, d2 = {SECBUFFER_VERSION, 1, &o2};
    ULONG attr;
    TimeStamp ts;
    SECURITY_STATUS s1 = api.InitializeSecurityContextA(&cred, NULL, NULL, ISC_REQ_CONNECTION, 0, SECURITY_NETWORK_DREP,
                                                        NULL, 0, &c1, &d1, &attr, &ts);
    SECURITY_STATUS s2 = api.InitializeSecurityContextA(&cred, NULL, NULL, ISC_REQ_CONNECTION, 0, SECURITY_NETWORK_DREP,
                                                        NULL, 0, &c2, &d2, &attr, &ts);
    CHECK_ST(s1, SEC_I_CONTINUE_NEEDED, "D.32: first context from shared credential");
    CHECK_ST(s2, SEC_I_CONTINUE_NEEDED, "D.32: second context from shared credential");
    if (s1 == SEC_I_CONTINUE_NEEDED && s2 == SEC_I_CONTINUE_NEEDED)
        CHECK(c1.dwLower != c2.dwLower || c1.dwUpper != c2.dwUpper, "D.32: the two contexts have distinct handles");
    if (s1 == SEC_I_CONTINUE_NEEDED) CHECK_ST(api.DeleteSecurityContext(&c1), SEC_E_OK, "D.32/L.99: delete first-leg context 1");
    if (s2 == SEC_I_CONTINUE_NEEDED) CHECK_ST(api.DeleteSecurityContext(&c2), SEC_E_OK, "D.32/L.99: delete first-leg context 2");
    CHECK_ST(api.FreeCredentialsHandle(&cred), SEC_E_OK, "D.32: FreeCredentialsHandle after both contexts");
}

/* E.33-35 */
static void free_cred_checks(void)
{
    CredHandle c, s;
    SECURITY_STATUS st = acquire_client("NTLM", &c, "testuser", "WORKGROUP", "testpass");
    SECURITY_STATUS st2 = acquire_server("NTLM", &s);
    if (st == SEC_E_OK) {
        CredHandle copy = c;
        CHECK_ST(api.FreeCredentialsHandle(&c), SEC_E_OK, "E.33: FreeCredentialsHandle(client cred)");
        CHECK_ST(api.FreeCredentialsHandle(&copy), SEC_E_INVALID_HANDLE, "E.35: second FreeCredentialsHandle of the same handle");
    }
    if (st2 == SEC_E_OK) CHECK_ST(api.FreeCredentialsHandle(&s), SEC_E_OK, "E.33: FreeCredentialsHandle(server cred)");
    CHECK_ST(api.FreeCredentialsHandle(NULL), SEC_E_INVALID_HANDLE, "E.34: FreeCredentialsHandle(NULL)");
    set_handle(&c, 0xdeadbeef, 0xdeadbeef);
    CHECK_ST(api.FreeCredentialsHandle(&c), SEC_E_INVALID_HANDLE, "E.34: FreeCredentialsHandle({0xdeadbeef,0xdeadbeef})");
}

/* O.107: QueryCredentialsAttributes(NAMES) */
static void cred_names(void)
{
    CredHandle c;
    SECURITY_STATUS st = acquire_client("NTLM", &c, "testuser", "WORKGROUP", "testpass");
    if (st != SEC_E_OK) {
        CHECK_ST(st, SEC_E_OK, "O.107: ACH for cred names");
        return;
    }
    SecPkgCredentials_NamesW nw;
    nw.sUserName = (void *)(uintptr_t)0xdeadbeef;
    st = api.QueryCredentialsAttributesW(&c, SECPKG_CRED_ATTR_NAMES, &nw);
    CHECK_ST(st, SEC_E_OK, "O.107: QueryCredentialsAttributesW(SECPKG_CRED_ATTR_NAMES)");
    if (st == SEC_E_OK) {
        CHECK(nw.sUserName && (uintptr_t)nw.sUserName != 0xdeadbeef, "O.107: W sUserName set");
        if (nw.sUserName && (uintptr_t)nw.sUserName != 0xdeadbeef) {
            PROBE(w_ieq(nw.sUserName, "WORKGROUP\\testuser"), "O.107 [PROBE]: W sUserName is DOMAIN\\user (got \"%s\")", w_to_a(nw.sUserName));
            CHECK_ST(api.FreeContextBuffer(nw.sUserName), SEC_E_OK, "N.105: FreeContextBuffer(cred NAMES W)");
        }
    }
    SecPkgCredentials_NamesA na;
    na.sUserName = NULL;
    st = api.QueryCredentialsAttributesA(&c, SECPKG_CRED_ATTR_NAMES, &na);
    CHECK_ST(st, SEC_E_OK, "O.107: QueryCredentialsAttributesA(SECPKG_CRED_ATTR_NAMES)");
    if (st == SEC_E_OK && na.sUserName) {
        PROBE(a_ieq(na.sUserName, "WORKGROUP\\testuser"), "O.107 [PROBE]: A sUserName is DOMAIN\\user (got \"%s\")", na.sUserName);
        CHECK_ST(api.FreeContextBuffer(na.sUserName), SEC_E_OK, "N.105: FreeContextBuffer(cred NAMES A)");
    }
    st = api.QueryCredentialsAttributesW(&c, 0x7fff, &nw);
    PROBE_ST(st, SEC_E_UNSUPPORTED_FUNCTION, "O [WI]: QueryCredentialsAttributesW(unknown attribute 0x7fff)");
    st = api.QueryCredentialsAttributesW(&c, SECPKG_CRED_ATTR_NAMES, NULL);
    CHECK_FAILED(st, "O.107: QueryCredentialsAttributesW(NAMES, NULL buffer) fails without crashing");
    api.FreeCredentialsHandle(&c);
}

void t_creds(void)
{
    ach_identity_a();
    ach_identity_w();
    ach_identity_ex();
    ach_other();
    cred_multiple_use();
    free_cred_checks();
    cred_names();
}
