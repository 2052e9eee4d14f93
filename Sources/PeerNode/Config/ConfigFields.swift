/// Reads a JSON object's fields one at a time, so a bad file is reported
/// the way a user can fix it: a misspelled field by name with the nearest
/// known one ("did you mean ..."), a value of the wrong kind with its field,
/// the rule in plain words and what was there ("quotaBytes: must be a whole
/// number, 0 or more; got -1"). A missing field or `null` reads as nil, so
/// the caller takes the default.
struct ConfigFields<Key: CodingKey & CaseIterable & RawRepresentable<String>> {
    private let container: KeyedDecodingContainer<AnyKey>

    /// Refuses fields that are not in `Key`.
    init(_ decoder: any Decoder, listedIn docs: String) throws(PeerNodeError) {
        do { container = try decoder.container(keyedBy: AnyKey.self) } catch {
            throw .badConfig("the file must hold one JSON object, like {\"apiPort\": 7390}")
        }
        let known = Key.allCases.map(\.rawValue)
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let each = unknown.map { name in
                Self.nearest(to: name, in: known).map { "\"\(name)\" (did you mean \"\($0)\"?)" } ?? "\"\(name)\""
            }
            let what = each.count == 1 ? "unknown field " : "unknown fields "
            throw .badConfig(what + each.joined(separator: ", ") + "; every field is listed in \(docs)")
        }
    }

    func text(_ key: Key) throws(PeerNodeError) -> String? {
        try read(key, as: String.self, rule: "must be text in double quotes")
    }

    func texts(_ key: Key) throws(PeerNodeError) -> [String]? {
        try read(key, as: [String].self, rule: "must be a list of text in double quotes, like [\"...\"]")
    }

    func count(_ key: Key) throws(PeerNodeError) -> UInt64? {
        try read(key, as: UInt64.self, rule: "must be a whole number, 0 or more")
    }

    func integer(_ key: Key) throws(PeerNodeError) -> Int? {
        try read(key, as: Int.self, rule: "must be a whole number")
    }

    func integer64(_ key: Key) throws(PeerNodeError) -> Int64? {
        try read(key, as: Int64.self, rule: "must be a whole number")
    }

    func number(_ key: Key) throws(PeerNodeError) -> Double? {
        try read(key, as: Double.self, rule: "must be a number")
    }

    func flag(_ key: Key) throws(PeerNodeError) -> Bool? {
        try read(key, as: Bool.self, rule: "must be true or false (without quotes)")
    }

    private func read<T: Decodable>(_ key: Key, as type: T.Type, rule: String) throws(PeerNodeError) -> T? {
        let k = AnyKey(key.rawValue)
        guard container.contains(k), (try? container.decodeNil(forKey: k)) == false else { return nil }
        do { return try container.decode(T.self, forKey: k) } catch {
            throw .badConfig("\(key.rawValue): \(rule); got \(describe(k))")
        }
    }

    /// The value as the user wrote it, near enough to recognise.
    private func describe(_ k: AnyKey) -> String {
        if let n = try? container.decode(Double.self, forKey: k) { return Self.format(n) }
        if let b = try? container.decode(Bool.self, forKey: k) { return "\(b)" }
        if let s = try? container.decode(String.self, forKey: k) { return "the text \"\(s)\"" }
        if (try? container.nestedUnkeyedContainer(forKey: k)) != nil { return "a list" }
        return "an object"
    }

    static func format(_ n: Double) -> String {
        n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
    }

    /// The known name closest to `name` (edit distance, ignoring case), if
    /// it is close enough to be a slip: at most a third of its letters, and
    /// 2 at least; or else the one it begins ("quota" for "quotaBytes").
    static func nearest(to name: String, in known: [String]) -> String? {
        let lower = name.lowercased()
        let scored = known.map { ($0, editDistance(lower, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        if best.1 <= max(2, name.count / 3) { return best.0 }
        return name.count >= 4 ? known.first { $0.lowercased().hasPrefix(lower) } : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Any field name, so unknown ones can be found and named.
struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
