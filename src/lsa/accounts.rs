//! The local account database (MSV1_0's SAM): the `NTLM_USER_FILE` format of
//! gss-ntlmssp and pyspnego.
