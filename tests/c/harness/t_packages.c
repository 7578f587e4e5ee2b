/* Groups: layout (header ABI), tables (A 1-5), packages (B 6-8, C 9-17). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- layout */

#define LAYOUT_SIZE(T, n) CHECK(sizeof(T) == (n), "A.5/CONSTANTS 10: sizeof(" #T ") == %d (got %zu)", (int)(n), sizeof(T))
#define LAYOUT_OFF(T, f, n) CHECK(offsetof(T, f) == (n), "A.5/CONSTANTS 10: offsetof(" #T ", " #f ") == %d (got %zu)", (int)(n), offsetof(T, f))
#define CONST_EQ(c, v) CHECK((uint32_t)(c) == (uint32_t)(v), "CONSTANTS: " #c " == 0x%08x (got 0x%08x)", (unsigned)(v), (unsigned)(c))

void t_layout(void)
{
    LAYOUT_SIZE(SECURITY_STATUS, 4);
    LAYOUT_SIZE(ULONG, 4);
    LAYOUT_SIZE(SEC_WCHAR, 2);
    LAYOUT_SIZE(ULONG_PTR, sizeof(void *));
    LAYOUT_SIZE(TimeStamp, 8);
    LAYOUT_SIZE(SecHandle, 16);
    LAYOUT_SIZE(CredHandle, 16);
    LAYOUT_SIZE(CtxtHandle, 16);
    LAYOUT_SIZE(SecBuffer, 16);
    LAYOUT_OFF(SecBuffer, BufferType, 4);
    LAYOUT_OFF(SecBuffer, pvBuffer, 8);
    LAYOUT_SIZE(SecBufferDesc, 16);
    LAYOUT_OFF(SecBufferDesc, cBuffers, 4);
    LAYOUT_OFF(SecBufferDesc, pBuffers, 8);
    LAYOUT_SIZE(SecPkgInfoW, 32);
    LAYOUT_OFF(SecPkgInfoW, wVersion, 4);
    LAYOUT_OFF(SecPkgInfoW, wRPCID, 6);
    LAYOUT_OFF(SecPkgInfoW, cbMaxToken, 8);
    LAYOUT_OFF(SecPkgInfoW, Name, 16);
    LAYOUT_OFF(SecPkgInfoW, Comment, 24);
    LAYOUT_SIZE(SecPkgInfoA, 32);
    LAYOUT_OFF(SecPkgInfoA, Comment, 24);
    LAYOUT_SIZE(SEC_WINNT_AUTH_IDENTITY_W, 48);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_W, UserLength, 8);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_W, Domain, 16);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_W, Password, 32);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_W, Flags, 44);
    LAYOUT_SIZE(SEC_WINNT_AUTH_IDENTITY_A, 48);
    LAYOUT_SIZE(SEC_WINNT_AUTH_IDENTITY_EXW, 72);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, User, 8);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, Flags, 52);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, PackageList, 56);
    LAYOUT_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, PackageListLength, 64);
    LAYOUT_SIZE(SEC_WINNT_AUTH_IDENTITY_EXA, 72);
    LAYOUT_SIZE(SecPkgContext_Sizes, 16);
    LAYOUT_OFF(SecPkgContext_Sizes, cbSecurityTrailer, 12);
    LAYOUT_SIZE(SecPkgContext_NegotiationInfoW, 16);
    LAYOUT_OFF(SecPkgContext_NegotiationInfoW, NegotiationState, 8);
    LAYOUT_SIZE(SecPkgContext_NegotiationInfoA, 16);
    LAYOUT_SIZE(SecPkgContext_KeyInfoW, 32);
    LAYOUT_OFF(SecPkgContext_KeyInfoW, KeySize, 16);
    LAYOUT_OFF(SecPkgContext_KeyInfoW, SignatureAlgorithm, 20);
    LAYOUT_OFF(SecPkgContext_KeyInfoW, EncryptAlgorithm, 24);
    LAYOUT_SIZE(SecPkgContext_KeyInfoA, 32);
    LAYOUT_SIZE(SecPkgContext_SessionKey, 16);
    LAYOUT_OFF(SecPkgContext_SessionKey, SessionKey, 8);
    LAYOUT_SIZE(SecPkgContext_Lifespan, 16);
    LAYOUT_SIZE(SecPkgContext_NamesW, 8);
    LAYOUT_SIZE(SecPkgContext_NamesA, 8);
    LAYOUT_SIZE(SecPkgContext_Flags, 4);
    LAYOUT_SIZE(SecPkgContext_NativeNamesW, 16);
    LAYOUT_SIZE(SecPkgContext_NativeNamesA, 16);
    LAYOUT_SIZE(SecPkgCredentials_NamesW, 8);
    LAYOUT_SIZE(SecPkgCredentials_NamesA, 8);
    LAYOUT_SIZE(SecurityFunctionTableW, 256);
    LAYOUT_SIZE(SecurityFunctionTableA, 256);
    LAYOUT_OFF(SecurityFunctionTableW, EnumerateSecurityPackagesW, 8);
    LAYOUT_OFF(SecurityFunctionTableW, FreeCredentialsHandle, 32);
    LAYOUT_OFF(SecurityFunctionTableW, Reserved2, 40);
    LAYOUT_OFF(SecurityFunctionTableW, InitializeSecurityContextW, 48);
    LAYOUT_OFF(SecurityFunctionTableW, QueryContextAttributesW, 88);
    LAYOUT_OFF(SecurityFunctionTableW, FreeContextBuffer, 128);
    LAYOUT_OFF(SecurityFunctionTableW, Reserved3, 144);
    LAYOUT_OFF(SecurityFunctionTableW, Reserved4, 152);
    LAYOUT_OFF(SecurityFunctionTableW, Reserved8, 184);
    LAYOUT_OFF(SecurityFunctionTableW, EncryptMessage, 200);
    LAYOUT_OFF(SecurityFunctionTableW, DecryptMessage, 208);
    LAYOUT_OFF(SecurityFunctionTableW, SetContextAttributesW, 216);
    LAYOUT_OFF(SecurityFunctionTableW, ChangeAccountPasswordW, 232);
    LAYOUT_OFF(SecurityFunctionTableW, QueryContextAttributesExW, 240);
    LAYOUT_OFF(SecurityFunctionTableW, QueryCredentialsAttributesExW, 248);
    LAYOUT_OFF(SecurityFunctionTableA, InitializeSecurityContextA, 48);
    LAYOUT_OFF(SecurityFunctionTableA, EncryptMessage, 200);
    LAYOUT_OFF(SecurityFunctionTableA, QueryCredentialsAttributesExA, 248);

    CONST_EQ(SEC_E_INVALID_HANDLE, 0x80090301);
    CONST_EQ(SEC_E_UNSUPPORTED_FUNCTION, 0x80090302);
    CONST_EQ(SEC_E_SECPKG_NOT_FOUND, 0x80090305);
    CONST_EQ(SEC_E_INVALID_TOKEN, 0x80090308);
    CONST_EQ(SEC_E_LOGON_DENIED, 0x8009030C);
    CONST_EQ(SEC_E_MESSAGE_ALTERED, 0x8009030F);
    CONST_EQ(SEC_E_OUT_OF_SEQUENCE, 0x80090310);
    CONST_EQ(SEC_E_INCOMPLETE_MESSAGE, 0x80090318);
    CONST_EQ(SEC_E_BUFFER_TOO_SMALL, 0x80090321);
    CONST_EQ(SEC_E_BAD_BINDINGS, 0x80090346);
    CONST_EQ(SEC_I_CONTINUE_NEEDED, 0x00090312);
    CONST_EQ(SEC_I_COMPLETE_NEEDED, 0x00090313);
    CONST_EQ(SEC_I_COMPLETE_AND_CONTINUE, 0x00090314);
    CONST_EQ(ISC_REQ_CONFIDENTIALITY, 0x10);
    CONST_EQ(ISC_REQ_ALLOCATE_MEMORY, 0x100);
    CONST_EQ(ISC_REQ_INTEGRITY, 0x10000);
    CONST_EQ(ISC_RET_NULL_SESSION, 0x40000);
    CONST_EQ(ASC_REQ_INTEGRITY, 0x20000);
    CONST_EQ(ASC_RET_INTEGRITY, 0x20000);
    CONST_EQ(SECBUFFER_TOKEN, 2);
    CONST_EQ(SECBUFFER_CHANNEL_BINDINGS, 14);
    CONST_EQ(SECBUFFER_READONLY_WITH_CHECKSUM, 0x10000000);
    CONST_EQ(SECPKG_ATTR_NEGOTIATION_INFO, 12);
    CONST_EQ(SECPKG_ATTR_NATIVE_NAMES, 13);
    CONST_EQ(SECPKG_ATTR_FLAGS, 14);
    CONST_EQ(SECPKG_CRED_BOTH, 3);
    CONST_EQ(SECQOP_WRAP_NO_ENCRYPT, 0x80000001);
    CONST_EQ(SECURITY_NATIVE_DREP, 0x10);
    CONST_EQ(SEC_WINNT_AUTH_IDENTITY_VERSION, 0x200);
}

