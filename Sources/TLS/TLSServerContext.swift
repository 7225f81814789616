import COpenSSL
import Config
import Glibc

/// The TLS side of one listener: one `SSL_CTX` per certificate, the first the
/// default, the others chosen by the client's SNI name during the handshake.
///
/// `@unchecked Sendable` because an `SSL_CTX` is shared by every loop: OpenSSL
/// allows `SSL_new` on one context from many threads once it is configured,
/// and nothing here changes a context after `init`. A reload builds a new
/// `TLSServerContext` from the files; connections made from the old one keep
/// it alive (each `TLSConnection` holds a reference), so it goes away with
/// the last of them.
public final class TLSServerContext: @unchecked Sendable {
    /// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only.
    /// TLS 1.3 suites are OpenSSL's defaults (all AEAD).
    public static let defaultCiphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// In configuration order; `contexts[0]` is the default.
    let contexts: [OpaquePointer]

    public init(_ config: TLSListenerConfig) throws(TLSSetupError) {
        var made: [OpaquePointer] = []
        do throws(TLSSetupError) {
            for pair in config.certificates {
                let ctx = try Self.makeContext(config)
                made.append(ctx)
                try CertificateFile.install(cert: pair.cert, key: pair.key, into: ctx)
            }
        } catch {
            for ctx in made { SSL_CTX_free(ctx) }
            throw error
        }
        guard !made.isEmpty else { throw .openSSL("no certificate configured") }
        contexts = made
        // The SNI callback finds this object through the context's argument;
        // unretained, because every SSL made from it retains `self` instead.
        let me = Unmanaged.passUnretained(self).toOpaque()
        for ctx in contexts {
            _ = tether_SSL_CTX_set_tlsext_servername_callback(ctx, sniCallback)
            _ = tether_SSL_CTX_set_tlsext_servername_arg(ctx, me)
        }
    }

    deinit {
        for ctx in contexts { SSL_CTX_free(ctx) }
    }

    /// A context with the listener's protocol settings, before its certificate.
    private static func makeContext(_ config: TLSListenerConfig) throws(TLSSetupError) -> OpaquePointer {
        OpenSSLErrors.clear()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .openSSL(OpenSSLErrors.drain()) }
        let minimum = config.minVersion == "1.3" ? tether_TLS1_3_VERSION : tether_TLS1_2_VERSION
        guard tether_SSL_CTX_set_min_proto_version(ctx, minimum) == 1 else {
            SSL_CTX_free(ctx)
            throw .openSSL(OpenSSLErrors.drain())
        }
        // No compression (CRIME), no renegotiation (a client-driven CPU sink and
        // a source of mid-stream WANT_WRITE surprises); an EOF without
        // close_notify is an ordinary end of stream, as browsers send it.
        _ = SSL_CTX_set_options(
            ctx,
            tether_SSL_OP_NO_COMPRESSION | tether_SSL_OP_NO_RENEGOTIATION | tether_SSL_OP_IGNORE_UNEXPECTED_EOF
                | tether_SSL_OP_NO_SSLv3 | tether_SSL_OP_NO_TLSv1 | tether_SSL_OP_NO_TLSv1_1)
        let ciphers = config.ciphers ?? defaultCiphers
        guard SSL_CTX_set_cipher_list(ctx, ciphers) == 1 else {
            let reason = OpenSSLErrors.drain()
            SSL_CTX_free(ctx)
            throw .ciphers(ciphers, reason: reason)
        }
        // Partial writes: SSL_write takes what fits, like send(2), so the send
        // queue is consumed record by record. The queue may move between retries.
        _ = tether_SSL_CTX_set_mode(ctx, tether_SSL_MODE_ENABLE_PARTIAL_WRITE | tether_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        // Read ahead: one read(2) takes what the socket has instead of a
        // header read and a body read per record (a handshake was 13 reads,
        // nginx's 4). Records read ahead are announced by no socket event,
        // which `TLSConnection.hasPendingInput` covers.
        tether_SSL_CTX_set_read_ahead(ctx, 1)
        // Resumption by tickets only: a server-side session cache is shared
        // state behind a lock that every loop would contend on.
        _ = tether_SSL_CTX_set_session_cache_mode(ctx, tether_SSL_SESS_CACHE_OFF)
        let sid: [UInt8] = Array("tether".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, sid, UInt32(sid.count))
        // One ticket per handshake, not OpenSSL's two: a client resumes one
        // connection from each, and every ticket costs an encryption.
        _ = SSL_CTX_set_num_tickets(ctx, 1)
        SSL_CTX_set_alpn_select_cb(ctx, alpnCallback, nil)
        // An encrypted key must fail with a message, not prompt on a terminal.
        SSL_CTX_set_default_passwd_cb(ctx, noPassword)
        return ctx
    }

    /// The context whose certificate covers `name` (exact or wildcard, by
    /// subjectAltName, as browsers match), or nil to keep the default.
    func context(forServerName name: UnsafePointer<CChar>) -> OpaquePointer? {
        let length = strlen(name)
        for ctx in contexts.dropFirst() {
            if let cert = SSL_CTX_get0_certificate(ctx), X509_check_host(cert, name, length, 0, nil) == 1 { return ctx }
        }
        return nil
    }

    /// A server-side TLS connection on `fd`, or nil if OpenSSL cannot allocate one.
    public func makeConnection(fd: Int32) -> TLSConnection? {
        TLSConnection(fd: fd, context: self)
    }
}

/// SNI: swap in the certificate the client asked for; unknown names get the default.
private let sniCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl, _, arg in
    guard let ssl, let arg, let name = SSL_get_servername(ssl, tether_TLSEXT_NAMETYPE_host_name) else {
        return tether_SSL_TLSEXT_ERR_OK
    }
    let server = Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue()
    if let ctx = server.context(forServerName: name) { _ = SSL_set_SSL_CTX(ssl, ctx) }
    return tether_SSL_TLSEXT_ERR_OK
}

/// ALPN: Tether speaks HTTP/1.1 only. A client that offers it gets it; one
/// that offers only other protocols (h2 alone) is refused with
/// `no_application_protocol`, as RFC 7301 asks, rather than surprised later.
private let alpnCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?, UnsafePointer<UInt8>?,
        UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outLength, offered, offeredLength, _ in
        guard let out, let outLength, let offered else { return tether_SSL_TLSEXT_ERR_NOACK }
        var i = 0
        let n = Int(offeredLength)
        while i < n {
            let len = Int(offered[i])
            if len == 8 && i + 1 + len <= n && memcmp(offered + i + 1, "http/1.1", 8) == 0 {
                out.pointee = offered + i + 1
                outLength.pointee = 8
                return tether_SSL_TLSEXT_ERR_OK
            }
            i += 1 + len
        }
        return tether_SSL_TLSEXT_ERR_ALERT_FATAL
    }

private let noPassword: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in 0 }
