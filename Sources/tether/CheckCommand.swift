import ArgumentParser
import Config
import EventLoop
import Routing
import TLS

/// `tether check`: validate a configuration without starting, like `nginx -t`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file: prints \"configuration ok\" or every error; exits 0 or 1."
    )

    @Option(name: .customLong("config"), help: "Configuration file.")
    var configPath: String = "proxy.conf"

    func run() throws {
        switch ConfigFile.load(path: configPath) {
        case .failure(let errors):
            for e in errors.errors { print(e.description) }
            print("\(configPath): \(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s")")
            throw ExitCode(1)
        case .success(let config):
            // Names must resolve too: the proxy would fail on them at start.
            var failures: [String] = []
            for a in config.listeners.map(\.address) + config.backends.map(\.address) {
                do { _ = try SocketAddress(parsing: a) } catch { failures.append("\(configPath): \(error)") }
            }
            // Certificates and keys are read the way start-up reads them.
            for l in config.listeners {
                guard let tls = l.tls else { continue }
                do { _ = try TLSServerContext(tls) } catch { failures.append("\(configPath): listen \(l.address): \(error)") }
            }
            if !failures.isEmpty {
                for f in failures { print(f) }
                throw ExitCode(1)
            }
            print("configuration ok")
            print("routing fingerprint \(RoutingFingerprint.of(config))")
        }
    }
}

/// A subcommand that prints a reference generated from the code's own
/// table (the doc it prints is checked against the file by a test).
protocol MarkdownReferenceCommand: ParsableCommand {
    static var markdown: String { get }
}

extension MarkdownReferenceCommand {
    func run() {
        print(Self.markdown, terminator: "")
    }
}

/// `tether config-reference`: docs/CONFIG.md, from the parser's own table.
struct ConfigReferenceCommand: MarkdownReferenceCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-reference",
        abstract: "Print the proxy.conf reference (Markdown) generated from the parser."
    )
    static var markdown: String { ConfigReference.markdown() }
}
