import HTTP1

/// A loop's spare `Exchange`s, each with the buffers of the session that gave
/// it back (see `Spares` for the bounds and the once-a-second trim).
struct ExchangePool {
    /// 64 × (16 KiB receive buffer + a few KiB of send buffer and arrays)
    /// ≈ 1.5 MiB per loop at most; 8 stay for the next burst.
    private var spares = Spares<UnsafeMutablePointer<Exchange>>(capacity: 64, floor: 8)

    var count: Int { spares.count }

    mutating func take(limits: HTTPLimits) -> UnsafeMutablePointer<Exchange> {
        guard let e = spares.pop() else {
            let e = UnsafeMutablePointer<Exchange>.allocate(capacity: 1)
            e.initialize(to: Exchange(limits: limits))
            return e
        }
        e.pointee.reset(limits: limits)
        return e
    }

    /// Takes `e` back with the session's buffers.
    mutating func give(_ e: UnsafeMutablePointer<Exchange>, _ buffers: SpareBuffers) {
        e.pointee.buffers = buffers
        if !spares.push(e) { Self.free(e) }
    }

    /// An exchange that will not come back (its session closed mid-request),
    /// or one past the bounds.
    static func free(_ e: UnsafeMutablePointer<Exchange>) {
        IdleMemory.released(e.pointee.buffers.bytes)
        e.deinitialize(count: 1)
        e.deallocate()
    }

    /// Gives `session` an exchange and, with it, buffers (see `Exchange`),
    /// unless it holds one.
    @inline(never) @discardableResult
    mutating func lend(to session: ProxySession) -> UnsafeMutablePointer<Exchange> {
        if let e = session.held { return e }
        let e = take(limits: session.runtime.config.limits)
        e.pointee.buffers.lend(to: &session.input, &session.output, bufferSize: session.runtime.receiveBufferSize)
        session.held = e
        return e
    }

    /// Takes `session`'s exchange back, with its buffers (no request is in progress).
    mutating func takeBack(from session: ProxySession) {
        guard let e = session.held else { return }
        session.held = nil
        give(e, SpareBuffers(from: &session.input, &session.output, bufferSize: session.runtime.receiveBufferSize))
    }

    /// Once a second (see `Spares.trimUnused`).
    mutating func trimUnused() {
        spares.trimUnused(Self.free)
    }
}
