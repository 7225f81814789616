import CSystem
import Synchronization

/// Buffers given back by idle connections are freed to glibc, which keeps
/// the pages (they sit between live objects, so the heap top cannot shrink).
/// Once a second, if idle connections freed more than 1 MiB since the last
/// time, `malloc_trim(0)` hands the free pages back to the kernel
/// (`MADV_DONTNEED`), so 10,000 idle keep-alive clients cost their session
/// objects, not their old 16 KiB buffers. One atomic add per idle trim (per
/// idle connection, not per request); the trim runs on the control queue.
enum IdleMemory {
    private static let freed = Atomic<Int>(0)

    static func released(_ bytes: Int) {
        freed.wrappingAdd(bytes, ordering: .relaxed)
    }

    /// Called once a second off the loops.
    static func returnToKernelIfWorthIt() {
        if freed.exchange(0, ordering: .relaxed) > 1 << 20 { _ = csys_malloc_trim() }
    }
}
