/*
 * stress: 8 threads share one client and one server credential handle; each
 * does ITERS iterations of { full NTLM handshake (every other one with
 * ISC/ASC_REQ_ALLOCATE_MEMORY), sealed round trips and signatures in both
 * directions, a NAMES query, delete both contexts }. Meanwhile a ninth
 * thread keeps using deleted and forged handles (expects exactly
 * SEC_E_INVALID_HANDLE), races live contexts that their owner is deleting
 * (expects SEC_E_OK or SEC_E_INVALID_HANDLE), churns credentials and logs
 * off logon sessions that a tenth thread is using for noninteractive
 * credentials (LogonUser, ACH with its LUID, handshake, logoff: every call
 * returns a Windows status).
 *
 *   stress [ITERS]      (default 200, or env OPENSSPI_STRESS_ITERS)
 *
 * Then, single-threaded, a failure-path churn (calls that fail half-way,
 * repeated ITERS*25 times) whose VmRSS must stay within 512 KiB (skipped
 * when OPENSSPI_PROOF_NO_RSS=1, as under valgrind/ASan).
 *
 * Prints "N passed, M failed"; exit status 0 only when nothing failed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "proof_common.h"

#define WORKERS 8
#define GRAVEYARD 1024

static CredHandle ccred, scred;
static atomic_long passed, failed;
static atomic_int workers_running;
static long iters = 200;

static pthread_mutex_t grave_lock = PTHREAD_MUTEX_INITIALIZER;
static CtxtHandle graveyard[GRAVEYARD];
static long grave_count;

static atomic_long session_ok, session_refused;
static pthread_mutex_t luid_lock = PTHREAD_MUTEX_INITIALIZER;
static LUID luid_slot;
static int luid_valid;

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static CtxtHandle live_slot;
static int live_valid;

static void check(int ok, const char *what, long tid, long iter, SECURITY_STATUS st)
{
    if (ok) {
        atomic_fetch_add(&passed, 1);
    } else {
        long n = atomic_fetch_add(&failed, 1);
        if (n < 50)
            fprintf(stderr, "FAIL thread %ld iteration %ld: %s: 0x%08x\n", tid, iter, what,
                    (unsigned)st);
    }
}

static void bury(const CtxtHandle *h)
{
    pthread_mutex_lock(&grave_lock);
    graveyard[grave_count % GRAVEYARD] = *h;
    grave_count++;
    pthread_mutex_unlock(&grave_lock);
}

/* A handshake with ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY: every
 * token is a FreeContextBuffer block. */
static SECURITY_STATUS handshake_alloc(CtxtHandle *c, CtxtHandle *s)
{
    SecBuffer ob, ib;
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob}, id = {SECBUFFER_VERSION, 1, &ib};
    ULONG attr;
    void *client_tok = NULL, *server_tok = NULL;
    SECURITY_STATUS st, ret = SEC_E_OK;
    int have_c = 0, have_s = 0;

    ob = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    st = InitializeSecurityContextW(&ccred, NULL, NULL, PROOF_ISC_REQ | ISC_REQ_ALLOCATE_MEMORY, 0,
                                    SECURITY_NATIVE_DREP, NULL, 0, c, &od, &attr, NULL);
    if (st != SEC_I_CONTINUE_NEEDED || !(attr & ISC_RET_ALLOCATED_MEMORY))
        return st < 0 ? st : SEC_E_INTERNAL_ERROR;
    have_c = 1;
    client_tok = ob.pvBuffer;
    ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, client_tok};
    ob = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    st = AcceptSecurityContext(&scred, NULL, &id, PROOF_ASC_REQ | ASC_REQ_ALLOCATE_MEMORY,
                               SECURITY_NATIVE_DREP, s, &od, &attr, NULL);
    FreeContextBuffer(client_tok);
    client_tok = NULL;
    if (st != SEC_I_CONTINUE_NEEDED || !(attr & ASC_RET_ALLOCATED_MEMORY)) {
        ret = st < 0 ? st : SEC_E_INTERNAL_ERROR;
        goto out;
    }
    have_s = 1;
    server_tok = ob.pvBuffer;
    ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, server_tok};
    ob = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    st = InitializeSecurityContextW(NULL, c, NULL, PROOF_ISC_REQ | ISC_REQ_ALLOCATE_MEMORY, 0,
                                    SECURITY_NATIVE_DREP, &id, 0, c, &od, &attr, NULL);
    FreeContextBuffer(server_tok);
    if (st != SEC_E_OK) {
        ret = st;
        goto out;
    }
    client_tok = ob.pvBuffer;
    ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, client_tok};
    ob = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    st = AcceptSecurityContext(&scred, s, &id, PROOF_ASC_REQ | ASC_REQ_ALLOCATE_MEMORY,
                               SECURITY_NATIVE_DREP, s, &od, &attr, NULL);
    FreeContextBuffer(client_tok);
    if (ob.pvBuffer)
        FreeContextBuffer(ob.pvBuffer);
    if (st != SEC_E_OK)
        ret = st;
