/* kerberos_demo: after one interactive logon (`sspilogon --package Kerberos`, the only time a
 * password is typed: the LSA's Kerberos logon, an AS exchange), a
 * client process that holds no password authenticates with Kerberos to a server process that
 * holds a keytab, both through the SSPI, exactly as a Windows program would do it.
 *
 *   1. (scripts/demo.sh kerberos) a throwaway KDC, `sspilogon --package Kerberos alice`: the TGT
 *      and alice's keys stay in the LSA service opensspi-lsad (no credential cache is written);
 *      the server's keys are in the keytab KRB5_KTNAME.
 *   2. The server process: AcquireCredentialsHandle(NULL, "Kerberos", INBOUND) (the keytab),
 *      AcceptSecurityContext over loopback TCP, and the client's name from
 *      QueryContextAttributes(SECPKG_ATTR_NAMES) -- what the ticket says, decrypted with the
 *      service key, never a name the client sent.
 *   3. The client process: AcquireCredentialsHandle(NULL, "Kerberos", OUTBOUND, NULL, NULL) --
 *      no user, no password -- and InitializeSecurityContext to host/localhost with mutual
 *      authentication (AP-REQ, AP-REP).
 *   4. One sealed message each way (EncryptMessage / DecryptMessage, [TOKEN, DATA] sized by
 *      SECPKG_ATTR_SIZES).
 *
 * Usage: kerberos_demo [--target SPN] [--expect NAME]   (defaults host/localhost and
 * alice@EXAMPLE.TEST). Exit 0 and "demo OK" when every step worked and the server saw NAME.
 * When a step fails, OPENSSPI_TRACE=stderr shows the library's reason in words. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>

#include "sspi_example.h"

#define ISC_FLAGS (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | \
                   ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT)
#define ASC_FLAGS (ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | \
                   ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT)
#define MAX_MSG 65536

static const char *target = "host/localhost", *expect = "alice@EXAMPLE.TEST";

static void say(const char *who, const char *fmt, const char *detail) {
    printf("[%-6s pid %5d] ", who, (int)getpid());
    printf(fmt, detail);
    printf("\n");
    fflush(stdout);
}

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

/* Seals `text` and sends it as two messages: the TOKEN part (as long as EncryptMessage left
 * it), then the DATA part. */
static int send_sealed(const char *who, int fd, CtxtHandle *ctx, const char *text) {
    SecPkgContext_Sizes sz;
    SECURITY_STATUS s = QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, &sz);
    if (s) return fail(who, "QueryContextAttributes(SIZES)", s);
    size_t len = strlen(text);
    uint8_t *tok = malloc(sz.cbSecurityTrailer), *data = malloc(len ? len : 1);
    if (!tok || !data) return 1;
    memcpy(data, text, len);
    SecBuffer b[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok},
                      {(ULONG)len, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    int rc = 1;
    if ((s = EncryptMessage(ctx, 0, &d, 0))) {
        fail(who, "EncryptMessage", s);
    } else if (!send_msg(fd, tok, b[0].cbBuffer) && !send_msg(fd, data, b[1].cbBuffer)) {
        say(who, "EncryptMessage -> sent \"%s\" sealed", text);
        rc = 0;
    }
    free(tok);
    free(data);
    return rc;
}

/* Receives the two parts send_sealed sent and unseals them into `text`. */
static int recv_sealed(const char *who, int fd, CtxtHandle *ctx, char *text, size_t cap) {
    uint32_t tn, dn;
    uint8_t *tok = recv_msg(fd, &tn, MAX_MSG), *data = tok ? recv_msg(fd, &dn, MAX_MSG) : NULL;
    int rc = 1;
    if (data) {
        SecBuffer b[2] = {{tn, SECBUFFER_TOKEN, tok}, {dn, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        ULONG qop = 0;
        SECURITY_STATUS s = DecryptMessage(ctx, &d, 0, &qop);
        if (s) {
            fail(who, "DecryptMessage", s);
        } else {
            snprintf(text, cap, "%.*s", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
            say(who, "DecryptMessage -> \"%s\"", text);
            rc = 0;
        }
    }
    free(tok);
    free(data);
    return rc;
}

static int server(int lfd) {
    CredHandle cred;
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS s;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return 1;
    s = AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)u"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL,
                                  NULL, NULL, &cred, NULL);
    if (s) return fail("server", "AcquireCredentialsHandle(\"Kerberos\", INBOUND)", s);
    say("server", "AcquireCredentialsHandle(NULL, \"Kerberos\", INBOUND) -> SEC_E_OK, keys from "
                  "the keytab %s", getenv("KRB5_KTNAME") ? getenv("KRB5_KTNAME") : "(default)");
    int have_ctx = 0, rc = 1;
    uint8_t *out = malloc(MAX_MSG);
    if (!out) goto out;
    do {
        uint32_t n;
        uint8_t *in = recv_msg(fd, &n, MAX_MSG);
        if (!in) goto out;
        SecBuffer ib = {n, SECBUFFER_TOKEN, in}, ob = {MAX_MSG, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        s = AcceptSecurityContext(&cred, have_ctx ? &ctx : NULL, &id, ASC_FLAGS,
                                  SECURITY_NATIVE_DREP, &ctx, &od, &attrs, NULL);
        free(in);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) {
            fail("server", "AcceptSecurityContext", s);
            goto out;
        }
        have_ctx = 1;
        if (ob.cbBuffer && send_msg(fd, out, ob.cbBuffer)) goto out;
    } while (s == SEC_I_CONTINUE_NEEDED);
    SecPkgContext_NamesA names;
    if ((s = QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names))) {
        fail("server", "QueryContextAttributes(NAMES)", s);
        goto out;
    }
    int name_ok = !strcmp(names.sUserName, expect);
    say("server", "AcceptSecurityContext -> SEC_E_OK: the ticket names the client %s",
        names.sUserName);
    if (!name_ok) say("server", "expected %s: FAILED", expect);
    char text[256], reply[320];
    if (!name_ok || recv_sealed("server", fd, &ctx, text, sizeof text)) {
        FreeContextBuffer(names.sUserName);
        goto out;
    }
    snprintf(reply, sizeof reply, "hello %s, the server read: %s", names.sUserName, text);
    FreeContextBuffer(names.sUserName);
    rc = send_sealed("server", fd, &ctx, reply);
out:
    free(out);
    if (have_ctx) DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    close(fd);
    return rc;
}

