import Glibc

/// The fixed set of loops. Connections are bound to one loop for life; the
/// group only hands them out.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]

    /// - Parameter count: loops to run; 0 means one per core.
    public init(count: Int) {
        let n = count > 0 ? count : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        loops = (0..<max(1, n)).map { EventLoop(index: $0) }
    }
}
