/// Idle keep-alive connections to one backend, on one loop. LIFO: the most
/// recently used connection is the least likely to have been closed by the
/// backend's own idle timeout.
final class BackendPool {
    private var idle: [BackendConnection] = []

    var idleCount: Int { idle.count }

    func take() -> BackendConnection? {
        guard let c = idle.popLast() else { return nil }
        c.takeSpareBuffers()
        return c
    }

    /// Keeps `conn` for reuse, or closes it when the pool is full.
    func release(_ conn: BackendConnection, max: Int) {
        if idle.count >= max {
            conn.close()
            return
        }
        idle.append(conn)
        conn.becomeIdle()
    }

    /// A pooled connection went bad (backend closed it, or idle timeout).
    func remove(_ conn: BackendConnection) {
        if let i = idle.firstIndex(where: { $0 === conn }) { idle.remove(at: i) }
    }

    /// Hands every idle connection to `other`, now belonging to `target`.
    func move(to other: BackendPool, target: BackendTarget) {
        for c in idle {
            c.target = target
            other.idle.append(c)
        }
        idle.removeAll()
    }

    func closeAll() {
        let all = idle
        idle.removeAll()
        for c in all { c.close() }
    }
}
