#ifndef TETHER_COPENSSL_SHIM_H
#define TETHER_COPENSSL_SHIM_H

/* OpenSSL 3 exposes much of its API as macros, which Swift cannot import.
 * Each macro Tether uses is re-exported here as a static inline function or a
 * static const, so the Swift side never depends on macro expansion; add one
 * here when the Swift side needs it, not before.
 * SSL_CTX_set_options itself is a real function in OpenSSL 3 (taking uint64_t);
 * only its SSL_OP_* arguments are macros. */

#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

static const uint64_t tether_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const uint64_t tether_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t tether_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t tether_SSL_OP_NO_SSLv3 = SSL_OP_NO_SSLv3;
static const uint64_t tether_SSL_OP_NO_TLSv1 = SSL_OP_NO_TLSv1;
static const uint64_t tether_SSL_OP_NO_TLSv1_1 = SSL_OP_NO_TLSv1_1;

static const long tether_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long tether_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;

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