/* ---------------------------------------------------------------- tables (A) */

#define SLOT_NONNULL(t, f, which) CHECK(PTRVAL((t)->f) != 0, "A.5: %s table slot " #f " non-NULL", which)

void t_tables(void)
{
    PSecurityFunctionTableW tw = api.InitSecurityInterfaceW();
    PSecurityFunctionTableA ta = api.InitSecurityInterfaceA();
    CHECK(tw != NULL, "A.1: InitSecurityInterfaceW() returns a table");
    CHECK(ta != NULL, "A.1: InitSecurityInterfaceA() returns a table");
    if (!tw || !ta) return;
    CHECK(api.InitSecurityInterfaceW() == tw, "A.1: InitSecurityInterfaceW() returns the same table each call");
    unsigned vw = (unsigned)tw->dwVersion, va = (unsigned)ta->dwVersion;
    CHECK(vw == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION || vw == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
          "A.2: W dwVersion is 1 (Windows) or 5 (full table) (got %u)", vw);
    CHECK(va == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION || va == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
          "A.2: A dwVersion is 1 (Windows) or 5 (full table) (got %u)", va);
    PROBE(vw == 1 && va == 1, "A.2 [WT]: dwVersion == 1 as on Windows (W %u, A %u)", vw, va);
    CHECK(tw->Reserved2 == NULL, "A.3: W Reserved2 == NULL");
    CHECK(ta->Reserved2 == NULL, "A.3: A Reserved2 == NULL");
    CHECK(PTRVAL(tw->Reserved3) == PTRVAL(tw->EncryptMessage) && PTRVAL(tw->Reserved3) != 0,
          "A.4: W Reserved3 == EncryptMessage");
    CHECK(PTRVAL(tw->Reserved4) == PTRVAL(tw->DecryptMessage) && PTRVAL(tw->Reserved4) != 0,
          "A.4: W Reserved4 == DecryptMessage");
    CHECK(PTRVAL(ta->Reserved3) == PTRVAL(ta->EncryptMessage) && PTRVAL(ta->Reserved3) != 0,
          "A.4: A Reserved3 == EncryptMessage");
    CHECK(PTRVAL(ta->Reserved4) == PTRVAL(ta->DecryptMessage) && PTRVAL(ta->Reserved4) != 0,
          "A.4: A Reserved4 == DecryptMessage");

    SLOT_NONNULL(tw, EnumerateSecurityPackagesW, "W");
    SLOT_NONNULL(tw, QueryCredentialsAttributesW, "W");
    SLOT_NONNULL(tw, AcquireCredentialsHandleW, "W");
    SLOT_NONNULL(tw, FreeCredentialsHandle, "W");
    SLOT_NONNULL(tw, InitializeSecurityContextW, "W");
    SLOT_NONNULL(tw, AcceptSecurityContext, "W");
    SLOT_NONNULL(tw, CompleteAuthToken, "W");
    SLOT_NONNULL(tw, DeleteSecurityContext, "W");
    SLOT_NONNULL(tw, ApplyControlToken, "W");
    SLOT_NONNULL(tw, QueryContextAttributesW, "W");
    SLOT_NONNULL(tw, ImpersonateSecurityContext, "W");
    SLOT_NONNULL(tw, RevertSecurityContext, "W");
    SLOT_NONNULL(tw, MakeSignature, "W");
    SLOT_NONNULL(tw, VerifySignature, "W");
    SLOT_NONNULL(tw, FreeContextBuffer, "W");
    SLOT_NONNULL(tw, QuerySecurityPackageInfoW, "W");
    SLOT_NONNULL(tw, ExportSecurityContext, "W");
    SLOT_NONNULL(tw, ImportSecurityContextW, "W");
    SLOT_NONNULL(tw, AddCredentialsW, "W");
    SLOT_NONNULL(tw, QuerySecurityContextToken, "W");
    SLOT_NONNULL(tw, EncryptMessage, "W");
    SLOT_NONNULL(tw, DecryptMessage, "W");
    SLOT_NONNULL(tw, SetContextAttributesW, "W");
    SLOT_NONNULL(tw, SetCredentialsAttributesW, "W");
    SLOT_NONNULL(tw, ChangeAccountPasswordW, "W");
    SLOT_NONNULL(tw, QueryContextAttributesExW, "W");
    SLOT_NONNULL(tw, QueryCredentialsAttributesExW, "W");

    SLOT_NONNULL(ta, EnumerateSecurityPackagesA, "A");
    SLOT_NONNULL(ta, QueryCredentialsAttributesA, "A");
    SLOT_NONNULL(ta, AcquireCredentialsHandleA, "A");
    CHECK(PTRVAL(ta->HARNESS_A_FREECRED) != 0, "A.5: A table slot FreeCredentialHandle non-NULL");
    SLOT_NONNULL(ta, InitializeSecurityContextA, "A");
    SLOT_NONNULL(ta, AcceptSecurityContext, "A");
    SLOT_NONNULL(ta, CompleteAuthToken, "A");
    SLOT_NONNULL(ta, DeleteSecurityContext, "A");
    SLOT_NONNULL(ta, ApplyControlToken, "A");
    SLOT_NONNULL(ta, QueryContextAttributesA, "A");
    SLOT_NONNULL(ta, ImpersonateSecurityContext, "A");
    SLOT_NONNULL(ta, RevertSecurityContext, "A");
    SLOT_NONNULL(ta, MakeSignature, "A");
    SLOT_NONNULL(ta, VerifySignature, "A");
    SLOT_NONNULL(ta, FreeContextBuffer, "A");
    SLOT_NONNULL(ta, QuerySecurityPackageInfoA, "A");
    SLOT_NONNULL(ta, ExportSecurityContext, "A");
    SLOT_NONNULL(ta, ImportSecurityContextA, "A");
    SLOT_NONNULL(ta, AddCredentialsA, "A");
    SLOT_NONNULL(ta, QuerySecurityContextToken, "A");
    SLOT_NONNULL(ta, EncryptMessage, "A");
    SLOT_NONNULL(ta, DecryptMessage, "A");
    SLOT_NONNULL(ta, SetContextAttributesA, "A");
    SLOT_NONNULL(ta, SetCredentialsAttributesA, "A");
    SLOT_NONNULL(ta, ChangeAccountPasswordA, "A");
    SLOT_NONNULL(ta, QueryContextAttributesExA, "A");
    SLOT_NONNULL(ta, QueryCredentialsAttributesExA, "A");
    PROBE(ta->Reserved8 == NULL && tw->Reserved8 == NULL, "A.5 [CONSTANTS 11]: Reserved8 == NULL");

}

