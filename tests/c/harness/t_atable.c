/* Group a_table (U, A.1-5): a whole NTLM exchange through the A table's own
 * slots (common slots included), and handles shared between the A and W
 * tables. The other groups reach common functions through the W table (dlopen
 * mode) or the exports (linked mode). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>

void t_a_table(void)
{
    PSecurityFunctionTableA ta = api.InitSecurityInterfaceA();
    PSecurityFunctionTableW tw = api.InitSecurityInterfaceW();
    if (!ta || !tw) {
        CHECK(0, "U: tables available");
        return;
    }
    PSecPkgInfoA pi = NULL;
    SECURITY_STATUS st = ta->QuerySecurityPackageInfoA((SEC_CHAR *)"NTLM", &pi);
    CHECK_ST(st, SEC_E_OK, "U: A table QuerySecurityPackageInfoA");
    if (st == SEC_E_OK) CHECK_ST(ta->FreeContextBuffer(pi), SEC_E_OK, "U: A table FreeContextBuffer");

    struct ident id;
    ident_init(&id, "testuser", "WORKGROUP", "testpass");
    CredHandle cc, sc;
    TimeStamp ts;
    st = ta->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id.a, NULL, NULL, &cc, &ts);
    ident_free(&id);
    CHECK_ST(st, SEC_E_OK, "U: A table AcquireCredentialsHandleA (client)");
    if (st != SEC_E_OK) return;
    st = ta->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc, &ts);
    CHECK_ST(st, SEC_E_OK, "U: A table AcquireCredentialsHandleA (server)");
    if (st != SEC_E_OK) {
        ta->HARNESS_A_FREECRED(&cc);
        return;
    }
    unsigned char t1[4096], t2[4096], t3[4096], t4[4096];
    SecBuffer b1 = {sizeof t1, SECBUFFER_TOKEN, t1}, b2 = {sizeof t2, SECBUFFER_TOKEN, t2}, b3 = {sizeof t3, SECBUFFER_TOKEN, t3},
              b4 = {sizeof t4, SECBUFFER_TOKEN, t4};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, &b1}, d2 = {SECBUFFER_VERSION, 1, &b2}, d3 = {SECBUFFER_VERSION, 1, &b3},
                  d4 = {SECBUFFER_VERSION, 1, &b4};
    CtxtHandle cctx, sctx;
    ULONG attr;
    int have_c = 0, have_s = 0;
    st = ta->InitializeSecurityContextA(&cc, NULL, (SEC_CHAR *)"HOST/a-table", ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0,
                                        SECURITY_NATIVE_DREP, NULL, 0, &cctx, &d1, &attr, &ts);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "U: A table InitializeSecurityContextA first leg");
    if (st != SEC_I_CONTINUE_NEEDED) goto out;
    have_c = 1;
    st = ta->AcceptSecurityContext(&sc, NULL, &d1, 0, SECURITY_NATIVE_DREP, &sctx, &d2, &attr, &ts);
    CHECK_ST(st, SEC_I_CONTINUE_NEEDED, "U: A table AcceptSecurityContext first leg");
    if (st != SEC_I_CONTINUE_NEEDED) goto out;
    have_s = 1;
    /* the second leg through the W table: one handle space for both tables */
    st = tw->InitializeSecurityContextW(NULL, &cctx, NULL, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0, SECURITY_NATIVE_DREP, &d2, 0,
                                        &cctx, &d3, &attr, &ts);
    CHECK_ST(st, SEC_E_OK, "U: a context started through the A table continues through the W table");
    if (st != SEC_E_OK) goto out;
    st = ta->AcceptSecurityContext(&sc, &sctx, &d3, 0, SECURITY_NATIVE_DREP, &sctx, &d4, &attr, &ts);
    CHECK_ST(st, SEC_E_OK, "U: A table AcceptSecurityContext final leg");
    if (st != SEC_E_OK) goto out;

    SecPkgContext_Sizes sz;
    st = ta->QueryContextAttributesA(&cctx, SECPKG_ATTR_SIZES, &sz);
    CHECK(st == SEC_E_OK && sz.cbSecurityTrailer == 16, "U: A table QueryContextAttributesA(SIZES) (%s)", sec_name(st));
    unsigned char tok[16], data[13];
    memcpy(data, "Hello, world!", 13);
    SecBuffer mb[2] = {{16, SECBUFFER_TOKEN, tok}, {13, SECBUFFER_DATA, data}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
    ULONG qop;
    SECURITY_STATUS s1 = ta->EncryptMessage(&cctx, 0, &md, 0);
    SECURITY_STATUS s2 = ta->DecryptMessage(&sctx, &md, 0, &qop);
    CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK && !memcmp(data, "Hello, world!", 13), "U: A table EncryptMessage/DecryptMessage round trip (%s/%s)",
          sec_name(s1), sec_name(s2));
    s1 = ta->MakeSignature(&sctx, 0, &md, 0);
    s2 = ta->VerifySignature(&cctx, &md, 0, &qop);
    CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK, "U: A table MakeSignature/VerifySignature round trip (%s/%s)", sec_name(s1), sec_name(s2));
    s1 = ta->ImpersonateSecurityContext(&sctx);
    s2 = s1 == SEC_E_OK ? ta->RevertSecurityContext(&sctx) : s1;
    CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK, "U/M.103: A table Impersonate/Revert (%s/%s)", sec_name(s1), sec_name(s2));
    /* Reserved3/Reserved4 are callable as Encrypt/Decrypt (legacy Seal/Unseal slots) */
    if (ta->Reserved3 && ta->Reserved4 && PTRVAL(ta->Reserved3) == PTRVAL(ta->EncryptMessage)) {
        SECURITY_STATUS (*seal)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
        SECURITY_STATUS (*unseal)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
        memcpy(&seal, &ta->Reserved3, sizeof seal);
        memcpy(&unseal, &ta->Reserved4, sizeof unseal);
        mb[0].cbBuffer = 16;
        s1 = seal(&cctx, 0, &md, 1);
        s2 = unseal(&sctx, &md, 1, &qop);
        CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK && !memcmp(data, "Hello, world!", 13), "A.4: Reserved3/Reserved4 work as EncryptMessage/DecryptMessage");
    }
out:
    if (have_c) CHECK_ST(ta->DeleteSecurityContext(&cctx), SEC_E_OK, "U: A table DeleteSecurityContext (client)");
    if (have_s) CHECK_ST(tw->DeleteSecurityContext(&sctx), SEC_E_OK, "U: W table deletes a context made through the A table");
    CHECK_ST(ta->HARNESS_A_FREECRED(&cc), SEC_E_OK, "U: A table FreeCredentialsHandle (client)");
    CHECK_ST(tw->FreeCredentialsHandle(&sc), SEC_E_OK, "U: W table frees a credential acquired through the A table");
}
