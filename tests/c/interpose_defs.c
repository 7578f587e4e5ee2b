/* interpose_defs: the "other SSPI library" of tests/c/interpose.c, linked into the program.
 *
 * Like WinPR 2 (which exports AcceptSecurityContext, InitializeSecurityContextW, ...), the
 * program itself defines every name libopensspi.so exports. Built with -rdynamic, these
 * definitions are in the global scope ahead of any dlopen()ed library, so an ELF reference
 * that the library leaves to symbol lookup binds here. Each one only counts the hit and returns
 * the sentinel: the library must never reach them.
 *
 * Deliberately without <security.h>: these are link-level stand-ins taking no arguments (on the
 * SysV ABIs the callee ignores the argument registers and the caller cleans up), so one macro
 * defines them all. */
#include <stdint.h>

#define SENTINEL 0x7777

int interposer_hits;
const char *interposer_last;

#define INTERPOSED(X)                                                                              \
    X(AcceptSecurityContext) X(AcquireCredentialsHandleA) X(AcquireCredentialsHandleW)              \
    X(AddCredentialsA) X(AddCredentialsW) X(ApplyControlToken) X(ChangeAccountPasswordA)            \
    X(ChangeAccountPasswordW) X(CompleteAuthToken) X(DecryptMessage) X(DeleteSecurityContext)       \
    X(EncryptMessage) X(EnumerateSecurityPackagesA) X(EnumerateSecurityPackagesW)                   \
    X(ExportSecurityContext) X(FreeContextBuffer) X(FreeCredentialsHandle)                          \
    X(ImpersonateSecurityContext) X(ImportSecurityContextA) X(ImportSecurityContextW)               \
    X(InitializeSecurityContextA) X(InitializeSecurityContextW) X(MakeSignature)                    \
    X(QueryContextAttributesA) X(QueryContextAttributesExA) X(QueryContextAttributesExW)            \
    X(QueryContextAttributesW) X(QueryCredentialsAttributesA) X(QueryCredentialsAttributesExA)      \
    X(QueryCredentialsAttributesExW) X(QueryCredentialsAttributesW) X(QuerySecurityContextToken)    \
    X(QuerySecurityPackageInfoA) X(QuerySecurityPackageInfoW) X(RevertSecurityContext)              \
    X(SetContextAttributesA) X(SetContextAttributesW) X(SetCredentialsAttributesA)                  \
    X(SetCredentialsAttributesW) X(VerifySignature) X(LsaCallAuthenticationPackage)                 \
    X(LsaConnectUntrusted) X(LsaDeregisterLogonProcess) X(LsaEnumerateLogonSessions)                \
    X(LsaFreeReturnBuffer) X(LsaGetLogonSessionData) X(LsaLogonUser)                                \
    X(LsaLookupAuthenticationPackage) X(LsaRegisterLogonProcess) X(SspiCloseHandle)                 \
    X(SspiGetLastError) X(SspiGetTokenLogonId) X(SspiImpersonateLoggedOnUser) X(SspiLogoffSession)  \
    X(SspiLogonUserA) X(SspiLogonUserW) X(SspiRevertToSelf)

#define DEFINE(name)                                                                               \
    int32_t name(void);                                                                            \
    int32_t name(void)                                                                             \
    {                                                                                              \
        interposer_hits++;                                                                         \
        interposer_last = #name;                                                                   \
        return SENTINEL;                                                                           \
    }
INTERPOSED(DEFINE)
