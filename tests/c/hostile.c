/*
 * hostile: the hostile-caller matrix of the SSPI C ABI (issue 4).
 *
 * NULL for every pointer argument of every export (one at a time), zeroed /
 * freed / forged / wrong-kind handles, double frees, output buffers that end
 * at a PROT_NONE guard page, broken SecBufferDesc, wrong buffer types,
 * unknown flag bits, calls out of order and truncated tokens. Every call must
 * return a Windows status (SEC_E_*, SEC_I_*, SEC_E_OK), never crash, leak or
 * touch memory outside the buffers it was given. Exact codes are asserted
 * where docs/BEHAVIOURS.md specifies them (item numbers in the check names);
 * PROBE/WI items are recorded ("differs") without failing.
 *
 * Each section runs in a fork()ed child, so a crash loses only that section
 * and is reported with the name of the last check that passed. Set
 * OPENSSPI_HOSTILE_NOFORK=1 to run everything in one process (debuggers).
 *
 * Output: one line per failure or difference, then "N passed, M failed".
 * Exit status 0 only when nothing failed. Exit 77: NTLM is not available
 * (the package is not built in), nothing beyond the package-independent
 * sections could run.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "proof_common.h"

/* ---- bookkeeping ------------------------------------------------------- */

typedef struct {
    int passed, failed, differs;
    char last[200];
} Shared;

static Shared *sh;
static int ntlm_available;

static void record(int ok, const char *name, int line, SECURITY_STATUS st, const char *want)
{
    if (ok) {
        sh->passed++;
        snprintf(sh->last, sizeof sh->last, "%s (line %d)", name, line);
    } else {
        sh->failed++;
        printf("FAIL %s (line %d): got 0x%08x, want %s\n", name, line, (unsigned)st, want);
    }
}

/* st must be exactly `want`. */
#define EQ(name, expr, want)                                                                       \
    do {                                                                                           \
        SECURITY_STATUS st_ = (expr);                                                              \
        record(st_ == (SECURITY_STATUS)(want), name, __LINE__, st_, #want);                        \
    } while (0)
/* st must be a Windows error status. */
#define ERR(name, expr)                                                                            \
    do {                                                                                           \
        SECURITY_STATUS st_ = (expr);                                                              \
        record(st_ < 0 && proof_is_windows_status(st_), name, __LINE__, st_, "an SEC_E_* error");  \
    } while (0)
/* st may be anything a Windows caller understands. */
#define ANY(name, expr)                                                                            \
    do {                                                                                           \
        SECURITY_STATUS st_ = (expr);                                                              \
        record(proof_is_windows_status(st_), name, __LINE__, st_, "a Windows status");             \
    } while (0)
/* st must be one of two values. */
#define ONE_OF(name, expr, a, b)                                                                   \
    do {                                                                                           \
        SECURITY_STATUS st_ = (expr);                                                              \
        record(st_ == (SECURITY_STATUS)(a) || st_ == (SECURITY_STATUS)(b), name, __LINE__, st_,    \
               #a " or " #b);                                                                      \
    } while (0)
/* A PROBE/WI expectation: must be an error; a different code is recorded. */
#define PROBE_ERR(name, expr, want)                                                                \
    do {                                                                                           \
        SECURITY_STATUS st_ = (expr);                                                              \
        record(st_ < 0 && proof_is_windows_status(st_), name, __LINE__, st_, "an SEC_E_* error");  \
        if (st_ != (SECURITY_STATUS)(want)) {                                                      \
            sh->differs++;                                                                         \
            printf("DIFFERS %s (line %d): got 0x%08x, expected (PROBE) %s\n", name, __LINE__,     \
                   (unsigned)st_, #want);                                                          \
        }                                                                                          \
    } while (0)
#define TRUE_(name, cond) record((cond) != 0, name, __LINE__, 0, #cond)

static void section(const char *name, void (*fn)(void), int needs_ntlm)
{
    if (needs_ntlm && !ntlm_available) {
        printf("SKIP section %s: NTLM not available\n", name);
        return;
    }
    fflush(stdout);
    const char *nofork = getenv("OPENSSPI_HOSTILE_NOFORK");
    if (nofork && *nofork == '1') {
        fn();
        return;
    }
    int failed_before = sh->failed;
    snprintf(sh->last, sizeof sh->last, "(none)");
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(3);
    }
    if (pid == 0) {
        fn();
        fflush(stdout);
        exit(sh->failed > failed_before ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        sh->failed++;
        printf("%s section %s: signal %d; last check passed: %s\n",
               WTERMSIG(status) == SIGALRM ? "HANG (alarm)" : "CRASH", name, WTERMSIG(status),
               sh->last);
    } else if (WEXITSTATUS(status) != 0 && sh->failed == failed_before) {
        /* valgrind --error-exitcode / ASan / LSan reported an error. */
        sh->failed++;
        printf("FAIL section %s: child exit status %d (memory error or leak reported above); "
               "last check: %s\n",
               name, WEXITSTATUS(status), sh->last);
    }
}

/* ---- fixtures ------------------------------------------------------------ */

typedef struct {
    CredHandle cc, sc;
    CtxtHandle cctx, sctx;
    ProofTokens t;
} Pair;

static void pair_open(Pair *p)
{
    if (proof_client_cred(&p->cc) != SEC_E_OK || proof_server_cred(&p->sc) != SEC_E_OK) {
        printf("FAIL fixture: AcquireCredentialsHandleW\n");
        exit(1);
    }
    SECURITY_STATUS st = proof_handshake(&p->cc, &p->sc, &p->cctx, &p->sctx, &p->t);
    if (st != SEC_E_OK) {
        printf("FAIL fixture: handshake 0x%08x\n", (unsigned)st);
        exit(1);
    }
}

static void pair_close(Pair *p)
{
    EQ("fixture DeleteSecurityContext(client)", DeleteSecurityContext(&p->cctx), SEC_E_OK);
    EQ("fixture DeleteSecurityContext(server)", DeleteSecurityContext(&p->sctx), SEC_E_OK);
    EQ("fixture FreeCredentialsHandle(client)", FreeCredentialsHandle(&p->cc), SEC_E_OK);
    EQ("fixture FreeCredentialsHandle(server)", FreeCredentialsHandle(&p->sc), SEC_E_OK);
}

/* The sealed round trip still works (used after hostile calls on a pair). */
static void pair_still_works(Pair *p, const char *what)
{
    unsigned char tok[16] = {0}, data[32] = {0}, sig[16] = {0};
    ULONG toklen = sizeof tok;
    memset(data, 'x', sizeof data);
    char name[160];
    snprintf(name, sizeof name, "%s: client EncryptMessage still works", what);
    EQ(name, proof_seal(&p->cctx, tok, &toklen, data, sizeof data), SEC_E_OK);
    snprintf(name, sizeof name, "%s: server DecryptMessage still works", what);
    EQ(name, proof_unseal(&p->sctx, tok, toklen, data, sizeof data), SEC_E_OK);
    snprintf(name, sizeof name, "%s: server MakeSignature still works", what);
    EQ(name, proof_sign(&p->sctx, data, sizeof data, sig, sizeof sig), SEC_E_OK);
    snprintf(name, sizeof name, "%s: client VerifySignature still works", what);
    EQ(name, proof_verify(&p->cctx, data, sizeof data, sig, sizeof sig), SEC_E_OK);
}

/* ---- section: package-independent entry points ---------------------------- */

static void s_interface(void)
{
    TRUE_("InitSecurityInterfaceW non-NULL", InitSecurityInterfaceW() != NULL);
    TRUE_("InitSecurityInterfaceA non-NULL", InitSecurityInterfaceA() != NULL);

    ULONG n = 0;
    PSecPkgInfoW pw = NULL;
    PSecPkgInfoA pa = NULL;
    ERR("EnumerateSecurityPackagesW(NULL count)", EnumerateSecurityPackagesW(NULL, &pw));
    ERR("EnumerateSecurityPackagesW(NULL out)", EnumerateSecurityPackagesW(&n, NULL));
    ERR("EnumerateSecurityPackagesW(NULL, NULL)", EnumerateSecurityPackagesW(NULL, NULL));
    ERR("EnumerateSecurityPackagesA(NULL count)", EnumerateSecurityPackagesA(NULL, &pa));
    ERR("EnumerateSecurityPackagesA(NULL out)", EnumerateSecurityPackagesA(&n, NULL));
    EQ("EnumerateSecurityPackagesW", EnumerateSecurityPackagesW(&n, &pw), SEC_E_OK);
    EQ("FreeContextBuffer(package array)", FreeContextBuffer(pw), SEC_E_OK);
    ERR("FreeContextBuffer(package array) twice", FreeContextBuffer(pw));
    EQ("EnumerateSecurityPackagesA", EnumerateSecurityPackagesA(&n, &pa), SEC_E_OK);
    EQ("FreeContextBuffer(package array A)", FreeContextBuffer(pa), SEC_E_OK);
    ERR("FreeContextBuffer(package array A) twice", FreeContextBuffer(pa));

    ERR("QuerySecurityPackageInfoW(NULL name)", QuerySecurityPackageInfoW(NULL, &pw));
    ERR("QuerySecurityPackageInfoW(NULL out)", QuerySecurityPackageInfoW(WSTR("NTLM"), NULL));
    ERR("QuerySecurityPackageInfoA(NULL name)", QuerySecurityPackageInfoA(NULL, &pa));
    ERR("QuerySecurityPackageInfoA(NULL out)", QuerySecurityPackageInfoA("NTLM", NULL));
    pw = (PSecPkgInfoW)(uintptr_t)0xdeadbeef;
    EQ("QuerySecurityPackageInfoW(unknown) [10]", QuerySecurityPackageInfoW(WSTR("Winetest"), &pw),
       SEC_E_SECPKG_NOT_FOUND);
    TRUE_("QuerySecurityPackageInfoW(unknown) leaves output [10]",
          pw == (PSecPkgInfoW)(uintptr_t)0xdeadbeef);
    /* A lone surrogate and overlong/invalid UTF-8 names. */
    SEC_WCHAR bad16[] = {'N', 0xD800, 'M', 0};
    ERR("QuerySecurityPackageInfoW(lone surrogate)", QuerySecurityPackageInfoW(bad16, &pw));
    ERR("QuerySecurityPackageInfoA(invalid UTF-8)", QuerySecurityPackageInfoA("\xff\xfe\xc0", &pa));
    /* A 100 000-unit name. */
    size_t big = 100000;
    SEC_WCHAR *longname = calloc(big + 1, sizeof *longname);
    char *longa = calloc(big + 1, 1);
    if (!longname || !longa)
        exit(3);
    for (size_t i = 0; i < big; i++) {
        longname[i] = 'A';
        longa[i] = 'A';
    }
    ERR("QuerySecurityPackageInfoW(100000-unit name)", QuerySecurityPackageInfoW(longname, &pw));
    ERR("QuerySecurityPackageInfoA(100000-byte name)", QuerySecurityPackageInfoA(longa, &pa));
    CredHandle h;
    ERR("AcquireCredentialsHandleW(100000-unit package)",
        AcquireCredentialsHandleW(NULL, longname, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &h,
                                  NULL));
    free(longname);
    free(longa);

    /* Package name: NULL or unknown (item 27). */
    EQ("AcquireCredentialsHandleW(NULL package) [27]",
       AcquireCredentialsHandleW(NULL, NULL, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &h,
                                 NULL),
       SEC_E_SECPKG_NOT_FOUND);
    EQ("AcquireCredentialsHandleA(NULL package) [27]",
       AcquireCredentialsHandleA(NULL, NULL, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &h,
                                 NULL),
       SEC_E_SECPKG_NOT_FOUND);
    EQ("AcquireCredentialsHandleW(unknown package) [27]",
       AcquireCredentialsHandleW(NULL, WSTR("Winetest"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                 NULL, &h, NULL),
       SEC_E_SECPKG_NOT_FOUND);
    ERR("AcquireCredentialsHandleW(NULL handle out)",
        AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                  NULL, NULL));
    ERR("AcquireCredentialsHandleA(NULL handle out)",
        AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, NULL,
                                  NULL));

    /* FreeContextBuffer on things it never returned. */
    EQ("FreeContextBuffer(NULL) [106]", FreeContextBuffer(NULL), SEC_E_OK);
    int on_stack = 0;
    ERR("FreeContextBuffer(stack pointer)", FreeContextBuffer(&on_stack));
    void *mine = malloc(32);
    ERR("FreeContextBuffer(caller's malloc)", FreeContextBuffer(mine));
    free(mine);
    ERR("FreeContextBuffer((void*)1)", FreeContextBuffer((void *)1));
    ERR("FreeContextBuffer((void*)-1)", FreeContextBuffer((void *)(intptr_t)-1));
    EQ("QuerySecurityPackageInfoW(NTLM)", QuerySecurityPackageInfoW(WSTR("NTLM"), &pw), SEC_E_OK);
    ERR("FreeContextBuffer(inside a returned block)", FreeContextBuffer((char *)pw + 1));
    EQ("FreeContextBuffer(block) after the bad free", FreeContextBuffer(pw), SEC_E_OK);
    ERR("FreeContextBuffer(block) twice", FreeContextBuffer(pw));

    /* Functions that never need a package. */
    ERR("ChangeAccountPasswordW(all NULL)",
        ChangeAccountPasswordW(NULL, NULL, NULL, NULL, NULL, 0, 0, NULL));
    ERR("ChangeAccountPasswordA(all NULL)",
        ChangeAccountPasswordA(NULL, NULL, NULL, NULL, NULL, 0, 0, NULL));
    ERR("ChangeAccountPasswordW(NTLM, NULLs)",
        ChangeAccountPasswordW(WSTR("NTLM"), NULL, NULL, NULL, NULL, 0, 0, NULL));
    ERR("ImportSecurityContextW(all NULL)", ImportSecurityContextW(NULL, NULL, NULL, NULL));
    ERR("ImportSecurityContextA(all NULL)", ImportSecurityContextA(NULL, NULL, NULL, NULL));
    SecBuffer packed = {0, SECBUFFER_TOKEN, NULL};
    CtxtHandle ih;
    ERR("ImportSecurityContextW(NTLM, NULL packed)",
        ImportSecurityContextW(WSTR("NTLM"), NULL, NULL, &ih));
    ERR("ImportSecurityContextW(NTLM, NULL out)",
        ImportSecurityContextW(WSTR("NTLM"), &packed, NULL, NULL));
    ERR("ImportSecurityContextW(NTLM, empty)",
        ImportSecurityContextW(WSTR("NTLM"), &packed, NULL, &ih));
    unsigned char garbage[200];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (unsigned char)(i * 37 + 11);
    packed = (SecBuffer){sizeof garbage, SECBUFFER_TOKEN, garbage};
    ERR("ImportSecurityContextW(NTLM, garbage)",
        ImportSecurityContextW(WSTR("NTLM"), &packed, NULL, &ih));
    packed = (SecBuffer){1000, SECBUFFER_TOKEN, NULL};
    ERR("ImportSecurityContextA(NTLM, NULL data, length 1000)",
        ImportSecurityContextA("NTLM", &packed, NULL, &ih));
    /* Negotiate's packed context: the inner package's RPC id byte, then its blob. */
    packed = (SecBuffer){sizeof garbage, SECBUFFER_TOKEN, garbage};
    ERR("ImportSecurityContextW(Negotiate, garbage)",
        ImportSecurityContextW(WSTR("Negotiate"), &packed, NULL, &ih));
    garbage[0] = 10; /* NTLM */
    ERR("ImportSecurityContextW(Negotiate, NTLM id + garbage)",
        ImportSecurityContextW(WSTR("Negotiate"), &packed, NULL, &ih));
    packed = (SecBuffer){1, SECBUFFER_TOKEN, garbage};
    ERR("ImportSecurityContextW(Negotiate, NTLM id only)",
        ImportSecurityContextW(WSTR("Negotiate"), &packed, NULL, &ih));
    packed = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    ERR("ImportSecurityContextA(Negotiate, empty)",
        ImportSecurityContextA("Negotiate", &packed, NULL, &ih));
}

/* ---- section: NULL handle pointers and forged handles (no live objects) ---- */

static void bad_ctx_calls(CtxtHandle *h, const char *label, int exact)
{
    char n[200];
    unsigned char tok[64] = {0}, data[64] = {0};
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, tok}, {sizeof data, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SecPkgContext_Sizes sizes;
    ULONG qop;
    HANDLE token;
    SecBuffer packed = {0, 0, NULL};
    void *ptoken = NULL;
#define CTX_CALL(fn, call, item)                                                                   \
    do {                                                                                           \
        snprintf(n, sizeof n, "%s(%s) " item, fn, label);                                          \
        if (exact)                                                                                 \
            EQ(n, call, SEC_E_INVALID_HANDLE);                                                     \
        else                                                                                       \
            PROBE_ERR(n, call, SEC_E_INVALID_HANDLE);                                              \
    } while (0)
#define CTX_CALL_ERR(fn, call)                                                                     \
    do {                                                                                           \
        snprintf(n, sizeof n, "%s(%s)", fn, label);                                                \
        PROBE_ERR(n, call, SEC_E_INVALID_HANDLE);                                                  \
    } while (0)
    CTX_CALL("DeleteSecurityContext", DeleteSecurityContext(h), "[101]");
    CTX_CALL("QueryContextAttributesW", QueryContextAttributesW(h, SECPKG_ATTR_SIZES, &sizes),
             "[77,101]");
    CTX_CALL("QueryContextAttributesA", QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &sizes),
             "[77,101]");
    CTX_CALL("MakeSignature", MakeSignature(h, 0, &d, 0), "[101]");
    CTX_CALL("VerifySignature", VerifySignature(h, &d, 0, &qop), "[101]");
    CTX_CALL("EncryptMessage", EncryptMessage(h, 0, &d, 0), "[101]");
    CTX_CALL("DecryptMessage", DecryptMessage(h, &d, 0, &qop), "[101]");
    CTX_CALL_ERR("CompleteAuthToken", CompleteAuthToken(h, &d));
    CTX_CALL_ERR("ApplyControlToken", ApplyControlToken(h, &d));
    CTX_CALL_ERR("QueryContextAttributesExW",
                 QueryContextAttributesExW(h, SECPKG_ATTR_SIZES, &sizes, sizeof sizes));
    CTX_CALL_ERR("QueryContextAttributesExA",
                 QueryContextAttributesExA(h, SECPKG_ATTR_SIZES, &sizes, sizeof sizes));
    CTX_CALL_ERR("SetContextAttributesW", SetContextAttributesW(h, 1108, data, 4));
    CTX_CALL_ERR("SetContextAttributesA", SetContextAttributesA(h, 1108, data, 4));
    CTX_CALL_ERR("ImpersonateSecurityContext", ImpersonateSecurityContext(h));
    CTX_CALL_ERR("RevertSecurityContext", RevertSecurityContext(h));
    CTX_CALL_ERR("QuerySecurityContextToken", QuerySecurityContextToken(h, &token));
    CTX_CALL_ERR("ExportSecurityContext", ExportSecurityContext(h, 0, &packed, &ptoken));
    if (packed.pvBuffer)
        FreeContextBuffer(packed.pvBuffer);
#undef CTX_CALL
#undef CTX_CALL_ERR
}

static void bad_cred_calls(CredHandle *h, const char *label, int exact)
{
    char n[200];
    SecPkgCredentials_NamesW names = {0};
    unsigned char data[16] = {0};
    snprintf(n, sizeof n, "FreeCredentialsHandle(%s) [34]", label);
    if (exact)
        EQ(n, FreeCredentialsHandle(h), SEC_E_INVALID_HANDLE);
    else
        PROBE_ERR(n, FreeCredentialsHandle(h), SEC_E_INVALID_HANDLE);
#define CRED_CALL(fn, call)                                                                        \
    do {                                                                                           \
        snprintf(n, sizeof n, "%s(%s)", fn, label);                                                \
        PROBE_ERR(n, call, SEC_E_INVALID_HANDLE);                                                  \
    } while (0)
    CRED_CALL("QueryCredentialsAttributesW",
              QueryCredentialsAttributesW(h, SECPKG_CRED_ATTR_NAMES, &names));
    CRED_CALL("QueryCredentialsAttributesA",
              QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &names));
    CRED_CALL("QueryCredentialsAttributesExW",
              QueryCredentialsAttributesExW(h, SECPKG_CRED_ATTR_NAMES, &names, sizeof names));
    CRED_CALL("QueryCredentialsAttributesExA",
              QueryCredentialsAttributesExA(h, SECPKG_CRED_ATTR_NAMES, &names, sizeof names));
    CRED_CALL("SetCredentialsAttributesW", SetCredentialsAttributesW(h, 3, data, sizeof data));
    CRED_CALL("SetCredentialsAttributesA", SetCredentialsAttributesA(h, 3, data, sizeof data));
    CRED_CALL("AddCredentialsW",
              AddCredentialsW(h, NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL));
    CRED_CALL("AddCredentialsA",
              AddCredentialsA(h, NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL));
    unsigned char out[PROOF_TOKEN_MAX];
    ULONG outlen;
    CtxtHandle nc = {0x1111, 0x2222};
    snprintf(n, sizeof n, "InitializeSecurityContextW(cred %s) [54]", label);
    PROBE_ERR(n, proof_isc(h, NULL, &nc, NULL, 0, out, &outlen, PROOF_ISC_REQ),
              SEC_E_INVALID_HANDLE);
    unsigned char neg[] = "NTLMSSP\0\1\0\0\0\x07\x82\x08\xa2";
    snprintf(n, sizeof n, "AcceptSecurityContext(cred %s)", label);
    PROBE_ERR(n, proof_asc(h, NULL, &nc, neg, sizeof neg - 1, out, &outlen, PROOF_ASC_REQ),
              SEC_E_INVALID_HANDLE);
#undef CRED_CALL
}

