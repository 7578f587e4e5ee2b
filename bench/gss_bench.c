/*
 * gss_bench: the MIT GSSAPI side of the Kerberos benchmark (bench/kerberos.sh
 * runs it next to `sspi_bench --package Kerberos` on the same KDC, ccache and
 * keytab). The same loops as sspi_bench's Kerberos section, through MIT's
 * krb5 mechanism:
 *
 *   gss_bench [--handshakes N] [--threads T] [--target host/localhost] ...
 *
 * Initiator credential: gss_acquire_cred(GSS_C_INITIATE) from the default
 * ccache (KRB5CCNAME, the service ticket already in it); acceptor credential:
 * gss_acquire_cred(GSS_C_ACCEPT) from the default keytab (KRB5_KTNAME). Each
 * handshake: gss_init_sec_context (AP-REQ, MUTUAL|CONF|INTEG|REPLAY|SEQUENCE)
 * -> gss_accept_sec_context (AP-REP) -> gss_init_sec_context (verifies the
 * AP-REP), both contexts deleted. Then gss_wrap (conf) / gss_unwrap on 16 KiB
 * messages, gss_get_mic / gss_verify_mic on 64-byte messages, RSS samples and
 * 1 vs T threads — as sspi_bench measures them. Human-readable lines, then
 * one JSON line starting with '{'. MB = 10^6 bytes. Wrap and MIC rates are
 * per CPU second of the thread (bench_common.h, cpu_now), as sspi_bench's.
 */
#define _GNU_SOURCE
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

#define WRAP_SIZE 16384
#define WRAP_BATCH 16
#define MIC_SIZE 64
#define MIC_BATCH 1024
#define MAX_RSS_SAMPLES 4096

static struct {
    const char *target;
    long handshakes, rss_every, warmup, mt_handshakes, wrap_mb, mic_count;
    int threads;
} opt = {
    .target = "host/localhost",
    .handshakes = 100000,
    .rss_every = 10000,
    .warmup = 1000,
    .mt_handshakes = 100000,
    .wrap_mb = 256,
    .mic_count = 200000,
    .threads = 2,
};

static gss_cred_id_t init_cred = GSS_C_NO_CREDENTIAL, accept_cred = GSS_C_NO_CREDENTIAL;
static gss_name_t target_name = GSS_C_NO_NAME;
static gss_OID_set_desc krb5_mechs = {1, NULL};
static const OM_uint32 req_flags =
    GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG |
    GSS_C_SEQUENCE_FLAG;

/* Prints the major and minor status texts of a failed call and exits. */
static void die(const char *what, OM_uint32 major, OM_uint32 minor)
{
    fprintf(stderr, "gss_bench: %s failed: major 0x%08x minor %u\n", what, major, minor);
    int types[2] = {GSS_C_GSS_CODE, GSS_C_MECH_CODE};
    OM_uint32 codes[2] = {major, minor};
    for (int i = 0; i < 2; i++) {
        OM_uint32 ctx = 0, min;
        do {
            gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
            if (GSS_ERROR(gss_display_status(&min, codes[i], types[i], gss_mech_krb5, &ctx, &msg)))
                break;
            fprintf(stderr, "  %.*s\n", (int)msg.length, (char *)msg.value);
            gss_release_buffer(&min, &msg);
        } while (ctx != 0);
    }
    exit(2);
}

/* One full mutual-authentication handshake into fresh contexts. Returns
 * GSS_S_COMPLETE or the failing major status (minor in *minor). */
static OM_uint32 handshake(gss_ctx_id_t *ic, gss_ctx_id_t *ac, OM_uint32 *minor)
{
    gss_buffer_desc t1 = GSS_C_EMPTY_BUFFER, t2 = GSS_C_EMPTY_BUFFER, t3 = GSS_C_EMPTY_BUFFER;
    OM_uint32 ret_flags = 0, min;
    *ic = *ac = GSS_C_NO_CONTEXT;
    OM_uint32 maj = gss_init_sec_context(minor, init_cred, ic, target_name, gss_mech_krb5,
                                         req_flags, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                         GSS_C_NO_BUFFER, NULL, &t1, &ret_flags, NULL);
    if (maj != GSS_S_CONTINUE_NEEDED)
        goto out;
    maj = gss_accept_sec_context(minor, ac, accept_cred, &t1, GSS_C_NO_CHANNEL_BINDINGS, NULL,
                                 NULL, &t2, &ret_flags, NULL, NULL);
    if (maj != GSS_S_COMPLETE)
        goto out;
    maj = gss_init_sec_context(minor, init_cred, ic, target_name, gss_mech_krb5, req_flags, 0,
                               GSS_C_NO_CHANNEL_BINDINGS, &t2, NULL, &t3, &ret_flags, NULL);
    if (maj == GSS_S_COMPLETE && (!(ret_flags & GSS_C_MUTUAL_FLAG) || t3.length != 0))
        maj = GSS_S_FAILURE; /* mutual authentication must have happened, with no 3rd token */
out:
    gss_release_buffer(&min, &t1);
    gss_release_buffer(&min, &t2);
    gss_release_buffer(&min, &t3);
    if (maj != GSS_S_COMPLETE) {
        gss_delete_sec_context(&min, ic, GSS_C_NO_BUFFER);
        gss_delete_sec_context(&min, ac, GSS_C_NO_BUFFER);
    }
    return maj;
}

