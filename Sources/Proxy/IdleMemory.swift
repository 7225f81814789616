import CSystem
import Synchronization

/// Buffers the exchange pool lets go of (past its bound, or unused for a
/// second after a burst) are freed to glibc, which keeps the pages. Once a
/// second, if more than 1 MiB was freed since the last time,
/// `malloc_trim(0)` hands the free pages back to the kernel
/// (`MADV_DONTNEED`), so a burst of busy connections does not leave its
/// buffers' memory resident after it. One relaxed atomic add per freed
/// spare (never per request); the trim runs on the control queue.
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
