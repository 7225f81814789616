import Config
import Routing
import Stats

/// One backend as one loop sees it (nginx keeps this on the peer,
/// `ngx_http_upstream_rr_peer_t`; HAProxy on the server): its idle
/// connections, its share of `max_conns` and the requests waiting for it,
/// its health as this loop knows it, and its counters. Its load (requests
/// in flight) is in the router's view, which reads it on every request.
struct Upstream {
    let pool = BackendPool()
    var queue = BackendQueue<ProxySession>()
    /// This loop's share of `max_conns` (0: no limit) and of `max_queue`,
    /// rounded up: a limit of 1 with 2 loops allows 1 per loop, never 0,
    /// which would block a loop.
    let slotLimit: Int
    let queueLimit: Int
    var status: BackendStatus
    /// Data-path failures in a row, on this loop.
    var passiveFailures = 0
    var stats = BackendLoopStats()

    init(_ backend: BackendConfig, loops: Int) {
        slotLimit = backend.maxConnections == 0 ? 0 : (backend.maxConnections + loops - 1) / loops
        queueLimit = (backend.maxQueue + loops - 1) / loops
        status = BackendStatus(backup: backend.backup, adminState: backend.adminState)
    }
}