out:
    if (ret != SEC_E_OK) {
        if (have_c)
            DeleteSecurityContext(c);
        if (have_s)
            DeleteSecurityContext(s);
    }
    return ret;
}

static void round_trip(CtxtHandle *from, CtxtHandle *to, long tid, long it, int size,
                       const char *dir)
{
    unsigned char plain[1024], data[1024], tok[16] = {0}, sig[16] = {0};
    char what[96];
    for (int k = 0; k < size; k++)
        plain[k] = (unsigned char)(tid * 31 + it * 7 + k);
    memcpy(data, plain, (size_t)size);
    ULONG tl = sizeof tok;
    SECURITY_STATUS st = proof_seal(from, tok, &tl, data, (ULONG)size);
    snprintf(what, sizeof what, "EncryptMessage %s", dir);
    check(st == SEC_E_OK, what, tid, it, st);
    st = proof_unseal(to, tok, tl, data, (ULONG)size);
    snprintf(what, sizeof what, "DecryptMessage %s", dir);
    check(st == SEC_E_OK, what, tid, it, st);
    snprintf(what, sizeof what, "plaintext after the round trip %s", dir);
    check(memcmp(plain, data, (size_t)size) == 0, what, tid, it, 0);
    st = proof_sign(from, data, (ULONG)size, sig, sizeof sig);
    snprintf(what, sizeof what, "MakeSignature %s", dir);
    check(st == SEC_E_OK, what, tid, it, st);
    st = proof_verify(to, data, (ULONG)size, sig, sizeof sig);
    snprintf(what, sizeof what, "VerifySignature %s", dir);
    check(st == SEC_E_OK, what, tid, it, st);
}

