/* interpose: the function tables call libopensspi's own code, whoever else is loaded.
 *
 *   interpose LIB.so local|global
 *
 * The program itself defines every name the library exports (tests/c/interpose_defs.c, the
 * stand-in for WinPR 2 or any other SSPI library loaded first) and is linked with -rdynamic, so
 * those definitions come first in the global scope. It then dlopen()s LIB (RTLD_NOW with
 * RTLD_LOCAL or RTLD_GLOBAL) and checks, through InitSecurityInterfaceW/A only:
 *   - every slot of both tables points into LIB (dladdr), not into the program;
 *   - every slot called with bad input answers with the library's status (SEC_E_INVALID_HANDLE,
 *     ...), never the stand-ins' sentinel 0x7777;
 *   - a real NTLM handshake, sealing and signing work through the W table and, for
 *     InitializeSecurityContextA / AcquireCredentialsHandleA, the A table;
 *   - the LSA-style exports (SspiLogonUserW, SspiGetTokenLogonId, Lsa*) looked up with dlsym
 *     work, and a credential of the new logon session authenticates through the table;
 *   - no stand-in ran at all.
 * Output: "ok"/"not ok" lines, then "N passed, M failed"; exit 0 iff nothing failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>
#include <unistd.h>

#define SENTINEL ((SECURITY_STATUS)0x7777)
#define W(s) ((SEC_WCHAR *)u##s)
#define WLEN(s) ((ULONG)(sizeof(u##s) / sizeof(char16_t) - 1))

extern int interposer_hits;          /* interpose_defs.c */
extern const char *interposer_last;

static int passed, failed;
static void check(int ok, const char *what, long long got)
{
    if (ok) {
        passed++;
        printf("ok - %s\n", what);
    } else {
        failed++;
        printf("not ok - %s (got 0x%llx)\n", what, (unsigned long long)got);
    }
}
/* a status from the library: not the stand-ins' sentinel, and `want` when given */
static void status(SECURITY_STATUS st, SECURITY_STATUS want, const char *what)
{
    check(st != SENTINEL && st == want, what, (uint32_t)st);
}

static SecurityFunctionTableW *TW;
static SecurityFunctionTableA *TA;
static void *g_lib, *lib_base;

/* ---- every slot lies in the library --------------------------------------------------------- */
static void slot_in_library(const char *table, const char *name, void *fn)
{
    char what[160];
    Dl_info info;
    snprintf(what, sizeof what, "%s table slot %s points into the library", table, name);
    if (!fn) {
        check(0, what, 0);
        return;
    }
    int found = dladdr(fn, &info);
    check(found && info.dli_fbase == lib_base, what, (long long)(uintptr_t)fn);
}

