import Glibc

/// Reads proxy.conf from disk. Plain file I/O at start-up and reload only.
public enum ConfigFile {
    public static func load(path: String) -> Result<ProxyConfig, ConfigErrors> {
        guard let text = read(path) else {
            let reason = String(cString: strerror(errno))
            return .failure(ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: "cannot read configuration: \(reason)")]))
        }
        return ConfigParser.parse(text, file: path)
    }

    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        if ferror(f) != 0 { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
