/* sspi_client: a Windows-SSPI-style client. Connects to 127.0.0.1:PORT, authenticates with
 * InitializeSecurityContextW over length-prefixed tokens, sends one sealed message and checks
 * the sealed reply.
 *   sspi_client --port N --user DOMAIN\user --password PW [--package NTLM] [--target host/localhost]
 * Exit 0 when the server's reply decrypts to "reply from server: <our message>". */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sspi_example.h"

#define MESSAGE "hello from the SSPI client"

static int connect_loopback(int port) {
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        if (fd >= 0) close(fd);
        return -1;
    }
    printf("connected to 127.0.0.1:%d\n", port);
    return fd;
}

static int acquire(const char *package, const char *user_arg, const char *password, CredHandle *cred) {
    SEC_WINNT_AUTH_IDENTITY_W id = {0};
    const char *bs = strchr(user_arg, '\\');
    char *domain = bs ? strndup(user_arg, (size_t)(bs - user_arg)) : strdup("");
    TimeStamp expiry;
    id.User = to_wide(bs ? bs + 1 : user_arg, &id.UserLength);
    id.Domain = to_wide(domain, &id.DomainLength);
    id.Password = to_wide(password, &id.PasswordLength);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    SEC_WCHAR *wpkg = to_wide(package, NULL);
    SECURITY_STATUS s =
        AcquireCredentialsHandleW(NULL, wpkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, cred, &expiry);
    print_status("AcquireCredentialsHandleW(OUTBOUND)", s);
    free(wpkg), free(domain), free(id.User), free(id.Domain), free(id.Password);
    return s == SEC_E_OK ? 0 : -1;
}

/* InitializeSecurityContextW loop; returns 0 when the context is complete */
static int authenticate(int fd, CredHandle *cred, const char *target, CtxtHandle *ctx, int *have_ctx,
                        ULONG max_token) {
    uint8_t *out = malloc(max_token), *in = NULL;
    uint32_t in_n = 0;
    SEC_WCHAR *wtarget = to_wide(target, NULL);
    int rc = -1;
    for (int leg = 1;; leg++) {
        SecBuffer ib = {in_n, SECBUFFER_TOKEN, in}, ob = {max_token, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attr;
        TimeStamp expiry;
        SECURITY_STATUS s = InitializeSecurityContextW(
            cred, *have_ctx ? ctx : NULL, wtarget, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_CONNECTION,
            0, SECURITY_NATIVE_DREP, in ? &id : NULL, 0, ctx, &od, &attr, &expiry);
        free(in), in = NULL;
        printf("leg %d: ", leg);
        print_status("InitializeSecurityContextW", s);
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
        if (!(in = recv_msg(fd, &in_n, max_token))) {
            printf("server closed the connection\n");
            break;
        }
        printf("received token (%u bytes)\n", in_n);
    }
    free(out), free(wtarget);
    return rc;
}

/* seal MESSAGE, send [trailer][data], receive and unseal the reply */
static int exchange(int fd, CtxtHandle *ctx) {
    SecPkgContext_Sizes sz;
    char msg[] = MESSAGE;
    uint8_t *tok = NULL, *rtok = NULL, *rdata = NULL;
    uint32_t tn = 0, dn = 0;
    ULONG qop = 0;
    int rc = -1;
    SECURITY_STATUS s = QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, &sz);
    print_status("QueryContextAttributesW(SECPKG_ATTR_SIZES)", s);
    if (s != SEC_E_OK) return -1;
    tok = malloc(sz.cbSecurityTrailer);
    SecBuffer b[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok}, {sizeof msg - 1, SECBUFFER_DATA, msg}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    s = EncryptMessage(ctx, 0, &d, 0);
    print_status("EncryptMessage", s);
    if (s != SEC_E_OK || send_msg(fd, tok, b[0].cbBuffer) || send_msg(fd, msg, b[1].cbBuffer)) goto out;
    printf("sent sealed message (%u + %u bytes)\n", b[0].cbBuffer, b[1].cbBuffer);
    if (!(rtok = recv_msg(fd, &tn, 1 << 16)) || !(rdata = recv_msg(fd, &dn, 1 << 16))) goto out;
    SecBuffer r[2] = {{tn, SECBUFFER_TOKEN, rtok}, {dn, SECBUFFER_DATA, rdata}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
    s = DecryptMessage(ctx, &rd, 0, &qop);
    print_status("DecryptMessage", s);
    if (s != SEC_E_OK) goto out;
    printf("received: %.*s\n", (int)r[1].cbBuffer, (char *)r[1].pvBuffer);
    const char *expect = "reply from server: " MESSAGE;
    rc = r[1].cbBuffer == strlen(expect) && !memcmp(r[1].pvBuffer, expect, strlen(expect)) ? 0 : -1;
out:
    free(tok), free(rtok), free(rdata);
    return rc;
}

int main(int argc, char **argv) {
    const char *package = "NTLM", *user = NULL, *password = "", *target = "host/localhost";
    int port = 0, fd, have_ctx = 0, ok = 0;
    CredHandle cred;
    CtxtHandle ctx;
    SecPkgInfoW *info;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--package")) package = argv[i + 1];
        else if (!strcmp(argv[i], "--user")) user = argv[i + 1];
        else if (!strcmp(argv[i], "--password")) password = argv[i + 1];
        else if (!strcmp(argv[i], "--target")) target = argv[i + 1];
    }
    if (!port || !user) {
        fprintf(stderr, "usage: sspi_client --port N --user DOMAIN\\user --password PW [--package P]\n");
        return 2;
    }
    SEC_WCHAR *wpkg = to_wide(package, NULL);
    SECURITY_STATUS s = QuerySecurityPackageInfoW(wpkg, &info);
    free(wpkg);
    print_status("QuerySecurityPackageInfoW", s);
    if (s != SEC_E_OK) return 1;
    ULONG max_token = info->cbMaxToken;
    FreeContextBuffer(info);
    if (acquire(package, user, password, &cred)) return 1;
    if ((fd = connect_loopback(port)) >= 0) {
        ok = !authenticate(fd, &cred, target, &ctx, &have_ctx, max_token) && !exchange(fd, &ctx);
        close(fd);
    }
    if (have_ctx) DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    printf("%s\n", ok ? "client: success" : "client: FAILED");
    return ok ? 0 : 1;
}