static OM_uint32 handshake_and_delete(OM_uint32 *minor)
{
    gss_ctx_id_t ic, ac;
    OM_uint32 maj = handshake(&ic, &ac, minor);
    if (maj != GSS_S_COMPLETE)
        return maj;
    OM_uint32 min;
    gss_delete_sec_context(&min, &ic, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&min, &ac, GSS_C_NO_BUFFER);
    return GSS_S_COMPLETE;
}

/* ---- threads -------------------------------------------------------------- */

typedef struct {
    long n;
    pthread_barrier_t *barrier;
    OM_uint32 major, minor;
    long failures;
} Worker;

static void *worker_main(void *arg)
{
    Worker *w = arg;
    pthread_barrier_wait(w->barrier);
    for (long i = 0; i < w->n; i++) {
        OM_uint32 minor, maj = handshake_and_delete(&minor);
        if (maj != GSS_S_COMPLETE) {
            w->major = maj;
            w->minor = minor;
            w->failures++;
        }
    }
    return NULL;
}

/* Handshakes per second with `threads` threads doing `per_thread` each. */
static double threaded_rate(int threads, long per_thread)
{
    pthread_t tid[256];
    Worker w[256];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        w[i] = (Worker){.n = per_thread, .barrier = &barrier};
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
            exit(2);
    }
    pthread_barrier_wait(&barrier);
    double t0 = now();
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double dt = now() - t0;
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < threads; i++)
        if (w[i].failures)
            die("threaded handshake", w[i].major, w[i].minor);
    return (double)threads * (double)per_thread / dt;
}

/* ---- messages ------------------------------------------------------------- */

/* gss_wrap (confidentiality) by the initiator, gss_unwrap by the acceptor,
 * `mb` MB of 16 KiB messages, timer read once per batch, every plaintext
 * checked. */
static void wrap_run(gss_ctx_id_t ic, gss_ctx_id_t ac, long mb, double *wrap_mbps,
                     double *unwrap_mbps, long *msgs)
{
    static unsigned char plain[WRAP_SIZE];
    for (int i = 0; i < WRAP_SIZE; i++)
        plain[i] = (unsigned char)(i * 131 + 7);
    gss_buffer_desc in = {WRAP_SIZE, plain};
    gss_buffer_desc wrapped[WRAP_BATCH], out[WRAP_BATCH];
    long iters = (mb * 1000000L + (long)WRAP_BATCH * WRAP_SIZE - 1) / ((long)WRAP_BATCH * WRAP_SIZE);
    double wt = 0, ut = 0;
    OM_uint32 maj, min;
    for (long it = 0; it < iters; it++) {
        double a = cpu_now();
        for (int k = 0; k < WRAP_BATCH; k++) {
            int conf = 0;
            maj = gss_wrap(&min, ic, 1, GSS_C_QOP_DEFAULT, &in, &conf, &wrapped[k]);
            if (maj != GSS_S_COMPLETE || !conf)
                die("gss_wrap", maj, min);
        }
        double b = cpu_now();
        for (int k = 0; k < WRAP_BATCH; k++) {
            int conf = 0;
            maj = gss_unwrap(&min, ac, &wrapped[k], &out[k], &conf, NULL);
            if (maj != GSS_S_COMPLETE || !conf)
                die("gss_unwrap", maj, min);
        }
        double c = cpu_now();
        wt += b - a;
        ut += c - b;
        for (int k = 0; k < WRAP_BATCH; k++) {
            if (out[k].length != WRAP_SIZE || memcmp(out[k].value, plain, WRAP_SIZE) != 0) {
                fprintf(stderr, "gss_bench: gss_unwrap returned wrong plaintext\n");
                exit(2);
            }
            gss_release_buffer(&min, &wrapped[k]);
            gss_release_buffer(&min, &out[k]);
        }
    }
    double total = (double)iters * WRAP_BATCH * WRAP_SIZE / 1e6;
    *wrap_mbps = wt > 0 ? total / wt : 0;
    *unwrap_mbps = ut > 0 ? total / ut : 0;
    *msgs = iters * WRAP_BATCH;
}