static void forged_handles(void)
{
    const struct {
        uintptr_t lo, up;
        const char *label;
    } forged[] = {
        {0, 0, "zeroed {0,0}"},
        {UINTPTR_MAX, UINTPTR_MAX, "SecInvalidateHandle {-1,-1}"},
        {UINTPTR_MAX - 1, UINTPTR_MAX - 1, "SEC_DELETED_HANDLE {-2,-2}"},
        {0xdeadbeef, 0xdeadbeef, "{0xdeadbeef,0xdeadbeef}"},
        {1, 0xC7, "{1, context tag, generation 0}"},
        {1, 0xC1, "{1, credential tag, generation 0}"},
        {UINTPTR_MAX, 0x1C7, "{max slot, context tag}"},
        {UINTPTR_MAX, 0x1C1, "{max slot, credential tag}"},
        {1, UINTPTR_MAX & ~(uintptr_t)0xFF, "{1, huge generation}"},
        {(uintptr_t)-4096, 0xFFFFFFFFC7u, "{-4096, gen 0xffffffff}"},
    };
    char label[120];
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        SecHandle h = {forged[i].lo, forged[i].up};
        snprintf(label, sizeof label, "forged %s", forged[i].label);
        bad_ctx_calls(&h, label, 1);
        h = (SecHandle){forged[i].lo, forged[i].up};
        bad_cred_calls(&h, label, 1);
    }
    bad_ctx_calls(NULL, "NULL", 1);
    bad_cred_calls(NULL, "NULL", 1);
    /* ISC with neither a credential nor a context (item 54). */
    unsigned char out[PROOF_TOKEN_MAX];
    ULONG outlen;
    CtxtHandle nc;
    PROBE_ERR("InitializeSecurityContextW(NULL cred, NULL ctx) [54]",
              proof_isc(NULL, NULL, &nc, NULL, 0, out, &outlen, PROOF_ISC_REQ),
              SEC_E_INVALID_HANDLE);
}

/* ---- section: live, freed and wrong-kind handles ---------------------------- */

static void stale_and_wrong_kind(void)
{
    Pair p;
    pair_open(&p);
    char label[120];

    /* Wrong kind: a live credential where a context goes and vice versa.
     * Nothing may happen to the live object. */
    CtxtHandle as_ctx = p.cc;
    bad_ctx_calls(&as_ctx, "live client credential as context", 1);
    as_ctx = p.sc;
    bad_ctx_calls(&as_ctx, "live server credential as context", 1);
    CredHandle as_cred = p.cctx;
    bad_cred_calls(&as_cred, "live client context as credential", 1);
    as_cred = p.sctx;
    bad_cred_calls(&as_cred, "live server context as credential", 1);
    pair_still_works(&p, "after wrong-kind calls");

    /* Forged from live handles: wrong generation, neighbouring slots. */
    CtxtHandle g = p.cctx;
    g.dwUpper += 0x100;
    bad_ctx_calls(&g, "live context, generation+1", 1);
    g = p.cctx;
    g.dwUpper -= 0x100;
    bad_ctx_calls(&g, "live context, generation-1", 1);
    g = p.cctx;
    g.dwLower += 1000;
    bad_ctx_calls(&g, "live context, slot+1000", 1);
    CredHandle gc = p.cc;
    gc.dwUpper += 0x100;
    bad_cred_calls(&gc, "live credential, generation+1", 1);
    pair_still_works(&p, "after forged-from-live calls");

    /* ISC/ASC continuation with the other side's context. */
    unsigned char out[PROOF_TOKEN_MAX];
    ULONG outlen;
    ERR("InitializeSecurityContextW(server context)",
        proof_isc(NULL, &p.sctx, &p.sctx, p.t.chal, p.t.challen, out, &outlen, PROOF_ISC_REQ));
    ERR("AcceptSecurityContext(client context)",
        proof_asc(&p.sc, &p.cctx, &p.cctx, p.t.auth, p.t.authlen, out, &outlen, PROOF_ASC_REQ));
    ERR("InitializeSecurityContextW(server credential)",
        proof_isc(&p.sc, NULL, &g, NULL, 0, out, &outlen, PROOF_ISC_REQ));
    PROBE_ERR("AcceptSecurityContext(client credential) [63]",
              proof_asc(&p.cc, NULL, &g, p.t.neg, p.t.neglen, out, &outlen, PROOF_ASC_REQ),
              SEC_E_NO_CREDENTIALS);
    pair_still_works(&p, "after other-side calls");

    /* Freed handles. */
    CtxtHandle dead_c = p.cctx, dead_s = p.sctx;
    CredHandle dead_cc = p.cc, dead_sc = p.sc;
    pair_close(&p);
    snprintf(label, sizeof label, "deleted client context");
    bad_ctx_calls(&dead_c, label, 1);
    bad_ctx_calls(&dead_s, "deleted server context", 1);
    bad_cred_calls(&dead_cc, "freed client credential", 1);
    bad_cred_calls(&dead_sc, "freed server credential", 1);
    EQ("DeleteSecurityContext twice [102]", DeleteSecurityContext(&dead_c), SEC_E_INVALID_HANDLE);
    EQ("FreeCredentialsHandle twice [35]", FreeCredentialsHandle(&dead_cc), SEC_E_INVALID_HANDLE);

    /* Slot reuse: a new object in the freed slot must not answer to the old handle. */
    Pair q;
    pair_open(&q);
    bad_ctx_calls(&dead_c, "deleted context after slot reuse", 1);
    bad_cred_calls(&dead_cc, "freed credential after slot reuse", 1);
    pair_still_works(&q, "new pair after stale-handle calls");

    /* A context outlives FreeCredentialsHandle of its credential (record only). */
    CredHandle extra;
    EQ("AcquireCredentialsHandleW(extra client)", proof_client_cred(&extra), SEC_E_OK);
    CtxtHandle c2, s2;
    EQ("handshake on extra credential", proof_handshake(&extra, &q.sc, &c2, &s2, NULL), SEC_E_OK);
    EQ("FreeCredentialsHandle(extra) while its context lives", FreeCredentialsHandle(&extra),
       SEC_E_OK);
    unsigned char tok[16] = {0}, data[8] = "abcdefg";
    ULONG toklen = 16;
    ANY("EncryptMessage after the credential was freed", proof_seal(&c2, tok, &toklen, data, 8));
    EQ("DeleteSecurityContext(c2)", DeleteSecurityContext(&c2), SEC_E_OK);
    EQ("DeleteSecurityContext(s2)", DeleteSecurityContext(&s2), SEC_E_OK);
    pair_close(&q);
}

/* ---- section: AcquireCredentialsHandle arguments ----------------------------- */

static void ach_args(void)
{
    CredHandle h;
    TimeStamp ts;
    SEC_WINNT_AUTH_IDENTITY_W id = proof_identity();
    LUID luid = {0x12345, 0};
    char n[160];
#define ACH_ANY(name, call)                                                                        \
    do {                                                                                           \
        SECURITY_STATUS st2_ = (call);                                                             \
        ANY(name, st2_);                                                                           \
        if (st2_ == SEC_E_OK)                                                                      \
            EQ(name " -> FreeCredentialsHandle", FreeCredentialsHandle(&h), SEC_E_OK);              \
    } while (0)
    /* NULL, one pointer at a time (principal, logon id, auth data, expiry
     * are optional; the handle and package are not: see s_interface). */
    ACH_ANY("ACHW(NULL principal)", AcquireCredentialsHandleW(NULL, WSTR("NTLM"),
                                                              SECPKG_CRED_OUTBOUND, NULL, &id,
                                                              NULL, NULL, &h, &ts));
    ACH_ANY("ACHW(principal given)",
            AcquireCredentialsHandleW(WSTR("WORKGROUP\\testuser"), WSTR("NTLM"),
                                      SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, &ts));
    ACH_ANY("ACHW(NULL auth data, outbound) [25]",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &h, &ts));
    ACH_ANY("ACHW(unknown logon id)", AcquireCredentialsHandleW(NULL, WSTR("NTLM"),
                                                                SECPKG_CRED_OUTBOUND, &luid, NULL,
                                                                NULL, NULL, &h, &ts));
    EQ("ACHW(NULL expiry) [26]",
       AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                 &h, NULL),
       SEC_E_OK);
    EQ("FreeCredentialsHandle", FreeCredentialsHandle(&h), SEC_E_OK);
    EQ("ACHA(NULL expiry, NULL principal, inbound) [24]",
       AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &h,
                                 NULL),
       SEC_E_OK);
    EQ("FreeCredentialsHandle", FreeCredentialsHandle(&h), SEC_E_OK);

    /* fCredentialUse: unknown bits (item 29). */
    const ULONG uses[] = {0, 4, 8, 0x7, 0x40, 0x0FFFFFFF, 0xFFFFFFFF, 0x100};
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++) {
        snprintf(n, sizeof n, "ACHW(fCredentialUse 0x%x) [29]", uses[i]);
        PROBE_ERR(n,
                  AcquireCredentialsHandleW(NULL, WSTR("NTLM"), uses[i], NULL, &id, NULL, NULL, &h,
                                            NULL),
                  SEC_E_UNKNOWN_CREDENTIALS);
    }
    ACH_ANY("ACHW(OUTBOUND | SECPKG_CRED_RESERVED bits)",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND | 0xF0000000u, NULL,
                                      &id, NULL, NULL, &h, NULL));

    /* Identity structures with NULL strings and non-zero lengths, absurd
     * lengths, bad flags and bad UTF-16. */
    SEC_WINNT_AUTH_IDENTITY_W b = id;
    b.User = NULL;
    b.UserLength = 50;
    ACH_ANY("ACHW(User NULL, UserLength 50)",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &b, NULL,
                                      NULL, &h, NULL));
    b = id;
    b.Password = NULL;
    b.PasswordLength = 10;
    ACH_ANY("ACHW(Password NULL, PasswordLength 10)",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &b, NULL,
                                      NULL, &h, NULL));
    b = id;
    b.Domain = NULL;
    b.DomainLength = 0xFFFFFFFF;
    ACH_ANY("ACHW(Domain NULL, DomainLength 0xffffffff)",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &b, NULL,
                                      NULL, &h, NULL));
    ProofGuard g;
    SEC_WCHAR *shortw = proof_guarded(4 * sizeof(SEC_WCHAR), &g);
    memcpy(shortw, u"user", 8);
    b = id;
    b.User = shortw;
    b.UserLength = 0x7FFFFFFF;
    ERR("ACHW(UserLength 0x7fffffff, 4-unit string at a guard page)",
        AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &b, NULL, NULL,
                                  &h, NULL));
    b.UserLength = 4;
    ACH_ANY("ACHW(User exactly at a guard page)",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &b, NULL,
                                      NULL, &h, NULL));
    proof_unguard(&g);
    const ULONG flags[] = {0, 3, 0xFFFFFFFF, SEC_WINNT_AUTH_IDENTITY_UNICODE | 0x200,
                           SEC_WINNT_AUTH_IDENTITY_UNICODE | SEC_WINNT_AUTH_IDENTITY_MARSHALLED};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        b = id;
        b.Flags = flags[i];
        snprintf(n, sizeof n, "ACHW(identity Flags 0x%x)", flags[i]);
        SECURITY_STATUS st = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND,
                                                       NULL, &b, NULL, NULL, &h, NULL);
        ANY(n, st);
        if (st == SEC_E_OK)
            FreeCredentialsHandle(&h);
    }
    SEC_WCHAR badpw[] = {'p', 0xDC00, 'w', 0};
    b = id;
    b.Password = badpw;
    b.PasswordLength = 3;
    ACH_ANY("ACHW(password with a lone low surrogate)",
            AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &b, NULL,
                                      NULL, &h, NULL));

    /* EX2 (packed) header claiming offsets far outside its buffer. */
    unsigned char *ex2 = proof_guarded(sizeof(SEC_WINNT_AUTH_IDENTITY_EX2), &g);
    SEC_WINNT_AUTH_IDENTITY_EX2 e2;
    memset(&e2, 0, sizeof e2);
    e2.Version = SEC_WINNT_AUTH_IDENTITY_VERSION_2;
    e2.cbHeaderLength = sizeof e2;
    e2.cbStructureLength = sizeof e2;
    e2.UserOffset = 0x7FFFFFF0;
    e2.UserLength = 0xFFFF;
    e2.DomainOffset = 0xFFFFFFFF;
    e2.DomainLength = 2;
    e2.PackedCredentialsOffset = sizeof e2 - 2;
    e2.PackedCredentialsLength = 0xFFFF;
    memcpy(ex2, &e2, sizeof e2);
    ERR("ACHW(EX2 with out-of-range offsets)",
        AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, ex2, NULL, NULL,
                                  &h, NULL));
    proof_unguard(&g);
    /* EXW with Length larger than the structure and trailing bytes (FreeRDP). */
    struct {
        SEC_WINNT_AUTH_IDENTITY_EXW ex;
        unsigned char trailing[64];
    } exw;
    memset(&exw, 0x5c, sizeof exw);
    exw.ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    exw.ex.Length = sizeof exw.ex;
    exw.ex.User = WSTR("testuser");
    exw.ex.UserLength = WLEN("testuser");
    exw.ex.Domain = WSTR("WORKGROUP");
    exw.ex.DomainLength = WLEN("WORKGROUP");
    exw.ex.Password = WSTR("testpass");
    exw.ex.PasswordLength = WLEN("testpass");
    exw.ex.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE | 0x200;
    exw.ex.PackageList = NULL;
    exw.ex.PackageListLength = 77;
    ACH_ANY("ACHA(EXW via A entry point, PackageList NULL length 77) [31]",
            AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &exw, NULL, NULL,
                                      &h, NULL));
#undef ACH_ANY
}

/* SEC_WINNT_AUTH_IDENTITY_EXW whose Length says 8 bytes, placed so that only
 * 8 bytes are readable: the library must check Length before reading the
 * rest of the structure. (Own section: a crash here must not hide the rest.) */
static void ach_short_ex(void)
{
    CredHandle h;
    ProofGuard g;
    const ULONG lens[] = {8, 16, 40};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        unsigned char *ex = proof_guarded(lens[i], &g);
        memset(ex, 0, lens[i]);
        uint32_t hdr[2] = {SEC_WINNT_AUTH_IDENTITY_VERSION, lens[i]};
        memcpy(ex, hdr, 8);
        char n[160];
        snprintf(n, sizeof n, "ACHW(EXW Version 0x200, Length %u, %u readable bytes)", lens[i],
                 lens[i]);
        ERR(n, AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, ex, NULL,
                                         NULL, &h, NULL));
        proof_unguard(&g);
    }
}

/* ---- section: InitializeSecurityContext arguments ----------------------------- */

