import EventLoop

/// Things a loop keeps for reuse instead of freeing and allocating them again
/// (an exchange with its buffers, a pooled backend connection's buffers):
/// last in first out, so the one taken is the one still in cache.
/// Loop-local like everything in `LoopContext`: no lock.
///
/// Bounded, because spares are memory nobody uses: at most `capacity` (the
/// rest are freed as they come back), and once a second the spares nobody
/// took during that second are freed down to `floor`, so a burst of a few
/// hundred connections leaves no megabytes of spares behind it.
struct Spares<Element> {
    private var items: [Element] = []
    /// The fewest spares there were since the last `trimUnused`: that many
    /// were not needed.
    private var lowWater = 0
    let capacity: Int
    let floor: Int

    init(capacity: Int, floor: Int) {
        self.capacity = capacity
        self.floor = floor
    }

    var count: Int { items.count }

    @inline(__always)
    mutating func pop() -> Element? {
        guard let e = items.popLast() else {
            lowWater = 0
            return nil
        }
        if items.count < lowWater { lowWater = items.count }
        return e
    }

    /// Keeps `e`, or returns false when full (the caller frees it).
    @inline(__always)
    mutating func push(_ e: Element) -> Bool {
        guard items.count < capacity else { return false }
        items.append(e)
        return true
    }

    /// Frees (through `free`) the spares that sat unused since the last call,
    /// keeping `floor`. The oldest go: the top of the stack is the warm end.
    mutating func trimUnused(_ free: (Element) -> Void) {
        let unused = min(lowWater, items.count - floor)
        if unused > 0 {
            for e in items[..<unused] { free(e) }
            items.removeFirst(unused)
        }
        lowWater = items.count
    }
}

/// A connection's two buffers, kept for its next use: taken from one
/// connection (`init(from:)`) and lent to another (`lend(to:)`).
struct SpareBuffers {
    private var input: [UInt8] = []
    private var output: [UInt8] = []

    /// A send buffer past this is not kept (it grew for one large message).
    static let maxOutput = 64 * 1024

    init() {}

    /// Takes a connection's buffers, leaving it none; whatever bytes they hold
    /// are dropped. Not kept: a receive buffer grown past `bufferSize` for a
    /// large head, a send buffer past `maxOutput`.
    init(from receive: inout ReceiveBuffer, _ send: inout SendQueue, bufferSize: Int) {
        let input = receive.takeStorage()
        var output = send.takeBytes()
        if input.count == bufferSize {
            self.input = input
        } else {
            IdleMemory.released(input.count)
        }
        if output.capacity <= Self.maxOutput {
            output.removeAll(keepingCapacity: true)
            self.output = output
        } else {
            IdleMemory.released(output.capacity)
        }
    }

    var bytes: Int { input.count + output.capacity }

    /// Gives a connection that has no buffers these (a new receive buffer of
    /// `bufferSize` when none was kept).
    mutating func lend(to receive: inout ReceiveBuffer, _ send: inout SendQueue, bufferSize: Int) {
        if receive.storage.isEmpty {
            receive.adopt(input.count == bufferSize ? input : ReceiveBuffer.storage(capacity: bufferSize))
        }
        if send.bytes.capacity == 0 { send.bytes = output }
        input = []
        output = []
    }
}
