/* opensspi C conformance harness: shared declarations.
 * Item numbers ("C.10", "J.86", ...) refer to docs/BEHAVIOURS.md. */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <uchar.h>

/* Every SSPI entry point the harness drives, with its Windows signature. */
#define HARNESS_FUNCS(X) \
    X(EnumerateSecurityPackagesA, (ULONG *, PSecPkgInfoA *)) \
    X(EnumerateSecurityPackagesW, (ULONG *, PSecPkgInfoW *)) \
    X(QuerySecurityPackageInfoA, (SEC_CHAR *, PSecPkgInfoA *)) \
    X(QuerySecurityPackageInfoW, (SEC_WCHAR *, PSecPkgInfoW *)) \
    X(AcquireCredentialsHandleA, (SEC_CHAR *, SEC_CHAR *, ULONG, void *, void *, SEC_GET_KEY_FN, void *, PCredHandle, PTimeStamp)) \
    X(AcquireCredentialsHandleW, (SEC_WCHAR *, SEC_WCHAR *, ULONG, void *, void *, SEC_GET_KEY_FN, void *, PCredHandle, PTimeStamp)) \
    X(FreeCredentialsHandle, (PCredHandle)) \
    X(QueryCredentialsAttributesA, (PCredHandle, ULONG, void *)) \
    X(QueryCredentialsAttributesW, (PCredHandle, ULONG, void *)) \
    X(SetCredentialsAttributesA, (PCredHandle, ULONG, void *, ULONG)) \
    X(SetCredentialsAttributesW, (PCredHandle, ULONG, void *, ULONG)) \
    X(QueryCredentialsAttributesExA, (PCredHandle, ULONG, void *, ULONG)) \
    X(QueryCredentialsAttributesExW, (PCredHandle, ULONG, void *, ULONG)) \
    X(AddCredentialsA, (PCredHandle, SEC_CHAR *, SEC_CHAR *, ULONG, void *, SEC_GET_KEY_FN, void *, PTimeStamp)) \
    X(AddCredentialsW, (PCredHandle, SEC_WCHAR *, SEC_WCHAR *, ULONG, void *, SEC_GET_KEY_FN, void *, PTimeStamp)) \
    X(InitializeSecurityContextA, (PCredHandle, PCtxtHandle, SEC_CHAR *, ULONG, ULONG, ULONG, PSecBufferDesc, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp)) \
    X(InitializeSecurityContextW, (PCredHandle, PCtxtHandle, SEC_WCHAR *, ULONG, ULONG, ULONG, PSecBufferDesc, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp)) \
    X(AcceptSecurityContext, (PCredHandle, PCtxtHandle, PSecBufferDesc, ULONG, ULONG, PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp)) \
    X(CompleteAuthToken, (PCtxtHandle, PSecBufferDesc)) \
    X(DeleteSecurityContext, (PCtxtHandle)) \
    X(ApplyControlToken, (PCtxtHandle, PSecBufferDesc)) \
    X(QueryContextAttributesA, (PCtxtHandle, ULONG, void *)) \
    X(QueryContextAttributesW, (PCtxtHandle, ULONG, void *)) \
    X(QueryContextAttributesExA, (PCtxtHandle, ULONG, void *, ULONG)) \
    X(QueryContextAttributesExW, (PCtxtHandle, ULONG, void *, ULONG)) \
    X(SetContextAttributesA, (PCtxtHandle, ULONG, void *, ULONG)) \
    X(SetContextAttributesW, (PCtxtHandle, ULONG, void *, ULONG)) \
    X(ImpersonateSecurityContext, (PCtxtHandle)) \
    X(RevertSecurityContext, (PCtxtHandle)) \
    X(QuerySecurityContextToken, (PCtxtHandle, void **)) \
    X(MakeSignature, (PCtxtHandle, ULONG, PSecBufferDesc, ULONG)) \
    X(VerifySignature, (PCtxtHandle, PSecBufferDesc, ULONG, ULONG *)) \
    X(EncryptMessage, (PCtxtHandle, ULONG, PSecBufferDesc, ULONG)) \
    X(DecryptMessage, (PCtxtHandle, PSecBufferDesc, ULONG, ULONG *)) \
    X(FreeContextBuffer, (void *)) \
    X(ExportSecurityContext, (PCtxtHandle, ULONG, PSecBuffer, void **)) \
    X(ImportSecurityContextA, (SEC_CHAR *, PSecBuffer, void *, PCtxtHandle)) \
    X(ImportSecurityContextW, (SEC_WCHAR *, PSecBuffer, void *, PCtxtHandle)) \
    X(ChangeAccountPasswordA, (SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, BOOLEAN, ULONG, PSecBufferDesc)) \
    X(ChangeAccountPasswordW, (SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, BOOLEAN, ULONG, PSecBufferDesc))