static void isc_args(void)
{
    CredHandle cc, sc;
    EQ("client credential", proof_client_cred(&cc), SEC_E_OK);
    EQ("server credential", proof_server_cred(&sc), SEC_E_OK);
    unsigned char out[PROOF_TOKEN_MAX];
    SecBuffer ob = {PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle c;
    ULONG attr;
    TimeStamp ts;
#define RESET_OUT() (ob = (SecBuffer){PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out})
#define ISC1(name, call, want_ok)                                                                  \
    do {                                                                                           \
        RESET_OUT();                                                                               \
        SECURITY_STATUS st2_ = (call);                                                             \
        if (want_ok)                                                                               \
            EQ(name, st2_, SEC_I_CONTINUE_NEEDED);                                                 \
        else                                                                                       \
            ANY(name, st2_);                                                                       \
        if (st2_ >= 0)                                                                             \
            EQ(name " -> DeleteSecurityContext", DeleteSecurityContext(&c), SEC_E_OK);              \
    } while (0)
    /* First leg, NULL one pointer at a time. */
    ISC1("ISCW first leg, all pointers valid [36]",
         InitializeSecurityContextW(&cc, NULL, WSTR("host/server"), PROOF_ISC_REQ, 0,
                                    SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &attr, &ts),
         1);
    ISC1("ISCW first leg, NULL target [50]",
         InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL,
                                    0, &c, &od, &attr, &ts),
         1);
    ISC1("ISCW first leg, NULL pfContextAttr",
         InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL,
                                    0, &c, &od, NULL, &ts),
         0);
    ISC1("ISCW first leg, NULL ptsExpiry",
         InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL,
                                    0, &c, &od, &attr, NULL),
         1);
    ISC1("ISCA first leg, all pointers valid",
         InitializeSecurityContextA(&cc, NULL, "host/server", PROOF_ISC_REQ, 0,
                                    SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &attr, &ts),
         1);
    RESET_OUT();
    ERR("ISCW first leg, NULL phNewContext",
        InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                   NULL, &od, &attr, &ts));
    EQ("ISCW first leg, NULL pOutput [37]",
       InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                  &c, NULL, &attr, &ts),
       SEC_E_BUFFER_TOO_SMALL);
    EQ("ISCA first leg, NULL pOutput [37]",
       InitializeSecurityContextA(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                  &c, NULL, &attr, &ts),
       SEC_E_BUFFER_TOO_SMALL);
    /* Output buffers: zero length, NULL pointer, DATA only (items 38-40). */
    ob = (SecBuffer){0, SECBUFFER_TOKEN, out};
    EQ("ISCW first leg, cbBuffer 0 [39]",
       InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                  &c, &od, &attr, &ts),
       SEC_E_BUFFER_TOO_SMALL);
    TRUE_("ISCW first leg, cbBuffer stays 0 [39]", ob.cbBuffer == 0);
    ob = (SecBuffer){PROOF_TOKEN_MAX, SECBUFFER_TOKEN, NULL};
    {
        SECURITY_STATUS st = InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0,
                                                        SECURITY_NATIVE_DREP, NULL, 0, &c, &od,
                                                        &attr, &ts);
        ONE_OF("ISCW first leg, pvBuffer NULL [38]", st, SEC_E_INTERNAL_ERROR,
               SEC_I_CONTINUE_NEEDED);
        if (st >= 0)
            DeleteSecurityContext(&c);
    }
    ob = (SecBuffer){PROOF_TOKEN_MAX, SECBUFFER_DATA, out};
    EQ("ISCW first leg, DATA buffer only [40]",
       InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                  &c, &od, &attr, &ts),
       SEC_E_BUFFER_TOO_SMALL);
    /* Output descriptors: bad version, no buffers, NULL array. */
    RESET_OUT();
    od.ulVersion = 1;
    ERR("ISCW first leg, output ulVersion 1",
        InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                   &c, &od, &attr, &ts));
    od = (SecBufferDesc){SECBUFFER_VERSION, 0, &ob};
    ERR("ISCW first leg, output cBuffers 0",
        InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                   &c, &od, &attr, &ts));
    od = (SecBufferDesc){SECBUFFER_VERSION, 3, NULL};
    ERR("ISCW first leg, output pBuffers NULL, cBuffers 3",
        InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                   &c, &od, &attr, &ts));
    {
        ProofGuard g;
        SecBuffer *two = proof_guarded(2 * sizeof(SecBuffer), &g);
        two[0] = (SecBuffer){PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out};
        two[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        od = (SecBufferDesc){SECBUFFER_VERSION, 0xFFFFFFFF, two};
        ERR("ISCW first leg, output cBuffers 0xffffffff over a 2-entry array at a guard page",
            InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                       NULL, 0, &c, &od, &attr, &ts));
        proof_unguard(&g);
    }
    od = (SecBufferDesc){SECBUFFER_VERSION, 1, &ob};
    /* The first-leg input FreeRDP passes (item 56), a bad input descriptor. */
    SecBuffer empty = {0, SECBUFFER_EMPTY, NULL};
    SecBufferDesc ed = {SECBUFFER_VERSION, 1, &empty};
    ISC1("ISCW first leg, input = one SECBUFFER_EMPTY [56]",
         InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &ed,
                                    0, &c, &od, &attr, NULL),
         1);
    ed.ulVersion = 7;
    RESET_OUT();
    {
        SECURITY_STATUS st = InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0,
                                                        SECURITY_NATIVE_DREP, &ed, 0, &c, &od,
                                                        &attr, NULL);
        ANY("ISCW first leg, input ulVersion 7", st);
        if (st >= 0)
            DeleteSecurityContext(&c);
    }
    ed = (SecBufferDesc){SECBUFFER_VERSION, 5, NULL};
    RESET_OUT();
    {
        SECURITY_STATUS st = InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0,
                                                        SECURITY_NATIVE_DREP, &ed, 0, &c, &od,
                                                        &attr, NULL);
        ANY("ISCW first leg, input pBuffers NULL, cBuffers 5", st);
        if (st >= 0)
            DeleteSecurityContext(&c);
    }
    /* Unknown bits in fContextReq, Reserved1/2 and TargetDataRep. */
    const ULONG reqs[] = {0, 0xFFFFFFFF, 0x80000000, 0x40000000 | ISC_REQ_CONFIDENTIALITY,
                          0x7FFFFEFF, ISC_REQ_NULL_SESSION, ISC_REQ_USE_DCE_STYLE | 0x00100000};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        RESET_OUT();
        attr = 0;
        char n[160];
        snprintf(n, sizeof n, "ISCW first leg, fContextReq 0x%08x", reqs[i]);
        SECURITY_STATUS st = InitializeSecurityContextW(&cc, NULL, NULL, reqs[i], 0xFFFFFFFF,
                                                        0x12345678, NULL, 0xFFFFFFFF, &c, &od,
                                                        &attr, &ts);
        ANY(n, st);
        if ((attr & ISC_RET_ALLOCATED_MEMORY) && st >= 0) {
            snprintf(n, sizeof n, "ISCW fContextReq 0x%08x: FreeContextBuffer(token)", reqs[i]);
            EQ(n, FreeContextBuffer(ob.pvBuffer), SEC_E_OK);
        }
        if (st >= 0)
            DeleteSecurityContext(&c);
    }
    /* ALLOCATE_MEMORY: the token is a FreeContextBuffer block, freed once. */
    ob = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    attr = 0;
    EQ("ISCW first leg, ISC_REQ_ALLOCATE_MEMORY [48]",
       InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ | ISC_REQ_ALLOCATE_MEMORY, 0,
                                  SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &attr, &ts),
       SEC_I_CONTINUE_NEEDED);
    TRUE_("ISC_RET_ALLOCATED_MEMORY set [48]", attr & ISC_RET_ALLOCATED_MEMORY);
    void *allocated = ob.pvBuffer;
    EQ("FreeContextBuffer(allocated token)", FreeContextBuffer(allocated), SEC_E_OK);
    ERR("FreeContextBuffer(allocated token) twice", FreeContextBuffer(allocated));
    EQ("DeleteSecurityContext", DeleteSecurityContext(&c), SEC_E_OK);

    /* Output buffers ending at a guard page: too small, then exactly right. */
    unsigned char neg[PROOF_TOKEN_MAX];
    ULONG neglen = 0;
    EQ("ISCW reference first leg", proof_isc(&cc, NULL, &c, NULL, 0, neg, &neglen, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);
    DeleteSecurityContext(&c);
    const ULONG sizes[] = {1, 8, 16, neglen - 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ProofGuard g;
        void *gb = proof_guarded(sizes[i], &g);
        ob = (SecBuffer){sizes[i], SECBUFFER_TOKEN, gb};
        char n[160];
        snprintf(n, sizeof n, "ISCW first leg, %u-byte output at a guard page", sizes[i]);
        PROBE_ERR(n,
                  InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0,
                                             SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &attr, &ts),
                  SEC_E_BUFFER_TOO_SMALL);
        proof_unguard(&g);
    }
    {
        ProofGuard g;
        void *gb = proof_guarded(neglen, &g);
        ob = (SecBuffer){neglen, SECBUFFER_TOKEN, gb};
        EQ("ISCW first leg, exact-size output at a guard page",
           InitializeSecurityContextW(&cc, NULL, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL,
                                      0, &c, &od, &attr, &ts),
           SEC_I_CONTINUE_NEEDED);
        TRUE_("exact-size output: cbBuffer == reference length", ob.cbBuffer == neglen);
        proof_unguard(&g);
    }
    /* Second leg, each probe on a fresh client context (a failed leg may
     * end the context): NULL input, DATA-only input, no buffers, NULL
     * array, NULL TOKEN data, garbage, the NEGOTIATE itself (item 52). */
    CtxtHandle s;
    unsigned char chal[PROOF_TOKEN_MAX], tmp[PROOF_TOKEN_MAX];
    ULONG challen = 0, tmplen;
    unsigned char neg2[PROOF_TOKEN_MAX];
    ULONG neg2len;
    DeleteSecurityContext(&c);
    EQ("ISCW first leg", proof_isc(&cc, NULL, &c, NULL, 0, neg2, &neg2len, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);
    EQ("ASC first leg", proof_asc(&sc, NULL, &s, neg2, neg2len, chal, &challen, PROOF_ASC_REQ),
       SEC_I_CONTINUE_NEEDED);
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
#define FRESH_CLIENT()                                                                             \
    do {                                                                                           \
        ULONG l_;                                                                                  \
        if (proof_isc(&cc, NULL, &c, NULL, 0, tmp, &l_, PROOF_ISC_REQ) != SEC_I_CONTINUE_NEEDED)   \
            record(0, "fresh client context", __LINE__, 0, "SEC_I_CONTINUE_NEEDED");               \
        RESET_OUT();                                                                               \
    } while (0)
    FRESH_CLIENT();
    PROBE_ERR("ISCW second leg, NULL pInput [52]",
              InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                         NULL, 0, &c, &od, &attr, &ts),
              SEC_E_INVALID_TOKEN);
    DeleteSecurityContext(&c);
    SecBuffer ib[2] = {{challen, SECBUFFER_DATA, chal}, {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc idsc = {SECBUFFER_VERSION, 2, ib};
    FRESH_CLIENT();
    PROBE_ERR("ISCW second leg, DATA-only input [52]",
              InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                         &idsc, 0, &c, &od, &attr, &ts),
              SEC_E_INVALID_TOKEN);
    DeleteSecurityContext(&c);
    idsc = (SecBufferDesc){SECBUFFER_VERSION, 0, ib};
    FRESH_CLIENT();
    ERR("ISCW second leg, input cBuffers 0",
        InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &idsc, 0,
                                   &c, &od, &attr, &ts));
    DeleteSecurityContext(&c);
    idsc = (SecBufferDesc){SECBUFFER_VERSION, 2, NULL};
    FRESH_CLIENT();
    ERR("ISCW second leg, input pBuffers NULL",
        InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &idsc, 0,
                                   &c, &od, &attr, &ts));
    DeleteSecurityContext(&c);
    ib[0] = (SecBuffer){1000, SECBUFFER_TOKEN, NULL};
    idsc = (SecBufferDesc){SECBUFFER_VERSION, 1, ib};
    FRESH_CLIENT();
    ERR("ISCW second leg, TOKEN pvBuffer NULL with cbBuffer 1000",
        InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &idsc, 0,
                                   &c, &od, &attr, &ts));
    DeleteSecurityContext(&c);
    FRESH_CLIENT();
    PROBE_ERR("ISCW second leg, garbage token [52]",
              proof_isc(NULL, &c, &c, "garbage garbage garbage garbage garbage", 39, tmp, &tmplen,
                        PROOF_ISC_REQ),
              SEC_E_INVALID_TOKEN);
    DeleteSecurityContext(&c);
    FRESH_CLIENT();
    PROBE_ERR("ISCW second leg, the NEGOTIATE message [52]",
              proof_isc(NULL, &c, &c, neg2, neg2len, tmp, &tmplen, PROOF_ISC_REQ),
              SEC_E_INVALID_TOKEN);
    DeleteSecurityContext(&c);
#undef FRESH_CLIENT
    /* Every truncation of a real CHALLENGE, each read from a buffer that ends
     * at a guard page (a parser reading past the token faults). */
    int trunc_fail = 0;
    for (ULONG cut = 0; cut < challen; cut++) {
        CtxtHandle c2;
        unsigned char n1[PROOF_TOKEN_MAX];
        ULONG n1len;
        if (proof_isc(&cc, NULL, &c2, NULL, 0, n1, &n1len, PROOF_ISC_REQ) != SEC_I_CONTINUE_NEEDED) {
            trunc_fail++;
            continue;
        }
        ProofGuard g;
        unsigned char *gb = proof_guarded(cut, &g);
        memcpy(gb, chal, cut);
        SECURITY_STATUS st = proof_isc(NULL, &c2, &c2, gb, cut, tmp, &tmplen, PROOF_ISC_REQ);
        if (!(st < 0 && proof_is_windows_status(st))) {
            trunc_fail++;
            printf("FAIL ISCW second leg with CHALLENGE truncated to %u bytes: 0x%08x\n", cut,
                   (unsigned)st);
        }
        proof_unguard(&g);
        DeleteSecurityContext(&c2);
    }
    record(trunc_fail == 0, "ISCW second leg, every truncation of a CHALLENGE fails", __LINE__,
           trunc_fail, "no failures");
    /* The whole CHALLENGE ending exactly at a guard page: the client must
     * not read a byte past it. */
    {
        CtxtHandle c2;
        unsigned char n1[PROOF_TOKEN_MAX];
        ULONG n1len;
        EQ("ISCW first leg", proof_isc(&cc, NULL, &c2, NULL, 0, n1, &n1len, PROOF_ISC_REQ),
           SEC_I_CONTINUE_NEEDED);
        ProofGuard g;
        unsigned char *gb = proof_guarded(challen, &g);
        memcpy(gb, chal, challen);
        EQ("ISCW second leg, whole CHALLENGE ending at a guard page",
           proof_isc(NULL, &c2, &c2, gb, challen, tmp, &tmplen, PROOF_ISC_REQ), SEC_E_OK);
        proof_unguard(&g);
        DeleteSecurityContext(&c2);
    }
    /* Second-leg output too small (AUTHENTICATE does not fit). */
    EQ("ISCW first leg", proof_isc(&cc, NULL, &c, NULL, 0, neg2, &neg2len, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);
    EQ("ASC first leg", proof_asc(&sc, NULL, &s, neg2, neg2len, chal, &challen, PROOF_ASC_REQ),
       SEC_I_CONTINUE_NEEDED);
    {
        ProofGuard g;
        void *gb = proof_guarded(32, &g);
        ob = (SecBuffer){32, SECBUFFER_TOKEN, gb};
        SecBuffer in1 = {challen, SECBUFFER_TOKEN, chal};
        SecBufferDesc ind = {SECBUFFER_VERSION, 1, &in1};
        od = (SecBufferDesc){SECBUFFER_VERSION, 1, &ob};
        PROBE_ERR("ISCW second leg, 32-byte output at a guard page",
                  InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0,
                                             SECURITY_NATIVE_DREP, &ind, 0, &c, &od, &attr, &ts),
                  SEC_E_BUFFER_TOO_SMALL);
        proof_unguard(&g);
    }
    EQ("DeleteSecurityContext(client)", DeleteSecurityContext(&c), SEC_E_OK);
    EQ("DeleteSecurityContext(server)", DeleteSecurityContext(&s), SEC_E_OK);

    /* The INBOUND credential cannot initiate. */
    ERR("ISCW with an INBOUND credential",
        proof_isc(&sc, NULL, &c, NULL, 0, tmp, &tmplen, PROOF_ISC_REQ));
    /* Very long target name (100 000 units). */
    SEC_WCHAR *lt = calloc(100001, sizeof *lt);
    if (!lt)
        exit(3);
    for (int i = 0; i < 100000; i++)
        lt[i] = 'h';
    RESET_OUT();
    od = (SecBufferDesc){SECBUFFER_VERSION, 1, &ob};
    {
        SECURITY_STATUS st = InitializeSecurityContextW(&cc, NULL, lt, PROOF_ISC_REQ, 0,
                                                        SECURITY_NATIVE_DREP, NULL, 0, &c, &od,
                                                        &attr, &ts);
        ANY("ISCW first leg, 100000-unit target name", st);
        if (st >= 0)
            DeleteSecurityContext(&c);
    }
    free(lt);
    SEC_WCHAR badt[] = {'h', 0xD800, 0xD800, 0};
    RESET_OUT();
    {
        SECURITY_STATUS st = InitializeSecurityContextW(&cc, NULL, badt, PROOF_ISC_REQ, 0,
                                                        SECURITY_NATIVE_DREP, NULL, 0, &c, &od,
                                                        &attr, &ts);
        ANY("ISCW first leg, target with lone surrogates", st);
        if (st >= 0)
            DeleteSecurityContext(&c);
    }
    EQ("FreeCredentialsHandle(client)", FreeCredentialsHandle(&cc), SEC_E_OK);
    EQ("FreeCredentialsHandle(server)", FreeCredentialsHandle(&sc), SEC_E_OK);
#undef ISC1
#undef RESET_OUT
}

/* ---- section: AcceptSecurityContext arguments --------------------------------- */

