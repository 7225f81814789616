import Dispatch
import Glibc
import Proxy

/// SIGTERM / SIGINT: graceful stop. SIGHUP: reload the configuration file. Signal sources run on their own queue, so
/// handlers never run inside an event loop.
enum SignalHandling {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// `reload` runs on SIGHUP (nil: quick-start mode, nothing to re-read).
    static func install(server: ProxyServer, reload: (@Sendable () -> Void)?) {
        let queue = DispatchQueue(label: "tether.signals")
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                FileHandleOutput.stderr("tether: stopping (signal \(sig)); waiting for requests in flight")
                server.stop {
                    FileHandleOutput.stderr("tether: stopped")
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler {
            if let reload {
                reload()
            } else {
                FileHandleOutput.stderr("tether: SIGHUP ignored: started without a configuration file")
            }
        }
        hup.resume()
        sources.append(hup)
        signal(SIGPIPE, SIG_IGN)
    }
}
