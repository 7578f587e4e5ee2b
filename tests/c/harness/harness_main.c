/* opensspi C conformance harness: entry point.
 *
 *   harness                 linked mode: every check calls the exported symbols
 *                           (only in the binary built with -DHARNESS_LINKED)
 *   harness --dlopen PATH   dlopen(PATH) + InitSecurityInterfaceW/A; every check
 *                           calls through the two function tables only
 *   options: --no-fork (run groups in-process, for debuggers), --only GROUP
 *
 * The harness writes its own NTLM_USER_FILE before the first SSPI call. */
#define _GNU_SOURCE
#include "harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct sspi_api api;
const char *g_user_file;

#ifdef HARNESS_LINKED
/* Linked mode references every export directly: a missing export is a link error. */
static void fill_linked(void)
{
    api.mode = "linked";
    api.InitSecurityInterfaceW = InitSecurityInterfaceW;
    api.InitSecurityInterfaceA = InitSecurityInterfaceA;
#define ASSIGN(name, args) api.name = name;
    HARNESS_FUNCS(ASSIGN)
#undef ASSIGN
    api.SspiLogonUserW = SspiLogonUserW;
    api.SspiGetTokenLogonId = SspiGetTokenLogonId;
    api.SspiLogoffSession = SspiLogoffSession;
    api.SspiCloseHandle = SspiCloseHandle;
}

#endif


static void *g_dl;
static int fill_dlopen(const char *path)
{
    api.mode = "dlopen";
    g_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!g_dl) {
        CHECK(0, "U: dlopen(%s): %s", path, dlerror());
        return 0;
    }
    void *w = dlsym(g_dl, "InitSecurityInterfaceW");
    void *a = dlsym(g_dl, "InitSecurityInterfaceA");
    CHECK(w != NULL, "U: dlsym InitSecurityInterfaceW");
    CHECK(a != NULL, "U: dlsym InitSecurityInterfaceA");
    if (!w || !a) return 0;
    const char *logon_names[4] = {"SspiLogonUserW", "SspiGetTokenLogonId", "SspiLogoffSession",
                                  "SspiCloseHandle"};
    void *logon_fns[4];
    for (int i = 0; i < 4; i++) {
        logon_fns[i] = dlsym(g_dl, logon_names[i]);
        CHECK(logon_fns[i] != NULL, "U: dlsym %s", logon_names[i]);
        if (!logon_fns[i]) return 0;
    }
    memcpy(&api.SspiLogonUserW, &logon_fns[0], sizeof logon_fns[0]);
    memcpy(&api.SspiGetTokenLogonId, &logon_fns[1], sizeof logon_fns[1]);
    memcpy(&api.SspiLogoffSession, &logon_fns[2], sizeof logon_fns[2]);
    memcpy(&api.SspiCloseHandle, &logon_fns[3], sizeof logon_fns[3]);
    memcpy(&api.InitSecurityInterfaceW, &w, sizeof w);
    memcpy(&api.InitSecurityInterfaceA, &a, sizeof a);
    PSecurityFunctionTableW tw = api.InitSecurityInterfaceW();
    PSecurityFunctionTableA ta = api.InitSecurityInterfaceA();
    CHECK(tw != NULL && ta != NULL, "U: InitSecurityInterfaceW/A return tables");
    if (!tw || !ta) return 0;
    /* W-only and common entries from the W table, A entries from the A table. */
    api.EnumerateSecurityPackagesW = tw->EnumerateSecurityPackagesW;
    api.QueryCredentialsAttributesW = tw->QueryCredentialsAttributesW;
    api.AcquireCredentialsHandleW = tw->AcquireCredentialsHandleW;
    api.FreeCredentialsHandle = tw->FreeCredentialsHandle;
    api.InitializeSecurityContextW = tw->InitializeSecurityContextW;
    api.AcceptSecurityContext = tw->AcceptSecurityContext;
    api.CompleteAuthToken = tw->CompleteAuthToken;
    api.DeleteSecurityContext = tw->DeleteSecurityContext;
    api.ApplyControlToken = tw->ApplyControlToken;
    api.QueryContextAttributesW = tw->QueryContextAttributesW;
    api.ImpersonateSecurityContext = tw->ImpersonateSecurityContext;
    api.RevertSecurityContext = tw->RevertSecurityContext;
    api.MakeSignature = tw->MakeSignature;
    api.VerifySignature = tw->VerifySignature;
    api.FreeContextBuffer = tw->FreeContextBuffer;
    api.QuerySecurityPackageInfoW = tw->QuerySecurityPackageInfoW;
    api.ExportSecurityContext = tw->ExportSecurityContext;
    api.ImportSecurityContextW = tw->ImportSecurityContextW;
    api.AddCredentialsW = tw->AddCredentialsW;
    api.QuerySecurityContextToken = tw->QuerySecurityContextToken;
    api.EncryptMessage = tw->EncryptMessage;
    api.DecryptMessage = tw->DecryptMessage;
    api.SetContextAttributesW = tw->SetContextAttributesW;
    api.SetCredentialsAttributesW = tw->SetCredentialsAttributesW;
    api.ChangeAccountPasswordW = tw->ChangeAccountPasswordW;
    api.QueryContextAttributesExW = tw->QueryContextAttributesExW;
    api.QueryCredentialsAttributesExW = tw->QueryCredentialsAttributesExW;

    api.EnumerateSecurityPackagesA = ta->EnumerateSecurityPackagesA;
    api.QueryCredentialsAttributesA = ta->QueryCredentialsAttributesA;
    api.AcquireCredentialsHandleA = ta->AcquireCredentialsHandleA;
    api.InitializeSecurityContextA = ta->InitializeSecurityContextA;
    api.QueryContextAttributesA = ta->QueryContextAttributesA;
    api.QuerySecurityPackageInfoA = ta->QuerySecurityPackageInfoA;
    api.ImportSecurityContextA = ta->ImportSecurityContextA;
    api.AddCredentialsA = ta->AddCredentialsA;
    api.SetContextAttributesA = ta->SetContextAttributesA;
    api.SetCredentialsAttributesA = ta->SetCredentialsAttributesA;
    api.ChangeAccountPasswordA = ta->ChangeAccountPasswordA;
    api.QueryContextAttributesExA = ta->QueryContextAttributesExA;
    api.QueryCredentialsAttributesExA = ta->QueryCredentialsAttributesExA;
    (void)ta->HARNESS_A_FREECRED;
    return 1;
}

