import CSystem
import Glibc

/// Bytes waiting to be written to a socket. Appends go to the end of one
/// array; writes take from `head`. The consumed prefix is dropped when the
/// queue empties (the common case) or when it is most of the array.
public struct SendQueue {
    /// Append here directly (serialisers take `inout [UInt8]`).
    public var bytes: [UInt8] = []
    private var head = 0
    /// Bytes written since the queue was made: with `count`, tells whether
    /// anything queued after a given point has left (see `dropUnsent`).
    public private(set) var sent = 0

    public init() {}

    public var count: Int { bytes.count - head }

    /// The size `bytes` may grow to before `count` reaches `highWater`:
    /// `bytes` still holds the written prefix until the queue empties, and a
    /// serialiser that appends to it must not count that prefix as pending.
    /// (Counted, it stopped a relay with little pending, the client drained,
    /// and nothing resumed the backend: a download hung under load.)
    public func appendLimit(highWater: Int) -> Int { head + highWater }
    public var isEmpty: Bool { head == bytes.count }

    /// What is queued and not written yet.
    public var unsent: ArraySlice<UInt8> { bytes[head...] }

    /// Queues a literal (status lines, Tether's own answers).
    public mutating func append(static s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public enum WriteResult {
        case done
        case partial
        case error(Int32)
    }

    /// Gives the memory back when the connection closes (see `ReceiveBuffer.release`).
    public mutating func release() {
        bytes = []
        head = 0
    }

    /// Drops what is queued, keeping the capacity.
    public mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
        head = 0
    }

    /// Hands the (empty) array over with its capacity, to a pool of spares.
    public mutating func takeBytes() -> [UInt8] {
        let b = bytes
        release()
        return b
    }

    /// Takes back what was queued after `mark` (a value of `sent + count`),
    /// when none of it has been written yet; returns whether it could.
    public mutating func dropUnsent(after mark: Int) -> Bool {
        guard sent <= mark else { return false }
        bytes.removeLast(sent + count - mark)
        return true
    }

    /// What one write attempt did.
    public enum WriteStep {
        case wrote(Int)
        case blocked
        case failed(Int32)
    }

    /// Writes as much as the socket takes.
    @inline(__always)
    public mutating func flush(to fd: Int32) -> WriteResult {
        flush { p, n in Self.send(fd, p, n) }
    }

    /// One `send(2)` of `n` bytes at `p` (no SIGPIPE; EINTR retried), without
    /// glibc's cancellation wrapper (see `csys_send`).
    @inline(__always)
    public static func send(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> WriteStep {
        while true {
            let r = csys_send(fd, p, n)
            if r > 0 { return .wrote(r) }
            let e = errno
            if r < 0 && e == EINTR { continue }
            if r < 0 && (e == EAGAIN || e == EWOULDBLOCK) { return .blocked }
            return .failed(r < 0 ? e : EPIPE)
        }
    }

    /// Hands the unsent bytes to `writer` until it blocks or all are gone (a
    /// socket send, or TLS encrypting straight from the queue).
    @inline(__always)
    public mutating func flush(_ writer: (UnsafeRawPointer, Int) -> WriteStep) -> WriteResult {
        writing: while head < bytes.count {
            let h = head
            switch bytes.withUnsafeBytes({ p in writer(p.baseAddress! + h, p.count - h) }) {
            case .wrote(let n):
                head += n
                sent += n
            case .blocked: break writing
            case .failed(let e): return .error(e)
            }
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
