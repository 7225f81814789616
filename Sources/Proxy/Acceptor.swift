import ClientAddress
import Dispatch
import EventLoop
import Glibc
import Stats
import TLS

/// Accepts on a listening socket shared by every loop. Each loop registers
/// the socket with EPOLLEXCLUSIVE, so the kernel wakes one loop per new
/// connection instead of all of them; the connection then lives on that loop.
final class Acceptor: EventHandler, @unchecked Sendable {
    let fd: Int32
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    let sharedLimit: ConnectionLimit
    /// This listener's own cap (`listen … max_connections=N`), shared by the loops.
    let listenerLimit: ConnectionLimit
    /// The listener's address as configured, for per-listener stats.
    let address: String
    private var paused = false
    /// Operational log (stderr); descriptor exhaustion is reported at most every 10 s.
    let log: EventLog
    private var lastExhaustionLog: UInt64 = 0

    init(fd: Int32, ctx: LoopContext, limit: ConnectionLimit, listenerLimit: ConnectionLimit, address: String, log: EventLog) {
        self.log = log
        self.listenerLimit = listenerLimit
        self.fd = fd
        self.address = address
        self.ctx = ctx
        self.sharedLimit = limit
    }

    func start() {
        _ = ctx.loop.register(fd, events: EventLoop.readable, handler: self, exclusive: true)
    }

    func stop() {
        ctx.loop.deregister(fd)
    }

    func handleEvent(_ events: UInt32) {
        // Bounded batch: a flood of connections must not starve the loop's clients.
        for _ in 0..<64 {
            guard sharedLimit.tryAcquire() else {
                pause()
                return
            }
            guard listenerLimit.tryAcquire() else {
                sharedLimit.release()
                pause()
                return
            }
            var storage = sockaddr_storage()
            let accepted = Socket.accept(fd, peer: &storage)
            guard case .accepted(let cfd) = accepted else {
                sharedLimit.release()
                listenerLimit.release()
                if case .exhausted(let e) = accepted {
                    // Out of descriptors: stop watching for a moment instead of
                    // spinning on a listener that stays readable.
                    if lastExhaustionLog == 0 || ctx.loop.now - lastExhaustionLog > 10_000_000_000 {
                        lastExhaustionLog = ctx.loop.now
                        log(.error, "accept", "accept on \(address): \(Socket.errnoName(e)) (\(String(cString: strerror(e)))): pausing accepts for 100 ms at a time; raise the descriptor limit (ulimit -n) above max_connections plus backend connections")
                    }
                    pause()
                }
                return
            }
            ctx.count(address, .current)
            ctx.count(address, .total)
            #if !TETHER_NO_STATS
            ctx.loopStats.connectionsTotal += 1
            #endif
            let peer = IPAddress(peer: &storage)
            if let trusted = ctx.runtime.proxyProtocolListeners[address] {
                guard let peer, trusted.containsAddress(peer) else {
                    ctx.count(address, ListenerCounter(refused: .untrusted))
                    ctx.budgetedEvent(.info, "proxy_protocol") { "\(address): connection from \(peer.map { "\($0)" } ?? "a non-IP peer") closed: not in trusted=" }
                    Socket.abort(cfd)
                    ctx.clientClosed(listener: address, limit: listenerLimit)
                    continue
                }
                ProxyHeaderReader(fd: cfd, socketPeer: peer, listener: address, listenerLimit: listenerLimit, ctx: ctx).start()
                continue
            }
            ctx.beginClient(fd: cfd, peer: SocketAddress.peerText(&storage), address: peer, listener: address, listenerLimit: listenerLimit)
        }
    }

    /// Stops accepting for 100 ms (descriptor exhaustion or the connection cap).
    private func pause() {
        guard !paused else { return }
        paused = true
        ctx.loop.deregister(fd)
        ctx.loop.queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [weak self] in
            guard let self, !self.ctx.draining else { return }
            self.paused = false
            self.start()
        }
    }
}

extension LoopContext {
    /// A client connection whose address is known (from the socket, or a
    /// PROXY header) goes on to its TLS handshake or straight to a session.
    /// `registered`: the socket is already watched for reading (the PROXY
    /// header stage hands it over without a system call).
    func beginClient(fd: Int32, peer: [UInt8], address: IPAddress?, listener: String, listenerLimit: ConnectionLimit, registered: Bool = false) {
        var tls: TLSConnection? = nil
        if let context = runtime.tlsContexts[listener] {
            guard let connection = context.makeConnection(fd: fd) else {
                if registered { loop.deregister(fd) }
                Socket.abort(fd)  // OpenSSL out of memory: refuse this one, keep going
                clientClosed(listener: listener, limit: listenerLimit)
                return
            }
            tls = connection
        }
        let transport = ClientTransport(fd: fd, tls: tls, peer: peer, address: address, listener: listener, listenerLimit: listenerLimit)
        if let tls {
            TLSHandshake(transport, tls: tls, ctx: self).start(registered: registered)
        } else {
            let session = ProxySession(transport, ctx: self, redirectsToHTTPS: runtime.redirectListeners.contains(listener))
            if registered {
                loop.handOver(fd, to: session)
                session.start(takingOver: EventLoop.readable)
            } else {
                session.start()
            }
        }
    }
}
