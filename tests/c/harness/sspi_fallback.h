/* Stand-in for include/security.h, used only when the harness is built with
 * -DHARNESS_OWN_DECLS (before the library's header exists). Windows SDK names
 * and Windows x64 layouts (docs/CONSTANTS.md sections 1, 10-12). Constants live
 * in harness.h under #ifndef so they also fill gaps of the real header. */
#ifndef HARNESS_SSPI_FALLBACK_H
#define HARNESS_SSPI_FALLBACK_H
#include <stdint.h>

typedef int32_t SECURITY_STATUS;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint16_t USHORT;
typedef uint8_t UCHAR;
typedef uint8_t BOOLEAN;
typedef uintptr_t ULONG_PTR;
typedef uint16_t SEC_WCHAR;
typedef char SEC_CHAR;
typedef void *HANDLE;
typedef struct _LUID { ULONG LowPart; LONG HighPart; } LUID, *PLUID;

typedef struct _SecHandle { ULONG_PTR dwLower; ULONG_PTR dwUpper; } SecHandle, *PSecHandle;
typedef SecHandle CredHandle, *PCredHandle;
typedef SecHandle CtxtHandle, *PCtxtHandle;
typedef union _SECURITY_INTEGER {
    struct { ULONG LowPart; LONG HighPart; } u;
    int64_t QuadPart;
} SECURITY_INTEGER, TimeStamp, *PTimeStamp;

typedef struct _SecBuffer { ULONG cbBuffer; ULONG BufferType; void *pvBuffer; } SecBuffer, *PSecBuffer;
typedef struct _SecBufferDesc { ULONG ulVersion; ULONG cBuffers; PSecBuffer pBuffers; } SecBufferDesc, *PSecBufferDesc;

typedef struct _SecPkgInfoA {
    ULONG fCapabilities; USHORT wVersion; USHORT wRPCID; ULONG cbMaxToken; SEC_CHAR *Name; SEC_CHAR *Comment;
} SecPkgInfoA, *PSecPkgInfoA;
typedef struct _SecPkgInfoW {
    ULONG fCapabilities; USHORT wVersion; USHORT wRPCID; ULONG cbMaxToken; SEC_WCHAR *Name; SEC_WCHAR *Comment;
} SecPkgInfoW, *PSecPkgInfoW;

typedef struct _SEC_WINNT_AUTH_IDENTITY_A {
    unsigned char *User; ULONG UserLength; unsigned char *Domain; ULONG DomainLength;
    unsigned char *Password; ULONG PasswordLength; ULONG Flags;
} SEC_WINNT_AUTH_IDENTITY_A;
typedef struct _SEC_WINNT_AUTH_IDENTITY_W {
    unsigned short *User; ULONG UserLength; unsigned short *Domain; ULONG DomainLength;
    unsigned short *Password; ULONG PasswordLength; ULONG Flags;
} SEC_WINNT_AUTH_IDENTITY_W;
typedef struct _SEC_WINNT_AUTH_IDENTITY_EXA {
    ULONG Version; ULONG Length; unsigned char *User; ULONG UserLength; unsigned char *Domain;
    ULONG DomainLength; unsigned char *Password; ULONG PasswordLength; ULONG Flags;
    unsigned char *PackageList; ULONG PackageListLength;
} SEC_WINNT_AUTH_IDENTITY_EXA;
typedef struct _SEC_WINNT_AUTH_IDENTITY_EXW {
    ULONG Version; ULONG Length; unsigned short *User; ULONG UserLength; unsigned short *Domain;
    ULONG DomainLength; unsigned short *Password; ULONG PasswordLength; ULONG Flags;
    unsigned short *PackageList; ULONG PackageListLength;
} SEC_WINNT_AUTH_IDENTITY_EXW;

