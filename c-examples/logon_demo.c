/* logon_demo: one interactive logon, then noninteractive Negotiate
 * authentication from a separate process, exactly as a Windows program would
 * do it.
 *
 *   1. LsaLogonUser(Interactive, MSV1_0_INTERACTIVE_LOGON) validates the
 *      password against the account database and creates a logon session;
 *      the LSA keeps the NT OWF, the password is forgotten.
 *   2. A server process accepts Negotiate over loopback TCP
 *      (AcceptSecurityContext).
 *   3. A client process calls AcquireCredentialsHandle(NULL, "Negotiate",
 *      OUTBOUND, NULL, NULL, ...) -- no user, no password -- and
 *      authenticates with what the logon session holds; both sides print the
 *      package Negotiate chose (SECPKG_ATTR_NEGOTIATION_INFO: NTLM); then one
 *      sealed message each way.
 *   4. Logoff: the same call now fails with SEC_E_NO_CREDENTIALS.
 *
 * Embedded defaults: a throwaway account database with DEMO\alice, the
 * in-process session store (the client process is forked from the one that
 * logged on, so it shares that store). Usage: logon_demo [--user U]
 * [--domain D] [--password P]. When a step fails, OPENSSPI_TRACE=stderr
 * shows the library's reason in words (try --password wrong). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>

#include "sspi_example.h"

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | \
             ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)

static const char *user = "alice", *domain = "DEMO", *password = "Wonderland-2026";

static void say(const char *who, const char *fmt, const char *detail) {
    printf("[%-6s pid %5d] ", who, (int)getpid());
    printf(fmt, detail);
    printf("\n");
    fflush(stdout);
}

/* Where the reason of a refusal is: the library's trace (OPENSSPI_TRACE). */
static void hint(void) {
    if (!getenv("OPENSSPI_TRACE"))
        printf("hint: run again with OPENSSPI_TRACE=stderr (or =FILE) to see why, in words\n");
}

static int fail(const char *who, const char *call, SECURITY_STATUS s) {
    printf("[%-6s pid %5d] %s failed: %s (0x%08X)\n", who, (int)getpid(), call, status_name(s),
           (uint32_t)s);
    hint();
    fflush(stdout);
    return 1;
}

/* The package Negotiate chose for an established context
 * (SECPKG_ATTR_NEGOTIATION_INFO); 0 when it is NTLM, as it must be here. */
static int negotiated_package(const char *who, CtxtHandle *ctx) {
    SecPkgContext_NegotiationInfoA ni;
    SECURITY_STATUS s = QueryContextAttributesA(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &ni);
    if (s) return fail(who, "QueryContextAttributes(NEGOTIATION_INFO)", s);
    char line[96];
    snprintf(line, sizeof line, "%s (negotiation state %s)", ni.PackageInfo->Name,
             ni.NegotiationState == SECPKG_NEGOTIATION_COMPLETE ? "complete" : "NOT complete");
    int ok = !strcmp(ni.PackageInfo->Name, "NTLM") &&
             ni.NegotiationState == SECPKG_NEGOTIATION_COMPLETE;
    FreeContextBuffer(ni.PackageInfo);
    say(who, "QueryContextAttributes(NEGOTIATION_INFO): Negotiate chose %s", line);
    return ok ? 0 : 1;
}

/* Build the contiguous MSV1_0_INTERACTIVE_LOGON submit buffer LsaLogonUser takes. */
static MSV1_0_INTERACTIVE_LOGON *interactive_logon(ULONG *size) {
    size_t d = strlen(domain), u = strlen(user), p = strlen(password);
    *size = (ULONG)(sizeof(MSV1_0_INTERACTIVE_LOGON) + 2 * (d + u + p));
    MSV1_0_INTERACTIVE_LOGON *l = calloc(1, *size);
    if (!l) return NULL;
    uint16_t *s = (uint16_t *)(l + 1);
    const char *src[3] = {domain, user, password};
    LSA_UNICODE_STRING *dst[3] = {&l->LogonDomainName, &l->UserName, &l->Password};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(src[i]);
        for (size_t k = 0; k < n; k++) s[k] = (unsigned char)src[i][k];
        dst[i]->Length = dst[i]->MaximumLength = (USHORT)(2 * n);
        dst[i]->Buffer = s;
        s += n;
    }
    l->MessageType = MsV1_0InteractiveLogon;
    return l;
}