/* gss_get_mic by the initiator, gss_verify_mic by the acceptor, on 64-byte
 * messages in batches. */
static void mic_run(gss_ctx_id_t ic, gss_ctx_id_t ac, long count, double *mic_rate,
                    double *verify_rate, double *n)
{
    static unsigned char msg[MIC_SIZE];
    static gss_buffer_desc mics[MIC_BATCH];
    memset(msg, 0x5a, sizeof msg);
    gss_buffer_desc m = {MIC_SIZE, msg};
    long iters = (count + MIC_BATCH - 1) / MIC_BATCH;
    double gt = 0, vt = 0;
    OM_uint32 maj, min;
    for (long it = 0; it < iters; it++) {
        double a = cpu_now();
        for (int k = 0; k < MIC_BATCH; k++)
            if ((maj = gss_get_mic(&min, ic, GSS_C_QOP_DEFAULT, &m, &mics[k])) != GSS_S_COMPLETE)
                die("gss_get_mic", maj, min);
        double b = cpu_now();
        for (int k = 0; k < MIC_BATCH; k++)
            if ((maj = gss_verify_mic(&min, ac, &m, &mics[k], NULL)) != GSS_S_COMPLETE)
                die("gss_verify_mic", maj, min);
        double c = cpu_now();
        gt += b - a;
        vt += c - b;
        for (int k = 0; k < MIC_BATCH; k++)
            gss_release_buffer(&min, &mics[k]);
    }
    *n = (double)iters * MIC_BATCH;
    *mic_rate = gt > 0 ? *n / gt : 0;
    *verify_rate = vt > 0 ? *n / vt : 0;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: gss_bench [--handshakes N] [--rss-every N] [--warmup N]\n"
                    "         [--threads T] [--mt-handshakes N_PER_THREAD] [--wrap-mb MB]\n"
                    "         [--mic-count N] [--target PRINCIPAL]\n");
    exit(2);
}

