import CSystem
import EventLoop
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

    /// Receive buffers (allocated at `ReceiveBuffer.ownPages`) and send
    /// buffers past 20 KiB get pages of their own from the kernel instead of
    /// glibc's heap, and freeing one gives its pages back at once. In the
    /// heap they were interleaved with small long-lived objects (a tunnel, a
    /// session), and a burst of handshakes left holes that those pinned:
    /// 2,000 idle WebSockets cost 1.45 KiB each of RSS, 0.56 KiB of it live
    /// objects. The pools (`Spares`) make such allocations rare, so the
    /// system calls this adds are paid per burst, not per request. (At 16 KiB
    /// it also caught OpenSSL's record buffers, allocated with every TLS
    /// connection: 4 % more CPU per handshake.) glibc's own threshold starts
    /// at 128 KiB and grows.
    static func configure() {
        csys_malloc_mmap_threshold(Int32(ReceiveBuffer.ownPages))
    }

    static func released(_ bytes: Int) {
        freed.wrappingAdd(bytes, ordering: .relaxed)
    }

    /// Called once a second off the loops.
    static func returnToKernelIfWorthIt() {
        if freed.exchange(0, ordering: .relaxed) > 1 << 20 { _ = csys_malloc_trim() }
    }
}