static int interactive(LUID *luid) {
    HANDLE lsa;
    ULONG pkg, size, profile_len;
    NTSTATUS st, sub;
    LSA_STRING name = {37, 38, (char *)MSV1_0_PACKAGE_NAME};
    LSA_STRING origin = {12, 13, (char *)"logon_demo.c"};
    TOKEN_SOURCE source = {{'d', 'e', 'm', 'o', 0, 0, 0, 0}, {0, 0}};
    PVOID profile;
    HANDLE token;
    QUOTA_LIMITS quotas;

    if ((st = LsaConnectUntrusted(&lsa)) || (st = LsaLookupAuthenticationPackage(lsa, &name, &pkg))) {
        printf("LSA connection failed: 0x%08X\n", (uint32_t)st);
        return 1;
    }
    MSV1_0_INTERACTIVE_LOGON *logon = interactive_logon(&size);
    if (!logon) return 1;
    st = LsaLogonUser(lsa, &origin, Interactive, pkg, logon, size, NULL, &source, &profile,
                      &profile_len, luid, &token, &quotas, &sub);
    memset(logon, 0, size); /* the password leaves our memory */
    free(logon);
    if (st) {
        printf("LsaLogonUser failed: 0x%08X (substatus 0x%08X)\n", (uint32_t)st, (uint32_t)sub);
        hint();
        LsaDeregisterLogonProcess(lsa);
        return 1;
    }
    char line[160];
    snprintf(line, sizeof line, "%s\\%s -> logon session %08X:%08X", domain, user,
             (uint32_t)luid->HighPart, luid->LowPart);
    say("logon", "LsaLogonUser(Interactive, MSV1_0): %s", line);
    PSECURITY_LOGON_SESSION_DATA data;
    if (LsaGetLogonSessionData(luid, &data) == 0) {
        snprintf(line, sizeof line, "user name %u bytes, logon type %u, package %u bytes",
                 data->UserName.Length, data->LogonType, data->AuthenticationPackage.Length);
        say("logon", "LsaGetLogonSessionData: %s", line);
        LsaFreeReturnBuffer(data);
    }
    say("logon", "%s", "the password is no longer needed: the session keeps the NT OWF only");
    LsaFreeReturnBuffer(profile);
    SspiCloseHandle(token);
    LsaDeregisterLogonProcess(lsa);
    return 0;
}