#include <security.h> /* the library's include/ (-I include) */

#include "check.h"

/* The Windows SDK (and mingw-w64, and opensspi.h) spell this A-table slot FreeCredentialHandle. */
#ifndef HARNESS_A_FREECRED
#define HARNESS_A_FREECRED FreeCredentialHandle
#endif

/* ---- constants the harness uses (values: docs/CONSTANTS.md); the library
 * header's definitions win, t_layout.c checks they agree. ---- */
#ifndef SEC_E_OK
#define SEC_E_OK ((SECURITY_STATUS)0x00000000)
#endif
#ifndef SEC_E_INSUFFICIENT_MEMORY
#define SEC_E_INSUFFICIENT_MEMORY ((SECURITY_STATUS)0x80090300)
#endif
#ifndef SEC_E_INVALID_HANDLE
#define SEC_E_INVALID_HANDLE ((SECURITY_STATUS)0x80090301)
#endif
#ifndef SEC_E_UNSUPPORTED_FUNCTION
#define SEC_E_UNSUPPORTED_FUNCTION ((SECURITY_STATUS)0x80090302)
#endif
#ifndef SEC_E_INTERNAL_ERROR
#define SEC_E_INTERNAL_ERROR ((SECURITY_STATUS)0x80090304)
#endif
#ifndef SEC_E_SECPKG_NOT_FOUND
#define SEC_E_SECPKG_NOT_FOUND ((SECURITY_STATUS)0x80090305)
#endif
#ifndef SEC_E_INVALID_TOKEN
#define SEC_E_INVALID_TOKEN ((SECURITY_STATUS)0x80090308)
#endif
#ifndef SEC_E_QOP_NOT_SUPPORTED
#define SEC_E_QOP_NOT_SUPPORTED ((SECURITY_STATUS)0x8009030A)
#endif
#ifndef SEC_E_NO_IMPERSONATION
#define SEC_E_NO_IMPERSONATION ((SECURITY_STATUS)0x8009030B)
#endif
#ifndef SEC_E_LOGON_DENIED
#define SEC_E_LOGON_DENIED ((SECURITY_STATUS)0x8009030C)
#endif
#ifndef SEC_E_UNKNOWN_CREDENTIALS
#define SEC_E_UNKNOWN_CREDENTIALS ((SECURITY_STATUS)0x8009030D)
#endif
#ifndef SEC_E_NO_CREDENTIALS
#define SEC_E_NO_CREDENTIALS ((SECURITY_STATUS)0x8009030E)
#endif
#ifndef SEC_E_MESSAGE_ALTERED
#define SEC_E_MESSAGE_ALTERED ((SECURITY_STATUS)0x8009030F)
#endif
#ifndef SEC_E_OUT_OF_SEQUENCE
#define SEC_E_OUT_OF_SEQUENCE ((SECURITY_STATUS)0x80090310)
#endif
#ifndef SEC_E_INCOMPLETE_MESSAGE
#define SEC_E_INCOMPLETE_MESSAGE ((SECURITY_STATUS)0x80090318)
#endif
#ifndef SEC_E_BUFFER_TOO_SMALL
#define SEC_E_BUFFER_TOO_SMALL ((SECURITY_STATUS)0x80090321)
#endif
#ifndef SEC_E_BAD_BINDINGS
#define SEC_E_BAD_BINDINGS ((SECURITY_STATUS)0x80090346)
#endif
#ifndef SEC_E_WRONG_CREDENTIAL_HANDLE
#define SEC_E_WRONG_CREDENTIAL_HANDLE ((SECURITY_STATUS)0x80090336)
#endif
#ifndef SEC_I_CONTINUE_NEEDED
#define SEC_I_CONTINUE_NEEDED ((SECURITY_STATUS)0x00090312)
#endif
#ifndef SEC_I_COMPLETE_NEEDED
#define SEC_I_COMPLETE_NEEDED ((SECURITY_STATUS)0x00090313)
#endif
#ifndef SEC_I_COMPLETE_AND_CONTINUE
#define SEC_I_COMPLETE_AND_CONTINUE ((SECURITY_STATUS)0x00090314)
#endif

