#define _GNU_SOURCE
#include "check.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct counters *g_cnt;
int g_no_fork;
int g_verbose;

static void vreport(const char *prefix, const char *suffix, const char *file, int line,
                    const char *fmt, va_list ap)
{
    char desc[1024];
    vsnprintf(desc, sizeof desc, fmt, ap);
    for (char *c = desc; *c; c++)
        if (*c == '\n') *c = ' ';
    g_cnt->n++;
    if (file)
        printf("%s %d - %s%s  (%s:%d)\n", prefix, g_cnt->n, desc, suffix, file, line);
    else
        printf("%s %d - %s%s\n", prefix, g_cnt->n, desc, suffix);
    fflush(stdout);
}

int check_impl(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cond) {
        vreport("ok", "", NULL, 0, fmt, ap);
        g_cnt->passed++;
    } else {
        vreport("not ok", "", file, line, fmt, ap);
        g_cnt->failed++;
    }
    va_end(ap);
    return cond;
}

int probe_impl(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cond) {
        vreport("ok", "", NULL, 0, fmt, ap);
        g_cnt->passed++;
    } else {
        vreport("ok", " # PROBE differs", file, line, fmt, ap);
        g_cnt->differ++;
    }
    va_end(ap);
    return cond;
}

int check_st_impl(int hard, int32_t st, int32_t e1, int32_t e2, int n_expected, const char *file, int line,
                  const char *fmt, ...)
{
    char desc[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    int ok;
    char exp[96];
    if (n_expected == 0) {
        ok = st < 0;
        snprintf(exp, sizeof exp, "an error status");
    } else if (n_expected == 1) {
        ok = st == e1;
        snprintf(exp, sizeof exp, "%s", sec_name(e1));
    } else {
        ok = st == e1 || st == e2;
        snprintf(exp, sizeof exp, "%s or %s", sec_name(e1), sec_name(e2));
    }
    if (hard)
        return check_impl(ok, file, line, "%s -> %s (expected %s)", desc, sec_name(st), exp);
    return probe_impl(ok, file, line, "%s -> %s (expected %s)", desc, sec_name(st), exp);
}

void skip_impl(const char *fmt, ...)
{
    va_list ap;
    char desc[512];
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    g_cnt->skipped++;
    printf("# SKIP %s\n", desc);
    fflush(stdout);
}

void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

void hexdump(const char *label, const void *p, size_t n)
{
    const unsigned char *b = p;
    printf("# %s (%zu bytes):", label, n);
    for (size_t i = 0; i < n; i++) {
        if (i % 32 == 0) printf("\n#   ");
        printf("%02x", b[i]);
    }
    printf("\n");
    fflush(stdout);
}

static int wait_child(pid_t pid, const char *what)
{
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) {
        check_impl(0, __FILE__, __LINE__, "%s: waitpid failed", what);
        return 0;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        check_impl(0, __FILE__, __LINE__, "%s: no crash (killed by signal %d%s)", what, sig,
                   sig == SIGALRM ? ", timeout" : "");
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        check_impl(0, __FILE__, __LINE__, "%s: child exited with status %d", what,
                   WEXITSTATUS(status));
        return 0;
    }
    return 1;
}

/* A child's time limit: `seconds`, five times that under valgrind
 * (OPENSSPI_VALGRIND=1, inherited from the test runner), which runs the
 * library 20-50 times slower and shares the machine with other tests. */
static unsigned time_budget(unsigned seconds)
{
    const char *v = getenv("OPENSSPI_VALGRIND");
    return (v && *v && strcmp(v, "0") != 0) ? seconds * 5 : seconds;
}

void run_group(const char *name, void (*fn)(void))
{
    printf("# --- group %s ---\n", name);
    fflush(stdout);
    if (g_no_fork) {
        fn();
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        alarm(time_budget(120));
        fn();
        fflush(stdout);
        _exit(0);
    }
    if (pid < 0) {
        check_impl(0, __FILE__, __LINE__, "group %s: fork failed", name);
        return;
    }
    wait_child(pid, name);
}

int run_isolated(const char *desc, void (*fn)(void *), void *arg)
{
    if (g_no_fork) {
        fn(arg);
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(time_budget(60));
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    if (pid < 0) {
        check_impl(0, __FILE__, __LINE__, "%s: fork failed", desc);
        return 0;
    }
    return wait_child(pid, desc);
}

const char *sec_name(int32_t st)
{
    static char buf[8][32];
    static int slot;
    switch ((uint32_t)st) {
#define N(v, s) case v: return s;
    N(0x00000000u, "SEC_E_OK")
    N(0x80090300u, "SEC_E_INSUFFICIENT_MEMORY")
    N(0x80090301u, "SEC_E_INVALID_HANDLE")
    N(0x80090302u, "SEC_E_UNSUPPORTED_FUNCTION")
    N(0x80090303u, "SEC_E_TARGET_UNKNOWN")
    N(0x80090304u, "SEC_E_INTERNAL_ERROR")
    N(0x80090305u, "SEC_E_SECPKG_NOT_FOUND")
    N(0x80090306u, "SEC_E_NOT_OWNER")
    N(0x80090308u, "SEC_E_INVALID_TOKEN")
    N(0x80090309u, "SEC_E_CANNOT_PACK")
    N(0x8009030Au, "SEC_E_QOP_NOT_SUPPORTED")
    N(0x8009030Bu, "SEC_E_NO_IMPERSONATION")
    N(0x8009030Cu, "SEC_E_LOGON_DENIED")
    N(0x8009030Du, "SEC_E_UNKNOWN_CREDENTIALS")
    N(0x8009030Eu, "SEC_E_NO_CREDENTIALS")
    N(0x8009030Fu, "SEC_E_MESSAGE_ALTERED")
    N(0x80090310u, "SEC_E_OUT_OF_SEQUENCE")
    N(0x80090311u, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
    N(0x80090316u, "SEC_E_BAD_PKGID")
    N(0x80090317u, "SEC_E_CONTEXT_EXPIRED")
    N(0x80090318u, "SEC_E_INCOMPLETE_MESSAGE")
    N(0x80090320u, "SEC_E_INCOMPLETE_CREDENTIALS")
    N(0x80090321u, "SEC_E_BUFFER_TOO_SMALL")
    N(0x80090322u, "SEC_E_WRONG_PRINCIPAL")
    N(0x80090326u, "SEC_E_ILLEGAL_MESSAGE")
    N(0x80090336u, "SEC_E_WRONG_CREDENTIAL_HANDLE")
    N(0x80090346u, "SEC_E_BAD_BINDINGS")
    N(0x8009035Du, "SEC_E_INVALID_PARAMETER")
    N(0x80090361u, "SEC_E_NO_CONTEXT")
    N(0x00090312u, "SEC_I_CONTINUE_NEEDED")
    N(0x00090313u, "SEC_I_COMPLETE_NEEDED")
    N(0x00090314u, "SEC_I_COMPLETE_AND_CONTINUE")
    N(0x00090315u, "SEC_I_LOCAL_LOGON")
    N(0x00090320u, "SEC_I_INCOMPLETE_CREDENTIALS")
#undef N
    default:
        slot = (slot + 1) % 8;
        snprintf(buf[slot], sizeof buf[slot], "0x%08x", (unsigned)st);
        return buf[slot];
    }
}
