/* secrets_core: where the NT OWF of a logged-on user lives in memory.
 *
 * The program logs alice on (LsaLogonUser, MSV1_0, Interactive), runs an
 * NTLM handshake with default credentials (ACH(NULL) = her logon session)
 * against a server of its own, and then stops twice so that the test
 * (tests/secrets_core.rs) can dump its core with gcore:
 *
 *   PHASE live   the session and the account database still hold the NT
 *                OWF (in memory excluded from core dumps);
 *   PHASE after  logoff, CloseHandle, the account file replaced by another
 *                user's and re-read: nothing holds it any more.
 *
 * (Without gcore, SECRETS_ABORT_AT=live|after makes the kernel dump the
 * core at that stop instead.)
 *
 * At each stop it prints "PHASE <name> pid=<pid> memory=<n>": n is the
 * number of copies of the NT OWF in every readable mapping of the process,
 * read through /proc/self/mem (dumpable or not), so the "after" count shows
 * that the copies were wiped, not merely hidden from the dump. It then
 * waits for a line on stdin.
 *
 * Environment: NTLM_USER_FILE (EXAMPLE:alice:<password>), SECRETS_PASSWORD
 * (that password), SECRETS_NEEDLE (the NT OWF in hex, computed by the
 * test). The needle is kept XOR-masked so that the program itself never
 * holds it; a heap buffer holds needle ^ 0x5A as a marker the test must
 * find in the core (proof that heap memory is dumped at all). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proof_common.h"
#include "lsa_util.h"

#define MASK 0xA5
#define SCAN_CHUNK (1u << 20)

static unsigned char masked_needle[16]; /* needle ^ MASK */
static unsigned char *scan_buf;
static unsigned char *volatile marker; /* escapes: never optimised away */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int is_needle(const unsigned char *p) {
    for (int i = 0; i < 16; i++)
        if ((unsigned char)(p[i] ^ MASK) != masked_needle[i]) return 0;
    return 1;
}

/* Copies of the needle in [start, end) of this process, read with pread on
 * /proc/self/mem (unreadable pages give an error instead of a fault). */
static unsigned long scan_range(int mem, uintptr_t start, uintptr_t end) {
    unsigned long found = 0;
    /* chunks overlap by 15 bytes so that no copy straddles two reads */
    for (uintptr_t at = start; at < end;) {
        size_t want = end - at < SCAN_CHUNK ? end - at : SCAN_CHUNK;
        ssize_t got = pread(mem, scan_buf, want, (off_t)at);
        if (got < 16) break;
        for (ssize_t i = 0; i + 16 <= got; i++)
            if ((unsigned char)(scan_buf[i] ^ MASK) == masked_needle[0] && is_needle(scan_buf + i))
                found++;
        memset(scan_buf, 0, (size_t)got);
        if ((size_t)got < want || at + (uintptr_t)got >= end) break;
        at += (uintptr_t)got - 15;
    }
    return found;
}

static unsigned long scan_memory(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    int mem = open("/proc/self/mem", O_RDONLY);
    if (!maps || mem < 0) {
        perror("/proc/self");
        exit(3);
    }
    char line[512];
    unsigned long found = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long s, e;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &s, &e, perms) != 3 || perms[0] != 'r') continue;
        if (strstr(line, "[vvar") || strstr(line, "[vsyscall]")) continue;
        uintptr_t b = (uintptr_t)scan_buf;
        if (s <= b && b < e) { /* the scan buffer's own mapping: around it */
            found += scan_range(mem, s, b);
            found += scan_range(mem, b + SCAN_CHUNK, e);
            continue;
        }
        found += scan_range(mem, s, e);
    }
    fclose(maps);
    close(mem);
    return found;
}

/* Report, then wait for the test's gcore; or, when SECRETS_ABORT_AT names
 * this phase, let the kernel dump the core (abort() with RLIMIT_CORE
 * raised, in the current directory). */
static void phase(const char *name) {
    printf("PHASE %s pid=%d memory=%lu\n", name, (int)getpid(), scan_memory());
    fflush(stdout);
    const char *abort_at = getenv("SECRETS_ABORT_AT");
    if (abort_at && strcmp(abort_at, name) == 0) {
        struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &unlimited);
        abort();
    }
    char buf[16];
    if (!fgets(buf, sizeof buf, stdin)) exit(4);
}