/* ---------------------------------------------------------------- packages */

static const uint32_t ntlm_caps[] = {0x00002B37, 0x00042B37, 0x00082B37, 0x00882B37, 0x02082B37, 0x02882B37};
static const uint32_t nego_caps[] = {0x00003BB3, 0x00043BB3, 0x00083BB3, 0x00883BB3};

static int in_set(uint32_t v, const uint32_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v) return 1;
    return 0;
}

/* C.16: one block holding the struct and both strings. */
static int single_block_a(const SecPkgInfoA *pi)
{
    if (!pi->Name || !pi->Comment) return 0;
    uintptr_t lo = (uintptr_t)pi;
    uintptr_t hi = lo + sizeof *pi + strlen(pi->Name) + 1 + strlen(pi->Comment) + 1;
    uintptr_t n = (uintptr_t)pi->Name, c = (uintptr_t)pi->Comment;
    return n >= lo + sizeof *pi && n + strlen(pi->Name) + 1 <= hi && c >= lo + sizeof *pi &&
           c + strlen(pi->Comment) + 1 <= hi;
}

static int single_block_w(const SecPkgInfoW *pi)
{
    if (!pi->Name || !pi->Comment) return 0;
    size_t nl = (wlen(pi->Name) + 1) * 2, cl = (wlen(pi->Comment) + 1) * 2;
    uintptr_t lo = (uintptr_t)pi, hi = lo + sizeof *pi + nl + cl;
    uintptr_t n = (uintptr_t)pi->Name, c = (uintptr_t)pi->Comment;
    return n >= lo + sizeof *pi && n + nl <= hi && c >= lo + sizeof *pi && c + cl <= hi;
}