static void *worker(void *arg)
{
    long tid = (long)(intptr_t)arg;
    for (long it = 0; it < iters; it++) {
        CtxtHandle c, s;
        SECURITY_STATUS st = (it & 1) ? handshake_alloc(&c, &s)
                                      : proof_handshake(&ccred, &scred, &c, &s, NULL);
        check(st == SEC_E_OK, (it & 1) ? "handshake (ALLOCATE_MEMORY)" : "handshake", tid, it, st);
        if (st != SEC_E_OK)
            continue;
        SecPkgContext_Sizes sizes;
        st = QueryContextAttributesW(&c, SECPKG_ATTR_SIZES, &sizes);
        check(st == SEC_E_OK && sizes.cbSecurityTrailer == 16, "QueryContextAttributesW(SIZES)",
              tid, it, st);
        int size = 1 + (int)((tid * 131 + it * 17) % 1000);
        round_trip(&c, &s, tid, it, size, "client->server");
        round_trip(&s, &c, tid, it, size, "server->client");
        round_trip(&c, &s, tid, it, 16, "client->server again");
        SecPkgContext_NamesW names = {0};
        st = QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names);
        check(st == SEC_E_OK && names.sUserName != NULL, "QueryContextAttributesW(NAMES)", tid, it,
              st);
        if (st == SEC_E_OK)
            check(FreeContextBuffer(names.sUserName) == SEC_E_OK, "FreeContextBuffer(name)", tid,
                  it, 0);
        if (it % 8 == 0) {
            /* Let the hostile thread race this context while we delete it. */
            pthread_mutex_lock(&live_lock);
            live_slot = c;
            live_valid = 1;
            pthread_mutex_unlock(&live_lock);
            sched_yield();
        }
        st = DeleteSecurityContext(&c);
        check(st == SEC_E_OK, "DeleteSecurityContext(client)", tid, it, st);
        st = DeleteSecurityContext(&s);
        check(st == SEC_E_OK, "DeleteSecurityContext(server)", tid, it, st);
        bury(&c);
        bury(&s);
        st = DeleteSecurityContext(&c);
        check(st == SEC_E_INVALID_HANDLE, "DeleteSecurityContext twice", tid, it, st);
    }
    atomic_fetch_sub(&workers_running, 1);
    return NULL;
}

/* Noninteractive credentials from logon sessions that another thread logs
 * off at any moment: every call returns a Windows status, nothing crashes. */
static void *sessions(void *arg)
{
    (void)arg;
    const long tid = 98;
    for (long it = 0; it < iters; it++) {
        HANDLE token = NULL;
        if (!SspiLogonUserW(u"testuser", u"WORKGROUP", u"testpass", LOGON32_LOGON_INTERACTIVE,
                            LOGON32_PROVIDER_DEFAULT, &token)) {
            check(0, "SspiLogonUserW", tid, it, (SECURITY_STATUS)SspiGetLastError());
            continue;
        }
        LUID luid;
        NTSTATUS nt = SspiGetTokenLogonId(token, &luid);
        check(nt == 0, "SspiGetTokenLogonId", tid, it, nt);
        pthread_mutex_lock(&luid_lock);
        luid_slot = luid;
        luid_valid = 1;
        pthread_mutex_unlock(&luid_lock);
        CredHandle cred;
        SECURITY_STATUS st = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND,
                                                       &luid, NULL, NULL, NULL, &cred, NULL);
        check(proof_is_windows_status(st), "ACH(logon session) returns a Windows status", tid, it,
              st);
        if (st != SEC_E_OK)
            atomic_fetch_add(&session_refused, 1);
        if (st == SEC_E_OK) {
            CtxtHandle c, s;
            st = proof_handshake(&cred, &scred, &c, &s, NULL);
            check(proof_is_windows_status(st), "handshake from a logon session", tid, it, st);
            atomic_fetch_add(st == SEC_E_OK ? &session_ok : &session_refused, 1);
            if (st == SEC_E_OK) {
                DeleteSecurityContext(&c);
                DeleteSecurityContext(&s);
            }
            check(FreeCredentialsHandle(&cred) == SEC_E_OK, "FreeCredentialsHandle(session cred)",
                  tid, it, 0);
        }
        nt = SspiLogoffSession(&luid);
        check(nt == 0 || ((uint32_t)nt & 0xC0000000u) == 0xC0000000u, "SspiLogoffSession", tid,
              it, nt);
        check(SspiCloseHandle(token) != 0, "SspiCloseHandle(token)", tid, it, 0);
    }
    return NULL;
}