#ifndef ISC_REQ_DELEGATE
#define ISC_REQ_DELEGATE 0x00000001
#endif
#ifndef ISC_REQ_MUTUAL_AUTH
#define ISC_REQ_MUTUAL_AUTH 0x00000002
#endif
#ifndef ISC_REQ_REPLAY_DETECT
#define ISC_REQ_REPLAY_DETECT 0x00000004
#endif
#ifndef ISC_REQ_SEQUENCE_DETECT
#define ISC_REQ_SEQUENCE_DETECT 0x00000008
#endif
#ifndef ISC_REQ_CONFIDENTIALITY
#define ISC_REQ_CONFIDENTIALITY 0x00000010
#endif
#ifndef ISC_REQ_ALLOCATE_MEMORY
#define ISC_REQ_ALLOCATE_MEMORY 0x00000100
#endif
#ifndef ISC_REQ_USE_DCE_STYLE
#define ISC_REQ_USE_DCE_STYLE 0x00000200
#endif
#ifndef ISC_REQ_CONNECTION
#define ISC_REQ_CONNECTION 0x00000800
#endif
#ifndef ISC_REQ_EXTENDED_ERROR
#define ISC_REQ_EXTENDED_ERROR 0x00004000
#endif
#ifndef ISC_REQ_INTEGRITY
#define ISC_REQ_INTEGRITY 0x00010000
#endif
#ifndef ISC_REQ_NULL_SESSION
#define ISC_REQ_NULL_SESSION 0x00040000
#endif
#ifndef ISC_RET_REPLAY_DETECT
#define ISC_RET_REPLAY_DETECT 0x00000004
#endif
#ifndef ISC_RET_SEQUENCE_DETECT
#define ISC_RET_SEQUENCE_DETECT 0x00000008
#endif
#ifndef ISC_RET_CONFIDENTIALITY
#define ISC_RET_CONFIDENTIALITY 0x00000010
#endif
#ifndef ISC_RET_ALLOCATED_MEMORY
#define ISC_RET_ALLOCATED_MEMORY 0x00000100
#endif
#ifndef ISC_RET_INTEGRITY
#define ISC_RET_INTEGRITY 0x00010000
#endif
#ifndef ISC_RET_NULL_SESSION
#define ISC_RET_NULL_SESSION 0x00040000
#endif
#ifndef ASC_REQ_ALLOCATE_MEMORY
#define ASC_REQ_ALLOCATE_MEMORY 0x00000100
#endif
#ifndef ASC_REQ_CONFIDENTIALITY
#define ASC_REQ_CONFIDENTIALITY 0x00000010
#endif
#ifndef ASC_REQ_REPLAY_DETECT
#define ASC_REQ_REPLAY_DETECT 0x00000004
#endif
#ifndef ASC_REQ_SEQUENCE_DETECT
#define ASC_REQ_SEQUENCE_DETECT 0x00000008
#endif
#ifndef ASC_REQ_INTEGRITY
#define ASC_REQ_INTEGRITY 0x00020000
#endif
#ifndef ASC_RET_REPLAY_DETECT
#define ASC_RET_REPLAY_DETECT 0x00000004
#endif
#ifndef ASC_RET_SEQUENCE_DETECT
#define ASC_RET_SEQUENCE_DETECT 0x00000008
#endif
#ifndef ASC_RET_CONFIDENTIALITY
#define ASC_RET_CONFIDENTIALITY 0x00000010
#endif
#ifndef ASC_RET_ALLOCATED_MEMORY
#define ASC_RET_ALLOCATED_MEMORY 0x00000100
#endif
#ifndef ASC_RET_INTEGRITY
#define ASC_RET_INTEGRITY 0x00020000
#endif