void check_ntlm_info_w(const SecPkgInfoW *pi, const char *ctx);
void check_ntlm_info_w(const SecPkgInfoW *pi, const char *ctx)
{
    CHECK(in_set(pi->fCapabilities, ntlm_caps, 6), "C.11: %s NTLM fCapabilities in Windows set (got 0x%08x)", ctx, (unsigned)pi->fCapabilities);
    CHECK(pi->wVersion == 1, "C.11: %s NTLM wVersion == 1 (got %u)", ctx, pi->wVersion);
    CHECK(pi->wRPCID == 10, "C.11: %s NTLM wRPCID == 10 (got %u)", ctx, pi->wRPCID);
    CHECK(pi->cbMaxToken == 2888 || pi->cbMaxToken == 1904, "C.12: %s NTLM cbMaxToken 2888 or 1904 (got %u)", ctx, (unsigned)pi->cbMaxToken);
    CHECK(w_eq(pi->Name, "NTLM"), "C.11: %s Name == \"NTLM\" (got \"%s\")", ctx, w_to_a(pi->Name));
    PROBE(w_eq(pi->Comment, "NTLM Security Package"), "C.11 [WI]: %s Comment == \"NTLM Security Package\" (got \"%s\")", ctx, w_to_a(pi->Comment));
    CHECK(single_block_w(pi), "C.16: %s SecPkgInfoW is one block holding Name and Comment", ctx);
}