static void asc_args(void)
{
    CredHandle cc, sc;
    EQ("client credential", proof_client_cred(&cc), SEC_E_OK);
    EQ("server credential", proof_server_cred(&sc), SEC_E_OK);
    unsigned char neg[PROOF_TOKEN_MAX], out[PROOF_TOKEN_MAX];
    ULONG neglen, outlen;
    CtxtHandle c, s;
    EQ("ISCW first leg", proof_isc(&cc, NULL, &c, NULL, 0, neg, &neglen, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);
    SecBuffer ib = {neglen, SECBUFFER_TOKEN, neg};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr;
    TimeStamp ts;
#define RESET() (ob = (SecBuffer){PROOF_TOKEN_MAX, SECBUFFER_TOKEN, out})
#define ASC1(name, call, want_ok)                                                                  \
    do {                                                                                           \
        RESET();                                                                                   \
        SECURITY_STATUS st2_ = (call);                                                             \
        if (want_ok)                                                                               \
            EQ(name, st2_, SEC_I_CONTINUE_NEEDED);                                                 \
        else                                                                                       \
            ANY(name, st2_);                                                                       \
        if (st2_ >= 0)                                                                             \
            EQ(name " -> DeleteSecurityContext", DeleteSecurityContext(&s), SEC_E_OK);              \
    } while (0)
    ASC1("ASC first leg, all valid [57]",
         AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, &attr,
                               &ts),
         1);
    ASC1("ASC first leg, NULL pfContextAttr",
         AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, NULL,
                               &ts),
         0);
    ASC1("ASC first leg, NULL ptsExpiry [64]",
         AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, &attr,
                               NULL),
         1);
    RESET();
    PROBE_ERR("ASC first leg, NULL phCredential",
              AcceptSecurityContext(NULL, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od,
                                    &attr, &ts),
              SEC_E_INVALID_HANDLE);
    RESET();
    PROBE_ERR("ASC first leg, NULL pInput [61]",
              AcceptSecurityContext(&sc, NULL, NULL, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od,
                                    &attr, &ts),
              SEC_E_INCOMPLETE_MESSAGE);
    RESET();
    ERR("ASC first leg, NULL phNewContext",
        AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, NULL, &od, &attr,
                              &ts));
    ERR("ASC first leg, NULL pOutput",
        AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, NULL, &attr,
                              &ts));
    /* Input descriptors. */
    SecBufferDesc bad = {SECBUFFER_VERSION, 0, &ib};
    RESET();
    PROBE_ERR("ASC first leg, input cBuffers 0 [61]",
              AcceptSecurityContext(&sc, NULL, &bad, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od,
                                    &attr, &ts),
              SEC_E_INCOMPLETE_MESSAGE);
    bad = (SecBufferDesc){SECBUFFER_VERSION, 4, NULL};
    RESET();
    ERR("ASC first leg, input pBuffers NULL, cBuffers 4",
        AcceptSecurityContext(&sc, NULL, &bad, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, &attr,
                              &ts));
    bad = (SecBufferDesc){1, 1, &ib};
    RESET();
    ERR("ASC first leg, input ulVersion 1",
        AcceptSecurityContext(&sc, NULL, &bad, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, &attr,
                              &ts));
    SecBuffer two[2] = {{neglen, SECBUFFER_TOKEN, neg}, {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc twod = {SECBUFFER_VERSION, 2, two};
    ASC1("ASC first leg, TOKEN + EMPTY input [60]",
         AcceptSecurityContext(&sc, NULL, &twod, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od,
                               &attr, &ts),
         1);
    two[0].BufferType = SECBUFFER_DATA;
    RESET();
    PROBE_ERR("ASC first leg, DATA + EMPTY (no TOKEN) [61]",
              AcceptSecurityContext(&sc, NULL, &twod, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od,
                                    &attr, &ts),
              SEC_E_INCOMPLETE_MESSAGE);
    two[0] = (SecBuffer){neglen, 0x7FFF, neg};
    RESET();
    ERR("ASC first leg, unknown buffer type 0x7fff only",
        AcceptSecurityContext(&sc, NULL, &twod, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, &attr,
                              &ts));
    two[0] = (SecBuffer){neglen, SECBUFFER_TOKEN | SECBUFFER_READONLY, neg};
    ASC1("ASC first leg, TOKEN|READONLY input",
         AcceptSecurityContext(&sc, NULL, &twod, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od,
                               &attr, &ts),
         0);
    /* Unknown fContextReq bits; ALLOCATE_MEMORY output. */
    const ULONG reqs[] = {0, 0xFFFFFFFF, 0x80000000, 0x7FFFFEFF, ASC_REQ_ALLOW_NULL_SESSION};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        RESET();
        attr = 0;
        char n[160];
        snprintf(n, sizeof n, "ASC first leg, fContextReq 0x%08x, TargetDataRep 0x12345678",
                 reqs[i]);
        SECURITY_STATUS st = AcceptSecurityContext(&sc, NULL, &id, reqs[i], 0x12345678, &s, &od,
                                                   &attr, &ts);
        ANY(n, st);
        if ((attr & ASC_RET_ALLOCATED_MEMORY) && st >= 0)
            EQ("FreeContextBuffer(ASC allocated token)", FreeContextBuffer(ob.pvBuffer), SEC_E_OK);
        if (st >= 0)
            DeleteSecurityContext(&s);
    }
    /* Garbage, wrong message types and truncated NEGOTIATEs. */
    PROBE_ERR("ASC first leg, garbage token [61]",
              proof_asc(&sc, NULL, &s, "this is not an NTLM message at all", 34, out, &outlen,
                        PROOF_ASC_REQ),
              SEC_E_INVALID_TOKEN);
    unsigned char huge[8192];
    memcpy(huge, neg, neglen);
    memset(huge + neglen, 0, sizeof huge - neglen);
    PROBE_ERR("ASC first leg, token longer than cbMaxToken [61]",
              proof_asc(&sc, NULL, &s, huge, sizeof huge, out, &outlen, PROOF_ASC_REQ),
              SEC_E_INVALID_TOKEN);
    for (ULONG cut = 0; cut < neglen; cut++) {
        ProofGuard g;
        unsigned char *gb = proof_guarded(cut, &g);
        memcpy(gb, neg, cut);
        char n[160];
        snprintf(n, sizeof n, "ASC first leg, NEGOTIATE truncated to %u bytes", cut);
        SECURITY_STATUS st = proof_asc(&sc, NULL, &s, gb, cut, out, &outlen, PROOF_ASC_REQ);
        /* Short NEGOTIATEs without the optional payload can be legal. */
        if (cut < 16)
            ERR(n, st);
        else
            ANY(n, st);
        if (st >= 0)
            DeleteSecurityContext(&s);
        proof_unguard(&g);
    }
    /* Output buffers ending at a guard page. */
    const ULONG sizes[] = {1, 16, 48};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ProofGuard g;
        void *gb = proof_guarded(sizes[i], &g);
        ob = (SecBuffer){sizes[i], SECBUFFER_TOKEN, gb};
        char n[160];
        snprintf(n, sizeof n, "ASC first leg, %u-byte output at a guard page", sizes[i]);
        SECURITY_STATUS st = AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ,
                                                   SECURITY_NATIVE_DREP, &s, &od, &attr, &ts);
        PROBE_ERR(n, st, SEC_E_BUFFER_TOO_SMALL);
        if (st >= 0)
            DeleteSecurityContext(&s);
        proof_unguard(&g);
    }
    /* Second leg: AUTHENTICATE truncated at every length, at a guard page. */
    unsigned char chal[PROOF_TOKEN_MAX], auth[PROOF_TOKEN_MAX];
    ULONG challen, authlen;
    EQ("ASC first leg", proof_asc(&sc, NULL, &s, neg, neglen, chal, &challen, PROOF_ASC_REQ),
       SEC_I_CONTINUE_NEEDED);
    EQ("ISC second leg", proof_isc(NULL, &c, &c, chal, challen, auth, &authlen, PROOF_ISC_REQ),
       SEC_E_OK);
    EQ("DeleteSecurityContext(server)", DeleteSecurityContext(&s), SEC_E_OK);
    int trunc_fail = 0;
    for (ULONG cut = 0; cut < authlen; cut++) {
        CtxtHandle s2;
        unsigned char ch2[PROOF_TOKEN_MAX];
        ULONG ch2len;
        if (proof_asc(&sc, NULL, &s2, neg, neglen, ch2, &ch2len, PROOF_ASC_REQ) !=
            SEC_I_CONTINUE_NEEDED) {
            trunc_fail++;
            continue;
        }
        ProofGuard g;
        unsigned char *gb = proof_guarded(cut, &g);
        memcpy(gb, auth, cut);
        SECURITY_STATUS st = proof_asc(&sc, &s2, &s2, gb, cut, out, &outlen, PROOF_ASC_REQ);
        if (!(st < 0 && proof_is_windows_status(st))) {
            trunc_fail++;
            printf("FAIL ASC second leg with AUTHENTICATE truncated to %u bytes: 0x%08x\n", cut,
                   (unsigned)st);
        }
        proof_unguard(&g);
        DeleteSecurityContext(&s2);
    }
    record(trunc_fail == 0, "ASC second leg, every truncation of an AUTHENTICATE fails", __LINE__,
           trunc_fail, "no failures");
    /* Whole NEGOTIATE and AUTHENTICATE ending exactly at a guard page. */
    {
        ProofGuard g;
        unsigned char *gn = proof_guarded(neglen, &g);
        memcpy(gn, neg, neglen);
        CtxtHandle s3;
        EQ("ASC first leg, whole NEGOTIATE ending at a guard page",
           proof_asc(&sc, NULL, &s3, gn, neglen, out, &outlen, PROOF_ASC_REQ),
           SEC_I_CONTINUE_NEEDED);
        proof_unguard(&g);
        unsigned char *ga = proof_guarded(authlen, &g);
        memcpy(ga, auth, authlen);
        EQ("ASC second leg, whole AUTHENTICATE (for another challenge) at a guard page",
           proof_asc(&sc, &s3, &s3, ga, authlen, out, &outlen, PROOF_ASC_REQ), SEC_E_LOGON_DENIED);
        proof_unguard(&g);
        DeleteSecurityContext(&s3);
    }
    /* The full AUTHENTICATE against a different server challenge. */
    EQ("ASC first leg (new challenge)",
       proof_asc(&sc, NULL, &s, neg, neglen, chal, &challen, PROOF_ASC_REQ), SEC_I_CONTINUE_NEEDED);
    ERR("ASC second leg, AUTHENTICATE made for another challenge",
        proof_asc(&sc, &s, &s, auth, authlen, out, &outlen, PROOF_ASC_REQ));
    DeleteSecurityContext(&s);
    ERR("ASC first leg, an AUTHENTICATE message",
        proof_asc(&sc, NULL, &s, auth, authlen, out, &outlen, PROOF_ASC_REQ));
    ERR("ASC first leg, a CHALLENGE message",
        proof_asc(&sc, NULL, &s, chal, challen, out, &outlen, PROOF_ASC_REQ));
    EQ("DeleteSecurityContext(client)", DeleteSecurityContext(&c), SEC_E_OK);

    /* Wrong password (item 58). */
    SEC_WINNT_AUTH_IDENTITY_W wrong = proof_identity();
    wrong.Password = WSTR("wrongpass");
    wrong.PasswordLength = WLEN("wrongpass");
    CredHandle wc;
    EQ("ACHW(wrong password)",
       AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &wrong, NULL, NULL,
                                 &wc, NULL),
       SEC_E_OK);
    EQ("handshake with a wrong password [58]", proof_handshake(&wc, &sc, &c, &s, NULL),
       SEC_E_LOGON_DENIED);
    EQ("FreeCredentialsHandle(wrong)", FreeCredentialsHandle(&wc), SEC_E_OK);
    EQ("FreeCredentialsHandle(client)", FreeCredentialsHandle(&cc), SEC_E_OK);
    EQ("FreeCredentialsHandle(server)", FreeCredentialsHandle(&sc), SEC_E_OK);
#undef ASC1
#undef RESET
}

/* ---- section: message functions ------------------------------------------------ */

static void messages(void)
{
    Pair p;
    pair_open(&p);
    unsigned char tok[64] = {0}, data[64] = {0}, sig[64] = {0};
    ULONG qop = 0xdeadbeef;
    memset(data, 'd', sizeof data);
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
#define SET2(t0, c0, p0, t1, c1, p1)                                                               \
    (b[0] = (SecBuffer){c0, t0, p0}, b[1] = (SecBuffer){c1, t1, p1}, d.cBuffers = 2,               \
     d.ulVersion = SECBUFFER_VERSION, d.pBuffers = b)

    /* NULL descriptor, bad descriptors. */
    const struct {
        const char *fn;
        int kind; /* 0 make, 1 verify, 2 encrypt, 3 decrypt */
    } fns[] = {{"MakeSignature", 0}, {"VerifySignature", 1}, {"EncryptMessage", 2},
               {"DecryptMessage", 3}};
    for (size_t i = 0; i < 4; i++) {
        char n[160];
        CtxtHandle *h = (fns[i].kind == 0 || fns[i].kind == 2) ? &p.cctx : &p.sctx;
#define CALL(desc)                                                                                 \
    (fns[i].kind == 0   ? MakeSignature(h, 0, desc, 0)                                             \
     : fns[i].kind == 1 ? VerifySignature(h, desc, 0, &qop)                                        \
     : fns[i].kind == 2 ? EncryptMessage(h, 0, desc, 0)                                            \
                        : DecryptMessage(h, desc, 0, &qop))
        snprintf(n, sizeof n, "%s(NULL pMessage)", fns[i].fn);
        ERR(n, CALL(NULL));
        SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_DATA, 16, data);
        d.ulVersion = 1;
        snprintf(n, sizeof n, "%s(ulVersion 1)", fns[i].fn);
        ERR(n, CALL(&d));
        SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_DATA, 16, data);
        d.cBuffers = 0;
        snprintf(n, sizeof n, "%s(cBuffers 0)", fns[i].fn);
        ERR(n, CALL(&d));
        d.cBuffers = 2;
        d.pBuffers = NULL;
        snprintf(n, sizeof n, "%s(pBuffers NULL, cBuffers 2)", fns[i].fn);
        ERR(n, CALL(&d));
        {
            ProofGuard g;
            SecBuffer *gb = proof_guarded(2 * sizeof(SecBuffer), &g);
            gb[0] = (SecBuffer){16, SECBUFFER_TOKEN, tok};
            gb[1] = (SecBuffer){16, SECBUFFER_DATA, data};
            SecBufferDesc hd = {SECBUFFER_VERSION, 0x10000000, gb};
            snprintf(n, sizeof n, "%s(cBuffers 0x10000000 over 2 entries at a guard page)",
                     fns[i].fn);
            ERR(n, CALL(&hd));
            proof_unguard(&g);
        }
        /* Wrong buffer types (items 80, 93). */
        SET2(SECBUFFER_DATA, 16, tok, SECBUFFER_DATA, 16, data);
        snprintf(n, sizeof n, "%s(DATA, DATA: no TOKEN) [80,93]", fns[i].fn);
        EQ(n, CALL(&d), SEC_E_INVALID_TOKEN);
        SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_EMPTY, 0, NULL);
        if (fns[i].kind >= 2) {
            snprintf(n, sizeof n, "%s(TOKEN, EMPTY: no DATA) [93]", fns[i].fn);
            EQ(n, CALL(&d), SEC_E_INVALID_TOKEN);
        }
        SET2(0x7FFF, 16, tok, 0x7FFE, 16, data);
        snprintf(n, sizeof n, "%s(unknown buffer types)", fns[i].fn);
        ERR(n, CALL(&d));
        /* Overlapping buffers. */
        SET2(SECBUFFER_TOKEN, 16, data, SECBUFFER_DATA, 32, data + 8);
        snprintf(n, sizeof n, "%s(TOKEN overlaps DATA)", fns[i].fn);
        ERR(n, CALL(&d));
        /* NULL pointers inside buffers. */
        SET2(SECBUFFER_TOKEN, 16, NULL, SECBUFFER_DATA, 16, data);
        snprintf(n, sizeof n, "%s(TOKEN pvBuffer NULL, cbBuffer 16)", fns[i].fn);
        ERR(n, CALL(&d));
        /* Token shorter than 16 bytes, ending at a guard page (items 86, 93). */
        for (ULONG tl = 0; tl < 16; tl += 5) {
            ProofGuard g;
            unsigned char *gt = proof_guarded(tl, &g);
            SET2(SECBUFFER_TOKEN, tl, gt, SECBUFFER_DATA, 16, data);
            snprintf(n, sizeof n, "%s(%u-byte TOKEN at a guard page) [86,93]", fns[i].fn, tl);
            if (fns[i].kind == 2)
                EQ(n, CALL(&d), SEC_E_BUFFER_TOO_SMALL);
            else
                PROBE_ERR(n, CALL(&d), SEC_E_BUFFER_TOO_SMALL);
            proof_unguard(&g);
        }
    }
    /* The pair has only failed calls behind it: still in step. */
    pair_still_works(&p, "after bad descriptors");

    /* Descriptors that may legitimately succeed (and so advance the
     * sequence numbers): any Windows status, then a fresh pair. */
    for (size_t i = 0; i < 4; i++) {
        char n[160];
        CtxtHandle *h = (fns[i].kind == 0 || fns[i].kind == 2) ? &p.cctx : &p.sctx;
        if (fns[i].kind < 2) {
            SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_EMPTY, 0, NULL);
            snprintf(n, sizeof n, "%s(TOKEN, EMPTY: no DATA)", fns[i].fn);
            ANY(n, CALL(&d));
        }
        SET2(SECBUFFER_TOKEN | SECBUFFER_ATTRMASK, 16, tok, SECBUFFER_DATA | SECBUFFER_ATTRMASK, 16,
             data);
        snprintf(n, sizeof n, "%s(all attribute bits set)", fns[i].fn);
        ANY(n, CALL(&d));
        SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_DATA, 100, NULL);
        snprintf(n, sizeof n, "%s(DATA pvBuffer NULL, cbBuffer 100)", fns[i].fn);
        ANY(n, CALL(&d));
    }
