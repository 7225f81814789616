#ifndef TETHER_COPENSSL_SHIM_H
#define TETHER_COPENSSL_SHIM_H

/* OpenSSL 3 exposes much of its API as macros, which Swift cannot import.
 * Each macro Tether needs is re-exported here as a static inline function or a
 * static const, so the Swift side never depends on macro expansion. */

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

static const unsigned long tether_SSL_OP_NO_SSLv2 = SSL_OP_NO_SSLv2;
static const unsigned long tether_SSL_OP_NO_SSLv3 = SSL_OP_NO_SSLv3;
static const unsigned long tether_SSL_OP_NO_TLSv1 = SSL_OP_NO_TLSv1;
static const unsigned long tether_SSL_OP_NO_TLSv1_1 = SSL_OP_NO_TLSv1_1;
static const unsigned long tether_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const unsigned long tether_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const unsigned long tether_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const unsigned long tether_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;

static const long tether_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long tether_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long tether_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;

static const int tether_TLS1_2_VERSION = TLS1_2_VERSION;
static const int tether_TLS1_3_VERSION = TLS1_3_VERSION;

static inline long tether_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline int tether_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long tether_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}

static inline long tether_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

#endif