/* The client: no identity is passed anywhere; the logon session in the LSA holds the TGT (or,
 * with no Kerberos logon session, MIT's credential cache would). */
static int client(int port) {
    CredHandle cred;
    CtxtHandle ctx;
    ULONG attrs = 0;
    SECURITY_STATUS s;
    s = AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)u"Kerberos", SECPKG_CRED_OUTBOUND, NULL,
                                  NULL, NULL, NULL, &cred, NULL);
    if (s) return fail("client", "AcquireCredentialsHandle(\"Kerberos\", NULL identity)", s);
    SecPkgCredentials_NamesA cn;
    if (QueryCredentialsAttributesA(&cred, SECPKG_CRED_ATTR_NAMES, &cn) == SEC_E_OK) {
        say("client", "AcquireCredentialsHandle(NULL, \"Kerberos\", OUTBOUND, NULL, NULL) -> "
                      "SEC_E_OK, the logon session's principal: %s", cn.sUserName);
        FreeContextBuffer(cn.sUserName);
    }
    SEC_WCHAR *wtarget = to_wide(target, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = 1, have_ctx = 0, legs = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t *in = NULL, *out = malloc(MAX_MSG);
    uint32_t n = 0;
    if (!wtarget || !out || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) goto out;
    do {
        SecBuffer ib = {n, SECBUFFER_TOKEN, in}, ob = {MAX_MSG, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        s = InitializeSecurityContextW(&cred, have_ctx ? &ctx : NULL, wtarget, ISC_FLAGS, 0,
                                       SECURITY_NATIVE_DREP, in ? &id : NULL, 0, &ctx, &od,
                                       &attrs, NULL);
        free(in);
        in = NULL;
        legs++;
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) {
            fail("client", "InitializeSecurityContext", s);
            goto out;
        }
        have_ctx = 1;
        if (ob.cbBuffer && send_msg(fd, out, ob.cbBuffer)) goto out;
        if (s == SEC_I_CONTINUE_NEEDED && !(in = recv_msg(fd, &n, MAX_MSG))) goto out;
    } while (s == SEC_I_CONTINUE_NEEDED);
    char line[160];
    snprintf(line, sizeof line, "%s, %d legs, attributes 0x%08X%s", target, legs, attrs,
             attrs & ISC_RET_MUTUAL_AUTH ? " (MUTUAL_AUTH: the server proved its key)" : "");
    say("client", "InitializeSecurityContext -> SEC_E_OK (%s)", line);
    if (!(attrs & ISC_RET_MUTUAL_AUTH)) {
        say("client", "%s", "no mutual authentication: FAILED");
        goto out;
    }
    char reply[400];
    if (send_sealed("client", fd, &ctx, "ping from a process that never saw a password") ||
        recv_sealed("client", fd, &ctx, reply, sizeof reply))
        goto out;
    rc = 0;
out:
    free(in);
    free(out);
    free(wtarget);
    if (have_ctx) DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    if (fd >= 0) close(fd);
    return rc;
}

static int wait_child(pid_t pid) {
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--target")) target = argv[i + 1];
        else if (!strcmp(argv[i], "--expect")) expect = argv[i + 1];
    }
    printf("\n== a server (keytab) and a separate client process (no password) authenticate with "
           "Kerberos over 127.0.0.1\n");
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
    int ok = rc_cli == 0 && rc_srv == 0;
    printf("\n%s\n", ok ? "demo OK: one Kerberos logon, then Kerberos with mutual authentication from a "
                          "process without a password to a keytab server, a sealed message each way"
                        : "demo FAILED");
    if (!ok) hint();
    return ok ? 0 : 1;
}
