/// `GET /metrics`: Prometheus text exposition format 0.0.4, from the fields
/// of `StatsFields` that name a metric. Base units (seconds, bytes),
/// `_total` counters, `backend` / `listener` labels, a latency histogram.
public enum PrometheusText {
    public static func render(_ s: StatsSnapshot) -> String {
        var out = ""
        for family in families(StatsFields.global) {
            if let rows = family.fields[0].rows {
                switch rows {
                case .listeners: for f in families(StatsFields.listener) { write(f, s.listeners, &out) }
                case .backends: for f in families(StatsFields.backend) { write(f, s.backends, &out) }
                }
            } else {
                write(family, [s], &out)
            }
        }
        return out
    }

    /// Fields grouped by metric name, in the order each name first appears;
    /// a `.rows` field stands alone, marking where its subjects' families go.
    static func families<Subject>(_ fields: [StatsField<Subject>]) -> [(name: String, fields: [StatsField<Subject>])] {
        var out: [(name: String, fields: [StatsField<Subject>])] = []
        for f in fields {
            if f.rows != nil {
                out.append(("", [f]))
                continue
            }
            guard let name = f.metric else { continue }
            if let i = out.firstIndex(where: { $0.name == name }) { out[i].fields.append(f) } else { out.append((name, [f])) }
        }
        return out
    }

    static func write<Subject>(_ family: (name: String, fields: [StatsField<Subject>]), _ subjects: [Subject], _ out: inout String) {
        let first = family.fields[0]
        let type = first.kind == .info ? "gauge" : first.kind.rawValue
        out += "# HELP \(family.name) \(plain(first.familyHelp ?? first.help))\n# TYPE \(family.name) \(type)\n"
        for subject in subjects {
            for f in family.fields {
                let labels = f.labels(subject)
                if case .histogram(let h) = f.value(subject) {
                    histogram(family.name, labels, h, &out)
                } else if let v = f.metricSample(subject) {
                    sample(family.name, labels, v, &out)
                }
            }
        }
    }

    static func histogram<Subject>(_ name: String, _ labels: [StatsField<Subject>.Label], _ h: LatencyHistogram, _ out: inout String) {
        var cumulative = 0
        for (i, c) in h.counts.enumerated() {
            cumulative += c
            let le = i < LatencyHistogram.boundsMillis.count ? format(LatencyHistogram.boundsMillis[i] / 1000) : "+Inf"
            sample(name + "_bucket", labels + [.init("le", le)], Double(cumulative), &out)
        }
        sample(name + "_sum", labels, Double(h.sumNanos) / 1e9, &out)
        sample(name + "_count", labels, Double(cumulative), &out)
    }

    static func sample<Subject>(_ name: String, _ labels: [StatsField<Subject>.Label], _ value: Double, _ out: inout String) {
        out += name
        if !labels.isEmpty { out += "{" + labels.map { "\($0.name)=\"\(escape($0.value))\"" }.joined(separator: ",") + "}" }
        out += " " + format(value) + "\n"
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        return String(v)
    }

    /// HELP text without the docs' markdown backquotes.
    static func plain(_ help: String) -> String {
        help.replacingAll("`", with: "")
    }

    static func escape(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