#ifndef SECBUFFER_VERSION
#define SECBUFFER_VERSION 0
#endif
#ifndef SECBUFFER_EMPTY
#define SECBUFFER_EMPTY 0
#endif
#ifndef SECBUFFER_DATA
#define SECBUFFER_DATA 1
#endif
#ifndef SECBUFFER_TOKEN
#define SECBUFFER_TOKEN 2
#endif
#ifndef SECBUFFER_PADDING
#define SECBUFFER_PADDING 9
#endif
#ifndef SECBUFFER_CHANNEL_BINDINGS
#define SECBUFFER_CHANNEL_BINDINGS 14
#endif
#ifndef SECBUFFER_READONLY
#define SECBUFFER_READONLY 0x80000000
#endif
#ifndef SECBUFFER_READONLY_WITH_CHECKSUM
#define SECBUFFER_READONLY_WITH_CHECKSUM 0x10000000
#endif
#ifndef SECURITY_NATIVE_DREP
#define SECURITY_NATIVE_DREP 0x00000010
#endif
#ifndef SECURITY_NETWORK_DREP
#define SECURITY_NETWORK_DREP 0x00000000
#endif

#ifndef SECPKG_ATTR_SIZES
#define SECPKG_ATTR_SIZES 0
#endif
#ifndef SECPKG_ATTR_NAMES
#define SECPKG_ATTR_NAMES 1
#endif
#ifndef SECPKG_ATTR_LIFESPAN
#define SECPKG_ATTR_LIFESPAN 2
#endif
#ifndef SECPKG_ATTR_DCE_INFO
#define SECPKG_ATTR_DCE_INFO 3
#endif
#ifndef SECPKG_ATTR_STREAM_SIZES
#define SECPKG_ATTR_STREAM_SIZES 4
#endif
#ifndef SECPKG_ATTR_KEY_INFO
#define SECPKG_ATTR_KEY_INFO 5
#endif
#ifndef SECPKG_ATTR_AUTHORITY
#define SECPKG_ATTR_AUTHORITY 6
#endif
#ifndef SECPKG_ATTR_PASSWORD_EXPIRY
#define SECPKG_ATTR_PASSWORD_EXPIRY 8
#endif
#ifndef SECPKG_ATTR_SESSION_KEY
#define SECPKG_ATTR_SESSION_KEY 9
#endif
#ifndef SECPKG_ATTR_PACKAGE_INFO
#define SECPKG_ATTR_PACKAGE_INFO 10
#endif
#ifndef SECPKG_ATTR_NEGOTIATION_INFO
#define SECPKG_ATTR_NEGOTIATION_INFO 12
#endif
#ifndef SECPKG_ATTR_NATIVE_NAMES
#define SECPKG_ATTR_NATIVE_NAMES 13
#endif
#ifndef SECPKG_ATTR_FLAGS
#define SECPKG_ATTR_FLAGS 14
#endif
#ifndef SECPKG_ATTR_TARGET_INFORMATION
#define SECPKG_ATTR_TARGET_INFORMATION 17
#endif
#ifndef SECPKG_ATTR_ACCESS_TOKEN
#define SECPKG_ATTR_ACCESS_TOKEN 18
#endif
#ifndef SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS
#define SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS 30
#endif
#ifndef SECPKG_NEGOTIATION_COMPLETE
#define SECPKG_NEGOTIATION_COMPLETE 0
#endif