void check_ntlm_info_a(const SecPkgInfoA *pi, const char *ctx);
void check_ntlm_info_a(const SecPkgInfoA *pi, const char *ctx)
{
    CHECK(in_set(pi->fCapabilities, ntlm_caps, 6), "C.11: %s NTLM fCapabilities in Windows set (got 0x%08x)", ctx, (unsigned)pi->fCapabilities);
    CHECK(pi->wVersion == 1, "C.11: %s NTLM wVersion == 1 (got %u)", ctx, pi->wVersion);
    CHECK(pi->wRPCID == 10, "C.11: %s NTLM wRPCID == 10 (got %u)", ctx, pi->wRPCID);
    CHECK(pi->cbMaxToken == 2888 || pi->cbMaxToken == 1904, "C.12: %s NTLM cbMaxToken 2888 or 1904 (got %u)", ctx, (unsigned)pi->cbMaxToken);
    CHECK(pi->Name && !strcmp(pi->Name, "NTLM"), "C.11: %s Name == \"NTLM\" (got \"%s\")", ctx, pi->Name ? pi->Name : "(null)");
    PROBE(pi->Comment && !strcmp(pi->Comment, "NTLM Security Package"), "C.11 [WI]: %s Comment == \"NTLM Security Package\" (got \"%s\")", ctx, pi->Comment ? pi->Comment : "(null)");
    CHECK(single_block_a(pi), "C.16: %s SecPkgInfoA is one block holding Name and Comment", ctx);
}