static int server(int lfd) {
    CredHandle cred;
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS s;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return 1;
    s = AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)u"Negotiate", SECPKG_CRED_INBOUND, NULL, NULL,
                                  NULL, NULL, &cred, NULL);
    if (s) return fail("server", "AcquireCredentialsHandle(INBOUND)", s);
    int have_ctx = 0, rc = 1;
    uint8_t out[4096];
    do {
        uint32_t n;
        uint8_t *in = recv_msg(fd, &n, 65536);
        if (!in) break;
        SecBuffer ib = {n, SECBUFFER_TOKEN, in}, ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        s = AcceptSecurityContext(&cred, have_ctx ? &ctx : NULL, &id, 0, SECURITY_NATIVE_DREP, &ctx,
                                  &od, &attrs, NULL);
        free(in);
        have_ctx = 1;
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) {
            fail("server", "AcceptSecurityContext", s);
            goto out;
        }
        if (ob.cbBuffer && send_msg(fd, out, ob.cbBuffer)) goto out;
    } while (s == SEC_I_CONTINUE_NEEDED);
    if (s != SEC_E_OK) goto out;
    SecPkgContext_NamesA names;
    if ((s = QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names))) {
        fail("server", "QueryContextAttributes(NAMES)", s);
        goto out;
    }
    say("server", "AcceptSecurityContext -> SEC_E_OK: client authenticated as %s", names.sUserName);
    FreeContextBuffer(names.sUserName);
    if (negotiated_package("server", &ctx)) goto out;
    /* one sealed message in: [TOKEN(16), DATA] */
    uint32_t n;
    uint8_t *msg = recv_msg(fd, &n, 65536);
    if (!msg || n < 16) goto out;
    SecBuffer mb[2] = {{16, SECBUFFER_TOKEN, msg}, {n - 16, SECBUFFER_DATA, msg + 16}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
    ULONG qop;
    if ((s = DecryptMessage(&ctx, &md, 0, &qop))) {
        free(msg);
        fail("server", "DecryptMessage", s);
        goto out;
    }
    char text[256];
    snprintf(text, sizeof text, "%.*s", (int)mb[1].cbBuffer, (char *)mb[1].pvBuffer);
    free(msg);
    say("server", "DecryptMessage -> \"%s\"", text);
    char reply[300];
    snprintf(reply, sizeof reply, "hello %s, the server read: %s", user, text);
    uint8_t sealed[16 + sizeof reply];
    size_t len = strlen(reply);
    memcpy(sealed + 16, reply, len);
    SecBuffer rb[2] = {{16, SECBUFFER_TOKEN, sealed}, {(ULONG)len, SECBUFFER_DATA, sealed + 16}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, rb};
    if ((s = EncryptMessage(&ctx, 0, &rd, 0))) {
        fail("server", "EncryptMessage", s);
        goto out;
    }
    rc = send_msg(fd, sealed, (uint32_t)(16 + len)) ? 1 : 0;
out:
    if (have_ctx) DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    close(fd);
    return rc;
}

/* The noninteractive client: no identity is passed anywhere. */
static int client(int port) {
    CredHandle cred;
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS s;
    s = AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)u"Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL,
                                  NULL, NULL, &cred, NULL);
    if (s) return fail("client", "AcquireCredentialsHandle(NULL identity)", s);
    SecPkgCredentials_NamesA cn;
    if (QueryCredentialsAttributesA(&cred, SECPKG_CRED_ATTR_NAMES, &cn) == SEC_E_OK) {
        say("client", "AcquireCredentialsHandle(NULL, \"Negotiate\", OUTBOUND, NULL, NULL) -> SEC_E_OK, "
                      "credentials of the logon session: %s", cn.sUserName);
        FreeContextBuffer(cn.sUserName);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = 1, have_ctx = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) goto out;
    uint8_t *in = NULL;
    uint32_t n = 0;
    int legs = 0;
    do {
        uint8_t out[4096];
        SecBuffer ib = {n, SECBUFFER_TOKEN, in}, ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        s = InitializeSecurityContextW(&cred, have_ctx ? &ctx : NULL, (SEC_WCHAR *)u"host/localhost",
                                       REQ, 0, SECURITY_NATIVE_DREP, in ? &id : NULL, 0, &ctx, &od,
                                       &attrs, NULL);
        free(in);
        in = NULL;
        have_ctx = 1;
        legs++;
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) {
            fail("client", "InitializeSecurityContext", s);
            goto out;
        }
        if (ob.cbBuffer && send_msg(fd, out, ob.cbBuffer)) goto out;
        if (s == SEC_I_CONTINUE_NEEDED && !(in = recv_msg(fd, &n, 65536))) goto out;
    } while (s == SEC_I_CONTINUE_NEEDED);
    char line[64];
    snprintf(line, sizeof line, "%d legs, attributes 0x%08X", legs, attrs);
    say("client", "InitializeSecurityContext -> SEC_E_OK (%s)", line);
    if (negotiated_package("client", &ctx)) goto out;
    const char *text = "ping from a process that never saw a password";
    size_t len = strlen(text);
    uint8_t sealed[256];
    memcpy(sealed + 16, text, len);
    SecBuffer mb[2] = {{16, SECBUFFER_TOKEN, sealed}, {(ULONG)len, SECBUFFER_DATA, sealed + 16}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
    if ((s = EncryptMessage(&ctx, 0, &md, 0))) {
        fail("client", "EncryptMessage", s);
        goto out;
    }
    say("client", "EncryptMessage -> sent \"%s\" sealed", text);
    if (send_msg(fd, sealed, (uint32_t)(16 + len))) goto out;
    uint8_t *reply = recv_msg(fd, &n, 65536);
    if (!reply || n < 16) goto out;
    SecBuffer rb[2] = {{16, SECBUFFER_TOKEN, reply}, {n - 16, SECBUFFER_DATA, reply + 16}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, rb};
    ULONG qop;
    if ((s = DecryptMessage(&ctx, &rd, 0, &qop))) {
        free(reply);
        fail("client", "DecryptMessage", s);
        goto out;
    }
    char textr[300];
    snprintf(textr, sizeof textr, "%.*s", (int)rb[1].cbBuffer, (char *)rb[1].pvBuffer);
    free(reply);
    say("client", "DecryptMessage -> \"%s\"", textr);
    rc = 0;
out:
    if (have_ctx) DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    if (fd >= 0) close(fd);
    return rc;
}

