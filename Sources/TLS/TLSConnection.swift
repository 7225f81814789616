import COpenSSL
import EventLoop
import Glibc

/// One server-side TLS connection, driven by the same readiness events as a
/// plain socket: every call is non-blocking and says whether it needs the
/// socket readable or writable to go on.
///
/// A class because the `SSL` object has identity and must be freed once. It
/// stays on the loop of its connection. Plaintext goes straight between
/// OpenSSL and the connection's own buffers (`ReceiveBuffer.fill`,
/// `SendQueue.flush`), so steady-state traffic allocates nothing per record.
public final class TLSConnection {
    private(set) var ssl: OpaquePointer
    private var released = false
    /// Keeps the contexts (and the SNI callback's argument) alive for as long
    /// as this connection may still handshake, even across a reload.
    let context: TLSServerContext
    /// A read could not go on until the socket is writable (a TLS 1.3
    /// KeyUpdate answer, say): wait for writable, then read again.
    public private(set) var readWantsWrite = false
    /// A write could not go on until the socket is readable.
    public private(set) var writeWantsRead = false
    /// After a fatal error OpenSSL forbids further calls, close_notify included.
    private var broken = false
    /// The last read stopped because the caller's buffer was full, not
    /// because the socket ran dry: OpenSSL may hold whole records.
    private var stoppedFull = false
    private var closeNotifySent = false
    private var handshakeDone = false

    init?(fd: Int32, context: TLSServerContext) {
        guard let ssl = SSL_new(context.contexts[0]) else {
            OpenSSLErrors.clear()
            return nil
        }
        self.ssl = ssl
        self.context = context
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
    }

    deinit { if !released { SSL_free(ssl) } }

    /// Frees the OpenSSL state now, when the connection closes, rather than
    /// whenever the last reference goes. Nothing may be called afterwards.
    public func release() {
        guard !released else { return }
        released = true
        SSL_free(ssl)
    }

    public enum HandshakeResult {
        case done
        case wantRead
        case wantWrite
        /// The reason, from OpenSSL (protocol version, garbage, ...).
        case failed(String)
    }

    /// One step of the handshake; call again on the event it asked for.
    public func handshake() -> HandshakeResult {
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            handshakeDone = true
            return .done
        }
        switch SSL_get_error(ssl, r) {
        case SSL_ERROR_WANT_READ: return .wantRead  // read ahead: never with a whole record waiting
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_SYSCALL:
            broken = true
            let e = errno
            let queued = OpenSSLErrors.drain()
            return .failed(queued != "unknown error" ? queued : e == 0 ? "connection closed during the handshake" : String(cString: strerror(e)))
        default:
            broken = true
            return .failed(OpenSSLErrors.drain())
        }
    }

    /// Decrypts into the free tail of `buffer` until the socket has nothing
    /// more or the buffer is full (what does not fit stays in OpenSSL: see
    /// `hasPendingInput`).
    public func read(into buffer: inout ReceiveBuffer) -> ReceiveBuffer.ReadResult {
        readWantsWrite = false
        stoppedFull = false
        var total = 0
        while true {
            let result = buffer.fill { p, n in
                let r = SSL_read(ssl, p, Int32(clamping: n))
                if r > 0 { return .bytes(Int(r)) }
                switch SSL_get_error(ssl, r) {
                case SSL_ERROR_WANT_READ:
                    return .wouldBlock
                case SSL_ERROR_WANT_WRITE:
                    readWantsWrite = true
                    return .wouldBlock
                case SSL_ERROR_ZERO_RETURN:
                    return .eof
                case let code:
                    let e = fail(code)
                    return e == 0 ? .eof : .error(e)  // SYSCALL with errno 0: EOF without close_notify
                }
            }
            switch result {
            case .bytes(let n):
                if n == 0 {  // buffer full
                    stoppedFull = true
                    return .bytes(total)
                }
                total += n
            case .wouldBlock:
                return total > 0 ? .bytes(total) : .wouldBlock
            case .eof, .error:
                // Deliver what arrived first; the end shows on the next read.
                return total > 0 ? .bytes(total) : result
            }
        }
    }

    /// Bytes OpenSSL holds (read ahead, or decrypted) that did not fit the
    /// buffer. The socket will not signal for them, so the connection must
    /// come back on its own. False after a read that ran the socket dry:
    /// then OpenSSL holds at most part of a record, and the socket will
    /// signal when the rest arrives.
    @inline(__always)
    public var hasPendingInput: Bool { stoppedFull && SSL_has_pending(ssl) == 1 }

    /// Encrypts and sends from `queue` until the socket is full.
    public func flush(_ queue: inout SendQueue) -> SendQueue.WriteResult {
        writeWantsRead = false
        return queue.flush { p, n in write(p, n) }
    }

    /// Encrypts and sends what `buffer` holds (a tunnel's bytes) until the
    /// socket is full.
    public func write(from buffer: inout ReceiveBuffer) -> SendQueue.WriteResult {
        writeWantsRead = false
        return buffer.drain { p, n in write(p, n) }
    }

    /// Encrypts and sends `n` bytes at `p`, or as many as the socket takes
    /// (partial-write mode). Call again with the same bytes after `.blocked`.
    private func write(_ p: UnsafeRawPointer, _ n: Int) -> SendQueue.WriteStep {
        let r = SSL_write(ssl, p, Int32(clamping: n))
        if r > 0 { return .wrote(Int(r)) }
        switch SSL_get_error(ssl, r) {
        case SSL_ERROR_WANT_WRITE:
            return .blocked
        case SSL_ERROR_WANT_READ:
            writeWantsRead = true
            return .blocked
        case let code:
            let e = fail(code)
            return .failed(e == 0 ? EPIPE : e)
        }
    }

    /// A fatal error (`SSL_ERROR_SYSCALL` or `SSL_ERROR_SSL`): no more calls,
    /// not even close_notify. Returns the errno for a system error (0: the
    /// peer just closed), EPROTO for a protocol error.
    private func fail(_ code: Int32) -> Int32 {
        broken = true
        let e = errno
        OpenSSLErrors.clear()
        return code == SSL_ERROR_SYSCALL ? e : EPROTO
    }

    /// Sends close_notify once, best effort (never waits for the peer's):
    /// the client learns the stream ended on purpose, not by truncation.
    public func sendCloseNotify() {
        guard handshakeDone, !broken, !closeNotifySent else { return }
        closeNotifySent = true
        if SSL_shutdown(ssl) < 0 { OpenSSLErrors.clear() }
    }

    /// Frees OpenSSL's record buffers (~17 KiB each way) of a connection
    /// that has gone quiet; the next read or write allocates them again.
    /// Refused by OpenSSL while they hold bytes, which is then harmless.
    /// (`SSL_MODE_RELEASE_BUFFERS` would free them after every record: 11 %
    /// of the TLS keep-alive throughput on this machine.)
    public func releaseIdleBuffers() {
        guard handshakeDone, !released, !broken else { return }
        if SSL_free_buffers(ssl) != 1 { OpenSSLErrors.clear() }
    }

    /// The session was resumed from a ticket (no full handshake).
    public var resumed: Bool { SSL_session_reused(ssl) == 1 }

    /// The negotiated version as OpenSSL names it (`TLSv1.3`): a static C
    /// string, so the access log copies it without making a `String`.
    public var protocolVersion: UnsafePointer<CChar>? { released ? nil : SSL_get_version(ssl) }

    /// The server name the client asked for (SNI), owned by the connection.
    public var serverName: UnsafePointer<CChar>? {
        released ? nil : SSL_get_servername(ssl, tether_TLSEXT_NAMETYPE_host_name)
    }
}
