import CSystem
import Glibc

/// Socket calls with errors that name what failed. Everything here is
/// non-blocking; nothing here knows about HTTP.
public enum Socket {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var operation: String
        public var address: String
        public var errno: Int32

        public var description: String {
            let reason = String(cString: strerror(errno))
            return "\(operation) \(address): \(reason)"
        }
    }

    /// A listening socket shared by every loop (each loop watches it with
    /// EPOLLEXCLUSIVE). One socket rather than SO_REUSEPORT per loop, so that a
    /// port already held by another process fails here instead of being shared.
    public static func listen(_ address: SocketAddress, backlog: Int32 = 1024) throws(Error) -> Int32 {
        let fd = csys_socket_nonblocking(address.domain, Int32(SOCK_STREAM.rawValue))
        guard fd >= 0 else { throw Error(operation: "socket", address: address.description, errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockAddr { bind(fd, $0, $1) }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Error(operation: "bind", address: address.description, errno: e)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            throw Error(operation: "listen", address: address.description, errno: e)
        }
        return fd
    }

    /// The port a listening socket got (for `:0` in tests).
    public static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return 0 }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    public enum AcceptResult {
        /// A connection: non-blocking, close-on-exec, `TCP_NODELAY` set.
        case accepted(Int32)
        /// Nothing waiting, or a client that gave up before it was taken.
        case none
        /// Out of descriptors or kernel memory (`EMFILE`, `ENFILE`,
        /// `ENOBUFS`, `ENOMEM`): the listener stays readable, so the caller
        /// must stop watching it for a while instead of spinning.
        case exhausted(Int32)
    }

    /// Takes one connection off a listening socket; the client's address
    /// goes to `peer` when given. The only `accept4` in Tether.
    public static func accept(_ listener: Int32, peer: UnsafeMutablePointer<sockaddr_storage>? = nil) -> AcceptResult {
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = peer.map { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { csys_accept4(listener, $0, &len) }
        } ?? csys_accept4(listener, nil, nil)
        guard fd >= 0 else {
            let e = errno
            return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ? .exhausted(e) : .none
        }
        setNoDelay(fd)
        return .accepted(fd)
    }

    /// `EMFILE`, `ENFILE`…: the name of an `exhausted` errno, for the log.
    public static func errnoName(_ e: Int32) -> String {
        switch e {
        case EMFILE: return "EMFILE"
        case ENFILE: return "ENFILE"
        case ENOBUFS: return "ENOBUFS"
        case ENOMEM: return "ENOMEM"
        default: return "errno \(e)"
        }
    }

    public enum ConnectResult {
        case connected(Int32)
        case inProgress(Int32)
        case failed(Int32)  // errno
    }

    /// Starts a non-blocking connect.
    public static func connect(_ address: SocketAddress) -> ConnectResult {
        let fd = csys_socket_nonblocking(address.domain, Int32(SOCK_STREAM.rawValue))
        guard fd >= 0 else { return .failed(errno) }
        setNoDelay(fd)
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc == 0 { return .connected(fd) }
        let e = errno
        if e == EINPROGRESS { return .inProgress(fd) }
        close(fd)
        return .failed(e)
    }

    /// The outcome of a non-blocking connect once the socket is writable.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err
    }

    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Closes with RST instead of FIN: used when a response was cut short, so
    /// the client cannot mistake a truncated body for a complete one.
    public static func abort(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }
}
