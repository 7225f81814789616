import Glibc

/// Where the demo app keeps sessions: its own memory (the sticky-session
/// world) or Redis (the shared-store world).
protocol SessionStore: AnyObject {
    func load(_ id: String) -> Session?
    func save(_ session: Session)
}

final class MemoryStore: SessionStore {
    private var sessions: [String: Session] = [:]

    func load(_ id: String) -> Session? { sessions[id] }
    func save(_ session: Session) { sessions[session.id] = session }
}

/// Sessions as Redis hashes-in-a-string (`user|visits`), through a blocking
/// RESP connection. Blocking is acceptable in the demo app: it is the
/// application behind the proxy, one request at a time.
final class RedisStore: SessionStore {
    private var client: RESPClient

    init(client: RESPClient) {
        self.client = client
    }

    func load(_ id: String) -> Session? {
        guard case .bulk(let value?)? = try? client.command(["GET", "session:" + id]) else { return nil }
        let parts = value.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2, let visits = Int(parts[1]) else { return nil }
        return Session(id: id, user: parts[0].isEmpty ? nil : String(parts[0]), visits: visits)
    }

    func save(_ session: Session) {
        _ = try? client.command(["SET", "session:" + session.id, "\(session.user ?? "")|\(session.visits)", "EX", "3600"])
    }
}
