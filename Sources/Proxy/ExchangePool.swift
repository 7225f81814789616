import HTTP1

/// A loop's spare `Exchange`s, last in first out (the most recently used one
/// is the one still in cache). Loop-local like everything in `LoopContext`:
/// no lock.
///
/// Bounded, because spares are memory nobody uses: a loop keeps enough for
/// its busiest moment up to `capacity`, frees the rest as they come back, and
/// once a second frees the spares that nobody took during that second (a
/// burst of 200 new connections leaves no 4 MiB of pool behind). A receive
/// buffer that grew for a large head is not kept either.
struct ExchangePool {
    private var spares: [UnsafeMutablePointer<Exchange>] = []
    /// The fewest spares there were since the last `trimUnused`: that many
    /// were not needed.
    private var lowWater = 0
    /// Spares kept per loop: 64 × (16 KiB receive buffer + a few KiB of
    /// send buffer and arrays) ≈ 1.5 MiB at most.
    static let capacity = 64
    /// A send buffer past this is not kept (it grew for one large response).
    static let maxSpareOutput = 64 * 1024

    var count: Int { spares.count }

    mutating func take(limits: HTTPLimits) -> UnsafeMutablePointer<Exchange> {
        guard let e = spares.popLast() else {
            lowWater = 0
            let e = UnsafeMutablePointer<Exchange>.allocate(capacity: 1)
            e.initialize(to: Exchange(limits: limits))
            return e
        }
        if spares.count < lowWater { lowWater = spares.count }
        e.pointee.reset(limits: limits)
        return e
    }

    /// An exchange that will not come back (its session closed mid-request).
    static func free(_ e: UnsafeMutablePointer<Exchange>) {
        e.deinitialize(count: 1)
        e.deallocate()
    }

    /// Takes `e` back with the session's buffers (whatever bytes they hold
    /// are dropped: a connection may close with unsent output).
    mutating func give(_ e: UnsafeMutablePointer<Exchange>, input: [UInt8], output: consuming [UInt8], bufferSize: Int) {
        guard spares.count < Self.capacity else {
            IdleMemory.released(input.count + output.capacity)
            Self.free(e)
            return
        }
        if input.count == bufferSize {
            e.pointee.spareInput = input
        } else {
            IdleMemory.released(input.count)
        }
        if output.capacity <= Self.maxSpareOutput {
            output.removeAll(keepingCapacity: true)
            e.pointee.spareOutput = output
        } else {
            IdleMemory.released(output.capacity)
        }
        spares.append(e)
    }

    /// Frees the spares that sat unused since the last call (once a second),
    /// keeping `floor` for the next burst. The oldest go: the top of the
    /// stack is the warm end.
    mutating func trimUnused(floor: Int = 8) {
        let unused = min(lowWater, spares.count - floor)
        if unused > 0 {
            for e in spares[..<unused] {
                IdleMemory.released(e.pointee.spareInput.count + e.pointee.spareOutput.capacity)
                Self.free(e)
            }
            spares.removeFirst(unused)
        }
        lowWater = spares.count
    }
}
