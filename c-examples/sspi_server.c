/* sspi_server: a Windows-SSPI-style server. Listens on 127.0.0.1:PORT (0 = any free port; the
 * chosen port is printed), accepts one client, authenticates it with AcceptSecurityContext over
 * length-prefixed tokens, then receives one sealed message and answers with a sealed reply.
 *   sspi_server [--port N] [--package NTLM]
 * Accounts come from the library's account database (NTLM_USER_FILE). Exit 0 on success. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sspi_example.h"

static int listen_loopback(int port) {
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("listen");
        return -1;
    }
    printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

/* AcceptSecurityContext loop; returns 0 when the client is authenticated */
static int authenticate(int fd, CredHandle *cred, CtxtHandle *ctx, int *have_ctx, ULONG max_token) {
    uint8_t *out = malloc(max_token);
    int rc = -1;
    for (int leg = 1;; leg++) {
        uint32_t n = 0;
        uint8_t *in = recv_msg(fd, &n, max_token);
        SecBuffer ib = {n, SECBUFFER_TOKEN, in}, ob = {max_token, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attr;
        TimeStamp expiry;
        if (!in) {
            printf("client closed the connection\n");
            break;
        }
        printf("received token %d (%u bytes)\n", leg, n);
        SECURITY_STATUS s = AcceptSecurityContext(cred, *have_ctx ? ctx : NULL, &id,
                                                  ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_CONNECTION,
                                                  SECURITY_NATIVE_DREP, ctx, &od, &attr, &expiry);
        free(in);
        print_status("AcceptSecurityContext", s);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) break;
        *have_ctx = 1;
        if (ob.cbBuffer) {
            printf("sending token (%u bytes)\n", ob.cbBuffer);
            if (send_msg(fd, out, ob.cbBuffer)) break;
        }
        if (s == SEC_E_OK) {
            rc = 0;
            break;
        }
    }
    free(out);
    return rc;
}

/* receive [trailer][data] as two messages, decrypt, answer with a sealed reply */
static int exchange(int fd, CtxtHandle *ctx) {
    SecPkgContext_Sizes sz;
    uint32_t tn = 0, dn = 0;
    uint8_t *tok = NULL, *data = NULL, *rtok = NULL;
    char *reply = NULL;
    ULONG qop = 0;
    int rc = -1;
    SECURITY_STATUS s = QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, &sz);
    print_status("QueryContextAttributesW(SECPKG_ATTR_SIZES)", s);
    if (s != SEC_E_OK || !(tok = recv_msg(fd, &tn, 1 << 16)) || !(data = recv_msg(fd, &dn, 1 << 16))) goto out;
    SecBuffer b[2] = {{tn, SECBUFFER_TOKEN, tok}, {dn, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    s = DecryptMessage(ctx, &d, 0, &qop);
    print_status("DecryptMessage", s);
    if (s != SEC_E_OK) goto out;
    printf("received: %.*s\n", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
    size_t n = strlen("reply from server: ") + b[1].cbBuffer;
    reply = malloc(n + 1);
    snprintf(reply, n + 1, "reply from server: %.*s", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
    rtok = malloc(sz.cbSecurityTrailer);
    SecBuffer r[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, rtok}, {(ULONG)n, SECBUFFER_DATA, reply}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
    s = EncryptMessage(ctx, 0, &rd, 0);
    print_status("EncryptMessage", s);
    if (s != SEC_E_OK || send_msg(fd, rtok, r[0].cbBuffer) || send_msg(fd, reply, r[1].cbBuffer)) goto out;
    printf("sent sealed reply (%u + %u bytes)\n", r[0].cbBuffer, r[1].cbBuffer);
    rc = 0;
out:
    free(tok), free(data), free(rtok), free(reply);
    return rc;
}

int main(int argc, char **argv) {
    const char *package = "NTLM";
    int port = 0, lfd, fd = -1, have_ctx = 0, ok = 0;
    CredHandle cred;
    CtxtHandle ctx;
    SecPkgInfoW *info;
    TimeStamp expiry;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--package")) package = argv[i + 1];
    }
    SEC_WCHAR *wpkg = to_wide(package, NULL);
    SECURITY_STATUS s = QuerySecurityPackageInfoW(wpkg, &info);
    print_status("QuerySecurityPackageInfoW", s);
    if (s != SEC_E_OK) return free(wpkg), 1;
    ULONG max_token = info->cbMaxToken;
    FreeContextBuffer(info);
    s = AcquireCredentialsHandleW(NULL, wpkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &cred, &expiry);
    free(wpkg);
    print_status("AcquireCredentialsHandleW(INBOUND)", s);
    if (s != SEC_E_OK || (lfd = listen_loopback(port)) < 0) return 1;
    fd = accept(lfd, NULL, NULL);
    close(lfd);
    if (fd >= 0 && !authenticate(fd, &cred, &ctx, &have_ctx, max_token)) {
        SecPkgContext_NamesW names;
        s = QueryContextAttributesW(&ctx, SECPKG_ATTR_NAMES, &names);
        print_status("QueryContextAttributesW(SECPKG_ATTR_NAMES)", s);
        if (s == SEC_E_OK) {
            printf("authenticated: ");
            for (SEC_WCHAR *w = names.sUserName; *w; w++) putchar(*w < 128 ? (char)*w : '?');
            printf("\n");
            FreeContextBuffer(names.sUserName);
            ok = !exchange(fd, &ctx);
        }
    }
    if (fd >= 0) close(fd);
    if (have_ctx) DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    printf("%s\n", ok ? "server: success" : "server: FAILED");
    return ok ? 0 : 1;
}
