#ifndef TETHER_COPENSSL_SHIM_H
#define TETHER_COPENSSL_SHIM_H

/* OpenSSL 3 exposes much of its API as macros, which Swift cannot import.
 * Each macro Tether needs is re-exported here as a static inline function or a
 * static const, so the Swift side never depends on macro expansion.
 * SSL_CTX_set_options itself is a real function in OpenSSL 3 (taking uint64_t);
 * only its SSL_OP_* arguments are macros, all of them listed below. */

#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

/* Every SSL_OP_* option of OpenSSL 3 (generated from <openssl/ssl.h>). */
static const uint64_t tether_SSL_OP_ALL = SSL_OP_ALL;
static const uint64_t tether_SSL_OP_ALLOW_CLIENT_RENEGOTIATION = SSL_OP_ALLOW_CLIENT_RENEGOTIATION;
static const uint64_t tether_SSL_OP_ALLOW_NO_DHE_KEX = SSL_OP_ALLOW_NO_DHE_KEX;
static const uint64_t tether_SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION = SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION;
static const uint64_t tether_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t tether_SSL_OP_CISCO_ANYCONNECT = SSL_OP_CISCO_ANYCONNECT;
static const uint64_t tether_SSL_OP_CLEANSE_PLAINTEXT = SSL_OP_CLEANSE_PLAINTEXT;
static const uint64_t tether_SSL_OP_COOKIE_EXCHANGE = SSL_OP_COOKIE_EXCHANGE;
static const uint64_t tether_SSL_OP_CRYPTOPRO_TLSEXT_BUG = SSL_OP_CRYPTOPRO_TLSEXT_BUG;
static const uint64_t tether_SSL_OP_DISABLE_TLSEXT_CA_NAMES = SSL_OP_DISABLE_TLSEXT_CA_NAMES;
static const uint64_t tether_SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS = SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
static const uint64_t tether_SSL_OP_ENABLE_KTLS = SSL_OP_ENABLE_KTLS;
static const uint64_t tether_SSL_OP_ENABLE_MIDDLEBOX_COMPAT = SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
static const uint64_t tether_SSL_OP_EPHEMERAL_RSA = SSL_OP_EPHEMERAL_RSA;
static const uint64_t tether_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const uint64_t tether_SSL_OP_LEGACY_SERVER_CONNECT = SSL_OP_LEGACY_SERVER_CONNECT;
static const uint64_t tether_SSL_OP_MICROSOFT_BIG_SSLV3_BUFFER = SSL_OP_MICROSOFT_BIG_SSLV3_BUFFER;
static const uint64_t tether_SSL_OP_MICROSOFT_SESS_ID_BUG = SSL_OP_MICROSOFT_SESS_ID_BUG;
static const uint64_t tether_SSL_OP_MSIE_SSLV2_RSA_PADDING = SSL_OP_MSIE_SSLV2_RSA_PADDING;
static const uint64_t tether_SSL_OP_NETSCAPE_CA_DN_BUG = SSL_OP_NETSCAPE_CA_DN_BUG;
static const uint64_t tether_SSL_OP_NETSCAPE_CHALLENGE_BUG = SSL_OP_NETSCAPE_CHALLENGE_BUG;
static const uint64_t tether_SSL_OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG = SSL_OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG;
static const uint64_t tether_SSL_OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG = SSL_OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG;
static const uint64_t tether_SSL_OP_NO_ANTI_REPLAY = SSL_OP_NO_ANTI_REPLAY;
static const uint64_t tether_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t tether_SSL_OP_NO_DTLS_MASK = SSL_OP_NO_DTLS_MASK;
static const uint64_t tether_SSL_OP_NO_DTLSv1 = SSL_OP_NO_DTLSv1;
static const uint64_t tether_SSL_OP_NO_DTLSv1_2 = SSL_OP_NO_DTLSv1_2;
static const uint64_t tether_SSL_OP_NO_ENCRYPT_THEN_MAC = SSL_OP_NO_ENCRYPT_THEN_MAC;
static const uint64_t tether_SSL_OP_NO_EXTENDED_MASTER_SECRET = SSL_OP_NO_EXTENDED_MASTER_SECRET;
static const uint64_t tether_SSL_OP_NO_QUERY_MTU = SSL_OP_NO_QUERY_MTU;
static const uint64_t tether_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t tether_SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION = SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION;
static const uint64_t tether_SSL_OP_NO_SSL_MASK = SSL_OP_NO_SSL_MASK;
static const uint64_t tether_SSL_OP_NO_SSLv2 = SSL_OP_NO_SSLv2;
static const uint64_t tether_SSL_OP_NO_SSLv3 = SSL_OP_NO_SSLv3;
static const uint64_t tether_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
static const uint64_t tether_SSL_OP_NO_TLSv1 = SSL_OP_NO_TLSv1;
static const uint64_t tether_SSL_OP_NO_TLSv1_1 = SSL_OP_NO_TLSv1_1;
static const uint64_t tether_SSL_OP_NO_TLSv1_2 = SSL_OP_NO_TLSv1_2;
static const uint64_t tether_SSL_OP_NO_TLSv1_3 = SSL_OP_NO_TLSv1_3;
static const uint64_t tether_SSL_OP_PKCS1_CHECK_1 = SSL_OP_PKCS1_CHECK_1;
static const uint64_t tether_SSL_OP_PKCS1_CHECK_2 = SSL_OP_PKCS1_CHECK_2;
static const uint64_t tether_SSL_OP_PRIORITIZE_CHACHA = SSL_OP_PRIORITIZE_CHACHA;
static const uint64_t tether_SSL_OP_SAFARI_ECDHE_ECDSA_BUG = SSL_OP_SAFARI_ECDHE_ECDSA_BUG;
static const uint64_t tether_SSL_OP_SINGLE_DH_USE = SSL_OP_SINGLE_DH_USE;
static const uint64_t tether_SSL_OP_SINGLE_ECDH_USE = SSL_OP_SINGLE_ECDH_USE;
static const uint64_t tether_SSL_OP_SSLEAY_080_CLIENT_DH_BUG = SSL_OP_SSLEAY_080_CLIENT_DH_BUG;
static const uint64_t tether_SSL_OP_SSLREF2_REUSE_CERT_TYPE_BUG = SSL_OP_SSLREF2_REUSE_CERT_TYPE_BUG;
static const uint64_t tether_SSL_OP_TLSEXT_PADDING = SSL_OP_TLSEXT_PADDING;
static const uint64_t tether_SSL_OP_TLS_BLOCK_PADDING_BUG = SSL_OP_TLS_BLOCK_PADDING_BUG;
static const uint64_t tether_SSL_OP_TLS_D5_BUG = SSL_OP_TLS_D5_BUG;
static const uint64_t tether_SSL_OP_TLS_ROLLBACK_BUG = SSL_OP_TLS_ROLLBACK_BUG;