#ifndef SECPKG_CRED_INBOUND
#define SECPKG_CRED_INBOUND 0x00000001
#endif
#ifndef SECPKG_CRED_OUTBOUND
#define SECPKG_CRED_OUTBOUND 0x00000002
#endif
#ifndef SECPKG_CRED_BOTH
#define SECPKG_CRED_BOTH 0x00000003
#endif
#ifndef SECPKG_CRED_ATTR_NAMES
#define SECPKG_CRED_ATTR_NAMES 1
#endif
#ifndef SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS
#define SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS 3
#endif
#ifndef SEC_WINNT_AUTH_IDENTITY_ANSI
#define SEC_WINNT_AUTH_IDENTITY_ANSI 0x1
#endif
#ifndef SEC_WINNT_AUTH_IDENTITY_UNICODE
#define SEC_WINNT_AUTH_IDENTITY_UNICODE 0x2
#endif
#ifndef SEC_WINNT_AUTH_IDENTITY_VERSION
#define SEC_WINNT_AUTH_IDENTITY_VERSION 0x200
#endif
#ifndef SECQOP_WRAP_NO_ENCRYPT
#define SECQOP_WRAP_NO_ENCRYPT 0x80000001
#endif
#ifndef SECPKG_CONTEXT_EXPORT_DELETE_OLD
#define SECPKG_CONTEXT_EXPORT_DELETE_OLD 0x00000002
#endif
#ifndef SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION 1
#endif
#ifndef SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5 5
#endif
#ifndef CALG_RC4
#define CALG_RC4 0x6801
#endif

/* Structures the library header is not asked to provide. */
typedef struct { SecPkgInfoW *PackageInfo; } H_PackageInfoW;     /* SecPkgContext_PackageInfoW */
typedef struct {                                                 /* SEC_CHANNEL_BINDINGS */
    ULONG dwInitiatorAddrType, cbInitiatorLength, dwInitiatorOffset;
    ULONG dwAcceptorAddrType, cbAcceptorLength, dwAcceptorOffset;
    ULONG cbApplicationDataLength, dwApplicationDataOffset;
} H_ChannelBindings;

/* ---- the function table every test goes through ---- */
#define HARNESS_API_FIELD(name, args) SECURITY_STATUS (*name) args;
struct sspi_api {
    const char *mode; /* "linked" or "dlopen" */
    PSecurityFunctionTableW (*InitSecurityInterfaceW)(void);
    PSecurityFunctionTableA (*InitSecurityInterfaceA)(void);
    HARNESS_FUNCS(HARNESS_API_FIELD)
    /* opensspi's logon calls (LogonUserW etc. under Sspi names; dlsym'ed in dlopen mode) */
    int32_t (*SspiLogonUserW)(const uint16_t *, const uint16_t *, const uint16_t *, ULONG, ULONG, HANDLE *);
    NTSTATUS (*SspiGetTokenLogonId)(HANDLE, LUID *);
    NTSTATUS (*SspiLogoffSession)(LUID *);
    int32_t (*SspiCloseHandle)(HANDLE);
};
#undef HARNESS_API_FIELD
extern struct sspi_api api;

/* ---- helpers (util.c) ---- */
#define NTLM_MAX_TOKEN_BUF 65536
extern const char *g_user_file;

/* Pointer value of a function/data pointer as an integer. */
#define PTRVAL(p) ptrval(&(p), sizeof(p))
uintptr_t ptrval(const void *pp, size_t n);

/* UTF-16 helpers. */
size_t wlen(const SEC_WCHAR *s);
int w_eq(const SEC_WCHAR *s, const char *ascii);       /* exact */
int w_ieq(const SEC_WCHAR *s, const char *ascii);      /* ASCII case-insensitive */
SEC_WCHAR *w_dup(const char *ascii);                    /* malloc'd UTF-16 copy */
const char *w_to_a(const SEC_WCHAR *s);                 /* rotating static buffer, '?' for non-ASCII */
int a_ieq(const char *a, const char *b);
#define W(lit) ((SEC_WCHAR *)(u##lit))

