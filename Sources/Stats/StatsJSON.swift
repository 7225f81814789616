/// `GET /stats`: the snapshot as JSON, laid out by the paths of `StatsFields`.
public enum StatsJSON {
    public static func render(_ s: StatsSnapshot) -> String {
        var w = JSONWriter()
        write(StatsFields.global, s, &w) { rows, w in
            switch rows {
            case .listeners: for l in s.listeners { write(StatsFields.listener, l, &w) }
            case .backends: for b in s.backends { write(StatsFields.backend, b, &w) }
            }
        }
        return w.text
    }

    /// One subject as an object: consecutive fields that share a path prefix
    /// share its nested object (the table keeps them together).
    static func write<Subject>(
        _ fields: [StatsField<Subject>], _ subject: Subject, _ w: inout JSONWriter,
        rows: (StatsRows, inout JSONWriter) -> Void = { _, _ in }
    ) {
        w.beginObject()
        var open: [String] = []
        for field in fields {
            guard let path = field.path else { continue }
            let value = field.value(subject)
            if case .absent = value, field.rows == nil { continue }
            let parents = Array(path.dropLast())
            var common = 0
            while common < open.count && common < parents.count && open[common] == parents[common] { common += 1 }
            while open.count > common {
                w.endObject()
                open.removeLast()
            }
            while open.count < parents.count {
                w.beginObject(parents[open.count])
                open.append(parents[open.count])
            }
            let key = path[path.count - 1]
            if let r = field.rows {
                w.beginArray(key)
                rows(r, &w)
                w.endArray()
                continue
            }
            switch value {
            case .int(let v): w.value(key, v)
            case .number(let v): w.value(key, v)
            case .text(let v): w.value(key, v)
            case .flag(let v): w.value(key, v)
            case .absent, .histogram: break
            case .check(let c):
                if let c { check(&w, key, c) } else { w.value(key, nil as String?) }
            case .checks(let list):
                w.beginArray(key)
                for c in list { check(&w, nil, c) }
                w.endArray()
            }
        }
        for _ in open { w.endObject() }
        w.endObject()
    }

    private static func check(_ w: inout JSONWriter, _ key: String?, _ c: CheckResult) {
        w.beginObject(key)
        w.value("ok", c.ok)
        w.value("status", c.status)
        w.value("latency_ms", c.latencyMillis)
        w.value("detail", c.detail)
        w.value("at", c.at)
        w.endObject()
    }
}
