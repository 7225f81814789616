/// What a PROXY protocol header (HAProxy's spec, versions 1 and 2) says
/// about the connection: the client the load balancer accepted, or nothing
/// (`LOCAL`, `UNKNOWN`, a family Tether does not use: the balancer's own
/// connection, such as its health check — the socket's address stands).
public struct ProxyHeader: Equatable, Sendable {
    public var version: Int
    /// The client's address and port, when the header carries one.
    public var source: (address: IPAddress, port: UInt16)?
    public var destination: (address: IPAddress, port: UInt16)?

    public static func == (a: ProxyHeader, b: ProxyHeader) -> Bool {
        a.version == b.version && a.source?.address == b.source?.address && a.source?.port == b.source?.port
            && a.destination?.address == b.destination?.address && a.destination?.port == b.destination?.port
    }
}

/// Why a PROXY header was refused; each is counted on its listener, and the
/// connection is closed with nothing forwarded.
public enum ProxyHeaderError: String, Error, CaseIterable, Sendable {
    /// The connection came from outside the listener's `trusted=` networks.
    case untrusted
    /// Not a PROXY header, a wrong field, a bad address or port.
    case malformed
    /// The connection ended, or `handshake_timeout` passed, before the header did.
    case truncated
    /// Longer than `ProxyHeaderParser.maxLength`.
    case oversized
}