#undef CALL
    pair_close(&p);
    pair_open(&p);

    /* Exactly-sized TOKEN at a guard page works. */
    {
        ProofGuard g;
        unsigned char *gt = proof_guarded(16, &g);
        ULONG tl = 16;
        EQ("EncryptMessage(16-byte TOKEN at a guard page)",
           proof_seal(&p.cctx, gt, &tl, data, sizeof data), SEC_E_OK);
        EQ("DecryptMessage(16-byte TOKEN at a guard page)",
           proof_unseal(&p.sctx, gt, tl, data, sizeof data), SEC_E_OK);
        EQ("MakeSignature(16-byte TOKEN at a guard page)",
           proof_sign(&p.cctx, data, sizeof data, gt, 16), SEC_E_OK);
        EQ("VerifySignature(16-byte TOKEN at a guard page)",
           proof_verify(&p.sctx, data, sizeof data, gt, 16), SEC_E_OK);
        proof_unguard(&g);
    }
    /* DATA at a guard page, zero-length DATA. */
    {
        ProofGuard g;
        unsigned char *gd = proof_guarded(37, &g);
        memset(gd, 'q', 37);
        ULONG tl = 16;
        EQ("EncryptMessage(DATA at a guard page)", proof_seal(&p.cctx, tok, &tl, gd, 37), SEC_E_OK);
        EQ("DecryptMessage(DATA at a guard page)", proof_unseal(&p.sctx, tok, tl, gd, 37),
           SEC_E_OK);
        TRUE_("DATA at a guard page decrypts to the plaintext", gd[0] == 'q' && gd[36] == 'q');
        proof_unguard(&g);
    }
    {
        ULONG tl = 16;
        SECURITY_STATUS st = proof_seal(&p.cctx, tok, &tl, data, 0);
        ANY("EncryptMessage(zero-length DATA)", st);
        if (st == SEC_E_OK)
            EQ("DecryptMessage(zero-length DATA)", proof_unseal(&p.sctx, tok, tl, data, 0),
               SEC_E_OK);
    }
    /* READONLY and READONLY_WITH_CHECKSUM data in read-only memory must
     * not be written (items 84, 91). Twice: the headers in two read-only
     * pages, then the same read-only header pointer in two buffers, as
     * Wine's testSignSeal passes it to Windows (which returns SEC_E_OK). */
    for (int same = 0; same < 2; same++) {
        size_t ps = (size_t)sysconf(_SC_PAGESIZE);
        unsigned char *ro = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                 -1, 0);
        if (ro == MAP_FAILED)
            exit(3);
        memcpy(ro, "Header Test", 12);
        memcpy(ro + ps, "Header Test", 12);
        mprotect(ro, 2 * ps, PROT_READ);
        unsigned char *ro2 = same ? ro : ro + ps;
        unsigned char body[13];
        memcpy(body, "Hello, world!", 13);
        SecBuffer mb[4] = {{12, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro},
                           {13, SECBUFFER_DATA, body},
                           {12, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro2},
                           {16, SECBUFFER_TOKEN, tok}};
        SecBufferDesc md = {SECBUFFER_VERSION, 4, mb};
        const char *how = same ? "one read-only header passed twice (Wine testSignSeal)"
                               : "read-only headers in PROT_READ pages";
        char n[200];
        snprintf(n, sizeof n, "EncryptMessage(%s) [91]", how);
        EQ(n, EncryptMessage(&p.cctx, 0, &md, 0), SEC_E_OK);
        snprintf(n, sizeof n, "DecryptMessage(%s) [91]", how);
        EQ(n, DecryptMessage(&p.sctx, &md, 0, NULL), SEC_E_OK);
        snprintf(n, sizeof n, "%s: round trip restores the body", how);
        TRUE_(n, memcmp(body, "Hello, world!", 13) == 0);
        mb[3].cbBuffer = 16;
        snprintf(n, sizeof n, "MakeSignature(%s) [84]", how);
        EQ(n, MakeSignature(&p.cctx, 0, &md, 0), SEC_E_OK);
        snprintf(n, sizeof n, "VerifySignature(%s) [84]", how);
        EQ(n, VerifySignature(&p.sctx, &md, 0, NULL), SEC_E_OK);
        munmap(ro, 2 * ps);
        pair_close(&p);
        pair_open(&p);
    }
    /* QOP values. */
    {
        SET2(SECBUFFER_DATA, 16, data, SECBUFFER_TOKEN, 16, sig);
        PROBE_ERR("MakeSignature(fQOP 1) [88]", MakeSignature(&p.cctx, 1, &d, 0),
                  SEC_E_QOP_NOT_SUPPORTED);
        SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_DATA, 16, data);
        SECURITY_STATUS st = EncryptMessage(&p.cctx, 0xFFFFFFFF, &d, 0);
        ANY("EncryptMessage(fQOP 0xffffffff)", st);
        if (st == SEC_E_OK)
            ANY("DecryptMessage after fQOP 0xffffffff", DecryptMessage(&p.sctx, &d, 0, &qop));
    }
    /* Any sequence number argument is accepted or refused, never crashes. */
    {
        SET2(SECBUFFER_TOKEN, 16, tok, SECBUFFER_DATA, 16, data);
        SECURITY_STATUS st = EncryptMessage(&p.cctx, 0, &d, 0xFFFFFFFF);
        ANY("EncryptMessage(MessageSeqNo 0xffffffff)", st);
        if (st == SEC_E_OK)
            ANY("DecryptMessage(MessageSeqNo 0xffffffff)",
                DecryptMessage(&p.sctx, &d, 0xFFFFFFFF, &qop));
    }
    pair_close(&p);

    /* Tampering and replays on a fresh pair (items 82, 87, 94). */
    pair_open(&p);
    unsigned char msg[40] = {0}, copy[40] = {0}, t2[16] = {0}, t2copy[16] = {0};
    memset(msg, 'm', sizeof msg);
    ULONG tl = 16;
    EQ("EncryptMessage", proof_seal(&p.cctx, t2, &tl, msg, sizeof msg), SEC_E_OK);
    memcpy(copy, msg, sizeof msg);
    memcpy(t2copy, t2, sizeof t2);
    msg[5] ^= 1;
    EQ("DecryptMessage(modified ciphertext) [94]", proof_unseal(&p.sctx, t2, tl, msg, sizeof msg),
       SEC_E_MESSAGE_ALTERED);
    pair_close(&p);
    pair_open(&p);
    tl = 16;
    memset(msg, 'm', sizeof msg);
    EQ("EncryptMessage", proof_seal(&p.cctx, t2, &tl, msg, sizeof msg), SEC_E_OK);
    t2[6] ^= 0x80;
    EQ("DecryptMessage(modified trailer checksum) [94]",
       proof_unseal(&p.sctx, t2, tl, msg, sizeof msg), SEC_E_MESSAGE_ALTERED);
    pair_close(&p);
    pair_open(&p);
    tl = 16;
    memset(msg, 'm', sizeof msg);
    EQ("EncryptMessage", proof_seal(&p.cctx, t2, &tl, msg, sizeof msg), SEC_E_OK);
    t2[12] ^= 0x80;
    ONE_OF("DecryptMessage(modified trailer sequence number) [94]",
           proof_unseal(&p.sctx, t2, tl, msg, sizeof msg), SEC_E_MESSAGE_ALTERED,
           SEC_E_OUT_OF_SEQUENCE);
    pair_close(&p);
    pair_open(&p);
    tl = 16;
    memset(msg, 'm', sizeof msg);
    EQ("EncryptMessage", proof_seal(&p.cctx, t2, &tl, msg, sizeof msg), SEC_E_OK);
    memcpy(copy, msg, sizeof msg);
    memcpy(t2copy, t2, sizeof t2);
    EQ("DecryptMessage", proof_unseal(&p.sctx, t2, tl, msg, sizeof msg), SEC_E_OK);
    ONE_OF("DecryptMessage(replayed message) [87,94]",
           proof_unseal(&p.sctx, t2copy, tl, copy, sizeof copy), SEC_E_MESSAGE_ALTERED,
           SEC_E_OUT_OF_SEQUENCE);
    pair_close(&p);
    pair_open(&p);
    memset(msg, 's', sizeof msg);
    EQ("MakeSignature", proof_sign(&p.cctx, msg, sizeof msg, sig, 16), SEC_E_OK);
    memcpy(t2copy, sig, 16);
    EQ("VerifySignature", proof_verify(&p.sctx, msg, sizeof msg, sig, 16), SEC_E_OK);
    ONE_OF("VerifySignature(replayed signature) [87]",
           proof_verify(&p.sctx, msg, sizeof msg, t2copy, 16), SEC_E_MESSAGE_ALTERED,
           SEC_E_OUT_OF_SEQUENCE);
    pair_close(&p);
    pair_open(&p);
    EQ("MakeSignature", proof_sign(&p.cctx, msg, sizeof msg, sig, 16), SEC_E_OK);
    msg[0] ^= 1;
    EQ("VerifySignature(modified message) [82]", proof_verify(&p.sctx, msg, sizeof msg, sig, 16),
       SEC_E_MESSAGE_ALTERED);
    pair_close(&p);
    pair_open(&p);
    /* A forged checksum with the right sequence number (0) is altered; Wine's
     * item-82 bytes also carry a wrong sequence number (either code). */
    unsigned char forged[16] = {1, 0, 0, 0, 0xe8, 0xc7, 0xaa, 0x26, 0x16, 0x39, 7, 0x4e, 0, 0, 0, 0};
    qop = 0xdeadbeef;
    SET2(SECBUFFER_DATA, sizeof msg, msg, SECBUFFER_TOKEN, 16, forged);
    EQ("VerifySignature(forged checksum, right sequence number) [82]",
       VerifySignature(&p.sctx, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    TRUE_("VerifySignature leaves *pfQOP on failure [83]", qop == 0xdeadbeef);
    unsigned char wine82[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0xc7, 0xaa, 0x26, 0x16, 0x39, 7, 0x4e};
    SET2(SECBUFFER_DATA, sizeof msg, msg, SECBUFFER_TOKEN, 16, wine82);
    ONE_OF("VerifySignature(Wine's item-82 bytes) [82]", VerifySignature(&p.sctx, &d, 0, &qop),
           SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE);
    /* Own-direction misuse: the client decrypting its own message. */
    tl = 16;
    memset(msg, 'o', sizeof msg);
    EQ("EncryptMessage", proof_seal(&p.cctx, t2, &tl, msg, sizeof msg), SEC_E_OK);
    ERR("DecryptMessage on the sender's own context",
        proof_unseal(&p.cctx, t2, tl, msg, sizeof msg));
    pair_close(&p);
#undef SET2
}

/* ---- section: attributes ---------------------------------------------------------- */

static void attributes(void)
{
    Pair p;
    pair_open(&p);
    char n[200];
    /* NULL pBuffer for every attribute number 0..40 on both sides. */
    for (ULONG a = 0; a <= 40; a++) {
        snprintf(n, sizeof n, "QueryContextAttributesW(client, %u, NULL)", a);
        ERR(n, QueryContextAttributesW(&p.cctx, a, NULL));
        snprintf(n, sizeof n, "QueryContextAttributesA(server, %u, NULL)", a);
        ERR(n, QueryContextAttributesA(&p.sctx, a, NULL));
        snprintf(n, sizeof n, "QueryContextAttributesExW(client, %u, NULL, 64)", a);
        ERR(n, QueryContextAttributesExW(&p.cctx, a, NULL, 64));
    }
    /* Ex with 0..7-byte buffers at a guard page: too small for every
     * structure but SecPkgContext_Flags (4 bytes). */
    for (ULONG a = 0; a <= 40; a++) {
        for (ULONG cb = 0; cb < 8; cb += 3) {
            ProofGuard g;
            void *gb = proof_guarded(cb, &g);
            snprintf(n, sizeof n, "QueryContextAttributesExW(client, %u, %u bytes at guard)", a,
                     cb);
            SECURITY_STATUS st = QueryContextAttributesExW(&p.cctx, a, gb, cb);
            if (a == SECPKG_ATTR_FLAGS && cb >= 4)
                ANY(n, st);
            else
                ERR(n, st);
            snprintf(n, sizeof n, "QueryContextAttributesExA(server, %u, %u bytes at guard)", a,
                     cb);
            st = QueryContextAttributesExA(&p.sctx, a, gb, cb);
            if (a == SECPKG_ATTR_FLAGS && cb >= 4)
                ANY(n, st);
            else
                ERR(n, st);
            proof_unguard(&g);
        }
    }
    /* Plain queries of the known attributes, each structure exactly at a
     * guard page: the library may write sizeof(structure) bytes, no more. */
    const struct {
        ULONG attr;
        size_t size;
        int ptrs[3]; /* offsets of FreeContextBuffer pointers, -1 = none */
    } known[] = {
        {SECPKG_ATTR_SIZES, sizeof(SecPkgContext_Sizes), {-1, -1, -1}},
        {SECPKG_ATTR_NAMES, sizeof(SecPkgContext_NamesW), {0, -1, -1}},
        {SECPKG_ATTR_LIFESPAN, sizeof(SecPkgContext_Lifespan), {-1, -1, -1}},
        {SECPKG_ATTR_KEY_INFO, sizeof(SecPkgContext_KeyInfoW), {0, 8, -1}},
        {SECPKG_ATTR_AUTHORITY, sizeof(SecPkgContext_AuthorityW), {0, -1, -1}},
        {SECPKG_ATTR_SESSION_KEY, sizeof(SecPkgContext_SessionKey), {8, -1, -1}},
        {SECPKG_ATTR_PACKAGE_INFO, sizeof(SecPkgContext_PackageInfoW), {0, -1, -1}},
        {SECPKG_ATTR_NEGOTIATION_INFO, sizeof(SecPkgContext_NegotiationInfoW), {0, -1, -1}},
        {SECPKG_ATTR_NATIVE_NAMES, sizeof(SecPkgContext_NativeNamesW), {0, 8, -1}},
        {SECPKG_ATTR_FLAGS, sizeof(SecPkgContext_Flags), {-1, -1, -1}},
        {SECPKG_ATTR_STREAM_SIZES, sizeof(SecPkgContext_StreamSizes), {-1, -1, -1}},
        {SECPKG_ATTR_AUTHENTICATION_ID, sizeof(SecPkgContext_AuthenticationId), {-1, -1, -1}},
    };
    /* Established client and server, and both half-built (after their
     * first leg). */
    CtxtHandle half_c, half_s;
    unsigned char hn[PROOF_TOKEN_MAX], hc[PROOF_TOKEN_MAX];
    ULONG hnl, hcl;
    EQ("half-built client", proof_isc(&p.cc, NULL, &half_c, NULL, 0, hn, &hnl, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);
    EQ("half-built server", proof_asc(&p.sc, NULL, &half_s, hn, hnl, hc, &hcl, PROOF_ASC_REQ),
       SEC_I_CONTINUE_NEEDED);
    CtxtHandle *sides[4] = {&p.cctx, &p.sctx, &half_c, &half_s};
    const char *side_names[4] = {"client", "server", "half-built client", "half-built server"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        for (int side = 0; side < 4; side++) {
            for (int wide = 0; wide < 2; wide++) {
                ProofGuard g;
                unsigned char *gb = proof_guarded(known[i].size, &g);
                memset(gb, 0, known[i].size);
                SECURITY_STATUS st = wide ? QueryContextAttributesW(sides[side], known[i].attr, gb)
                                          : QueryContextAttributesA(sides[side], known[i].attr, gb);
                snprintf(n, sizeof n, "QueryContextAttributes%s(%s, %u) into a %zu-byte guarded "
                                      "structure",
                         wide ? "W" : "A", side_names[side], known[i].attr,
                         known[i].size);
                ANY(n, st);
                if (st == SEC_E_OK) {
                    for (int k = 0; k < 3 && known[i].ptrs[k] >= 0; k++) {
                        void *ptr;
                        memcpy(&ptr, gb + known[i].ptrs[k], sizeof ptr);
                        snprintf(n, sizeof n, "FreeContextBuffer(attribute %u pointer %d)",
                                 known[i].attr, k);
                        EQ(n, FreeContextBuffer(ptr), SEC_E_OK);
                        ERR("FreeContextBuffer(attribute pointer) twice", FreeContextBuffer(ptr));
                    }
                }
                proof_unguard(&g);
            }
        }
    }
    EQ("DeleteSecurityContext(half-built client)", DeleteSecurityContext(&half_c), SEC_E_OK);
    EQ("DeleteSecurityContext(half-built server)", DeleteSecurityContext(&half_s), SEC_E_OK);
    /* Unknown attributes with a large buffer. */
    const ULONG unknown[] = {0x7FFF, 0x80000000, 0xFFFFFFFF, 1108, 1110};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        unsigned char big[512];
        snprintf(n, sizeof n, "QueryContextAttributesW(unknown attribute 0x%x) [77]", unknown[i]);
        PROBE_ERR(n, QueryContextAttributesW(&p.cctx, unknown[i], big),
                  SEC_E_UNSUPPORTED_FUNCTION);
        snprintf(n, sizeof n, "SetContextAttributesW(unknown attribute 0x%x) [109]", unknown[i]);
        PROBE_ERR(n, SetContextAttributesW(&p.cctx, unknown[i], big, sizeof big),
                  SEC_E_UNSUPPORTED_FUNCTION);
        snprintf(n, sizeof n, "SetContextAttributesA(attribute 0x%x, NULL, 1000)", unknown[i]);
        ERR(n, SetContextAttributesA(&p.cctx, unknown[i], NULL, 1000));
    }
    /* Credential attributes. */
    SecPkgCredentials_NamesW nm = {0};
    ERR("QueryCredentialsAttributesW(NAMES, NULL)",
        QueryCredentialsAttributesW(&p.cc, SECPKG_CRED_ATTR_NAMES, NULL));
    ERR("QueryCredentialsAttributesA(NAMES, NULL)",
        QueryCredentialsAttributesA(&p.cc, SECPKG_CRED_ATTR_NAMES, NULL));
    PROBE_ERR("QueryCredentialsAttributesW(unknown 0x7777)",
              QueryCredentialsAttributesW(&p.cc, 0x7777, &nm), SEC_E_UNSUPPORTED_FUNCTION);
    for (ULONG cb = 0; cb < 8; cb += 4) {
        ProofGuard g;
        void *gb = proof_guarded(cb, &g);
        snprintf(n, sizeof n, "QueryCredentialsAttributesExW(NAMES, %u bytes at a guard page)", cb);
        EQ(n, QueryCredentialsAttributesExW(&p.cc, SECPKG_CRED_ATTR_NAMES, gb, cb),
           SEC_E_BUFFER_TOO_SMALL);
        proof_unguard(&g);
    }
    {
        ProofGuard g;
        SecPkgCredentials_NamesW *gn = proof_guarded(sizeof *gn, &g);
        SECURITY_STATUS st = QueryCredentialsAttributesW(&p.cc, SECPKG_CRED_ATTR_NAMES, gn);
        EQ("QueryCredentialsAttributesW(NAMES) into a guarded structure [107]", st, SEC_E_OK);
        if (st == SEC_E_OK) {
            EQ("FreeContextBuffer(credential name)", FreeContextBuffer(gn->sUserName), SEC_E_OK);
            ERR("FreeContextBuffer(credential name) twice", FreeContextBuffer(gn->sUserName));
        }
        proof_unguard(&g);
    }
    ERR("SetCredentialsAttributesW(KDC proxy, NULL, 100)",
        SetCredentialsAttributesW(&p.cc, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, NULL, 100));
    ERR("SetCredentialsAttributesA(unknown 0x7777, NULL, 0)",
        SetCredentialsAttributesA(&p.cc, 0x7777, NULL, 0));
    pair_still_works(&p, "after attribute queries");
    pair_close(&p);
}

/* ---- section: out of order and miscellaneous entry points ------------------------ */

static void out_of_order(void)
{
    CredHandle cc, sc;
    EQ("client credential", proof_client_cred(&cc), SEC_E_OK);
    EQ("server credential", proof_server_cred(&sc), SEC_E_OK);
    CtxtHandle c, s;
    unsigned char neg[PROOF_TOKEN_MAX], chal[PROOF_TOKEN_MAX], out[PROOF_TOKEN_MAX];
    ULONG neglen, challen, outlen;
    unsigned char tok[16] = {0}, data[32] = {0}, sig[16] = {0};
    memset(data, 'z', sizeof data);
    ULONG tl;

    EQ("ISC first leg", proof_isc(&cc, NULL, &c, NULL, 0, neg, &neglen, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);
    /* Message functions before the handshake completes. */
    tl = 16;
    ERR("EncryptMessage after the client's first leg",
        proof_seal(&c, tok, &tl, data, sizeof data));
    ERR("MakeSignature after the client's first leg",
        proof_sign(&c, data, sizeof data, sig, sizeof sig));
    ERR("DecryptMessage after the client's first leg",
        proof_unseal(&c, tok, 16, data, sizeof data));
    ERR("VerifySignature after the client's first leg",
        proof_verify(&c, data, sizeof data, sig, sizeof sig));
    ERR("AcceptSecurityContext(client context)",
        proof_asc(&sc, &c, &c, neg, neglen, out, &outlen, PROOF_ASC_REQ));
    {
        SecBuffer packed = {0, 0, NULL};
        SECURITY_STATUS st = ExportSecurityContext(&c, 0, &packed, NULL);
        ANY("ExportSecurityContext(half-built client context)", st);
        if (st == SEC_E_OK)
            FreeContextBuffer(packed.pvBuffer);
    }
    EQ("ASC first leg", proof_asc(&sc, NULL, &s, neg, neglen, chal, &challen, PROOF_ASC_REQ),
       SEC_I_CONTINUE_NEEDED);
    tl = 16;
    ERR("EncryptMessage after the server's first leg",
        proof_seal(&s, tok, &tl, data, sizeof data));
    ERR("DecryptMessage after the server's first leg",
        proof_unseal(&s, tok, 16, data, sizeof data));
    PROBE_ERR("ImpersonateSecurityContext(half-built server context)",
              ImpersonateSecurityContext(&s), SEC_E_NO_IMPERSONATION);
    ERR("ASC second leg with the NEGOTIATE again",
        proof_asc(&sc, &s, &s, neg, neglen, out, &outlen, PROOF_ASC_REQ));
    ERR("ISC second leg with an AUTHENTICATE-looking garbage",
        proof_isc(NULL, &c, &c, "NTLMSSP\0\3\0\0\0", 12, out, &outlen, PROOF_ISC_REQ));
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);

    /* A complete handshake, then more handshake calls. */
    ProofTokens t;
    EQ("handshake", proof_handshake(&cc, &sc, &c, &s, &t), SEC_E_OK);
    PROBE_ERR("ISC after completion [51]",
              proof_isc(NULL, &c, &c, t.chal, t.challen, out, &outlen, PROOF_ISC_REQ),
              SEC_E_OUT_OF_SEQUENCE);
    ERR("ASC after completion",
        proof_asc(&sc, &s, &s, t.auth, t.authlen, out, &outlen, PROOF_ASC_REQ));
    ERR("ASC after completion with a NEGOTIATE",
        proof_asc(&sc, &s, &s, t.neg, t.neglen, out, &outlen, PROOF_ASC_REQ));
    ANY("CompleteAuthToken(established client, NULL desc)", CompleteAuthToken(&c, NULL));
    ANY("CompleteAuthToken(established server, NULL desc)", CompleteAuthToken(&s, NULL));
    PROBE_ERR("ApplyControlToken(established, NULL) [108]", ApplyControlToken(&c, NULL),
              SEC_E_UNSUPPORTED_FUNCTION);
    {
        SECURITY_STATUS st = ImpersonateSecurityContext(&c);
        PROBE_ERR("ImpersonateSecurityContext(client context) [104]", st, SEC_E_NO_IMPERSONATION);
    }
    ANY("RevertSecurityContext without impersonation", RevertSecurityContext(&s));
    ANY("ImpersonateSecurityContext(server) [103]", ImpersonateSecurityContext(&s));
    ANY("ImpersonateSecurityContext(server) twice", ImpersonateSecurityContext(&s));
    ANY("RevertSecurityContext(server)", RevertSecurityContext(&s));
    ANY("RevertSecurityContext(server) twice", RevertSecurityContext(&s));
    ERR("QuerySecurityContextToken(server, NULL)", QuerySecurityContextToken(&s, NULL));
    {
        HANDLE h = NULL;
        ANY("QuerySecurityContextToken(server)", QuerySecurityContextToken(&s, &h));
        ERR("QuerySecurityContextToken(client)", QuerySecurityContextToken(&c, &h));
    }
    /* Export / import (of a throwaway context: DELETE_OLD ends it). */
    {
        SecBuffer packed = {0, 0, NULL};
        ERR("ExportSecurityContext(NULL packed)", ExportSecurityContext(&c, 0, NULL, NULL));
        CtxtHandle c2, s2;
        EQ("handshake", proof_handshake(&cc, &sc, &c2, &s2, NULL), SEC_E_OK);
        SECURITY_STATUS st =
            ExportSecurityContext(&c2, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, NULL);
        EQ("ExportSecurityContext(client, DELETE_OLD, NULL pToken)", st, SEC_E_OK);
        DeleteSecurityContext(&s2);
        if (st == SEC_E_OK && packed.pvBuffer) {
            CtxtHandle imp;
            SecBuffer half = {packed.cbBuffer / 2, SECBUFFER_TOKEN, NULL};
            ProofGuard g;
            unsigned char *gb = proof_guarded(half.cbBuffer, &g);
            memcpy(gb, packed.pvBuffer, half.cbBuffer);
            half.pvBuffer = gb;
            ERR("ImportSecurityContextW(truncated export at a guard page)",
                ImportSecurityContextW(WSTR("NTLM"), &half, NULL, &imp));
            proof_unguard(&g);
            for (ULONG cut = 0; cut < packed.cbBuffer; cut++) {
                gb = proof_guarded(cut, &g);
                memcpy(gb, packed.pvBuffer, cut);
                SecBuffer part = {cut, SECBUFFER_TOKEN, gb};
                SECURITY_STATUS is = ImportSecurityContextW(WSTR("NTLM"), &part, NULL, &imp);
                if (!(is < 0 && proof_is_windows_status(is))) {
                    printf("FAIL ImportSecurityContextW(export truncated to %u): 0x%08x\n", cut,
                           (unsigned)is);
                    sh->failed++;
                    if (is >= 0)
                        DeleteSecurityContext(&imp);
                }
                proof_unguard(&g);
            }
            sh->passed++;
            SECURITY_STATUS is = ImportSecurityContextW(WSTR("NTLM"), &packed, NULL, &imp);
            ANY("ImportSecurityContextW(full export)", is);
            if (is == SEC_E_OK)
                EQ("DeleteSecurityContext(imported)", DeleteSecurityContext(&imp), SEC_E_OK);
            EQ("FreeContextBuffer(packed)", FreeContextBuffer(packed.pvBuffer), SEC_E_OK);
            ERR("FreeContextBuffer(packed) twice", FreeContextBuffer(packed.pvBuffer));
        }
        /* DELETE_OLD and every other flag bit on a throwaway context. */
        CtxtHandle c3, s3;
        EQ("handshake", proof_handshake(&cc, &sc, &c3, &s3, NULL), SEC_E_OK);
        packed = (SecBuffer){0, 0, NULL};
        void *ptok = (void *)1;
        st = ExportSecurityContext(&c3, 0xFFFFFFFF, &packed, &ptok);
        ANY("ExportSecurityContext(fFlags 0xffffffff)", st);
        if (st == SEC_E_OK) {
            FreeContextBuffer(packed.pvBuffer);
            EQ("DELETE_OLD deleted the context", DeleteSecurityContext(&c3), SEC_E_INVALID_HANDLE);
        } else {
            DeleteSecurityContext(&c3);
        }
        DeleteSecurityContext(&s3);
    }
    /* Impersonate a server context, delete it while impersonating, then
     * acquire default credentials and revert: any status, no crash. */
    {
        CtxtHandle c4, s4;
        EQ("handshake", proof_handshake(&cc, &sc, &c4, &s4, NULL), SEC_E_OK);
        ANY("ImpersonateSecurityContext(server)", ImpersonateSecurityContext(&s4));
        EQ("DeleteSecurityContext while impersonating", DeleteSecurityContext(&s4), SEC_E_OK);
        CredHandle dflt;
        SECURITY_STATUS ast = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND,
                                                        NULL, NULL, NULL, NULL, &dflt, NULL);
        ANY("ACHW(default credentials) after the impersonated context was deleted", ast);
        if (ast == SEC_E_OK) {
            CtxtHandle c5;
            unsigned char o5[PROOF_TOKEN_MAX];
            ULONG o5l;
            SECURITY_STATUS ist = proof_isc(&dflt, NULL, &c5, NULL, 0, o5, &o5l, PROOF_ISC_REQ);
            ANY("ISC with those credentials", ist);
            if (ist >= 0)
                DeleteSecurityContext(&c5);
            FreeCredentialsHandle(&dflt);
        }
        PROBE_ERR("RevertSecurityContext(deleted context)", RevertSecurityContext(&s4),
                  SEC_E_INVALID_HANDLE);
        SspiRevertToSelf();
        DeleteSecurityContext(&c4);
    }
    /* AddCredentials / ChangeAccountPassword on live handles. */
    ERR("AddCredentialsW(live, NULL package)",
        AddCredentialsW(&cc, NULL, NULL, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL));
    ERR("AddCredentialsA(live, NTLM)",
        AddCredentialsA(&cc, NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL));
    /* Contexts still work after all of that. */
    tl = 16;
    EQ("EncryptMessage after misuse", proof_seal(&c, tok, &tl, data, sizeof data), SEC_E_OK);
    EQ("DecryptMessage after misuse", proof_unseal(&s, tok, tl, data, sizeof data), SEC_E_OK);
    EQ("DeleteSecurityContext(client)", DeleteSecurityContext(&c), SEC_E_OK);
    EQ("DeleteSecurityContext(server)", DeleteSecurityContext(&s), SEC_E_OK);
    EQ("FreeCredentialsHandle(client)", FreeCredentialsHandle(&cc), SEC_E_OK);
    EQ("FreeCredentialsHandle(server)", FreeCredentialsHandle(&sc), SEC_E_OK);
}