static void enumerate_checks(void)
{
    ULONG n = 0xdeadbeef;
    PSecPkgInfoW pw = (void *)(uintptr_t)0xdeadbeef;
    SECURITY_STATUS st = api.EnumerateSecurityPackagesW(&n, &pw);
    CHECK_ST(st, SEC_E_OK, "B.6: EnumerateSecurityPackagesW");
    if (st != SEC_E_OK) return;
    CHECK(n > 0 && n != 0xdeadbeef, "B.6: W *pcPackages > 0 (got %u)", (unsigned)n);
    CHECK(pw != NULL && (uintptr_t)pw != 0xdeadbeef, "B.6: W *ppPackageInfo != NULL");
    int have_ntlm = 0;
    for (ULONG i = 0; pw && i < n && n != 0xdeadbeef; i++) {
        diag("package %u: %s caps 0x%08x ver %u rpc %u max %u \"%s\"", (unsigned)i, w_to_a(pw[i].Name),
             (unsigned)pw[i].fCapabilities, pw[i].wVersion, pw[i].wRPCID, (unsigned)pw[i].cbMaxToken,
             w_to_a(pw[i].Comment));
        if (w_eq(pw[i].Name, "NTLM")) have_ntlm = 1;
        PSecPkgInfoW q = NULL;
        st = api.QuerySecurityPackageInfoW(pw[i].Name, &q);
        PROBE(st == SEC_E_OK && q && q->fCapabilities == pw[i].fCapabilities && q->wVersion == pw[i].wVersion &&
                  q->wRPCID == pw[i].wRPCID && q->cbMaxToken == pw[i].cbMaxToken && w_eq(q->Comment, w_to_a(pw[i].Comment)),
              "B.8 [PROBE]: Enumerate entry %s agrees with QuerySecurityPackageInfoW", w_to_a(pw[i].Name));
        if (st == SEC_E_OK && q) api.FreeContextBuffer(q);
    }
    CHECK(have_ntlm, "B.6: NTLM is enumerated");
    st = api.FreeContextBuffer(pw);
    CHECK_ST(st, SEC_E_OK, "B.7: one FreeContextBuffer(W array) releases everything");

    ULONG na = 0;
    PSecPkgInfoA pa = NULL;
    st = api.EnumerateSecurityPackagesA(&na, &pa);
    CHECK_ST(st, SEC_E_OK, "B.6: EnumerateSecurityPackagesA");
    if (st != SEC_E_OK) return;
    CHECK(na == n, "B.6: A and W enumerate the same number of packages (%u vs %u)", (unsigned)na, (unsigned)n);
    CHECK(pa != NULL, "B.6: A *ppPackageInfo != NULL");
    for (ULONG i = 0; pa && i < na; i++) {
        PSecPkgInfoA q = NULL;
        st = api.QuerySecurityPackageInfoA(pa[i].Name, &q);
        PROBE(st == SEC_E_OK && q && q->fCapabilities == pa[i].fCapabilities && q->cbMaxToken == pa[i].cbMaxToken &&
                  q->wRPCID == pa[i].wRPCID,
              "B.8 [PROBE]: A entry %s agrees with QuerySecurityPackageInfoA", pa[i].Name ? pa[i].Name : "(null)");
        if (st == SEC_E_OK && q) api.FreeContextBuffer(q);
    }
    st = api.FreeContextBuffer(pa);
    CHECK_ST(st, SEC_E_OK, "B.7: one FreeContextBuffer(A array) releases everything");
}

