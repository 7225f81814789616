import ClientAddress
import EventLoop
import Glibc
import TLS

/// A client's end of a connection: a plain socket or TLS over it, the
/// client's address and the listener it came from (whose cap it holds a
/// place in). It goes from phase to phase of the connection: the
/// `TLSHandshake`, the `ProxySession`, a `LingeringClose`. The session
/// reads, writes and closes through it and never asks which kind it is.
///
/// A struct holding an optional class reference rather than a protocol: the
/// plain path is one nil check, with nothing dynamic on the way to `read(2)`.
struct ClientTransport {
    let fd: Int32
    let tls: TLSConnection?
    /// The client's address as text, for X-Forwarded-For and the access log:
    /// the socket's peer, or on a `proxy_protocol` listener the PROXY header's.
    let peer: [UInt8]
    /// The same address, for `trusted_proxies` (nil: not IP, e.g. a Unix socket).
    let address: IPAddress?
    let listener: String
    let listenerLimit: ConnectionLimit

    @inline(__always)
    func read(into buffer: inout ReceiveBuffer) -> ReceiveBuffer.ReadResult {
        if let tls { return tls.read(into: &buffer) }
        return buffer.read(from: fd)
    }

    @inline(__always)
    func flush(_ queue: inout SendQueue) -> SendQueue.WriteResult {
        if let tls { return tls.flush(&queue) }
        return queue.flush(to: fd)
    }

    var isTLS: Bool { tls != nil }

    /// Whether this client is a hop whose `X-Forwarded-For` is kept (checked
    /// per request against the running configuration, so a reload applies).
    @inline(__always)
    func isTrustedHop(_ trusted: [Network]) -> Bool {
        guard !trusted.isEmpty, let address else { return false }
        return trusted.containsAddress(address)
    }

    /// Writes from `buffer` (a tunnel's bytes for the client) until the
    /// socket is full or the buffer empty.
    func write(from buffer: inout ReceiveBuffer) -> SendQueue.WriteResult {
        if let tls { return tls.write(from: &buffer) }
        return buffer.drain { p, n in SendQueue.send(fd, p, n) }
    }

    /// Bytes already received and decrypted that no socket event will announce.
    @inline(__always)
    var hasPendingInput: Bool { tls?.hasPendingInput ?? false }

    /// Events TLS needs beyond what the session asked for (a read that must
    /// write first, or the reverse).
    @inline(__always)
    var extraInterest: UInt32 {
        guard let tls else { return 0 }
        return (tls.readWantsWrite ? EventLoop.writable : 0) | (tls.writeWantsRead ? EventLoop.readable : 0)
    }

    /// A TLS connection idle past a second: OpenSSL's buffers go (the next
    /// request usually comes sooner; see `ClientClock`).
    func releaseIdleBuffers() {
        tls?.releaseIdleBuffers()
        IdleMemory.released(32 * 1024)  // about what OpenSSL frees: a read and a write record buffer
    }

    /// Ends the write side after the last response: close_notify, then FIN.
    func shutdownWrite() {
        tls?.sendCloseNotify()
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the socket; `reset` sends RST so a cut-short response is never
    /// taken for a whole one (and then no close_notify either).
    func close(reset: Bool) {
        if reset {
            Socket.abort(fd)
        } else {
            tls?.sendCloseNotify()
            Glibc.close(fd)
        }
    }
}