static void *hostile(void *arg)
{
    (void)arg;
    const long tid = 99;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    long round = 0;
    while (atomic_load(&workers_running) > 0 || round < 50) {
        round++;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        /* A deleted context: exactly SEC_E_INVALID_HANDLE, every function. */
        CtxtHandle dead;
        int have = 0;
        pthread_mutex_lock(&grave_lock);
        if (grave_count > 0) {
            long n = grave_count < GRAVEYARD ? grave_count : GRAVEYARD;
            dead = graveyard[rng % (uint64_t)n];
            have = 1;
        }
        pthread_mutex_unlock(&grave_lock);
        if (have) {
            unsigned char tok[16] = {0}, data[16] = {0};
            ULONG tl = 16;
            SecPkgContext_Sizes sz;
            SECURITY_STATUS st = proof_seal(&dead, tok, &tl, data, sizeof data);
            check(st == SEC_E_INVALID_HANDLE, "EncryptMessage(deleted)", tid, round, st);
            st = proof_unseal(&dead, tok, 16, data, sizeof data);
            check(st == SEC_E_INVALID_HANDLE, "DecryptMessage(deleted)", tid, round, st);
            st = proof_sign(&dead, data, sizeof data, tok, 16);
            check(st == SEC_E_INVALID_HANDLE, "MakeSignature(deleted)", tid, round, st);
            st = QueryContextAttributesW(&dead, SECPKG_ATTR_SIZES, &sz);
            check(st == SEC_E_INVALID_HANDLE, "QueryContextAttributesW(deleted)", tid, round, st);
            CtxtHandle copy = dead;
            st = DeleteSecurityContext(&copy);
            check(st == SEC_E_INVALID_HANDLE, "DeleteSecurityContext(deleted)", tid, round, st);
            unsigned char out[PROOF_TOKEN_MAX];
            ULONG outlen;
            st = proof_isc(NULL, &copy, &copy, "NTLMSSP", 8, out, &outlen, PROOF_ISC_REQ);
            check(st == SEC_E_INVALID_HANDLE, "InitializeSecurityContextW(deleted)", tid, round,
                  st);
        }
        /* A live context its owner is about to delete. */
        CtxtHandle racing;
        have = 0;
        pthread_mutex_lock(&live_lock);
        if (live_valid) {
            racing = live_slot;
            live_valid = 0;
            have = 1;
        }
        pthread_mutex_unlock(&live_lock);
        if (have) {
            SecPkgContext_Sizes sz;
            SECURITY_STATUS st = QueryContextAttributesW(&racing, SECPKG_ATTR_SIZES, &sz);
            check(st == SEC_E_OK || st == SEC_E_INVALID_HANDLE,
                  "QueryContextAttributesW(racing delete)", tid, round, st);
            unsigned char data[8] = "racing", sig[16] = {0};
            st = proof_sign(&racing, data, sizeof data, sig, sizeof sig);
            check(st == SEC_E_OK || st == SEC_E_INVALID_HANDLE, "MakeSignature(racing delete)",
                  tid, round, st);
        }
        /* Log off a session another thread is using. */
        LUID victim;
        have = 0;
        pthread_mutex_lock(&luid_lock);
        if (luid_valid) {
            victim = luid_slot;
            luid_valid = 0;
            have = 1;
        }
        pthread_mutex_unlock(&luid_lock);
        if (have) {
            NTSTATUS nt = SspiLogoffSession(&victim);
            check(nt == 0 || ((uint32_t)nt & 0xC0000000u) == 0xC0000000u,
                  "SspiLogoffSession(racing)", tid, round, nt);
        }
        /* Forged handles. */
        CtxtHandle forged = {(uintptr_t)rng, (uintptr_t)(rng >> 17)};
        SECURITY_STATUS st = DeleteSecurityContext(&forged);
        check(st == SEC_E_INVALID_HANDLE, "DeleteSecurityContext(forged)", tid, round, st);
        CredHandle fc = {(uintptr_t)(rng >> 3), 0xC1 | ((uintptr_t)(rng & 0xFFFF) << 8)};
        st = FreeCredentialsHandle(&fc);
        check(st == SEC_E_INVALID_HANDLE, "FreeCredentialsHandle(forged)", tid, round, st);
        /* Credential churn next to the shared credentials. */
        if (round % 4 == 0) {
            CredHandle tmp;
            st = proof_client_cred(&tmp);
            check(st == SEC_E_OK, "AcquireCredentialsHandleW(churn)", tid, round, st);
            if (st == SEC_E_OK) {
                st = FreeCredentialsHandle(&tmp);
                check(st == SEC_E_OK, "FreeCredentialsHandle(churn)", tid, round, st);
                st = FreeCredentialsHandle(&tmp);
                check(st == SEC_E_INVALID_HANDLE, "FreeCredentialsHandle(churn) twice", tid, round,
                      st);
                CtxtHandle nc;
                unsigned char out[PROOF_TOKEN_MAX];
                ULONG outlen;
                st = proof_isc(&tmp, NULL, &nc, NULL, 0, out, &outlen, PROOF_ISC_REQ);
                check(st == SEC_E_INVALID_HANDLE, "InitializeSecurityContextW(freed credential)",
                      tid, round, st);
            }
        }
        sched_yield();
    }
    return NULL;
}

