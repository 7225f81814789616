import Glibc

/// Bytes waiting to be written to a socket. Appends go to the end of one
/// array; writes take from `head`. The consumed prefix is dropped when the
/// queue empties (the common case) or when it is most of the array.
public struct SendQueue {
    /// Append here directly (serialisers take `inout [UInt8]`).
    public var bytes: [UInt8] = []
    private var head = 0

    public init() {}

    public var count: Int { bytes.count - head }
    public var isEmpty: Bool { head == bytes.count }

    public enum WriteResult {
        case done
        case partial
        case error(Int32)
    }

    /// Writes as much as the socket takes.
    public mutating func flush(to fd: Int32) -> WriteResult {
        while head < bytes.count {
            let h = head
            let n = bytes.withUnsafeBytes { p in Glibc.send(fd, p.baseAddress! + h, p.count - h, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                head += n
                continue
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            return .error(n < 0 ? e : EPIPE)
        }
        if head == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            head = 0
            return .done
        }
        if head > 1 << 16 && head * 2 > bytes.count {
            bytes.removeFirst(head)
            head = 0
        }
        return .partial
    }
}