/* Identities. */
struct ident {
    SEC_WINNT_AUTH_IDENTITY_A a;
    SEC_WINNT_AUTH_IDENTITY_W w;
    SEC_WCHAR *wu, *wd, *wp;
};
void ident_init(struct ident *id, const char *user, const char *domain, const char *pass);
void ident_free(struct ident *id);

/* Credentials (W entry points). */
SECURITY_STATUS acquire_client(const char *pkg, CredHandle *cred, const char *user,
                               const char *domain, const char *pass);
SECURITY_STATUS acquire_server(const char *pkg, CredHandle *cred);

/* A full in-process handshake, token by token. */
typedef void (*tamper_fn)(int leg, unsigned char *tok, ULONG *len, ULONG cap, void *arg);
struct hs {
    const char *pkg;
    int ansi;                  /* use InitializeSecurityContextA */
    ULONG creq, sreq;          /* fContextReq */
    ULONG drep;                /* TargetDataRep for both sides */
    const char *target;        /* client target name (NULL ok) */
    const void *cb_client;     /* channel bindings (SEC_CHANNEL_BINDINGS blob) */
    ULONG cb_client_len;
    const void *cb_server;
    ULONG cb_server_len;
    tamper_fn tamper;          /* called on each token before delivery */
    void *tamper_arg;

    CredHandle ccred, scred;
    CtxtHandle cctx, sctx;
    int have_ccred, have_scred, have_cctx, have_sctx;
    ULONG cattr[4], sattr[4];  /* pfContextAttr per leg */
    SECURITY_STATUS cst[4], sst[4];
    int cleg, sleg;            /* legs run */
    unsigned char tok[6][4096];
    ULONG toklen[6];
    int ntok;
    SECURITY_STATUS client_status, server_status;
};
void hs_init(struct hs *h, const char *pkg);
/* Acquire creds for user/domain/pass (client) and a server cred. */
int hs_creds(struct hs *h, const char *user, const char *domain, const char *pass);
/* Run the loop; returns 1 when both sides reached SEC_E_OK. */
int hs_run(struct hs *h);
void hs_cleanup(struct hs *h);
/* One client leg / server leg (used by hs_run). in may be NULL. */
SECURITY_STATUS hs_client_leg(struct hs *h, const unsigned char *in, ULONG inlen,
                              unsigned char *out, ULONG *outlen);
SECURITY_STATUS hs_server_leg(struct hs *h, const unsigned char *in, ULONG inlen,
                              unsigned char *out, ULONG *outlen);
/* NTLM: a full NTLM handshake with the default test user; 1 on success. */
int ntlm_pair(struct hs *h, ULONG creq, ULONG sreq);

/* Memory with a PROT_NONE page right after the last byte. */
void *guard_alloc(size_t n);
void guard_free(void *p, size_t n);
/* Read-only copy. */
void *ro_alloc(const void *data, size_t n);
void ro_free(void *p, size_t n);

/* Handles. */
int handle_is_live_shape(const SecHandle *h); /* not {0,0}, dwLower != 0, not {-1,-1} */
void set_handle(SecHandle *h, ULONG_PTR lo, ULONG_PTR up);

/* Packages registered (from EnumerateSecurityPackagesW). */
int package_registered(const char *name);

/* NTLM message helpers. */
int ntlm_msg_type(const unsigned char *tok, ULONG len);
uint32_t rd32(const unsigned char *p);
uint16_t rd16(const unsigned char *p);
void wr32(unsigned char *p, uint32_t v);

/* Canned CHALLENGE (BEHAVIOURS item 55, Wine runFakeServer). */
extern const unsigned char canned_challenge_network[148];
extern const unsigned char canned_challenge_native[148];

/* Groups. */
void t_layout(void);
void t_tables(void);
void t_a_table(void);
void t_packages(void);
void t_creds(void);
void t_isc(void);
void t_asc(void);
void t_attributes(void);
void t_server_negative(void);
void t_signatures(void);
void t_seal(void);
void t_stream(void);
void t_canned(void);
void t_misc(void);
void t_hostile_handles(void);
void t_hostile_buffers(void);
void t_negotiate(void);

#endif
