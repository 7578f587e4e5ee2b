/*
 * bench_common.h: the helpers sspi_bench.c and gss_bench.c share (clock,
 * /proc/self/status, medians, `openssl speed` parsing). Header-only, every
 * function static, so each bench stays one translation unit.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the calling thread. The per-message loops (seal, wrap,
 * MIC) are timed with it: `openssl speed`, which gives the serial limits,
 * divides by CPU user time unless -elapsed, so a wall-clock rate on a loaded
 * machine would be compared with a CPU-time one (on 2 CPUs at load 8, sha1
 * reads 1600 MB/s from `openssl speed` and 130 MB/s with -elapsed). These
 * loops neither block nor start threads, so their thread CPU time (user and
 * system: a getrandom call is work) is the work done; handshakes stay in
 * wall-clock time (MIT's replay cache does file I/O). */
static inline double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* VmRSS / VmHWM from /proc/self/status in KiB (0 when unavailable). */
static inline long proc_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    long v = 0;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static inline long maxrss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_maxrss;
}

/* "Flat" memory: the last RSS sample within max(1 MiB, 2 %) of the first. */
static inline long flat_tolerance_kib(long first)
{
    return first / 50 > 1024 ? first / 50 : 1024;
}

static inline double median3(const double v[3])
{
    double a = v[0], b = v[1], c = v[2];
    if ((a <= b && b <= c) || (c <= b && b <= a))
        return b;
    if ((b <= a && a <= c) || (c <= a && a <= b))
        return a;
    return c;
}

/* Parse "<name> ... <value>k" lines of `openssl speed` output (1000s of bytes
 * per second) into MB/s; 0 when absent. */
static inline double parse_speed(const char *out, const char *name)
{
    const char *p = out;
    size_t nlen = strlen(name);
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nlen && strncasecmp(p, name, nlen) == 0 && (p[nlen] == ' ' || p[nlen] == '\t')) {
            char line[512];
            size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
            memcpy(line, p, l);
            line[l] = 0;
            char *last = strrchr(line, ' ');
            if (last) {
                double v = strtod(last + 1, NULL);
                if (v > 0)
                    return v * 1000.0 / 1e6;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

/* Runs `cmd` (an `openssl speed` command line) and parses the `name` line. */
static inline double run_speed(const char *cmd, const char *name)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return 0;
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    pclose(f);
    return parse_speed(out, name);
}

/* The serial limit of two primitives run over every byte, one after the
 * other on one core: 1 / (1/a + 1/b) MB/s (0 when either is unknown). */
static inline double serial_limit(double a, double b)
{
    return a > 0 && b > 0 ? 1.0 / (1.0 / a + 1.0 / b) : 0;
}

#endif
