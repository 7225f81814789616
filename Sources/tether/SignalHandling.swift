import Dispatch
import Glibc
import Proxy
import Synchronization

/// SIGTERM / SIGINT: graceful stop. SIGHUP: reload the configuration file.
/// SIGUSR1: reopen the access log. Signal sources run on their own queue, so
/// handlers never run inside an event loop.
enum SignalHandling {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// `reload` runs on SIGHUP (nil: quick-start mode, nothing to re-read).
    /// Returns once every source is armed (see the end).
    static func install(server: ProxyServer, reload: (@Sendable () -> Void)?) {
        let queue = DispatchQueue(label: "tether.signals")
        let armed = DispatchGroup()
        func arm(_ source: DispatchSourceSignal) {
            armed.enter()
            source.setRegistrationHandler { armed.leave() }
            source.resume()
            sources.append(source)
        }
        let stopOnce = Atomic<Bool>(false)
        @Sendable func stopNow(_ sig: Int32) {
            guard !stopOnce.exchange(true, ordering: .relaxed) else { return }
            server.log(.info, "stop", "stopping (signal \(sig)); waiting for requests in flight")
            server.stop {
                server.log(.info, "stop", "stopped")
                exit(0)
            }
        }
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                // A second signal during the delay stops at once.
                guard !server.stopping.exchange(true, ordering: .relaxed) else {
                    server.log(.info, "stop", "stopping now (signal \(sig) again)")
                    return stopNow(sig)
                }
                if let delay = server.stopDelay {
                    let ms = delay.nanoseconds / 1_000_000
                    let text = ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
                    server.log(.info, "stop", "stop requested (signal \(sig)): /healthz answers 503 for stop_delay \(text), then the graceful stop")
                    queue.asyncAfter(deadline: .now() + .nanoseconds(Int(delay.nanoseconds))) { stopNow(sig) }
                } else {
                    stopNow(sig)
                }
            }
            arm(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler {
            if let reload {
                reload()
            } else {
                server.log(.warning, "reload", "SIGHUP ignored: started without a configuration file")
            }
        }
        arm(hup)
        // SIGUSR1: reopen the access log after rotation (nginx's habit);
        // SIGHUP reopens it too, with the rest of the configuration.
        signal(SIGUSR1, SIG_IGN)
        let usr1 = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: queue)
        usr1.setEventHandler {
            server.log(.info, "reopen", "SIGUSR1: \(server.reopenLogs())")
        }
        arm(usr1)
        signal(SIGPIPE, SIG_IGN)
        // libdispatch registers signal sources later, on its manager thread
        // (making each one's signalfd then). Until that, a signal meets
        // SIG_IGN and is lost: a SIGHUP sent on seeing the "listening" line
        // was, under load. (A signalfd that cannot be made once clients took
        // every descriptor would leave the signal unhandled too.) So the
        // caller announces nothing until all of them are armed.
        if armed.wait(timeout: .now() + 10) == .timedOut {
            FileHandleOutput.stderr("tether: signal handlers not armed after 10 s; SIGHUP/SIGTERM may be missed")
        }
    }
}
