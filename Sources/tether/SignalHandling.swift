import Dispatch
import Glibc
import Proxy

/// SIGTERM / SIGINT: graceful stop. Signal sources run on their own queue, so
/// handlers never run inside an event loop.
enum SignalHandling {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(server: ProxyServer) {
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
        signal(SIGPIPE, SIG_IGN)
    }
}