/* Issue 8 item 4: a message that was only signed (EncryptMessage with
 * SECQOP_WRAP_NO_ENCRYPT, or a forgery from known key stream after a
 * downgrade) on a context that negotiated confidentiality is accepted only by
 * a caller who passes pfQOP and so can tell it from a sealed one. */
static void integrity_only_needs_pfqop(void)
{
    Pair p;
    pair_open(&p);
    static const char plain[24] = "cleartext, never sealed";
    unsigned char tok[16], data[sizeof plain];
    SecBuffer b[2];
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    for (int with_qop = 0; with_qop < 2; with_qop++) {
        memcpy(data, plain, sizeof data);
        b[0] = (SecBuffer){sizeof tok, SECBUFFER_TOKEN, tok};
        b[1] = (SecBuffer){sizeof data, SECBUFFER_DATA, data};
        EQ("EncryptMessage(SECQOP_WRAP_NO_ENCRYPT)",
           EncryptMessage(&p.cctx, SECQOP_WRAP_NO_ENCRYPT, &d, 0), SEC_E_OK);
        TRUE_("the integrity-only message stays in clear", !memcmp(data, plain, sizeof data));
        ULONG qop = 0xdeadbeef;
        if (!with_qop) {
            EQ("DecryptMessage(integrity-only message, pfQOP NULL)",
               DecryptMessage(&p.sctx, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
        } else {
            EQ("DecryptMessage(integrity-only message, pfQOP)", DecryptMessage(&p.sctx, &d, 0, &qop),
               SEC_E_OK);
            TRUE_("*pfQOP == SECQOP_WRAP_NO_ENCRYPT [97]", qop == SECQOP_WRAP_NO_ENCRYPT);
        }
    }
    /* A sealed message needs no pfQOP. */
    unsigned char sealed[32];
    ULONG toklen = sizeof tok;
    memset(sealed, 's', sizeof sealed);
    EQ("EncryptMessage(sealed)", proof_seal(&p.cctx, tok, &toklen, sealed, sizeof sealed), SEC_E_OK);
    b[0] = (SecBuffer){toklen, SECBUFFER_TOKEN, tok};
    b[1] = (SecBuffer){sizeof sealed, SECBUFFER_DATA, sealed};
    EQ("DecryptMessage(sealed message, pfQOP NULL)", DecryptMessage(&p.sctx, &d, 0, NULL), SEC_E_OK);
    pair_close(&p);

    /* A context that negotiated integrity only: cleartext is what the
     * caller asked for, so pfQOP may be NULL. */
    CredHandle cc, sc;
    CtxtHandle c, s;
    ProofTokens t;
    unsigned char fin[PROOF_TOKEN_MAX];
    ULONG finlen;
    EQ("client credential", proof_client_cred(&cc), SEC_E_OK);
    EQ("server credential", proof_server_cred(&sc), SEC_E_OK);
    EQ("ISC (integrity only)", proof_isc(&cc, NULL, &c, NULL, 0, t.neg, &t.neglen, ISC_REQ_INTEGRITY),
       SEC_I_CONTINUE_NEEDED);
    EQ("ASC (integrity only)", proof_asc(&sc, NULL, &s, t.neg, t.neglen, t.chal, &t.challen, 0),
       SEC_I_CONTINUE_NEEDED);
    EQ("ISC (integrity only) final",
       proof_isc(NULL, &c, &c, t.chal, t.challen, t.auth, &t.authlen, ISC_REQ_INTEGRITY), SEC_E_OK);
    EQ("ASC (integrity only) final", proof_asc(&sc, &s, &s, t.auth, t.authlen, fin, &finlen, 0),
       SEC_E_OK);
    memcpy(data, plain, sizeof data);
    b[0] = (SecBuffer){sizeof tok, SECBUFFER_TOKEN, tok};
    b[1] = (SecBuffer){sizeof data, SECBUFFER_DATA, data};
    EQ("EncryptMessage(SECQOP_WRAP_NO_ENCRYPT), integrity-only context",
       EncryptMessage(&c, SECQOP_WRAP_NO_ENCRYPT, &d, 0), SEC_E_OK);
    EQ("DecryptMessage(pfQOP NULL), integrity-only context", DecryptMessage(&s, &d, 0, NULL),
       SEC_E_OK);
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
    FreeCredentialsHandle(&cc);
    FreeCredentialsHandle(&sc);
}

/* ImportSecurityContext with a well-formed packed context whose key-stream
 * positions are forged (2^40 bytes): must answer within seconds (an alarm
 * kills the section otherwise; reported as signal 14). */
static void import_forged_position(void)
{
    CredHandle cc, sc;
    CtxtHandle c, s;
    EQ("client credential", proof_client_cred(&cc), SEC_E_OK);
    EQ("server credential", proof_server_cred(&sc), SEC_E_OK);
    EQ("handshake", proof_handshake(&cc, &sc, &c, &s, NULL), SEC_E_OK);
    SecBuffer packed = {0, 0, NULL};
    SECURITY_STATUS st =
        ExportSecurityContext(&c, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, NULL);
    EQ("ExportSecurityContext(client, DELETE_OLD)", st, SEC_E_OK);
    if (st == SEC_E_OK && packed.cbBuffer >= 66) {
        unsigned char *copy = malloc(packed.cbBuffer);
        if (!copy)
            exit(3);
        /* opensspi's NTLM export: magic 8, two flag bytes, flags 4, attrs 4,
         * start 8, key 16, seq_out 4, seq_in 4, pos_out 8 (offset 50),
         * pos_in 8 (offset 58). */
        const uint64_t positions[] = {(uint64_t)1 << 40, UINT64_MAX};
        for (size_t i = 0; i < 2; i++) {
            memcpy(copy, packed.pvBuffer, packed.cbBuffer);
            memcpy(copy + 50, &positions[i], 8);
            memcpy(copy + 58, &positions[i], 8);
            SecBuffer forged = {packed.cbBuffer, SECBUFFER_TOKEN, copy};
            CtxtHandle imp;
            char n[160];
            snprintf(n, sizeof n,
                     "ImportSecurityContextW(export with key-stream positions 0x%llx) returns "
                     "within 10 s",
                     (unsigned long long)positions[i]);
            alarm(10);
            SECURITY_STATUS is = ImportSecurityContextW(WSTR("NTLM"), &forged, NULL, &imp);
            alarm(0);
            ANY(n, is);
            EQ("ImportSecurityContextW(edited export) [issue 8]", is, SEC_E_INVALID_TOKEN);
            if (is == SEC_E_OK)
                DeleteSecurityContext(&imp);
        }
        free(copy);
    }
    if (packed.pvBuffer)
        FreeContextBuffer(packed.pvBuffer);
    EQ("DELETE_OLD deleted the client context", DeleteSecurityContext(&c), SEC_E_INVALID_HANDLE);
    DeleteSecurityContext(&s);
    FreeCredentialsHandle(&cc);
    FreeCredentialsHandle(&sc);
}

/* Issue 8 item 6: an imported context never carries an identity that only
 * the blob asserts, and an export never leaves two contexts on one key
 * stream. */
static void export_attacks(void)
{
    Pair p;
    pair_open(&p);
    /* Without DELETE_OLD (or with RESET_NEW) the export is refused and the
     * context goes on as before. */
    const ULONG refused[] = {0, SECPKG_CONTEXT_EXPORT_RESET_NEW,
                             SECPKG_CONTEXT_EXPORT_RESET_NEW | SECPKG_CONTEXT_EXPORT_DELETE_OLD};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        SecBuffer packed = {0, 0, NULL};
        SECURITY_STATUS st = ExportSecurityContext(&p.sctx, refused[i], &packed, NULL);
        EQ("ExportSecurityContext without DELETE_OLD (two-time pad)", st, SEC_E_UNSUPPORTED_FUNCTION);
        if (st == SEC_E_OK)
            FreeContextBuffer(packed.pvBuffer);
    }
    pair_still_works(&p, "after a refused export");

    /* A blob made from nothing: the export layout, a server context claiming
     * CORP\administrator under a key of the forger's choice, with a tag of
     * zeros and without one. */
    unsigned char forged[160];
    size_t n = 0;
    memcpy(forged, "OSNTLM\0\1", 8);
    n = 8;
    forged[n++] = 0; /* server */
    forged[n++] = 0; /* not anonymous */
    const uint32_t flags = 0xE2888235u, attrs = 0x2001Cu;
    memcpy(forged + n, &flags, 4);
    memcpy(forged + n + 4, &attrs, 4);
    n += 8;
    memset(forged + n, 0, 8);
    n += 8;
    memset(forged + n, 0x41, 16); /* the chosen session key */
    n += 16;
    memset(forged + n, 0, 24); /* sequence numbers, key-stream positions */
    n += 24;
    const char *names[] = {"CORP", "administrator", "SERVER", "CORP"};
    for (size_t i = 0; i < 4; i++) {
        uint32_t len = (uint32_t)strlen(names[i]);
        memcpy(forged + n, &len, 4);
        memcpy(forged + n + 4, names[i], len);
        n += 4 + len;
    }
    size_t body = n;
    memset(forged + n, 0, 32);
    n += 32;
    CtxtHandle imp;
    SecBuffer fb = {(ULONG)body, SECBUFFER_TOKEN, forged};
    SECURITY_STATUS is = ImportSecurityContextW(WSTR("NTLM"), &fb, NULL, &imp);
    EQ("ImportSecurityContextW(blob made from nothing)", is, SEC_E_INVALID_TOKEN);
    if (is == SEC_E_OK)
        DeleteSecurityContext(&imp);
    fb.cbBuffer = (ULONG)n;
    is = ImportSecurityContextW(WSTR("NTLM"), &fb, NULL, &imp);
    EQ("ImportSecurityContextW(blob made from nothing, zero tag)", is, SEC_E_INVALID_TOKEN);
    if (is == SEC_E_OK)
        DeleteSecurityContext(&imp);

    /* A genuine export with the user name edited (testuser -> adminxxx). */
    SecBuffer packed = {0, 0, NULL};
    EQ("ExportSecurityContext(server, DELETE_OLD)",
       ExportSecurityContext(&p.sctx, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, NULL), SEC_E_OK);
    EQ("DELETE_OLD deleted the server context", DeleteSecurityContext(&p.sctx), SEC_E_INVALID_HANDLE);
    if (packed.pvBuffer) {
        unsigned char *copy = malloc(packed.cbBuffer);
        if (!copy)
            exit(3);
        memcpy(copy, packed.pvBuffer, packed.cbBuffer);
        unsigned char *at = memmem(copy, packed.cbBuffer, "testuser", 8);
        TRUE_("the client name is in the export", at != NULL);
        if (at) {
            memcpy(at, "adminxxx", 8);
            SecBuffer tb = {packed.cbBuffer, SECBUFFER_TOKEN, copy};
            is = ImportSecurityContextW(WSTR("NTLM"), &tb, NULL, &imp);
            EQ("ImportSecurityContextW(tampered export)", is, SEC_E_INVALID_TOKEN);
            if (is == SEC_E_OK)
                DeleteSecurityContext(&imp);
        }
        free(copy);
        /* The genuine blob imports, with the verified identity. */
        is = ImportSecurityContextW(WSTR("NTLM"), &packed, NULL, &imp);
        EQ("ImportSecurityContextW(genuine export)", is, SEC_E_OK);
        if (is == SEC_E_OK) {
            SecPkgContext_NamesW nm = {0};
            EQ("QueryContextAttributesW(imported, NAMES)",
               QueryContextAttributesW(&imp, SECPKG_ATTR_NAMES, &nm), SEC_E_OK);
            if (nm.sUserName) {
                static const char16_t want[] = u"WORKGROUP\\testuser";
                TRUE_("imported NAMES is the authenticated client",
                      !memcmp(nm.sUserName, want, sizeof want));
                FreeContextBuffer(nm.sUserName);
            }
            unsigned char tok[16], data[16];
            ULONG tl = sizeof tok;
            memset(data, 'i', sizeof data);
            EQ("client EncryptMessage -> imported server", proof_seal(&p.cctx, tok, &tl, data, sizeof data),
               SEC_E_OK);
            EQ("imported server DecryptMessage", proof_unseal(&imp, tok, tl, data, sizeof data), SEC_E_OK);
            DeleteSecurityContext(&imp);
        }
        FreeContextBuffer(packed.pvBuffer);
    }
    /* The fixture's server context is gone: close the rest by hand. */
    DeleteSecurityContext(&p.cctx);
    FreeCredentialsHandle(&p.cc);
    FreeCredentialsHandle(&p.sc);
}

/* Issue 8 item 7: an output buffer too small for a later leg's token. The
 * call fails with SEC_E_BUFFER_TOO_SMALL and the context stays where it
 * was: not usable, and the same call with a large enough buffer returns the
 * token, which the peer accepts. A first leg creates no context at all. */
static void small_output_buffer_then_retry(void)
{
    CredHandle cc, sc;
    EQ("client credential", proof_client_cred(&cc), SEC_E_OK);
    EQ("server credential", proof_server_cred(&sc), SEC_E_OK);
    CtxtHandle c, s = {0x5a5a, 0x5a5a};
    ProofTokens t;
    unsigned char small[8], tok[16], data[32];
    ULONG outlen = 0, tl;
    memset(data, 'q', sizeof data);
    EQ("ISC first leg", proof_isc(&cc, NULL, &c, NULL, 0, t.neg, &t.neglen, PROOF_ISC_REQ),
       SEC_I_CONTINUE_NEEDED);

    /* The server's CHALLENGE leg into 8 bytes: no context is created. */
    {
        SecBuffer ib = {t.neglen, SECBUFFER_TOKEN, t.neg}, ob = {sizeof small, SECBUFFER_TOKEN, small};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attr = 0;
        EQ("ASC CHALLENGE leg into 8 bytes",
           AcceptSecurityContext(&sc, NULL, &id, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od, &attr,
                                 NULL),
           SEC_E_BUFFER_TOO_SMALL);
        TRUE_("no server context was created", s.dwLower == 0x5a5a && s.dwUpper == 0x5a5a);
    }
    EQ("ASC CHALLENGE leg again, large enough",
       proof_asc(&sc, NULL, &s, t.neg, t.neglen, t.chal, &t.challen, PROOF_ASC_REQ),
       SEC_I_CONTINUE_NEEDED);

    /* The client's AUTHENTICATE leg into 8 bytes. */
    SecBuffer ib = {t.challen, SECBUFFER_TOKEN, t.chal}, ob = {sizeof small, SECBUFFER_TOKEN, small};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attr = 0;
    EQ("ISC AUTHENTICATE leg into 8 bytes",
       InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &id, 0, &c,
                                  &od, &attr, NULL),
       SEC_E_BUFFER_TOO_SMALL);
    tl = sizeof tok;
    EQ("EncryptMessage on the client whose AUTHENTICATE was not delivered",
       proof_seal(&c, tok, &tl, data, sizeof data), SEC_E_INVALID_HANDLE);
    EQ("MakeSignature on that client", proof_sign(&c, data, sizeof data, tok, sizeof tok),
       SEC_E_INVALID_HANDLE);
    {
        SecBuffer packed = {0, 0, NULL};
        EQ("ExportSecurityContext of that client",
           ExportSecurityContext(&c, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, NULL),
           SEC_E_INVALID_HANDLE);
    }
    /* A different CHALLENGE is not the retry of that call. */
    {
        unsigned char other[PROOF_TOKEN_MAX];
        memcpy(other, t.chal, t.challen);
        other[24] ^= 1; /* ServerChallenge */
        SecBuffer ib2 = {t.challen, SECBUFFER_TOKEN, other};
        SecBufferDesc id2 = {SECBUFFER_VERSION, 1, &ib2};
        ob = (SecBuffer){sizeof t.auth, SECBUFFER_TOKEN, t.auth};
        EQ("ISC retry with another CHALLENGE",
           InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &id2, 0,
                                      &c, &od, &attr, NULL),
           SEC_E_OUT_OF_SEQUENCE);
    }
    /* The retry with the same CHALLENGE and room for the token. */
    ob = (SecBuffer){sizeof t.auth, SECBUFFER_TOKEN, t.auth};
    EQ("ISC AUTHENTICATE leg again, large enough",
       InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &id, 0, &c,
                                  &od, &attr, NULL),
       SEC_E_OK);
    t.authlen = ob.cbBuffer;
    TRUE_("the retry returned the AUTHENTICATE", t.authlen > 64 && !memcmp(t.auth, "NTLMSSP\0\3", 9));
    TRUE_("the retry reports the final attributes [46]", (attr & 0x1001C) == 0x1001C);

    /* The server's final leg with an output descriptor it cannot use: held
     * back too; then delivered. */
    {
        SecBuffer ib3 = {t.authlen, SECBUFFER_TOKEN, t.auth}, ob3 = {sizeof small, SECBUFFER_TOKEN, small};
        SecBufferDesc id3 = {SECBUFFER_VERSION, 1, &ib3}, od3 = {1 /* bad version */, 1, &ob3};
        ULONG a3 = 0;
        ERR("ASC AUTHENTICATE leg with a broken output descriptor",
            AcceptSecurityContext(&sc, &s, &id3, PROOF_ASC_REQ, SECURITY_NATIVE_DREP, &s, &od3, &a3,
                                  NULL));
        EQ("DecryptMessage on the server whose final leg was not delivered",
           proof_unseal(&s, tok, sizeof tok, data, sizeof data), SEC_E_INVALID_HANDLE);
        PROBE_ERR("ImpersonateSecurityContext on that server", ImpersonateSecurityContext(&s),
                  SEC_E_NO_IMPERSONATION);
    }
    EQ("ASC AUTHENTICATE leg again",
       proof_asc(&sc, &s, &s, t.auth, t.authlen, small, &outlen, PROOF_ASC_REQ), SEC_E_OK);
    tl = sizeof tok;
    EQ("EncryptMessage after the retries", proof_seal(&c, tok, &tl, data, sizeof data), SEC_E_OK);
    EQ("DecryptMessage after the retries", proof_unseal(&s, tok, tl, data, sizeof data), SEC_E_OK);
    TRUE_("the round trip gives the plaintext back", data[0] == 'q' && data[31] == 'q');
    EQ("DeleteSecurityContext(client)", DeleteSecurityContext(&c), SEC_E_OK);
    EQ("DeleteSecurityContext(server)", DeleteSecurityContext(&s), SEC_E_OK);
    FreeCredentialsHandle(&cc);
    FreeCredentialsHandle(&sc);
}