static SECURITY_STATUS try_default_credentials(void) {
    CredHandle cred;
    SECURITY_STATUS s = AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)u"Negotiate",
                                                  SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                                  &cred, NULL);
    if (s == SEC_E_OK) FreeCredentialsHandle(&cred);
    return s;
}

static int wait_child(pid_t pid) {
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--user")) user = argv[i + 1];
        else if (!strcmp(argv[i], "--domain")) domain = argv[i + 1];
        else if (!strcmp(argv[i], "--password")) password = argv[i + 1];
    }
    char db[] = "/tmp/opensspi-demo-users-XXXXXX";
    if (!getenv("NTLM_USER_FILE")) { /* embedded default: a throwaway account database */
        int f = mkstemp(db);
        if (f < 0) return 1;
        dprintf(f, "DEMO:alice:Wonderland-2026\n");
        close(f);
        setenv("NTLM_USER_FILE", db, 1);
        printf("account database: %s (DEMO\\alice)\n", db);
    }
    SECURITY_STATUS s = try_default_credentials();
    printf("\n== before any logon: AcquireCredentialsHandle(NULL identity) -> %s\n", status_name(s));
    printf("\n== 1. interactive logon (the only time a password is typed)\n");
    LUID luid;
    if (interactive(&luid)) return 1;

    printf("\n== 2. a server and a separate client process authenticate over 127.0.0.1\n");
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 1) ||
        getsockname(lfd, (struct sockaddr *)&a, &al))
        return 1;
    fflush(stdout);
    pid_t srv = fork();
    if (srv == 0) _exit(server(lfd));
    pid_t cli = fork();
    if (cli == 0) _exit(client(ntohs(a.sin_port)));
    int rc_cli = wait_child(cli);
    if (rc_cli) kill(srv, SIGTERM); /* the server would wait for a client forever */
    int rc_srv = wait_child(srv);
    close(lfd);

    printf("\n== 3. logoff\n");
    NTSTATUS st = SspiLogoffSession(&luid);
    s = try_default_credentials();
    printf("SspiLogoffSession -> 0x%08X; AcquireCredentialsHandle(NULL identity) -> %s\n",
           (uint32_t)st, status_name(s));
    if (db[sizeof db - 2] != 'X') unlink(db);
    int ok = rc_cli == 0 && rc_srv == 0 && st == 0 && s == SEC_E_NO_CREDENTIALS;
    printf("\n%s\n", ok ? "demo OK: one logon, then noninteractive Negotiate (NTLM) from another process"
                        : "demo FAILED");
    if (!ok) hint();
    return ok ? 0 : 1;
}
