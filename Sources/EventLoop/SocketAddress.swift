import Glibc
import CSystem

/// An IPv4 or IPv6 socket address, resolved once at start-up (never on a loop).
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable, Equatable {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)

        public static func == (a: Family, b: Family) -> Bool {
            switch (a, b) {
            case (.v4(var x), .v4(var y)): return memcmp(&x, &y, MemoryLayout<sockaddr_in>.size) == 0
            case (.v6(var x), .v6(var y)): return memcmp(&x, &y, MemoryLayout<sockaddr_in6>.size) == 0
            default: return false
            }
        }
    }

    public var family: Family
    /// The text it was given, e.g. `127.0.0.1:9001`, for logs and stats.
    public var description: String

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case missingPort(String)
        case badPort(String)
        case unresolvable(String)

        public var description: String {
            switch self {
            case .missingPort(let s): return "address \"\(s)\" has no port (expected host:port)"
            case .badPort(let s): return "port in \"\(s)\" is not a number from 1 to 65535"
            case .unresolvable(let s): return "cannot resolve host in \"\(s)\""
            }
        }
    }

    /// Parses `host:port`, `[v6]:port`, or `:port` (all interfaces). Names resolve
    /// through getaddrinfo, which may block: call this at start-up or reload only.
    /// Port 0 (any free port) is accepted only when `allowAnyPort` is set: for
    /// listeners in tests, never for backends.
    public init(parsing text: String, allowAnyPort: Bool = false) throws(ParseError) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .missingPort(text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText), port > 0 || allowAnyPort else { throw .badPort(text) }
        if host.isEmpty || host == "*" { host = "0.0.0.0" }
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = port.bigEndian
        if inet_pton(AF_INET, String(host), &v4.sin_addr) == 1 {
            self.family = .v4(v4)
            self.description = text
            return
        }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port.bigEndian
        if inet_pton(AF_INET6, String(host), &v6.sin6_addr) == 1 {
            self.family = .v6(v6)
            self.description = text
            return
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(String(host), nil, &hints, &result) == 0, let info = result,
            let sa = info.pointee.ai_addr
        else { throw .unresolvable(text) }
        defer { freeaddrinfo(result) }
        sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4.sin_addr = $0.pointee.sin_addr }
        self.family = .v4(v4)
        self.description = text
    }

    public var port: Int {
        switch family {
        case .v4(let a): return Int(UInt16(bigEndian: a.sin_port))
        case .v6(let a): return Int(UInt16(bigEndian: a.sin6_port))
        }
    }

    public var domain: Int32 {
        switch family {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        }
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .v4(var a):
            return withUnsafePointer(to: &a) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(var a):
            return withUnsafePointer(to: &a) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// A blocking connect on `fd` (for tools such as the demo app, never a loop).
    public func connectBlocking(_ fd: Int32) -> Bool {
        withSockAddr { Glibc.connect(fd, $0, $1) } == 0
    }

    /// Text form of a peer address as bytes (for X-Forwarded-For and the access log).
    public static func peerText(_ storage: inout sockaddr_storage) -> [UInt8] {
        var text = [UInt8](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        let ok: Bool = text.withUnsafeMutableBufferPointer { out in
            withUnsafePointer(to: &storage) { p -> Bool in
                let base = UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self)
                if family == AF_INET {
                    return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                        var addr = a.pointee.sin_addr
                        return inet_ntop(AF_INET, &addr, base, socklen_t(INET6_ADDRSTRLEN)) != nil
                    }
                } else if family == AF_INET6 {
                    return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                        var addr = a.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &addr, base, socklen_t(INET6_ADDRSTRLEN)) != nil
                    }
                }
                return false
            }
        }
        guard ok, let end = text.firstIndex(of: 0) else { return Array("unknown".utf8) }
        // A copy of its own size: the text lives as long as the connection
        // (a WebSocket for hours), the 46-byte scratch array does not.
        return Array(text[..<end])
    }
}
