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

/// A connection's two buffers, kept for its next use.
struct SpareBuffers {
    var input: [UInt8]
    var output: [UInt8]

    /// A send buffer past this is not kept (it grew for one large message).
    static let maxOutput = 64 * 1024

    /// Takes the buffers of a connection done with them (whatever bytes they
    /// hold are dropped); nil parts when not worth keeping: a receive buffer
    /// grown past `bufferSize` for a large head, a send buffer past `maxOutput`.
    init(input: [UInt8], output: consuming [UInt8], bufferSize: Int) {
        if input.count == bufferSize {
            self.input = input
        } else {
            IdleMemory.released(input.count)
            self.input = []
        }
        if output.capacity <= Self.maxOutput {
            output.removeAll(keepingCapacity: true)
            self.output = output
        } else {
            IdleMemory.released(output.capacity)
            self.output = []
        }
    }

    static let none = SpareBuffers()
    private init() {
        input = []
        output = []
    }

    var bytes: Int { input.count + output.capacity }

    /// The receive buffer, or a new one of `size` bytes.
    mutating func takeInput(size: Int) -> [UInt8] {
        if input.count == size {
            defer { input = [] }
            return input
        }
        return [UInt8](repeating: 0, count: size)
    }

    mutating func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }
}
