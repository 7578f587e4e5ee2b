/* Windows pointer typedefs and aliases that cbindgen does not emit. */
typedef SecHandle *PSecHandle;
typedef CredHandle *PCredHandle;
typedef CtxtHandle *PCtxtHandle;
typedef SecBuffer *PSecBuffer;
typedef SecBufferDesc *PSecBufferDesc;
typedef SecPkgInfoW *PSecPkgInfoW;
typedef SecPkgInfoA *PSecPkgInfoA;
typedef SEC_WINNT_AUTH_IDENTITY_W *PSEC_WINNT_AUTH_IDENTITY_W;
typedef SEC_WINNT_AUTH_IDENTITY_A *PSEC_WINNT_AUTH_IDENTITY_A;
typedef SEC_WINNT_AUTH_IDENTITY_EXW *PSEC_WINNT_AUTH_IDENTITY_EXW;
typedef SEC_WINNT_AUTH_IDENTITY_EXA *PSEC_WINNT_AUTH_IDENTITY_EXA;
typedef SecPkgContext_Sizes *PSecPkgContext_Sizes;
typedef SecurityFunctionTableW *PSecurityFunctionTableW;
typedef SecurityFunctionTableA *PSecurityFunctionTableA;
typedef LUID *PLUID;
typedef SEC_CHANNEL_BINDINGS *PSEC_CHANNEL_BINDINGS;
typedef PSecurityFunctionTableW (*INIT_SECURITY_INTERFACE_W)(void);
typedef PSecurityFunctionTableA (*INIT_SECURITY_INTERFACE_A)(void);

#ifdef UNICODE
#define SecPkgInfo SecPkgInfoW
#define PSecPkgInfo PSecPkgInfoW
#define SEC_WINNT_AUTH_IDENTITY SEC_WINNT_AUTH_IDENTITY_W
#define SecurityFunctionTable SecurityFunctionTableW
#define PSecurityFunctionTable PSecurityFunctionTableW
#define InitSecurityInterface InitSecurityInterfaceW
#define EnumerateSecurityPackages EnumerateSecurityPackagesW
#define QuerySecurityPackageInfo QuerySecurityPackageInfoW
#define AcquireCredentialsHandle AcquireCredentialsHandleW
#define InitializeSecurityContext InitializeSecurityContextW
#define QueryContextAttributes QueryContextAttributesW
#define QueryCredentialsAttributes QueryCredentialsAttributesW
#define SecPkgContext_Names SecPkgContext_NamesW
#define SecPkgCredentials_Names SecPkgCredentials_NamesW
#else
#define SecPkgInfo SecPkgInfoA
#define PSecPkgInfo PSecPkgInfoA
#define SEC_WINNT_AUTH_IDENTITY SEC_WINNT_AUTH_IDENTITY_A
#define SecurityFunctionTable SecurityFunctionTableA
#define PSecurityFunctionTable PSecurityFunctionTableA
#define InitSecurityInterface InitSecurityInterfaceA
#define EnumerateSecurityPackages EnumerateSecurityPackagesA
#define QuerySecurityPackageInfo QuerySecurityPackageInfoA
#define AcquireCredentialsHandle AcquireCredentialsHandleA
#define InitializeSecurityContext InitializeSecurityContextA
#define QueryContextAttributes QueryContextAttributesA
#define QueryCredentialsAttributes QueryCredentialsAttributesA
#define SecPkgContext_Names SecPkgContext_NamesA
#define SecPkgCredentials_Names SecPkgCredentials_NamesA
#endif

/* ntsecapi.h names. */
typedef LSA_STRING STRING, *PSTRING, *PLSA_STRING;
typedef LSA_UNICODE_STRING UNICODE_STRING, *PUNICODE_STRING, *PLSA_UNICODE_STRING;
typedef MSV1_0_INTERACTIVE_LOGON *PMSV1_0_INTERACTIVE_LOGON;
typedef MSV1_0_INTERACTIVE_LOGON KERB_INTERACTIVE_LOGON, *PKERB_INTERACTIVE_LOGON;
typedef MSV1_0_INTERACTIVE_PROFILE *PMSV1_0_INTERACTIVE_PROFILE;
typedef MSV1_0_INTERACTIVE_PROFILE KERB_INTERACTIVE_PROFILE, *PKERB_INTERACTIVE_PROFILE;
typedef SECURITY_LOGON_SESSION_DATA *PSECURITY_LOGON_SESSION_DATA;
typedef TOKEN_SOURCE *PTOKEN_SOURCE;
typedef QUOTA_LIMITS *PQUOTA_LIMITS;
typedef KERB_QUERY_TKT_CACHE_REQUEST *PKERB_QUERY_TKT_CACHE_REQUEST;
typedef KERB_QUERY_TKT_CACHE_REQUEST NEGOTIATE_CALLER_NAME_REQUEST, *PNEGOTIATE_CALLER_NAME_REQUEST;
typedef KERB_QUERY_TKT_CACHE_RESPONSE *PKERB_QUERY_TKT_CACHE_RESPONSE;
typedef NEGOTIATE_CALLER_NAME_RESPONSE *PNEGOTIATE_CALLER_NAME_RESPONSE;
typedef ULONG LSA_OPERATIONAL_MODE, *PLSA_OPERATIONAL_MODE;