/* LsaLogonUser(Interactive, MSV1_0) with a contiguous submit buffer. */
static NTSTATUS logon(HANDLE lsa, ULONG pkg, const char *d, const char *u, const char *p,
                      LUID *luid, HANDLE *token) {
    NTSTATUS sub = 0;
    return lsa_msv_logon(lsa, pkg, Interactive, "secrets_core", d, u, p, luid, token, NULL, NULL,
                         &sub);
}

#define MUST(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            exit(2);                                                                               \
        }                                                                                          \
    } while (0)

/* One handshake, a sealed message each way, everything freed. */
static void handshake(CredHandle *client) {
    CredHandle server;
    CtxtHandle cctx, sctx;
    MUST(proof_server_cred(&server) == SEC_E_OK, "server ACH failed");
    SECURITY_STATUS st = proof_handshake(client, &server, &cctx, &sctx, NULL);
    MUST(st == SEC_E_OK, "handshake failed: 0x%08X", (unsigned)st);
    unsigned char tok[64], data[] = "a message to seal";
    ULONG toklen = sizeof tok;
    MUST(proof_seal(&cctx, tok, &toklen, data, sizeof data) == SEC_E_OK, "seal failed");
    MUST(proof_unseal(&sctx, tok, toklen, data, sizeof data) == SEC_E_OK, "unseal failed");
    DeleteSecurityContext(&cctx);
    DeleteSecurityContext(&sctx);
    FreeCredentialsHandle(&server);
}

int main(void) {
    const char *hex = getenv("SECRETS_NEEDLE"), *pw = getenv("SECRETS_PASSWORD");
    const char *users = getenv("NTLM_USER_FILE");
    MUST(hex && strlen(hex) == 32 && pw && users, "SECRETS_NEEDLE, SECRETS_PASSWORD, NTLM_USER_FILE");
    for (int i = 0; i < 16; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        MUST(hi >= 0 && lo >= 0, "bad SECRETS_NEEDLE");
        masked_needle[i] = (unsigned char)(((hi << 4) | lo) ^ MASK);
    }
    /* let gcore attach even under Yama ptrace_scope 1 (it is not our parent) */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    scan_buf = mmap(NULL, SCAN_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(scan_buf != MAP_FAILED, "mmap");
    marker = malloc(16);
    MUST(marker, "malloc");
    for (int i = 0; i < 16; i++) marker[i] = masked_needle[i] ^ MASK ^ 0x5A;

    HANDLE lsa, token = NULL;
    ULONG msv = 0;
    LUID luid;
    LSA_STRING m = lsa_str(MSV1_0_PACKAGE_NAME);
    MUST(LsaConnectUntrusted(&lsa) == 0, "LsaConnectUntrusted");
    MUST(LsaLookupAuthenticationPackage(lsa, &m, &msv) == 0, "lookup MSV1_0");
    NTSTATUS st = logon(lsa, msv, "EXAMPLE", "alice", pw, &luid, &token);
    MUST(st == 0, "LsaLogonUser: 0x%08X", (unsigned)st);

    CredHandle client;
    SECURITY_STATUS ss = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL,
                                                   NULL, NULL, NULL, &client, NULL);
    MUST(ss == SEC_E_OK, "ACH(NULL): 0x%08X", (unsigned)ss);
    handshake(&client);
    FreeCredentialsHandle(&client);
    phase("live");

    MUST(SspiLogoffSession(&luid) == 0, "logoff");
    MUST(SspiCloseHandle(token) == 1, "CloseHandle");
    LsaDeregisterLogonProcess(lsa);
    /* Replace the account database (another size, so it is re-read) and
     * let a handshake as the new user load it: the old one is dropped. */
    FILE *f = fopen(users, "w");
    MUST(f && fputs("EXAMPLE:bob:bob-Other-Passw0rd-2\n", f) >= 0 && fclose(f) == 0,
         "rewrite %s", users);
    usleep(1200 * 1000); /* the database is looked at once a second at most */
    SEC_WINNT_AUTH_IDENTITY_W bob = {
        WSTR("bob"), WLEN("bob"), WSTR("EXAMPLE"), WLEN("EXAMPLE"),
        WSTR("bob-Other-Passw0rd-2"), WLEN("bob-Other-Passw0rd-2"),
        SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    ss = AcquireCredentialsHandleW(NULL, WSTR("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &bob, NULL, NULL,
                                   &client, NULL);
    MUST(ss == SEC_E_OK, "ACH(bob): 0x%08X", (unsigned)ss);
    handshake(&client);
    FreeCredentialsHandle(&client);
    phase("after");

    free(marker);
    munmap(scan_buf, SCAN_CHUNK);
    printf("DONE\n");
    return 0;
}