typedef struct _SecPkgContext_Sizes { ULONG cbMaxToken, cbMaxSignature, cbBlockSize, cbSecurityTrailer; } SecPkgContext_Sizes;
typedef struct _SecPkgContext_StreamSizes { ULONG cbHeader, cbTrailer, cbMaximumMessage, cBuffers, cbBlockSize; } SecPkgContext_StreamSizes;
typedef struct _SecPkgContext_NamesA { SEC_CHAR *sUserName; } SecPkgContext_NamesA;
typedef struct _SecPkgContext_NamesW { SEC_WCHAR *sUserName; } SecPkgContext_NamesW;
typedef struct _SecPkgContext_SessionKey { ULONG SessionKeyLength; unsigned char *SessionKey; } SecPkgContext_SessionKey;
typedef struct _SecPkgContext_KeyInfoA {
    SEC_CHAR *sSignatureAlgorithmName; SEC_CHAR *sEncryptAlgorithmName; ULONG KeySize; ULONG SignatureAlgorithm; ULONG EncryptAlgorithm;
} SecPkgContext_KeyInfoA;
typedef struct _SecPkgContext_KeyInfoW {
    SEC_WCHAR *sSignatureAlgorithmName; SEC_WCHAR *sEncryptAlgorithmName; ULONG KeySize; ULONG SignatureAlgorithm; ULONG EncryptAlgorithm;
} SecPkgContext_KeyInfoW;
typedef struct _SecPkgContext_NegotiationInfoA { PSecPkgInfoA PackageInfo; ULONG NegotiationState; } SecPkgContext_NegotiationInfoA;
typedef struct _SecPkgContext_NegotiationInfoW { PSecPkgInfoW PackageInfo; ULONG NegotiationState; } SecPkgContext_NegotiationInfoW;
typedef struct _SecPkgContext_Flags { ULONG Flags; } SecPkgContext_Flags;
typedef struct _SecPkgContext_Lifespan { TimeStamp tsStart; TimeStamp tsExpiry; } SecPkgContext_Lifespan;
typedef struct _SecPkgContext_NativeNamesA { SEC_CHAR *sClientName; SEC_CHAR *sServerName; } SecPkgContext_NativeNamesA;
typedef struct _SecPkgContext_NativeNamesW { SEC_WCHAR *sClientName; SEC_WCHAR *sServerName; } SecPkgContext_NativeNamesW;
typedef struct _SecPkgCredentials_NamesA { SEC_CHAR *sUserName; } SecPkgCredentials_NamesA;
typedef struct _SecPkgCredentials_NamesW { SEC_WCHAR *sUserName; } SecPkgCredentials_NamesW;

typedef void (*SEC_GET_KEY_FN)(void *Arg, void *Principal, ULONG KeyVer, void **Key, SECURITY_STATUS *Status);

#define SSPI_DECLARE(name, args) SECURITY_STATUS name args;
HARNESS_FUNCS(SSPI_DECLARE)
#undef SSPI_DECLARE

typedef struct _SECURITY_FUNCTION_TABLE_W {
    ULONG dwVersion;
    SECURITY_STATUS (*EnumerateSecurityPackagesW)(ULONG *, PSecPkgInfoW *);
    SECURITY_STATUS (*QueryCredentialsAttributesW)(PCredHandle, ULONG, void *);
    SECURITY_STATUS (*AcquireCredentialsHandleW)(SEC_WCHAR *, SEC_WCHAR *, ULONG, void *, void *, SEC_GET_KEY_FN, void *, PCredHandle, PTimeStamp);
    SECURITY_STATUS (*FreeCredentialsHandle)(PCredHandle);
    void *Reserved2;
    SECURITY_STATUS (*InitializeSecurityContextW)(PCredHandle, PCtxtHandle, SEC_WCHAR *, ULONG, ULONG, ULONG, PSecBufferDesc, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp);
    SECURITY_STATUS (*AcceptSecurityContext)(PCredHandle, PCtxtHandle, PSecBufferDesc, ULONG, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp);
    SECURITY_STATUS (*CompleteAuthToken)(PCtxtHandle, PSecBufferDesc);
    SECURITY_STATUS (*DeleteSecurityContext)(PCtxtHandle);
    SECURITY_STATUS (*ApplyControlToken)(PCtxtHandle, PSecBufferDesc);
    SECURITY_STATUS (*QueryContextAttributesW)(PCtxtHandle, ULONG, void *);
    SECURITY_STATUS (*ImpersonateSecurityContext)(PCtxtHandle);
    SECURITY_STATUS (*RevertSecurityContext)(PCtxtHandle);
    SECURITY_STATUS (*MakeSignature)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
    SECURITY_STATUS (*VerifySignature)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
    SECURITY_STATUS (*FreeContextBuffer)(void *);
    SECURITY_STATUS (*QuerySecurityPackageInfoW)(SEC_WCHAR *, PSecPkgInfoW *);
    void *Reserved3;
    void *Reserved4;
    SECURITY_STATUS (*ExportSecurityContext)(PCtxtHandle, ULONG, PSecBuffer, void **);
    SECURITY_STATUS (*ImportSecurityContextW)(SEC_WCHAR *, PSecBuffer, void *, PCtxtHandle);
    SECURITY_STATUS (*AddCredentialsW)(PCredHandle, SEC_WCHAR *, SEC_WCHAR *, ULONG, void *, SEC_GET_KEY_FN, void *, PTimeStamp);
    void *Reserved8;
    SECURITY_STATUS (*QuerySecurityContextToken)(PCtxtHandle, void **);
    SECURITY_STATUS (*EncryptMessage)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
    SECURITY_STATUS (*DecryptMessage)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
    SECURITY_STATUS (*SetContextAttributesW)(PCtxtHandle, ULONG, void *, ULONG);
    SECURITY_STATUS (*SetCredentialsAttributesW)(PCredHandle, ULONG, void *, ULONG);
    SECURITY_STATUS (*ChangeAccountPasswordW)(SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, BOOLEAN, ULONG, PSecBufferDesc);
    SECURITY_STATUS (*QueryContextAttributesExW)(PCtxtHandle, ULONG, void *, ULONG);
    SECURITY_STATUS (*QueryCredentialsAttributesExW)(PCredHandle, ULONG, void *, ULONG);
} SecurityFunctionTableW, *PSecurityFunctionTableW;