#define SLOT(table, t, name)                                                                       \
    do {                                                                                           \
        void *p_;                                                                                  \
        memcpy(&p_, &(t)->name, sizeof p_);                                                        \
        slot_in_library(table, #name, p_);                                                         \
    } while (0)

#define COMMON_SLOTS(table, t)                                                                     \
    SLOT(table, t, AcceptSecurityContext); SLOT(table, t, CompleteAuthToken);                      \
    SLOT(table, t, DeleteSecurityContext); SLOT(table, t, ApplyControlToken);                      \
    SLOT(table, t, ImpersonateSecurityContext); SLOT(table, t, RevertSecurityContext);             \
    SLOT(table, t, MakeSignature); SLOT(table, t, VerifySignature);                                \
    SLOT(table, t, FreeContextBuffer); SLOT(table, t, Reserved3); SLOT(table, t, Reserved4);       \
    SLOT(table, t, ExportSecurityContext); SLOT(table, t, QuerySecurityContextToken);              \
    SLOT(table, t, EncryptMessage); SLOT(table, t, DecryptMessage)

static void slots(void)
{
    COMMON_SLOTS("W", TW);
    SLOT("W", TW, EnumerateSecurityPackagesW); SLOT("W", TW, QueryCredentialsAttributesW);
    SLOT("W", TW, AcquireCredentialsHandleW); SLOT("W", TW, FreeCredentialsHandle);
    SLOT("W", TW, InitializeSecurityContextW); SLOT("W", TW, QueryContextAttributesW);
    SLOT("W", TW, QuerySecurityPackageInfoW); SLOT("W", TW, ImportSecurityContextW);
    SLOT("W", TW, AddCredentialsW); SLOT("W", TW, SetContextAttributesW);
    SLOT("W", TW, SetCredentialsAttributesW); SLOT("W", TW, ChangeAccountPasswordW);
    SLOT("W", TW, QueryContextAttributesExW); SLOT("W", TW, QueryCredentialsAttributesExW);
    COMMON_SLOTS("A", TA);
    SLOT("A", TA, EnumerateSecurityPackagesA); SLOT("A", TA, QueryCredentialsAttributesA);
    SLOT("A", TA, AcquireCredentialsHandleA); SLOT("A", TA, FreeCredentialHandle);
    SLOT("A", TA, InitializeSecurityContextA); SLOT("A", TA, QueryContextAttributesA);
    SLOT("A", TA, QuerySecurityPackageInfoA); SLOT("A", TA, ImportSecurityContextA);
    SLOT("A", TA, AddCredentialsA); SLOT("A", TA, SetContextAttributesA);
    SLOT("A", TA, SetCredentialsAttributesA); SLOT("A", TA, ChangeAccountPasswordA);
    SLOT("A", TA, QueryContextAttributesExA); SLOT("A", TA, QueryCredentialsAttributesExA);
}

/* ---- every slot answers bad input with the library's status ---------------------------------- */
static void bad_input(void)
{
    CredHandle bogus_cred = {0x1234, 0x5678};
    CtxtHandle bogus_ctx = {0x1234, 0x5678}, out_ctx;
    SecBuffer b = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    ULONG n = 0, attr = 0;
    char buf[64];
    void *p = NULL;
    TimeStamp ts;
    PSecPkgInfoW wi = NULL;
    PSecPkgInfoA ai = NULL;
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    const SECURITY_STATUS H = SEC_E_INVALID_HANDLE;

    status(TW->AcceptSecurityContext(&bogus_cred, NULL, &d, 0, 0, &out_ctx, &d, &attr, &ts), H,
           "AcceptSecurityContext(forged credential)");
    status(TW->CompleteAuthToken(&bogus_ctx, &d), H, "CompleteAuthToken(forged context)");
    status(TW->DeleteSecurityContext(&bogus_ctx), H, "DeleteSecurityContext(forged context)");
    status(TW->ApplyControlToken(&bogus_ctx, &d), H, "ApplyControlToken(forged context)");
    status(TW->ImpersonateSecurityContext(&bogus_ctx), H, "ImpersonateSecurityContext(forged)");
    status(TW->RevertSecurityContext(&bogus_ctx), H, "RevertSecurityContext(forged)");
    status(TW->MakeSignature(&bogus_ctx, 0, &d, 0), H, "MakeSignature(forged context)");
    status(TW->VerifySignature(&bogus_ctx, &d, 0, &n), H, "VerifySignature(forged context)");
    status(TW->FreeContextBuffer(NULL), SEC_E_OK, "FreeContextBuffer(NULL)");
    status(TW->Reserved3(&bogus_ctx, 0, &d, 0), H, "Reserved3 = EncryptMessage(forged)");
    status(TW->Reserved4(&bogus_ctx, &d, 0, &n), H, "Reserved4 = DecryptMessage(forged)");
    status(TW->ExportSecurityContext(&bogus_ctx, 0, &packed, &p), H, "ExportSecurityContext(forged)");
    status(TW->QuerySecurityContextToken(&bogus_ctx, &p), H, "QuerySecurityContextToken(forged)");
    status(TW->EncryptMessage(&bogus_ctx, 0, &d, 0), H, "EncryptMessage(forged context)");
    status(TW->DecryptMessage(&bogus_ctx, &d, 0, &n), H, "DecryptMessage(forged context)");

    status(TW->QueryCredentialsAttributesW(&bogus_cred, 1, buf), H, "QueryCredentialsAttributesW(forged)");
    status(TW->AcquireCredentialsHandleW(NULL, W("NoSuchPackage"), SECPKG_CRED_OUTBOUND, NULL, NULL,
                                         NULL, NULL, &bogus_cred, &ts),
           SEC_E_SECPKG_NOT_FOUND, "AcquireCredentialsHandleW(unknown package)");
    status(TW->FreeCredentialsHandle(&bogus_cred), H, "FreeCredentialsHandle(forged)");
    status(TW->InitializeSecurityContextW(&bogus_cred, NULL, NULL, 0, 0, 0, NULL, 0, &out_ctx, &d,
                                          &attr, &ts),
           H, "InitializeSecurityContextW(forged credential)");
    status(TW->QueryContextAttributesW(&bogus_ctx, SECPKG_ATTR_SIZES, buf), H,
           "QueryContextAttributesW(forged)");
    status(TW->QuerySecurityPackageInfoW(W("NoSuchPackage"), &wi), SEC_E_SECPKG_NOT_FOUND,
           "QuerySecurityPackageInfoW(unknown package)");
    status(TW->ImportSecurityContextW(W("NoSuchPackage"), &packed, NULL, &out_ctx),
           SEC_E_SECPKG_NOT_FOUND, "ImportSecurityContextW(unknown package)");
    status(TW->AddCredentialsW(&bogus_cred, NULL, W("NTLM"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                               &ts),
           H, "AddCredentialsW(forged)");
    status(TW->SetContextAttributesW(&bogus_ctx, 1, buf, sizeof buf), H, "SetContextAttributesW(forged)");
    status(TW->SetCredentialsAttributesW(&bogus_cred, 1, buf, sizeof buf), H,
           "SetCredentialsAttributesW(forged)");
    status(TW->QueryContextAttributesExW(&bogus_ctx, SECPKG_ATTR_SIZES, buf, sizeof buf), H,
           "QueryContextAttributesExW(forged)");
    status(TW->QueryCredentialsAttributesExW(&bogus_cred, 1, buf, sizeof buf), H,
           "QueryCredentialsAttributesExW(forged)");
    SECURITY_STATUS st = TW->ChangeAccountPasswordW(W("NoSuchPackage"), W("D"), W("u"), W("a"), W("b"), 0, 0, &d);
    check(st != SENTINEL && st < 0, "ChangeAccountPasswordW(unknown package) fails in the library", (uint32_t)st);
    st = TW->EnumerateSecurityPackagesW(&n, &wi);
    check(st == SEC_E_OK && n > 0, "EnumerateSecurityPackagesW lists packages", (uint32_t)st);
    if (st == SEC_E_OK) TW->FreeContextBuffer(wi);

    status(TA->AcceptSecurityContext(&bogus_cred, NULL, &d, 0, 0, &out_ctx, &d, &attr, &ts), H,
           "A table AcceptSecurityContext(forged credential)");
    status(TA->QueryCredentialsAttributesA(&bogus_cred, 1, buf), H, "QueryCredentialsAttributesA(forged)");
    status(TA->AcquireCredentialsHandleA(NULL, "NoSuchPackage", SECPKG_CRED_OUTBOUND, NULL, NULL,
                                         NULL, NULL, &bogus_cred, &ts),
           SEC_E_SECPKG_NOT_FOUND, "AcquireCredentialsHandleA(unknown package)");
    status(TA->FreeCredentialHandle(&bogus_cred), H, "A table FreeCredentialHandle(forged)");
    status(TA->InitializeSecurityContextA(&bogus_cred, NULL, NULL, 0, 0, 0, NULL, 0, &out_ctx, &d,
                                          &attr, &ts),
           H, "InitializeSecurityContextA(forged credential)");
    status(TA->QueryContextAttributesA(&bogus_ctx, SECPKG_ATTR_SIZES, buf), H,
           "QueryContextAttributesA(forged)");
    status(TA->QuerySecurityPackageInfoA("NoSuchPackage", &ai), SEC_E_SECPKG_NOT_FOUND,
           "QuerySecurityPackageInfoA(unknown package)");
    status(TA->ImportSecurityContextA("NoSuchPackage", &packed, NULL, &out_ctx), SEC_E_SECPKG_NOT_FOUND,
           "ImportSecurityContextA(unknown package)");
    status(TA->AddCredentialsA(&bogus_cred, NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, &ts),
           H, "AddCredentialsA(forged)");
    status(TA->SetContextAttributesA(&bogus_ctx, 1, buf, sizeof buf), H, "SetContextAttributesA(forged)");
    status(TA->SetCredentialsAttributesA(&bogus_cred, 1, buf, sizeof buf), H,
           "SetCredentialsAttributesA(forged)");
    status(TA->QueryContextAttributesExA(&bogus_ctx, SECPKG_ATTR_SIZES, buf, sizeof buf), H,
           "QueryContextAttributesExA(forged)");
    status(TA->QueryCredentialsAttributesExA(&bogus_cred, 1, buf, sizeof buf), H,
           "QueryCredentialsAttributesExA(forged)");
    st = TA->ChangeAccountPasswordA("NoSuchPackage", "D", "u", "a", "b", 0, 0, &d);
    check(st != SENTINEL && st < 0, "ChangeAccountPasswordA(unknown package) fails in the library", (uint32_t)st);
    st = TA->EnumerateSecurityPackagesA(&n, &ai);
    check(st == SEC_E_OK && n > 0, "EnumerateSecurityPackagesA lists packages", (uint32_t)st);
    if (st == SEC_E_OK) TA->FreeContextBuffer(ai);
}

/* ---- a real handshake through the tables ----------------------------------------------------- */
#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_CONNECTION)
#define SREQ (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_CONNECTION)

/* client (ISC W or A) against server (ASC) until both are done; 0 on success */
static int handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *cx, CtxtHandle *sx, int ansi)
{
    unsigned char a[4096], b[4096];
    ULONG alen = 0, attr;
    TimeStamp ts;
    SECURITY_STATUS cst = SEC_I_CONTINUE_NEEDED, sst = SEC_I_CONTINUE_NEEDED;
    int have_c = 0, have_s = 0;
    for (int leg = 0; leg < 4 && (cst != SEC_E_OK || sst != SEC_E_OK); leg++) {
        SecBuffer in = {alen, SECBUFFER_TOKEN, a}, out = {sizeof b, SECBUFFER_TOKEN, b};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &in}, od = {SECBUFFER_VERSION, 1, &out};
        if (leg % 2 == 0) {
            if (ansi)
                cst = TA->InitializeSecurityContextA(have_c ? NULL : cc, have_c ? cx : NULL, "host/localhost",
                                                     REQ, 0, SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, cx,
                                                     &od, &attr, &ts);
            else
                cst = TW->InitializeSecurityContextW(have_c ? NULL : cc, have_c ? cx : NULL, W("host/localhost"),
                                                     REQ, 0, SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, cx,
                                                     &od, &attr, &ts);
            if (cst != SEC_E_OK && cst != SEC_I_CONTINUE_NEEDED) return (int)cst;
            have_c = 1;
        } else {
            sst = TW->AcceptSecurityContext(sc, have_s ? sx : NULL, &id, SREQ, SECURITY_NATIVE_DREP, sx, &od,
                                            &attr, &ts);
            if (sst != SEC_E_OK && sst != SEC_I_CONTINUE_NEEDED) return (int)sst;
            have_s = 1;
        }
        memcpy(a, b, out.cbBuffer);
        alen = out.cbBuffer;
    }
    return cst == SEC_E_OK && sst == SEC_E_OK ? 0 : -1;
}