static void query_checks(void)
{
    PSecPkgInfoW pw = NULL;
    SECURITY_STATUS st = api.QuerySecurityPackageInfoW(W("NTLM"), &pw);
    CHECK_ST(st, SEC_E_OK, "C.9: QuerySecurityPackageInfoW(\"NTLM\")");
    if (st == SEC_E_OK && pw) {
        check_ntlm_info_w(pw, "QuerySecurityPackageInfoW");
        CHECK_ST(api.FreeContextBuffer(pw), SEC_E_OK, "C.9: FreeContextBuffer(W info)");
    }
    PSecPkgInfoA pa = NULL;
    st = api.QuerySecurityPackageInfoA((SEC_CHAR *)"NTLM", &pa);
    CHECK_ST(st, SEC_E_OK, "C.9: QuerySecurityPackageInfoA(\"NTLM\")");
    if (st == SEC_E_OK && pa) {
        check_ntlm_info_a(pa, "QuerySecurityPackageInfoA");
        CHECK_ST(api.FreeContextBuffer(pa), SEC_E_OK, "C.9: FreeContextBuffer(A info)");
    }

    /* C.10 unknown name: SEC_E_SECPKG_NOT_FOUND, output untouched */
    pw = (void *)(uintptr_t)0xdeadbeef;
    st = api.QuerySecurityPackageInfoW(W("Winetest"), &pw);
    CHECK_ST(st, SEC_E_SECPKG_NOT_FOUND, "C.10: QuerySecurityPackageInfoW(\"Winetest\")");
    CHECK((uintptr_t)pw == 0xdeadbeef, "C.10: W output pointer left untouched (got %p)", (void *)pw);
    pa = (void *)(uintptr_t)0xdeadbeef;
    st = api.QuerySecurityPackageInfoA((SEC_CHAR *)"Winetest", &pa);
    CHECK_ST(st, SEC_E_SECPKG_NOT_FOUND, "C.10: QuerySecurityPackageInfoA(\"Winetest\")");
    CHECK((uintptr_t)pa == 0xdeadbeef, "C.10: A output pointer left untouched (got %p)", (void *)pa);
    pa = (void *)(uintptr_t)0xdeadbeef;
    st = api.QuerySecurityPackageInfoA((SEC_CHAR *)"", &pa);
    CHECK_ST(st, SEC_E_SECPKG_NOT_FOUND, "C.10: QuerySecurityPackageInfoA(\"\")");
    pa = (void *)(uintptr_t)0xdeadbeef;
    st = api.QuerySecurityPackageInfoA((SEC_CHAR *)"NTLMX", &pa);
    CHECK_ST(st, SEC_E_SECPKG_NOT_FOUND, "C.10: QuerySecurityPackageInfoA(\"NTLMX\") (no prefix match)");
    pa = NULL;
    st = api.QuerySecurityPackageInfoA(NULL, &pa);
    CHECK_FAILED(st, "C.10: QuerySecurityPackageInfoA(NULL name) fails without crashing");
    st = api.QuerySecurityPackageInfoW(W("NTLM"), NULL);
    CHECK_FAILED(st, "C.10: QuerySecurityPackageInfoW(\"NTLM\", NULL out) fails without crashing");

    /* C.17 case-insensitive */
    const char *variants[] = {"ntlm", "Ntlm", "nTlM"};
    for (int i = 0; i < 3; i++) {
        pa = NULL;
        st = api.QuerySecurityPackageInfoA((SEC_CHAR *)variants[i], &pa);
        CHECK_ST(st, SEC_E_OK, "C.17: QuerySecurityPackageInfoA(\"%s\") is case-insensitive", variants[i]);
        if (st == SEC_E_OK && pa) {
            CHECK(pa->Name && !strcmp(pa->Name, "NTLM"), "C.17: \"%s\" returns canonical Name \"NTLM\" (got \"%s\")", variants[i], pa->Name ? pa->Name : "(null)");
            api.FreeContextBuffer(pa);
        }
    }
    pw = NULL;
    st = api.QuerySecurityPackageInfoW(W("ntlm"), &pw);
    CHECK_ST(st, SEC_E_OK, "C.17: QuerySecurityPackageInfoW(\"ntlm\") is case-insensitive");
    if (st == SEC_E_OK && pw) api.FreeContextBuffer(pw);

    /* C.13/14 Negotiate */
    if (package_registered("Negotiate")) {
        pw = NULL;
        st = api.QuerySecurityPackageInfoW(W("Negotiate"), &pw);
        CHECK_ST(st, SEC_E_OK, "C.13: QuerySecurityPackageInfoW(\"Negotiate\")");
        if (st == SEC_E_OK && pw) {
            CHECK(in_set(pw->fCapabilities, nego_caps, 4), "C.13: Negotiate fCapabilities in Windows set (got 0x%08x)", (unsigned)pw->fCapabilities);
            CHECK(pw->wVersion == 1, "C.13: Negotiate wVersion == 1 (got %u)", pw->wVersion);
            CHECK(pw->wRPCID == 9, "C.13: Negotiate wRPCID == 9 (got %u)", pw->wRPCID);
            CHECK(w_eq(pw->Name, "Negotiate"), "C.13: Negotiate Name (got \"%s\")", w_to_a(pw->Name));
            PROBE(w_eq(pw->Comment, "Microsoft Package Negotiator"), "C.13 [WP]: Negotiate Comment (got \"%s\")", w_to_a(pw->Comment));
            PROBE(pw->cbMaxToken == 48256 || pw->cbMaxToken == 12256, "C.14 [OBS]: Negotiate cbMaxToken 48256 or 12256 (got %u)", (unsigned)pw->cbMaxToken);
            CHECK(single_block_w(pw), "C.16: Negotiate SecPkgInfoW is one block");
            api.FreeContextBuffer(pw);
        }
    } else {
        SKIP("C.13-14: Negotiate is not registered");
    }
    /* C.15 Kerberos */
    if (package_registered("Kerberos")) {
        pw = NULL;
        st = api.QuerySecurityPackageInfoW(W("Kerberos"), &pw);
        CHECK_ST(st, SEC_E_OK, "C.15: QuerySecurityPackageInfoW(\"Kerberos\")");
        if (st == SEC_E_OK && pw) {
            CHECK((pw->fCapabilities & ~(0x00080000u | 0x00800000u | 0x02000000u)) == 0x00073BBF,
                  "C.15: Kerberos fCapabilities base 0x00073BBF (got 0x%08x)", (unsigned)pw->fCapabilities);
            CHECK(pw->wVersion == 1, "C.15: Kerberos wVersion == 1");
            CHECK(pw->wRPCID == 16, "C.15: Kerberos wRPCID == 16 (got %u)", pw->wRPCID);
            CHECK(pw->cbMaxToken >= 12000, "C.15: Kerberos cbMaxToken >= 12000 (got %u)", (unsigned)pw->cbMaxToken);
            CHECK(w_eq(pw->Name, "Kerberos"), "C.15: Kerberos Name");
            CHECK(w_eq(pw->Comment, "Microsoft Kerberos V1.0"), "C.15: Kerberos Comment (got \"%s\")", w_to_a(pw->Comment));
            api.FreeContextBuffer(pw);
        }
    } else {
        SKIP("C.15: Kerberos is not registered");
    }
}

void t_packages(void)
{
    enumerate_checks();
    query_checks();
}