typedef enum _SECURITY_LOGON_TYPE {
    UndefinedLogonType = 0, Interactive = 2, Network, Batch, Service, Proxy, Unlock,
    NetworkCleartext, NewCredentials, RemoteInteractive, CachedInteractive,
    CachedRemoteInteractive, CachedUnlock
} SECURITY_LOGON_TYPE, *PSECURITY_LOGON_TYPE;
typedef enum _MSV1_0_LOGON_SUBMIT_TYPE {
    MsV1_0InteractiveLogon = 2, MsV1_0Lm20Logon, MsV1_0NetworkLogon, MsV1_0SubAuthLogon,
    MsV1_0WorkstationUnlockLogon = 7, MsV1_0S4ULogon = 12, MsV1_0VirtualLogon = 82,
    MsV1_0NoElevationLogon = 83, MsV1_0LuidLogon = 84
} MSV1_0_LOGON_SUBMIT_TYPE;
typedef enum _MSV1_0_PROFILE_BUFFER_TYPE {
    MsV1_0InteractiveProfile = 2, MsV1_0Lm20LogonProfile, MsV1_0SmartCardProfile
} MSV1_0_PROFILE_BUFFER_TYPE;
typedef enum _KERB_LOGON_SUBMIT_TYPE {
    KerbInteractiveLogon = 2, KerbSmartCardLogon = 6, KerbWorkstationUnlockLogon = 7,
    KerbSmartCardUnlockLogon = 8, KerbProxyLogon = 9, KerbTicketLogon = 10,
    KerbTicketUnlockLogon = 11, KerbS4ULogon = 12
} KERB_LOGON_SUBMIT_TYPE;
typedef enum _KERB_PROTOCOL_MESSAGE_TYPE {
    KerbDebugRequestMessage = 0, KerbQueryTicketCacheMessage, KerbChangeMachinePasswordMessage,
    KerbVerifyPacMessage, KerbRetrieveTicketMessage, KerbUpdateAddressesMessage,
    KerbPurgeTicketCacheMessage, KerbChangePasswordMessage, KerbRetrieveEncodedTicketMessage,
    KerbDecryptDataMessage, KerbAddBindingCacheEntryMessage, KerbSetPasswordMessage,
    KerbSetPasswordExMessage, KerbVerifyCredentialsMessage, KerbQueryTicketCacheExMessage,
    KerbPurgeTicketCacheExMessage
} KERB_PROTOCOL_MESSAGE_TYPE;
typedef enum _MSV1_0_PROTOCOL_MESSAGE_TYPE {
    MsV1_0Lm20ChallengeRequest = 0, MsV1_0Lm20GetChallengeResponse, MsV1_0EnumerateUsers,
    MsV1_0GetUserInfo, MsV1_0ReLogonUsers, MsV1_0ChangePassword, MsV1_0ChangeCachedPassword,
    MsV1_0GenericPassthrough, MsV1_0CacheLogon, MsV1_0SubAuth, MsV1_0DeriveCredential,
    MsV1_0CacheLookup, MsV1_0SetProcessOption, MsV1_0ConfigLocalAliases,
    MsV1_0ClearCachedCredentials
} MSV1_0_PROTOCOL_MESSAGE_TYPE;
typedef enum _NEGOTIATE_MESSAGES {
    NegEnumPackagePrefixes = 0, NegGetCallerName = 1, NegTransferCredentials = 2,
    NegCallPackageMax = 4
} NEGOTIATE_MESSAGES;

#define LOGON32_LOGON_INTERACTIVE 2
#define LOGON32_LOGON_NETWORK 3
#define LOGON32_LOGON_BATCH 4
#define LOGON32_LOGON_SERVICE 5
#define LOGON32_LOGON_UNLOCK 7
#define LOGON32_LOGON_NETWORK_CLEARTEXT 8
#define LOGON32_LOGON_NEW_CREDENTIALS 9
#define LOGON32_PROVIDER_DEFAULT 0
#define LOGON32_PROVIDER_WINNT35 1
#define LOGON32_PROVIDER_WINNT40 2
#define LOGON32_PROVIDER_WINNT50 3

/* Win32 names of the Sspi* logon calls, on request (they would clash with
 * WinPR's or Wine's own exports otherwise). */
#ifdef OPENSSPI_WIN32_ALIASES
#define LogonUserW SspiLogonUserW
#define LogonUserA SspiLogonUserA
#define ImpersonateLoggedOnUser SspiImpersonateLoggedOnUser
#define RevertToSelf SspiRevertToSelf
#define CloseHandle SspiCloseHandle
#define GetLastError SspiGetLastError
#ifdef UNICODE
#define LogonUser LogonUserW
#else
#define LogonUser LogonUserA
#endif
#endif