typedef struct _SECURITY_FUNCTION_TABLE_A {
    ULONG dwVersion;
    SECURITY_STATUS (*EnumerateSecurityPackagesA)(ULONG *, PSecPkgInfoA *);
    SECURITY_STATUS (*QueryCredentialsAttributesA)(PCredHandle, ULONG, void *);
    SECURITY_STATUS (*AcquireCredentialsHandleA)(SEC_CHAR *, SEC_CHAR *, ULONG, void *, void *, SEC_GET_KEY_FN, void *, PCredHandle, PTimeStamp);
    SECURITY_STATUS (*FreeCredentialHandle)(PCredHandle);
    void *Reserved2;
    SECURITY_STATUS (*InitializeSecurityContextA)(PCredHandle, PCtxtHandle, SEC_CHAR *, ULONG, ULONG, ULONG, PSecBufferDesc, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp);
    SECURITY_STATUS (*AcceptSecurityContext)(PCredHandle, PCtxtHandle, PSecBufferDesc, ULONG, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp);
    SECURITY_STATUS (*CompleteAuthToken)(PCtxtHandle, PSecBufferDesc);
    SECURITY_STATUS (*DeleteSecurityContext)(PCtxtHandle);
    SECURITY_STATUS (*ApplyControlToken)(PCtxtHandle, PSecBufferDesc);
    SECURITY_STATUS (*QueryContextAttributesA)(PCtxtHandle, ULONG, void *);
    SECURITY_STATUS (*ImpersonateSecurityContext)(PCtxtHandle);
    SECURITY_STATUS (*RevertSecurityContext)(PCtxtHandle);
    SECURITY_STATUS (*MakeSignature)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
    SECURITY_STATUS (*VerifySignature)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
    SECURITY_STATUS (*FreeContextBuffer)(void *);
    SECURITY_STATUS (*QuerySecurityPackageInfoA)(SEC_CHAR *, PSecPkgInfoA *);
    void *Reserved3;
    void *Reserved4;
    SECURITY_STATUS (*ExportSecurityContext)(PCtxtHandle, ULONG, PSecBuffer, void **);
    SECURITY_STATUS (*ImportSecurityContextA)(SEC_CHAR *, PSecBuffer, void *, PCtxtHandle);
    SECURITY_STATUS (*AddCredentialsA)(PCredHandle, SEC_CHAR *, SEC_CHAR *, ULONG, void *, SEC_GET_KEY_FN, void *, PTimeStamp);
    void *Reserved8;
    SECURITY_STATUS (*QuerySecurityContextToken)(PCtxtHandle, void **);
    SECURITY_STATUS (*EncryptMessage)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
    SECURITY_STATUS (*DecryptMessage)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
    SECURITY_STATUS (*SetContextAttributesA)(PCtxtHandle, ULONG, void *, ULONG);
    SECURITY_STATUS (*SetCredentialsAttributesA)(PCredHandle, ULONG, void *, ULONG);
    SECURITY_STATUS (*ChangeAccountPasswordA)(SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, BOOLEAN, ULONG, PSecBufferDesc);
    SECURITY_STATUS (*QueryContextAttributesExA)(PCtxtHandle, ULONG, void *, ULONG);
    SECURITY_STATUS (*QueryCredentialsAttributesExA)(PCredHandle, ULONG, void *, ULONG);
} SecurityFunctionTableA, *PSecurityFunctionTableA;

PSecurityFunctionTableA InitSecurityInterfaceA(void);
PSecurityFunctionTableW InitSecurityInterfaceW(void);

#endif
