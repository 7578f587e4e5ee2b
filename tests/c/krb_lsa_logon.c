/*
 * krb_lsa_logon: a Kerberos logon through the C ABI, as a Windows logon
 * program does it: LsaConnectUntrusted, LsaLookupAuthenticationPackage
 * ("Kerberos"), LsaLogonUser(Interactive, KERB_INTERACTIVE_LOGON), then
 * LsaCallAuthenticationPackage(KerbQueryTicketCacheMessage) for the new
 * session. Used by tests/kerberos_lsa_logon.rs.
 *
 * usage: krb_lsa_logon DOMAIN USER  (the password is the first line of
 * standard input). Prints "LOGON 0x<NTSTATUS> 0x<SubStatus>", then
 * "LUID <high>:<low>" and one "TICKET <server>@<realm> <etype> <flags>" line
 * per cached ticket. Exit 0 when the logon and the query succeeded.
 *
 * usage: krb_lsa_logon --purge  (klist purge): no logon;
 * KerbPurgeTicketCacheMessage with empty names for the caller's session
 * (LogonId 0), then KerbQueryTicketCacheMessage of it. Prints
 * "PURGE 0x<NTSTATUS> 0x<ProtocolStatus>", the TICKET lines and
 * "COUNT <n>".
 */
#include <security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsa_util.h"

/* A UNICODE_STRING of ASCII text as a C string (non-ASCII as '?'). */
static void narrow(const LSA_UNICODE_STRING *s, char *out, size_t n)
{
    size_t k = 0;
    for (; k + 1 < n && k < s->Length / 2u; k++) {
        uint16_t c = s->Buffer[k];
        out[k] = c < 0x80 ? (char)c : '?';
    }
    out[k] = 0;
}

/* KerbQueryTicketCacheMessage of `luid`: one TICKET line per ticket, then
 * COUNT; 0 when the query succeeded. */
static int list_tickets(HANDLE lsa, ULONG pkg, LUID luid)
{
    KERB_QUERY_TKT_CACHE_REQUEST q = {KerbQueryTicketCacheMessage, luid};
    PVOID resp = NULL;
    ULONG size = 0;
    NTSTATUS pst = 0;
    NTSTATUS st = LsaCallAuthenticationPackage(lsa, pkg, &q, sizeof q, &resp, &size, &pst);
    if (st || pst || !resp) {
        printf("KerbQueryTicketCacheMessage 0x%08X 0x%08X\n", (unsigned)st, (unsigned)pst);
        return 1;
    }
    KERB_QUERY_TKT_CACHE_RESPONSE *r = resp;
    KERB_TICKET_CACHE_INFO *t = (KERB_TICKET_CACHE_INFO *)(r + 1);
    for (ULONG i = 0; i < r->CountOfTickets; i++) {
        char server[256], realm[256];
        narrow(&t[i].ServerName, server, sizeof server);
        narrow(&t[i].RealmName, realm, sizeof realm);
        printf("TICKET %s@%s %d 0x%08X\n", server, realm, (int)t[i].EncryptionType,
               (unsigned)t[i].TicketFlags);
    }
    printf("COUNT %u\n", (unsigned)r->CountOfTickets);
    LsaFreeReturnBuffer(resp);
    return 0;
}

/* KERB_PURGE_TKT_CACHE_REQUEST (the names empty: every ticket). */
struct purge_request {
    ULONG MessageType;
    LUID LogonId;
    LSA_UNICODE_STRING ServerName;
    LSA_UNICODE_STRING RealmName;
};

static int purge(void)
{
    HANDLE lsa;
    NTSTATUS st = LsaConnectUntrusted(&lsa);
    if (st) {
        printf("LsaConnectUntrusted 0x%08X\n", (unsigned)st);
        return 1;
    }
    LSA_STRING name = lsa_str("Kerberos");
    ULONG pkg;
    st = LsaLookupAuthenticationPackage(lsa, &name, &pkg);
    if (st) {
        printf("LsaLookupAuthenticationPackage 0x%08X\n", (unsigned)st);
        return 1;
    }
    struct purge_request p;
    memset(&p, 0, sizeof p);
    p.MessageType = KerbPurgeTicketCacheMessage;
    PVOID resp = NULL;
    ULONG size = 0;
    NTSTATUS pst = 0;
    st = LsaCallAuthenticationPackage(lsa, pkg, &p, sizeof p, &resp, &size, &pst);
    printf("PURGE 0x%08X 0x%08X\n", (unsigned)st, (unsigned)pst);
    if (resp) LsaFreeReturnBuffer(resp);
    if (st || pst) return 1;
    LUID caller = {0, 0};
    int rc = list_tickets(lsa, pkg, caller);
    LsaDeregisterLogonProcess(lsa);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--purge") == 0) return purge();
    if (argc != 3) {
        fprintf(stderr, "usage: %s DOMAIN USER < password\n", argv[0]);
        return 2;
    }
    char password[256];
    if (!fgets(password, sizeof password, stdin)) return 2;
    password[strcspn(password, "\r\n")] = 0;

    HANDLE lsa;
    NTSTATUS st = LsaConnectUntrusted(&lsa);
    if (st) {
        printf("LsaConnectUntrusted 0x%08X\n", (unsigned)st);
        return 1;
    }
    LSA_STRING name = lsa_str("Kerberos");
    ULONG pkg;
    st = LsaLookupAuthenticationPackage(lsa, &name, &pkg);
    if (st) {
        printf("LsaLookupAuthenticationPackage 0x%08X\n", (unsigned)st);
        return 1;
    }
    LUID luid;
    HANDLE token = NULL;
    NTSTATUS sub = 0;
    st = lsa_msv_logon(lsa, pkg, Interactive, "krb_lsa_logon", argv[1], argv[2], password, &luid,
                       &token, NULL, NULL, &sub);
    memset(password, 0, sizeof password);
    printf("LOGON 0x%08X 0x%08X\n", (unsigned)st, (unsigned)sub);
    if (st) return 1;
    printf("LUID %x:%x\n", (unsigned)luid.HighPart, (unsigned)luid.LowPart);

    if (list_tickets(lsa, pkg, luid)) return 1;
    LsaDeregisterLogonProcess(lsa);
    return 0;
}
