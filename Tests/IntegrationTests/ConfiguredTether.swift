import Foundation

/// A tether started from a configuration file written for it, on a listen
/// port and an admin port of its own: the shape most integration suites need.
struct ConfiguredTether {
    let tether: TetherProcess
    let port: Int
    let admin: Int
    let file: TempFile
    var url: String { "http://127.0.0.1:\(port)" }
    var adminURL: String { "http://127.0.0.1:\(admin)" }

    /// `text(port, admin)` is the whole file.
    init(_ text: (_ port: Int, _ admin: Int) -> String) throws {
        port = try TestBackend.unusedPort()
        admin = try TestBackend.unusedPort()
        file = TempFile(emptyNamed: "tether.conf")
        try text(port, admin).write(toFile: file.path, atomically: true, encoding: .utf8)
        tether = try TetherProcess(configFile: file.path)
    }
}