/* seal client -> server and sign server -> client through the W table */
static void messages(CtxtHandle *cx, CtxtHandle *sx, const char *who)
{
    char what[160];
    unsigned char tok[16], data[5] = "hello", sig[16];
    ULONG qop = 0;
    SecBuffer m[2] = {{16, SECBUFFER_TOKEN, tok}, {5, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, m};
    SECURITY_STATUS st = TW->EncryptMessage(cx, 0, &d, 0);
    if (st == SEC_E_OK) st = TW->DecryptMessage(sx, &d, 0, &qop);
    snprintf(what, sizeof what, "%s: EncryptMessage / DecryptMessage round trip", who);
    check(st == SEC_E_OK && !memcmp(data, "hello", 5), what, (uint32_t)st);
    SecBuffer s[2] = {{5, SECBUFFER_DATA, data}, {16, SECBUFFER_TOKEN, sig}};
    d.pBuffers = s;
    st = TW->MakeSignature(sx, 0, &d, 0);
    if (st == SEC_E_OK) st = TW->VerifySignature(cx, &d, 0, &qop);
    snprintf(what, sizeof what, "%s: MakeSignature / VerifySignature", who);
    check(st == SEC_E_OK, what, (uint32_t)st);
}

static void real_handshakes(void)
{
    SEC_WINNT_AUTH_IDENTITY_W idw = {W("testuser"), WLEN("testuser"), W("WORKGROUP"), WLEN("WORKGROUP"),
                                     W("testpass"), WLEN("testpass"), SEC_WINNT_AUTH_IDENTITY_UNICODE};
    SEC_WINNT_AUTH_IDENTITY_A ida = {(unsigned char *)"testuser", 8, (unsigned char *)"WORKGROUP", 9,
                                     (unsigned char *)"testpass", 8, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle cc, sc;
    CtxtHandle cx, sx;
    TimeStamp ts;
    SECURITY_STATUS st = TW->AcquireCredentialsHandleW(NULL, W("NTLM"), SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                                       NULL, &sc, &ts);
    status(st, SEC_E_OK, "AcquireCredentialsHandleW(NTLM, inbound)");
    if (st != SEC_E_OK) return;
    for (int ansi = 0; ansi < 2; ansi++) {
        const char *who = ansi ? "A table client" : "W table client";
        char what[160];
        st = ansi ? TA->AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &ida, NULL, NULL,
                                                  &cc, &ts)
                  : TW->AcquireCredentialsHandleW(NULL, W("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &idw, NULL, NULL,
                                                  &cc, &ts);
        snprintf(what, sizeof what, "%s: AcquireCredentialsHandle(NTLM, outbound)", who);
        status(st, SEC_E_OK, what);
        if (st != SEC_E_OK) continue;
        int rc = handshake(&cc, &sc, &cx, &sx, ansi);
        snprintf(what, sizeof what, "%s: NTLM handshake through the table", who);
        check(rc == 0, what, rc);
        if (rc == 0) {
            messages(&cx, &sx, who);
            status(TW->DeleteSecurityContext(&cx), SEC_E_OK, "DeleteSecurityContext(client)");
            status(TW->DeleteSecurityContext(&sx), SEC_E_OK, "DeleteSecurityContext(server)");
        }
        status(ansi ? TA->FreeCredentialHandle(&cc) : TW->FreeCredentialsHandle(&cc), SEC_E_OK,
               "FreeCredentialsHandle(client)");
    }

    /* The logon family, looked up by name in the library: a logon session whose credentials
     * then authenticate through the table (pvLogonId). */
    typedef int32_t (*logon_fn)(const uint16_t *, const uint16_t *, const uint16_t *, ULONG, ULONG, HANDLE *);
    typedef NTSTATUS (*token_id_fn)(HANDLE, LUID *);
    typedef int32_t (*close_fn)(HANDLE);
    typedef NTSTATUS (*logoff_fn)(LUID *);
    typedef NTSTATUS (*connect_fn)(HANDLE *);
    typedef NTSTATUS (*lookup_fn)(HANDLE, LSA_STRING *, ULONG *);
    typedef NTSTATUS (*dereg_fn)(HANDLE);
    logon_fn logon;
    token_id_fn token_id;
    close_fn close_h;
    logoff_fn logoff;
    connect_fn connect;
    lookup_fn lookup;
    dereg_fn dereg;
    void *f;
#define GET(var, name)                                                                             \
    f = dlsym(g_lib, name);                                                                        \
    check(f != NULL, "dlsym " name, 0);                                                            \
    if (!f) goto out;                                                                              \
    memcpy(&var, &f, sizeof f)
    GET(logon, "SspiLogonUserW");
    GET(token_id, "SspiGetTokenLogonId");
    GET(close_h, "SspiCloseHandle");
    GET(logoff, "SspiLogoffSession");
    GET(connect, "LsaConnectUntrusted");
    GET(lookup, "LsaLookupAuthenticationPackage");
    GET(dereg, "LsaDeregisterLogonProcess");
#undef GET
    HANDLE lsa = NULL, token = NULL;
    ULONG pkg = 99;
    LUID luid;
    NTSTATUS nt = connect(&lsa);
    check(nt == 0 && lsa, "LsaConnectUntrusted", (uint32_t)nt);
    if (nt == 0) {
        LSA_STRING name = {sizeof MSV1_0_PACKAGE_NAME - 1, sizeof MSV1_0_PACKAGE_NAME, MSV1_0_PACKAGE_NAME};
        nt = lookup(lsa, &name, &pkg);
        check(nt == 0 && pkg == 2, "LsaLookupAuthenticationPackage(MSV1_0) = 2", (uint32_t)nt);
        nt = dereg(lsa);
        check(nt == 0, "LsaDeregisterLogonProcess", (uint32_t)nt);
    }
    int32_t ok = logon(W("testuser"), W("WORKGROUP"), W("testpass"), LOGON32_LOGON_INTERACTIVE,
                       LOGON32_PROVIDER_DEFAULT, &token);
    check(ok == 1 && token, "SspiLogonUserW(testuser)", ok);
    if (ok != 1) goto out;
    nt = token_id(token, &luid);
    check(nt == 0, "SspiGetTokenLogonId", (uint32_t)nt);
    st = TW->AcquireCredentialsHandleW(NULL, W("NTLM"), SECPKG_CRED_OUTBOUND, &luid, NULL, NULL, NULL, &cc, &ts);
    status(st, SEC_E_OK, "AcquireCredentialsHandleW(pvLogonId = the new session)");
    if (st == SEC_E_OK) {
        int rc = handshake(&cc, &sc, &cx, &sx, 0);
        check(rc == 0, "the logon session's credentials authenticate through the table", rc);
        if (rc == 0) {
            TW->DeleteSecurityContext(&cx);
            TW->DeleteSecurityContext(&sx);
        }
        TW->FreeCredentialsHandle(&cc);
    }
    check(close_h(token) == 1, "SspiCloseHandle", 0);
    nt = logoff(&luid);
    check(nt == 0, "SspiLogoffSession", (uint32_t)nt);
out:
    TW->FreeCredentialsHandle(&sc);
}

int main(int argc, char **argv)
{
    char users[] = "/tmp/opensspi-interpose-users-XXXXXX";
    const char text[] = "WORKGROUP:testuser:testpass\n";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 3 || (strcmp(argv[2], "local") && strcmp(argv[2], "global"))) {
        fprintf(stderr, "usage: %s LIB.so local|global\n", argv[0]);
        return 2;
    }
    int fd = mkstemp(users);
    if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) return 2;
    close(fd);
    setenv("NTLM_USER_FILE", users, 1);
    setenv("OPENSSPI_LSA_STORE", "memory", 1);

    g_lib = dlopen(argv[1], RTLD_NOW | (strcmp(argv[2], "global") ? RTLD_LOCAL : RTLD_GLOBAL));
    check(g_lib != NULL, "dlopen", 0);
    if (!g_lib) {
        fprintf(stderr, "%s\n", dlerror());
        unlink(users);
        return 1;
    }
    void *w = dlsym(g_lib, "InitSecurityInterfaceW"), *a = dlsym(g_lib, "InitSecurityInterfaceA");
    Dl_info info;
    check(w && a && dladdr(w, &info), "dlsym InitSecurityInterfaceW/A", 0);
    if (w && a && dladdr(w, &info)) {
        INIT_SECURITY_INTERFACE_W init_w;
        INIT_SECURITY_INTERFACE_A init_a;
        lib_base = info.dli_fbase;
        memcpy(&init_w, &w, sizeof w);
        memcpy(&init_a, &a, sizeof a);
        TW = init_w();
        TA = init_a();
        check(TW && TA, "InitSecurityInterfaceW/A return tables", 0);
        if (TW && TA) {
            slots();
            bad_input();
            real_handshakes();
        }
    }
    check(interposer_hits == 0, "no call reached the program's own SSPI definitions", interposer_hits);
    if (interposer_hits) printf("# last stand-in called: %s\n", interposer_last);
    unlink(users);
    /* no dlclose: the library's statics live until exit (see tests/c/sspi_peer.c) */
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