static long num_arg(int *i, int argc, char **argv)
{
    if (*i + 1 >= argc)
        usage();
    char *end;
    long v = strtol(argv[++*i], &end, 10);
    if (*end || v < 0)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--handshakes"))
            opt.handshakes = num_arg(&i, argc, argv);
        else if (!strcmp(a, "--rss-every"))
            opt.rss_every = num_arg(&i, argc, argv);
        else if (!strcmp(a, "--warmup"))
            opt.warmup = num_arg(&i, argc, argv);
        else if (!strcmp(a, "--threads"))
            opt.threads = (int)num_arg(&i, argc, argv);
        else if (!strcmp(a, "--mt-handshakes"))
            opt.mt_handshakes = num_arg(&i, argc, argv);
        else if (!strcmp(a, "--wrap-mb"))
            opt.wrap_mb = num_arg(&i, argc, argv);
        else if (!strcmp(a, "--mic-count"))
            opt.mic_count = num_arg(&i, argc, argv);
        else if (!strcmp(a, "--target") && i + 1 < argc)
            opt.target = argv[++i];
        else
            usage();
    }
    if (opt.threads < 1 || opt.threads > 256 || opt.rss_every < 1)
        usage();

    OM_uint32 maj, min;
    krb5_mechs.elements = gss_mech_krb5;
    gss_buffer_desc tn = {strlen(opt.target), (void *)opt.target};
    if ((maj = gss_import_name(&min, &tn, GSS_KRB5_NT_PRINCIPAL_NAME, &target_name)))
        die("gss_import_name", maj, min);
    maj = gss_acquire_cred(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, &krb5_mechs, GSS_C_INITIATE,
                           &init_cred, NULL, NULL);
    if (maj)
        die("gss_acquire_cred(GSS_C_INITIATE, KRB5CCNAME)", maj, min);
    maj = gss_acquire_cred(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, &krb5_mechs, GSS_C_ACCEPT,
                           &accept_cred, NULL, NULL);
    if (maj)
        die("gss_acquire_cred(GSS_C_ACCEPT, KRB5_KTNAME)", maj, min);
    printf("loaded MIT GSSAPI (krb5 mechanism), target %s\n", opt.target);

    for (long i = 0; i < opt.warmup; i++)
        if ((maj = handshake_and_delete(&min)) != GSS_S_COMPLETE)
            die("handshake (warm-up)", maj, min);

    /* 1. Handshakes/s with RSS samples (sampling time excluded). */
    static long rss[MAX_RSS_SAMPLES];
    int nrss = 0;
    long rss_start = proc_status_kib("VmRSS");
    double t0 = now(), paused = 0;
    for (long i = 1; i <= opt.handshakes; i++) {
        if ((maj = handshake_and_delete(&min)) != GSS_S_COMPLETE)
            die("handshake", maj, min);
        if (i % opt.rss_every == 0 && nrss < MAX_RSS_SAMPLES) {
            double p0 = now();
            rss[nrss++] = proc_status_kib("VmRSS");
            paused += now() - p0;
        }
    }
    double hs_time = now() - t0 - paused;
    double hs_rate = opt.handshakes ? (double)opt.handshakes / hs_time : 0;
    long growth = nrss >= 2 ? rss[nrss - 1] - rss[0] : 0;
    long flat_tol = nrss ? flat_tolerance_kib(rss[0]) : 0;
    int flat = nrss >= 2 && growth <= flat_tol;
    printf("handshakes: %ld mutual krb5 handshakes in %.3f s = %.0f handshakes/s\n",
           opt.handshakes, hs_time, hs_rate);
    printf("rss: start %ld KiB; every %ld handshakes:", rss_start, opt.rss_every);
    for (int i = 0; i < nrss; i++)
        printf(" %ld", rss[i]);
    printf(" KiB\nrss: VmHWM %ld KiB, ru_maxrss %ld KiB; growth first->last sample %+ld KiB "
           "(flat: %s)\n",
           proc_status_kib("VmHWM"), maxrss_kib(), growth, flat ? "yes" : "no");

    /* 2. and 3. Messages on one established pair. */
    gss_ctx_id_t ic, ac;
    if ((maj = handshake(&ic, &ac, &min)) != GSS_S_COMPLETE)
        die("handshake (message benchmarks)", maj, min);
    double wrap_mbps = 0, unwrap_mbps = 0, mic_rate = 0, verify_rate = 0, nmic = 0;
    long msgs = 0;
    wrap_run(ic, ac, opt.wrap_mb, &wrap_mbps, &unwrap_mbps, &msgs);
    printf("wrap: gss_wrap %.1f MB/s, gss_unwrap %.1f MB/s (%ld x 16 KiB messages)\n", wrap_mbps,
           unwrap_mbps, msgs);
    mic_run(ic, ac, opt.mic_count, &mic_rate, &verify_rate, &nmic);
    printf("mic: gss_get_mic %.0f/s, gss_verify_mic %.0f/s (%.0f x 64-byte messages)\n", mic_rate,
           verify_rate, nmic);
    gss_delete_sec_context(&min, &ic, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&min, &ac, GSS_C_NO_BUFFER);

    /* 4. Scaling: 1 thread vs T threads, medians of three runs. */
    double ones[3], manys[3];
    for (int i = 0; i < 3; i++) {
        ones[i] = threaded_rate(1, opt.mt_handshakes);
        manys[i] = threaded_rate(opt.threads, opt.mt_handshakes);
    }
    double one = median3(ones), many = median3(manys);
    printf("threads: 1 thread %.0f handshakes/s, %d threads %.0f handshakes/s, ratio %.2fx "
           "(medians of 3 runs of %ld handshakes per thread; %ld online CPUs)\n",
           one, opt.threads, many, many / one, opt.mt_handshakes, sysconf(_SC_NPROCESSORS_ONLN));

    printf("{\"implementation\":\"MIT GSSAPI\",\"target\":\"%s\",\"handshakes\":%ld,"
           "\"handshakes_per_sec\":%.1f,\"wrap_MBps\":%.2f,\"unwrap_MBps\":%.2f,"
           "\"mic_per_sec\":%.1f,\"verify_mic_per_sec\":%.1f,\"rss_start_kib\":%ld,"
           "\"rss_growth_kib\":%ld,\"memory_flat\":%s,\"threads\":%d,"
           "\"one_thread_per_sec\":%.1f,\"threads_per_sec\":%.1f,\"thread_ratio\":%.3f}\n",
           opt.target, opt.handshakes, hs_rate, wrap_mbps, unwrap_mbps, mic_rate, verify_rate,
           rss_start, growth, flat ? "true" : "false", opt.threads, one, many, many / one);

    gss_release_cred(&min, &init_cred);
    gss_release_cred(&min, &accept_cred);
    gss_release_name(&min, &target_name);
    return 0;
}