static long vm_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    long v = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

/* Failure paths must not leak: repeat calls that fail half-way (garbage
 * tokens, too-small outputs, truncated AUTHENTICATEs, stale handles) and
 * check that RSS stays flat. */
static void failure_churn(long rounds)
{
    unsigned char neg[PROOF_TOKEN_MAX], chal[PROOF_TOKEN_MAX], auth[PROOF_TOKEN_MAX],
        out[PROOF_TOKEN_MAX];
    ULONG neglen, challen, authlen, outlen;
    long warm = rounds / 5, rss0 = 0;
    for (long i = 0; i < rounds; i++) {
        if (i == warm)
            rss0 = vm_rss_kib();
        CtxtHandle c = {0, 0}, s = {0, 0};
        SECURITY_STATUS st = proof_isc(&ccred, NULL, &c, NULL, 0, neg, &neglen, PROOF_ISC_REQ);
        check(st == SEC_I_CONTINUE_NEEDED, "churn: ISC first leg", 100, i, st);
        st = proof_asc(&scred, NULL, &s, "NTLMSSP\0\3\0\0\0garbage", 19, out, &outlen,
                       PROOF_ASC_REQ);
        check(st < 0, "churn: ASC on a truncated AUTHENTICATE as first message fails", 100, i, st);
        if (st >= 0)
            DeleteSecurityContext(&s);
        st = proof_asc(&scred, NULL, &s, neg, neglen, chal, &challen, PROOF_ASC_REQ);
        check(st == SEC_I_CONTINUE_NEEDED, "churn: ASC first leg", 100, i, st);
        /* Output too small for the AUTHENTICATE. */
        SecBuffer ib = {challen, SECBUFFER_TOKEN, chal}, ob = {8, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attr;
        st = InitializeSecurityContextW(NULL, &c, NULL, PROOF_ISC_REQ, 0, SECURITY_NATIVE_DREP, &id,
                                        0, &c, &od, &attr, NULL);
        check(st < 0, "churn: ISC second leg into 8 bytes fails", 100, i, st);
        DeleteSecurityContext(&c);
        st = proof_isc(&ccred, NULL, &c, NULL, 0, neg, &neglen, PROOF_ISC_REQ);
        check(st == SEC_I_CONTINUE_NEEDED, "churn: ISC first leg", 100, i, st);
        CtxtHandle s2 = {0, 0};
        st = proof_asc(&scred, NULL, &s2, neg, neglen, chal, &challen, PROOF_ASC_REQ);
        check(st == SEC_I_CONTINUE_NEEDED, "churn: second server's first leg", 100, i, st);
        st = proof_isc(NULL, &c, &c, chal, challen, auth, &authlen, PROOF_ISC_REQ);
        check(st == SEC_E_OK, "churn: ISC second leg", 100, i, st);
        /* A truncated AUTHENTICATE, then the real one for the other server
         * context (another challenge): both fail. */
        st = proof_asc(&scred, &s, &s, auth, authlen / 2, out, &outlen, PROOF_ASC_REQ);
        check(st < 0, "churn: truncated AUTHENTICATE fails", 100, i, st);
        DeleteSecurityContext(&s);
        DeleteSecurityContext(&s2);
        DeleteSecurityContext(&c);
        /* Allocated tokens that are never asked for: the failing call must
         * not allocate. */
        ob = (SecBuffer){0, SECBUFFER_DATA, NULL};
        st = InitializeSecurityContextW(&ccred, NULL, NULL, PROOF_ISC_REQ | ISC_REQ_ALLOCATE_MEMORY,
                                        0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &attr, NULL);
        if (st >= 0) {
            if (ob.pvBuffer)
                FreeContextBuffer(ob.pvBuffer);
            DeleteSecurityContext(&c);
        }
    }
    long rss1 = vm_rss_kib();
    const char *no_rss = getenv("OPENSSPI_PROOF_NO_RSS");
    if (no_rss && *no_rss == '1') {
        /* valgrind and ASan keep freed blocks in quarantine: RSS says nothing. */
        printf("failure churn: %ld rounds (RSS check skipped under valgrind/ASan)\n", rounds);
        return;
    }
    printf("failure churn: %ld rounds, VmRSS %ld -> %ld KiB\n", rounds, rss0, rss1);
    check(rss1 - rss0 <= 512, "churn: VmRSS grows by at most 512 KiB", 100, rounds, rss1 - rss0);
}

int main(int argc, char **argv)
{
    const char *env = getenv("OPENSSPI_STRESS_ITERS");
    if (argc > 1)
        iters = strtol(argv[1], NULL, 10);
    else if (env)
        iters = strtol(env, NULL, 10);
    if (iters < 1)
        iters = 1;
    char userfile[64];
    if (proof_user_file(userfile, sizeof userfile) != 0) {
        perror("user file");
        return 3;
    }
    SECURITY_STATUS st = proof_client_cred(&ccred);
    if (st != SEC_E_OK) {
        printf("AcquireCredentialsHandleW(NTLM, OUTBOUND): 0x%08x\n0 passed, 1 failed\n",
               (unsigned)st);
        unlink(userfile);
        return st == SEC_E_UNSUPPORTED_FUNCTION ? 77 : 1;
    }
    st = proof_server_cred(&scred);
    if (st != SEC_E_OK) {
        printf("AcquireCredentialsHandleW(NTLM, INBOUND): 0x%08x\n0 passed, 1 failed\n",
               (unsigned)st);
        return 1;
    }
    pthread_t t[WORKERS], h, sess;
    atomic_store(&workers_running, WORKERS);
    for (long i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
            return 3;
    if (pthread_create(&h, NULL, hostile, NULL) != 0)
        return 3;
    if (pthread_create(&sess, NULL, sessions, NULL) != 0)
        return 3;
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    pthread_join(h, NULL);
    pthread_join(sess, NULL);
    printf("logon sessions: %ld handshakes succeeded, %ld refused (session logged off first)\n",
           atomic_load(&session_ok), atomic_load(&session_refused));
    check(atomic_load(&session_ok) > 0, "some session handshakes succeed", 98, 0, 0);
    failure_churn(iters * 25);
    check(FreeCredentialsHandle(&ccred) == SEC_E_OK, "FreeCredentialsHandle(client)", 0, 0, 0);
    check(FreeCredentialsHandle(&scred) == SEC_E_OK, "FreeCredentialsHandle(server)", 0, 0, 0);
    check(FreeCredentialsHandle(&ccred) == SEC_E_INVALID_HANDLE, "FreeCredentialsHandle twice", 0,
          0, 0);
    unlink(userfile);
    printf("%ld passed, %ld failed (%d threads x %ld iterations + 1 hostile thread)\n",
           atomic_load(&passed), atomic_load(&failed), WORKERS, iters);
    return atomic_load(&failed) ? 1 : 0;
}