/* ---- section: the function tables behave like the exports ------------------------ */

static void tables(void)
{
    SecurityFunctionTableW *w = InitSecurityInterfaceW();
    SecurityFunctionTableA *a = InitSecurityInterfaceA();
    if (!w || !a)
        return;
    CtxtHandle z = {0, 0};
    if (w->DeleteSecurityContext)
        EQ("table W DeleteSecurityContext(zeroed)", w->DeleteSecurityContext(&z),
           SEC_E_INVALID_HANDLE);
    if (w->FreeCredentialsHandle)
        EQ("table W FreeCredentialsHandle(NULL)", w->FreeCredentialsHandle(NULL),
           SEC_E_INVALID_HANDLE);
    if (a->EncryptMessage)
        EQ("table A EncryptMessage(NULL, NULL)", a->EncryptMessage(NULL, 0, NULL, 0),
           SEC_E_INVALID_HANDLE);
    if (a->Reserved4)
        EQ("table A Reserved4 (DecryptMessage)(NULL)", a->Reserved4(NULL, NULL, 0, NULL),
           SEC_E_INVALID_HANDLE);
    if (w->FreeContextBuffer)
        EQ("table W FreeContextBuffer(NULL)", w->FreeContextBuffer(NULL), SEC_E_OK);
    if (w->QuerySecurityPackageInfoW)
        ERR("table W QuerySecurityPackageInfoW(NULL, NULL)",
            w->QuerySecurityPackageInfoW(NULL, NULL));
    if (a->QuerySecurityPackageInfoA)
        ERR("table A QuerySecurityPackageInfoA(NULL, NULL)",
            a->QuerySecurityPackageInfoA(NULL, NULL));
    if (w->InitializeSecurityContextW)
        ERR("table W InitializeSecurityContextW(all NULL)",
            w->InitializeSecurityContextW(NULL, NULL, NULL, 0, 0, 0, NULL, 0, NULL, NULL, NULL,
                                          NULL));
    if (a->AcceptSecurityContext)
        ERR("table A AcceptSecurityContext(all NULL)",
            a->AcceptSecurityContext(NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL));
    if (w->AcquireCredentialsHandleW)
        ERR("table W AcquireCredentialsHandleW(all NULL)",
            w->AcquireCredentialsHandleW(NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL));
    ERR("InitializeSecurityContextA(all NULL)",
        InitializeSecurityContextA(NULL, NULL, NULL, 0, 0, 0, NULL, 0, NULL, NULL, NULL, NULL));
    ERR("AcceptSecurityContext(all NULL)",
        AcceptSecurityContext(NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL));
    ERR("AcquireCredentialsHandleA(all NULL)",
        AcquireCredentialsHandleA(NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL));
}


/* ---- section: LSA and token exports ------------------------------------------------ */

#define NT_ERR(name, expr)                                                                         \
    do {                                                                                           \
        NTSTATUS nt_ = (expr);                                                                     \
        record(((uint32_t)nt_ & 0xC0000000u) == 0xC0000000u, name, __LINE__, nt_,                  \
               "an NTSTATUS error");                                                               \
    } while (0)
#define NT_ANY(name, expr)                                                                         \
    do {                                                                                           \
        NTSTATUS nt_ = (expr);                                                                     \
        record(nt_ == 0 || ((uint32_t)nt_ & 0xC0000000u) != 0, name, __LINE__, nt_,                \
               "an NTSTATUS");                                                                     \
    } while (0)

/* An MSV1_0_INTERACTIVE_LOGON block with its strings after the header and
 * absolute pointers into the block (as Windows callers build it). */
static ULONG build_submit(unsigned char *block, const char16_t *domain, const char16_t *user,
                          const char16_t *password)
{
    MSV1_0_INTERACTIVE_LOGON *h = (MSV1_0_INTERACTIVE_LOGON *)block;
    memset(h, 0, sizeof *h);
    h->MessageType = 2; /* MsV1_0InteractiveLogon */
    unsigned char *p = block + sizeof *h;
    const char16_t *strs[3] = {domain, user, password};
    LSA_UNICODE_STRING *dst[3] = {&h->LogonDomainName, &h->UserName, &h->Password};
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        while (strs[i][n])
            n++;
        memcpy(p, strs[i], n * 2);
        dst[i]->Length = (USHORT)(n * 2);
        dst[i]->MaximumLength = (USHORT)(n * 2);
        dst[i]->Buffer = (uint16_t *)p;
        p += n * 2;
    }
    return (ULONG)(p - block);
}