static const long tether_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long tether_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long tether_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;

static const int tether_TLS1_VERSION = TLS1_VERSION;
static const int tether_TLS1_1_VERSION = TLS1_1_VERSION;
static const int tether_TLS1_2_VERSION = TLS1_2_VERSION;
static const int tether_TLS1_3_VERSION = TLS1_3_VERSION;

static const int tether_SSL_TLSEXT_ERR_OK = SSL_TLSEXT_ERR_OK;
static const int tether_SSL_TLSEXT_ERR_ALERT_FATAL = SSL_TLSEXT_ERR_ALERT_FATAL;
static const int tether_SSL_TLSEXT_ERR_NOACK = SSL_TLSEXT_ERR_NOACK;
static const int tether_TLSEXT_NAMETYPE_host_name = TLSEXT_NAMETYPE_host_name;
static const long tether_SSL_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;
static const int tether_SSL_KEY_UPDATE_REQUESTED = SSL_KEY_UPDATE_REQUESTED;
static const int tether_SSL_FILETYPE_PEM = SSL_FILETYPE_PEM;

static inline long tether_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline int tether_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline int tether_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

static inline long tether_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

static inline void tether_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) {
    SSL_CTX_set_read_ahead(ctx, yes);
}

static inline long tether_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}

static inline long tether_SSL_CTX_set_tlsext_servername_arg(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}

static inline long tether_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

#endif
