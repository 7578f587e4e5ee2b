/* Tiny TAP-like check framework for the opensspi C conformance harness.
 *
 * Every check prints "ok N - desc" or "not ok N - desc". Soft checks for
 * behaviours tagged PROBE/WI in docs/BEHAVIOURS.md print
 * "ok N - desc # PROBE differs: ..." and are counted separately; they never
 * fail the run. The last line is "P passed, F failed".
 *
 * Test groups run in forked children (see run_group) so that a crash in one
 * group is reported as a failed check and the remaining groups still run;
 * the counters live in a MAP_SHARED page.
 */
#ifndef HARNESS_CHECK_H
#define HARNESS_CHECK_H

#include <stdint.h>
#include <stddef.h>

struct counters {
    int n;        /* checks so far */
    int passed;
    int failed;
    int differ;   /* soft checks that differed */
    int skipped;
};
extern struct counters *g_cnt;
extern int g_verbose;

#if defined(__GNUC__)
#define HARNESS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HARNESS_PRINTF(a, b)
#endif

/* Hard check: returns cond. */
int check_impl(int cond, const char *file, int line, const char *fmt, ...) HARNESS_PRINTF(4, 5);
/* Soft check (PROBE/WI): returns cond, never fails the run. */
int probe_impl(int cond, const char *file, int line, const char *fmt, ...) HARNESS_PRINTF(4, 5);
void skip_impl(const char *fmt, ...) HARNESS_PRINTF(1, 2);
void diag(const char *fmt, ...) HARNESS_PRINTF(1, 2);

#define CHECK(cond, ...) check_impl(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define PROBE(cond, ...) probe_impl(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...) skip_impl(__VA_ARGS__)

/* Status helpers: the status expression is evaluated exactly once.
 * CHECK_ST(st, expected, "desc") adds the actual and expected status names. */
const char *sec_name(int32_t st);
int check_st_impl(int hard, int32_t st, int32_t e1, int32_t e2, int n_expected, const char *file, int line,
                  const char *fmt, ...) HARNESS_PRINTF(8, 9);
#define CHECK_ST(st, exp, ...) check_st_impl(1, (st), (exp), 0, 1, __FILE__, __LINE__, __VA_ARGS__)
#define PROBE_ST(st, exp, ...) check_st_impl(0, (st), (exp), 0, 1, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_ST2(st, e1, e2, ...) check_st_impl(1, (st), (e1), (e2), 2, __FILE__, __LINE__, __VA_ARGS__)
/* An error status (negative SECURITY_STATUS). */
#define CHECK_FAILED(st, ...) check_st_impl(1, (st), 0, 0, 0, __FILE__, __LINE__, __VA_ARGS__)

/* Run fn in a forked child with a time limit; a crash or timeout is a failed check. */
void run_group(const char *name, void (*fn)(void));
/* Run fn(arg) in a forked child; returns 1 if it exited normally.
 * On a crash, records a failed check "desc crashed". */
int run_isolated(const char *desc, void (*fn)(void *), void *arg);
extern int g_no_fork;

void hexdump(const char *label, const void *p, size_t n);

#endif