static void lsa_exports(void)
{
    HANDLE lsa = NULL, lsa2 = NULL;
    ULONG mode, pkg = 0xdeadbeef;
    NT_ERR("LsaConnectUntrusted(NULL)", LsaConnectUntrusted(NULL));
    EQ("LsaConnectUntrusted [116]", LsaConnectUntrusted(&lsa), STATUS_SUCCESS);
    EQ("LsaDeregisterLogonProcess(NULL) [126]", LsaDeregisterLogonProcess(NULL),
       STATUS_INVALID_HANDLE);
    EQ("LsaDeregisterLogonProcess(forged) [126]",
       LsaDeregisterLogonProcess((HANDLE)(uintptr_t)0xdeadbeef), STATUS_INVALID_HANDLE);
    EQ("LsaConnectUntrusted (second)", LsaConnectUntrusted(&lsa2), STATUS_SUCCESS);
    EQ("LsaDeregisterLogonProcess(second)", LsaDeregisterLogonProcess(lsa2), STATUS_SUCCESS);
    EQ("LsaDeregisterLogonProcess(second) twice", LsaDeregisterLogonProcess(lsa2),
       STATUS_INVALID_HANDLE);

    /* LsaRegisterLogonProcess: NULLs and bad strings. */
    char pname[] = "opensspi-hostile";
    LSA_STRING name = {(USHORT)strlen(pname), (USHORT)sizeof pname, pname};
    HANDLE rh = NULL;
    NT_ERR("LsaRegisterLogonProcess(NULL name)", LsaRegisterLogonProcess(NULL, &rh, &mode));
    NT_ERR("LsaRegisterLogonProcess(NULL handle out)", LsaRegisterLogonProcess(&name, NULL, &mode));
    {
        NTSTATUS st = LsaRegisterLogonProcess(&name, &rh, NULL);
        NT_ANY("LsaRegisterLogonProcess(NULL SecurityMode)", st);
        if (st == STATUS_SUCCESS)
            LsaDeregisterLogonProcess(rh);
    }
    char longname[300];
    memset(longname, 'n', sizeof longname);
    LSA_STRING ln = {200, 300, longname};
    EQ("LsaRegisterLogonProcess(200-byte name) [127]", LsaRegisterLogonProcess(&ln, &rh, &mode),
       STATUS_NAME_TOO_LONG);
    LSA_STRING nullbuf = {10, 10, NULL};
    NT_ERR("LsaRegisterLogonProcess(Buffer NULL, Length 10)",
           LsaRegisterLogonProcess(&nullbuf, &rh, &mode));
    LSA_STRING inverted = {12, 4, pname};
    {
        NTSTATUS st = LsaRegisterLogonProcess(&inverted, &rh, &mode);
        NT_ANY("LsaRegisterLogonProcess(Length > MaximumLength)", st);
        if (st == STATUS_SUCCESS)
            LsaDeregisterLogonProcess(rh);
    }

    /* LsaLookupAuthenticationPackage (items 117-119). */
    char msv[] = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0";
    LSA_STRING msvname = {(USHORT)strlen(msv), (USHORT)sizeof msv, msv};
    NT_ERR("LsaLookupAuthenticationPackage(NULL name)",
           LsaLookupAuthenticationPackage(lsa, NULL, &pkg));
    NT_ERR("LsaLookupAuthenticationPackage(NULL out)",
           LsaLookupAuthenticationPackage(lsa, &msvname, NULL));
    EQ("LsaLookupAuthenticationPackage(forged handle)",
       LsaLookupAuthenticationPackage((HANDLE)(uintptr_t)0x7777, &msvname, &pkg),
       STATUS_INVALID_HANDLE);
    NT_ERR("LsaLookupAuthenticationPackage(Buffer NULL, Length 10)",
           LsaLookupAuthenticationPackage(lsa, &nullbuf, &pkg));
    EQ("LsaLookupAuthenticationPackage(200-byte name) [119]",
       LsaLookupAuthenticationPackage(lsa, &ln, &pkg), STATUS_NAME_TOO_LONG);
    char unk[] = "NoSuchPackage";
    LSA_STRING unkname = {(USHORT)strlen(unk), (USHORT)sizeof unk, unk};
    EQ("LsaLookupAuthenticationPackage(unknown) [119]",
       LsaLookupAuthenticationPackage(lsa, &unkname, &pkg), STATUS_NO_SUCH_PACKAGE);
    {
        ProofGuard g;
        char *gs = proof_guarded(4, &g);
        memcpy(gs, "NTLM", 4);
        LSA_STRING gname = {4, 4, gs};
        NT_ANY("LsaLookupAuthenticationPackage(unterminated name at a guard page)",
               LsaLookupAuthenticationPackage(lsa, &gname, &pkg));
        proof_unguard(&g);
    }
    EQ("LsaLookupAuthenticationPackage(MSV1_0)", LsaLookupAuthenticationPackage(lsa, &msvname, &pkg),
       STATUS_SUCCESS);

    /* LsaFreeReturnBuffer on things it never returned. */
    int on_stack;
    NT_ERR("LsaFreeReturnBuffer(stack pointer)", LsaFreeReturnBuffer(&on_stack));
    NT_ERR("LsaFreeReturnBuffer((void*)1)", LsaFreeReturnBuffer((void *)1));
    NT_ANY("LsaFreeReturnBuffer(NULL)", LsaFreeReturnBuffer(NULL));

    /* LsaEnumerateLogonSessions / LsaGetLogonSessionData. */
    ULONG count;
    LUID *list = NULL;
    NT_ERR("LsaEnumerateLogonSessions(NULL count)", LsaEnumerateLogonSessions(NULL, &list));
    NT_ERR("LsaEnumerateLogonSessions(NULL list)", LsaEnumerateLogonSessions(&count, NULL));
    SECURITY_LOGON_SESSION_DATA *sd = NULL;
    LUID nosuch = {0x7FFFFFF0, 0x7FFF};
    NT_ERR("LsaGetLogonSessionData(NULL LUID)", LsaGetLogonSessionData(NULL, &sd));
    NT_ERR("LsaGetLogonSessionData(NULL out)", LsaGetLogonSessionData(&nosuch, NULL));
    NT_ERR("LsaGetLogonSessionData(unknown LUID)", LsaGetLogonSessionData(&nosuch, &sd));

    /* LsaLogonUser: a good submit buffer first, then hostile variants. */
    unsigned char block[512];
    ULONG len = build_submit(block, u"WORKGROUP", u"testuser", u"testpass");
    void *profile = NULL;
    ULONG plen = 0;
    LUID luid = {0, 0};
    HANDLE token = NULL;
    QUOTA_LIMITS quotas;
    NTSTATUS sub = 0;
    char origin_s[] = "hostile";
    LSA_STRING origin = {(USHORT)strlen(origin_s), (USHORT)sizeof origin_s, origin_s};
    TOKEN_SOURCE source;
    memset(&source, 0, sizeof source);
    NTSTATUS st = LsaLogonUser(lsa, &origin, 2, pkg, block, len, NULL, &source, &profile, &plen,
                               &luid, &token, &quotas, &sub);
    EQ("LsaLogonUser(MSV1_0 interactive, valid)", st, STATUS_SUCCESS);
    if (st == STATUS_SUCCESS) {
        EQ("LsaFreeReturnBuffer(profile) [132]", LsaFreeReturnBuffer(profile), STATUS_SUCCESS);
        NT_ERR("LsaFreeReturnBuffer(profile) twice", LsaFreeReturnBuffer(profile));
        EQ("LsaGetLogonSessionData(new session) [128]", LsaGetLogonSessionData(&luid, &sd),
           STATUS_SUCCESS);
        EQ("LsaFreeReturnBuffer(session data)", LsaFreeReturnBuffer(sd), STATUS_SUCCESS);
        EQ("LsaEnumerateLogonSessions [130]", LsaEnumerateLogonSessions(&count, &list),
           STATUS_SUCCESS);
        EQ("LsaFreeReturnBuffer(session list)", LsaFreeReturnBuffer(list), STATUS_SUCCESS);
        LUID got = {0, 0};
        NT_ERR("SspiGetTokenLogonId(token, NULL)", SspiGetTokenLogonId(token, NULL));
        EQ("SspiGetTokenLogonId", SspiGetTokenLogonId(token, &got), STATUS_SUCCESS);
        TRUE_("token names the session", got.LowPart == luid.LowPart && got.HighPart == luid.HighPart);
        TRUE_("SspiCloseHandle(token)", SspiCloseHandle(token) != 0);
        TRUE_("SspiCloseHandle(token) twice fails", SspiCloseHandle(token) == 0);
        NT_ERR("SspiGetTokenLogonId(closed token)", SspiGetTokenLogonId(token, &got));
        EQ("SspiLogoffSession", SspiLogoffSession(&luid), STATUS_SUCCESS);
        NT_ERR("SspiLogoffSession twice", SspiLogoffSession(&luid));
        NT_ERR("LsaGetLogonSessionData(logged-off session)", LsaGetLogonSessionData(&luid, &sd));
    }
    /* Each output pointer NULL in turn: must succeed and create a session
     * we then log off through whichever output we still have. */
    for (int which = 0; which < 6; which++) {
        profile = NULL;
        token = NULL;
        luid = (LUID){0, 0};
        st = LsaLogonUser(lsa, which == 0 ? NULL : &origin, 2, pkg, block, len, NULL,
                          which == 1 ? NULL : &source, which == 2 ? NULL : &profile,
                          which == 3 ? NULL : &plen, &luid, which == 4 ? NULL : &token,
                          which == 5 ? NULL : &quotas, which == 5 ? NULL : &sub);
        char n[160];
        snprintf(n, sizeof n, "LsaLogonUser(optional pointer %d NULL)", which);
        EQ(n, st, STATUS_SUCCESS);
        if (st == STATUS_SUCCESS) {
            if (profile)
                LsaFreeReturnBuffer(profile);
            if (token)
                SspiCloseHandle(token);
            SspiLogoffSession(&luid);
        }
    }
    /* Failures must not create sessions or outputs. */
    NT_ERR("LsaLogonUser(forged LSA handle)",
           LsaLogonUser((HANDLE)(uintptr_t)0x4242, &origin, 2, pkg, block, len, NULL, &source,
                        &profile, &plen, &luid, &token, &quotas, &sub));
    NT_ERR("LsaLogonUser(NULL submit buffer, length 56)",
           LsaLogonUser(lsa, &origin, 2, pkg, NULL, 56, NULL, &source, &profile, &plen, &luid,
                        &token, &quotas, &sub));
    NT_ERR("LsaLogonUser(length 0)", LsaLogonUser(lsa, &origin, 2, pkg, block, 0, NULL, &source,
                                                   &profile, &plen, &luid, &token, &quotas, &sub));
    NT_ERR("LsaLogonUser(length 55)", LsaLogonUser(lsa, &origin, 2, pkg, block, 55, NULL, &source,
                                                    &profile, &plen, &luid, &token, &quotas, &sub));
    EQ("LsaLogonUser(unknown package id) [131]",
       LsaLogonUser(lsa, &origin, 2, 0xdeadbeef, block, len, NULL, &source, &profile, &plen, &luid,
                    &token, &quotas, &sub),
       STATUS_NO_SUCH_PACKAGE);
    NT_ERR("LsaLogonUser(logon type 0)",
           LsaLogonUser(lsa, &origin, 0, pkg, block, len, NULL, &source, &profile, &plen, &luid,
                        &token, &quotas, &sub));
    NT_ERR("LsaLogonUser(logon type 0xffffffff)",
           LsaLogonUser(lsa, &origin, 0xFFFFFFFF, pkg, block, len, NULL, &source, &profile, &plen,
                        &luid, &token, &quotas, &sub));
    {
        unsigned char bad[512];
        memcpy(bad, block, len);
        ((MSV1_0_INTERACTIVE_LOGON *)bad)->MessageType = 0x7777;
        EQ("LsaLogonUser(unknown MessageType) [131]",
           LsaLogonUser(lsa, &origin, 2, pkg, bad, len, NULL, &source, &profile, &plen, &luid,
                        &token, &quotas, &sub),
           STATUS_BAD_VALIDATION_CLASS);
    }
    {
        unsigned char wrong[512];
        ULONG wl = build_submit(wrong, u"WORKGROUP", u"testuser", u"wrongpass");
        EQ("LsaLogonUser(wrong password) [131]",
           LsaLogonUser(lsa, &origin, 2, pkg, wrong, wl, NULL, &source, &profile, &plen, &luid,
                        &token, &quotas, &sub),
           STATUS_LOGON_FAILURE);
    }
    /* Submit blocks at a guard page whose UNICODE_STRINGs point outside
     * the block, overflow it, or have odd lengths. */
    const struct {
        int field;      /* 0 domain, 1 user, 2 password */
        uintptr_t ptr;  /* 0: keep; 1: block end; 2: far away; 3: NULL */
        USHORT length;  /* 0xFFFF: keep */
        const char *label;
    } bad[] = {
        {1, 1, 2, "UserName.Buffer at the block end, Length 2"},
        {1, 2, 8, "UserName.Buffer outside the block"},
        {2, 3, 16, "Password.Buffer NULL, Length 16"},
        {0, 0, 0xFFFE, "LogonDomainName.Length 0xfffe"},
        {1, 0, 7, "UserName.Length odd"},
        {2, 0, 0xFFFF, "Password.Length 0xffff (odd, huge)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ProofGuard g;
        unsigned char *gb = proof_guarded(len, &g);
        ULONG gl = build_submit(gb, u"WORKGROUP", u"testuser", u"testpass");
        MSV1_0_INTERACTIVE_LOGON *h = (MSV1_0_INTERACTIVE_LOGON *)gb;
        LSA_UNICODE_STRING *f = bad[i].field == 0   ? &h->LogonDomainName
                                : bad[i].field == 1 ? &h->UserName
                                                    : &h->Password;
        if (bad[i].ptr == 1)
            f->Buffer = (uint16_t *)(gb + gl);
        else if (bad[i].ptr == 2)
            f->Buffer = (uint16_t *)block;
        else if (bad[i].ptr == 3)
            f->Buffer = NULL;
        f->Length = bad[i].length;
        char n[200];
        snprintf(n, sizeof n, "LsaLogonUser(submit at a guard page: %s)", bad[i].label);
        profile = NULL;
        token = NULL;
        st = LsaLogonUser(lsa, &origin, 2, pkg, gb, gl, NULL, &source, &profile, &plen, &luid,
                          &token, &quotas, &sub);
        NT_ERR(n, st);
        if (st == STATUS_SUCCESS) {
            LsaFreeReturnBuffer(profile);
            SspiCloseHandle(token);
            SspiLogoffSession(&luid);
        }
        proof_unguard(&g);
    }

    /* LsaCallAuthenticationPackage (items 121-123) and hostile buffers. */
    void *ret = (void *)1;
    ULONG retlen = 77;
    NTSTATUS pst = 77;
    EQ("LsaCallAuthenticationPackage(NULL submit) [121]",
       LsaCallAuthenticationPackage(lsa, 0, NULL, 0, &ret, &retlen, &pst), STATUS_INVALID_PARAMETER);
    TRUE_("LsaCallAuthenticationPackage outputs initialised [121]",
          ret == NULL && retlen == 0 && pst == 0);
    uint32_t req[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    NT_ERR("LsaCallAuthenticationPackage(NULL ProtocolStatus) [122]",
           LsaCallAuthenticationPackage(lsa, 0, req, sizeof req, &ret, &retlen, NULL));
    NT_ERR("LsaCallAuthenticationPackage(NULL ReturnBufferLength) [122]",
           LsaCallAuthenticationPackage(lsa, 0, req, sizeof req, &ret, NULL, &pst));
    NT_ERR("LsaCallAuthenticationPackage(NULL ReturnBuffer)",
           LsaCallAuthenticationPackage(lsa, 0, req, sizeof req, NULL, &retlen, &pst));
    EQ("LsaCallAuthenticationPackage(unknown package) [123]",
       LsaCallAuthenticationPackage(lsa, 0xdeadbeef, req, sizeof req, &ret, &retlen, &pst),
       STATUS_NO_SUCH_PACKAGE);
    NT_ERR("LsaCallAuthenticationPackage(forged handle)",
           LsaCallAuthenticationPackage((HANDLE)(uintptr_t)0x999, 0, req, sizeof req, &ret, &retlen,
                                        &pst));
    for (ULONG pk = 0; pk < 3; pk++) {
        for (ULONG sz = 0; sz <= 12; sz += 4) {
            for (uint32_t mt = 0; mt < 20; mt += 3) {
                ProofGuard g;
                uint32_t *gb = proof_guarded(sz, &g);
                if (sz >= 4)
                    gb[0] = mt;
                if (sz >= 8)
                    gb[1] = 0xFFFFFFFF;
                if (sz >= 12)
                    gb[2] = 0x7FFFFFFF;
                ret = NULL;
                char n[160];
                snprintf(n, sizeof n,
                         "LsaCallAuthenticationPackage(package %u, %u-byte request at a guard page, "
                         "MessageType %u)",
                         pk, sz, mt);
                st = LsaCallAuthenticationPackage(lsa, pk, gb, sz, &ret, &retlen, &pst);
                NT_ANY(n, st);
                if (ret)
                    LsaFreeReturnBuffer(ret);
                proof_unguard(&g);
            }
        }
    }

    /* Win32-style token functions. */
    TRUE_("SspiLogonUserW(all NULL) fails", SspiLogonUserW(NULL, NULL, NULL, 0, 0, NULL) == 0);
    TRUE_("SspiLogonUserA(all NULL) fails", SspiLogonUserA(NULL, NULL, NULL, 0, 0, NULL) == 0);
    TRUE_("SspiLogonUserW(NULL token out) fails",
          SspiLogonUserW(u"testuser", u"WORKGROUP", u"testpass", LOGON32_LOGON_INTERACTIVE,
                         LOGON32_PROVIDER_DEFAULT, NULL) == 0);
    HANDLE t2 = NULL;
    TRUE_("SspiLogonUserA(wrong password) fails",
          SspiLogonUserA("testuser", "WORKGROUP", "nope", LOGON32_LOGON_INTERACTIVE,
                         LOGON32_PROVIDER_DEFAULT, &t2) == 0);
    TRUE_("SspiLogonUserA(logon type 0xffffffff) fails",
          SspiLogonUserA("testuser", "WORKGROUP", "testpass", 0xFFFFFFFF, 0xFFFFFFFF, &t2) == 0);
    TRUE_("SspiCloseHandle(NULL) fails", SspiCloseHandle(NULL) == 0);
    TRUE_("SspiCloseHandle(forged) fails", SspiCloseHandle((HANDLE)(uintptr_t)0xdeadbeef) == 0);
    TRUE_("SspiCloseHandle(LSA handle) fails", SspiCloseHandle(lsa) == 0);
    TRUE_("SspiImpersonateLoggedOnUser(NULL) fails", SspiImpersonateLoggedOnUser(NULL) == 0);
    TRUE_("SspiImpersonateLoggedOnUser(forged) fails",
          SspiImpersonateLoggedOnUser((HANDLE)(uintptr_t)0x1234) == 0);
    TRUE_("SspiRevertToSelf without impersonation", SspiRevertToSelf() || 1);
    NT_ERR("SspiGetTokenLogonId(NULL, NULL)", SspiGetTokenLogonId(NULL, NULL));
    NT_ERR("SspiLogoffSession(NULL)", SspiLogoffSession(NULL));
    NT_ERR("SspiLogoffSession(unknown)", SspiLogoffSession(&nosuch));
    if (SspiLogonUserW(u"testuser", u"WORKGROUP", u"testpass", LOGON32_LOGON_INTERACTIVE,
                       LOGON32_PROVIDER_DEFAULT, &t2)) {
        LUID tl;
        TRUE_("SspiImpersonateLoggedOnUser(token)", SspiImpersonateLoggedOnUser(t2) != 0);
        TRUE_("SspiRevertToSelf", SspiRevertToSelf() != 0);
        EQ("SspiGetTokenLogonId", SspiGetTokenLogonId(t2, &tl), STATUS_SUCCESS);
        TRUE_("SspiCloseHandle", SspiCloseHandle(t2) != 0);
        TRUE_("SspiImpersonateLoggedOnUser(closed token) fails",
              SspiImpersonateLoggedOnUser(t2) == 0);
        EQ("SspiLogoffSession", SspiLogoffSession(&tl), STATUS_SUCCESS);
    } else {
        record(0, "SspiLogonUserW(valid)", __LINE__, (SECURITY_STATUS)SspiGetLastError(),
               "TRUE");
    }
    EQ("LsaDeregisterLogonProcess(lsa)", LsaDeregisterLogonProcess(lsa), STATUS_SUCCESS);
    NT_ERR("LsaLogonUser(deregistered handle)",
           LsaLogonUser(lsa, &origin, 2, pkg, block, len, NULL, &source, &profile, &plen, &luid,
                        &token, &quotas, &sub));
}

/* ---- main ------------------------------------------------------------------------- */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 3;
    }
    memset(sh, 0, sizeof *sh);
    char userfile[64];
    if (proof_user_file(userfile, sizeof userfile) != 0) {
        perror("user file");
        return 3;
    }
    CredHandle probe;
    SECURITY_STATUS st = proof_client_cred(&probe);
    ntlm_available = st == SEC_E_OK;
    if (ntlm_available)
        FreeCredentialsHandle(&probe);
    else
        printf("NTLM not available (AcquireCredentialsHandleW: 0x%08x)\n", (unsigned)st);

    section("interface", s_interface, 0);
    section("forged handles", forged_handles, 0);
    section("function tables", tables, 0);
    section("AcquireCredentialsHandle arguments", ach_args, 1);
    section("AcquireCredentialsHandle with a short EXW", ach_short_ex, 1);
    section("stale and wrong-kind handles", stale_and_wrong_kind, 1);
    section("InitializeSecurityContext arguments", isc_args, 1);
    section("AcceptSecurityContext arguments", asc_args, 1);
    section("message functions", messages, 1);
    section("attributes", attributes, 1);
    section("out of order", out_of_order, 1);
    section("import with a forged position", import_forged_position, 1);
    section("integrity-only message needs pfQOP", integrity_only_needs_pfqop, 1);
    section("export and import attacks", export_attacks, 1);
    section("small output buffer, then retry", small_output_buffer_then_retry, 1);
    section("LSA and token exports", lsa_exports, 0);

    unlink(userfile);
    printf("%d passed, %d failed (%d differ from PROBE/WI expectations)\n", sh->passed, sh->failed,
           sh->differs);
    if (sh->failed)
        return 1;
    return ntlm_available ? 0 : 77;
}
