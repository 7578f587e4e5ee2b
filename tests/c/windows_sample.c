/* Windows-style SSPI code using the generic (UNICODE-mapped) names, SEC_ENTRY, SecInvalidateHandle,
 * SEC_SUCCESS and the P* typedefs: it must compile unchanged against <security.h> as C and C++,
 * with and without UNICODE (tests/header_compat.rs). */
#include <security.h>
#include <stdlib.h>
#include <string.h>

#ifdef UNICODE
#define PKG ((SEC_WCHAR *)u"NTLM")
#define SPN ((SEC_WCHAR *)u"host/localhost")
#else
#define PKG ((SEC_CHAR *)"NTLM")
#define SPN ((SEC_CHAR *)"host/localhost")
#endif

static SECURITY_STATUS SEC_ENTRY first_leg(void) {
    CredHandle cred;
    CtxtHandle ctx;
    TimeStamp expiry;
    SecBuffer out_buf;
    SecBufferDesc out_desc;
    ULONG attrs = 0;
    PSecPkgInfo pkg = NULL;
    SEC_WINNT_AUTH_IDENTITY id;
    memset(&id, 0, sizeof id);
    SecInvalidateHandle(&cred);
    SecInvalidateHandle(&ctx);
    SECURITY_STATUS s = QuerySecurityPackageInfo(PKG, &pkg);
    if (!SEC_SUCCESS(s)) return s;
    s = AcquireCredentialsHandle(NULL, pkg->Name, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                 &cred, &expiry);
    if (s == SEC_E_NO_CREDENTIALS) s = SEC_E_OK; /* nobody logged on: fine for a compile check */
    out_buf.BufferType = SECBUFFER_TOKEN;
    out_buf.cbBuffer = pkg->cbMaxToken;
    out_buf.pvBuffer = malloc(out_buf.cbBuffer);
    out_desc.ulVersion = SECBUFFER_VERSION;
    out_desc.cBuffers = 1;
    out_desc.pBuffers = &out_buf;
    if (SecIsValidHandle(&cred)) {
        s = InitializeSecurityContext(&cred, NULL, SPN, ISC_REQ_CONFIDENTIALITY | ISC_REQ_CONNECTION,
                                      0, SECURITY_NATIVE_DREP, NULL, 0, &ctx, &out_desc, &attrs,
                                      &expiry);
        SecPkgContext_Sizes sizes;
        QueryContextAttributes(&ctx, SECPKG_ATTR_SIZES, &sizes);
        DeleteSecurityContext(&ctx);
        FreeCredentialsHandle(&cred);
    }
    PSecurityFunctionTable table = InitSecurityInterface();
    if (!table || table->dwVersion != SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION) s = SEC_E_INTERNAL_ERROR;
    free(out_buf.pvBuffer);
    FreeContextBuffer(pkg);
    return s == SEC_I_CONTINUE_NEEDED ? SEC_E_OK : s;
}

int main(void) { return first_leg() == SEC_E_OK ? 0 : 1; }