/* A NULL entry would crash every check using it; count those once here. */
static int api_complete(void)
{
    int ok = 1;
#define NONNULL(name, args) if (!api.name) { CHECK(0, "U: %s entry " #name " available", api.mode); ok = 0; }
    HARNESS_FUNCS(NONNULL)
#undef NONNULL
    return ok;
}

static char g_user_path[64];
static void write_user_file(void)
{
    strcpy(g_user_path, "/tmp/opensspi-harness-users-XXXXXX");
    int fd = mkstemp(g_user_path);
    if (fd < 0) {
        perror("mkstemp");
        exit(2);
    }
    const char *text = "# opensspi C harness accounts\n"
                       "WORKGROUP:testuser:testpass\n"
                       "EXAMPLE:alice:alice-Passw0rd\n";
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror("write");
        exit(2);
    }
    close(fd);
    setenv("NTLM_USER_FILE", g_user_path, 1);
    g_user_file = g_user_path;
}

struct group {
    const char *name;
    void (*fn)(void);
};
static const struct group groups[] = {
    {"layout", t_layout},
    {"tables", t_tables},
    {"packages", t_packages},
    {"creds", t_creds},
    {"isc", t_isc},
    {"asc", t_asc},
    {"attributes", t_attributes},
    {"server_negative", t_server_negative},
    {"signatures", t_signatures},
    {"seal", t_seal},
    {"stream", t_stream},
    {"canned", t_canned},
    {"misc", t_misc},
    {"a_table", t_a_table},
    {"negotiate", t_negotiate},
    {"hostile_handles", t_hostile_handles},
    {"hostile_buffers", t_hostile_buffers},
};

int main(int argc, char **argv)
{
    const char *dl = NULL, *only = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dlopen") && i + 1 < argc) dl = argv[++i];
        else if (!strcmp(argv[i], "--no-fork")) g_no_fork = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "-v")) g_verbose = 1;
        else {
            fprintf(stderr, "usage: %s [--dlopen LIB] [--no-fork] [--only GROUP] [-v]\n", argv[0]);
            return 2;
        }
    }
    g_cnt = mmap(NULL, sizeof *g_cnt, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_cnt == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    memset(g_cnt, 0, sizeof *g_cnt);
    write_user_file();

    int ready;
    if (dl) {
        printf("# mode: dlopen %s (calls go through InitSecurityInterfaceW/A tables)\n", dl);
        ready = fill_dlopen(dl);
    } else {
#ifdef HARNESS_LINKED
        printf("# mode: linked (calls go to the exported symbols)\n");
        fill_linked();
        ready = 1;
#else
        fprintf(stderr, "this harness binary was built for --dlopen only\n");
        unlink(g_user_path);
        return 2;
#endif
    }
    if (ready) {
        /* A NULL entry crashes the groups that use it; each group is a child. */
        api_complete();
        for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
            if (!only || !strcmp(only, groups[i].name)) run_group(groups[i].name, groups[i].fn);
    } else {
        CHECK(0, "U: %s mode set up; no group run", dl ? "dlopen" : "linked");
    }

    unlink(g_user_path);
    if (g_dl) dlclose(g_dl);
    printf("# %d PROBE differences, %d skipped\n", g_cnt->differ, g_cnt->skipped);
    printf("%d passed, %d failed\n", g_cnt->passed, g_cnt->failed);
    int rc = g_cnt->failed ? 1 : 0;
    munmap(g_cnt, sizeof *g_cnt);
    return rc;
}
