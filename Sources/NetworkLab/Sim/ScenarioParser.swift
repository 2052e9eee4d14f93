import Foundation

/// Reads the scenario format (docs/simulation.md): one statement per line,
/// `#` starts a comment, fields are `key=value`:
///
///     seed 42
///     time-limit 150
///     creator studio kind=vod seconds=20 price-per-second=5000 price-per-chunk=2000
///     relay relay count=3 price-per-chunk=1000 quota=256MiB bootstrap=studio
///     viewer fan count=5 stream=studio join=0..8 watch=end max-price-per-chunk=1500 bootstrap=relay
///     at 10 kill relay restart-after=3
///     at 18 freeze fan-2 for=4
///
/// Every error names the line and the field.
public struct ScenarioParser {
    public let file: String

    public init(file: String) { self.file = file }

    /// Fields each role takes (the first is the default order they are documented in).
    static let fields: [Scenario.Role: [String]] = [
        .creator: ["kind", "seconds", "price-per-second", "price-per-chunk", "quota", "bootstrap"] + linkFields,
        .relay: ["count", "price-per-chunk", "quota", "bootstrap"] + linkFields,
        .viewer: ["count", "stream", "join", "watch", "max-price-per-chunk", "max-price-per-second", "cap", "bootstrap"] + linkFields,
    ]
    static let faults = ["kill": ["restart-after"], "freeze": ["for"]]
    /// Upper bounds that keep a typo (an extra zero) from starting a run that cannot finish here.
    static let maxCount = 500
    static let maxSeconds = 3600.0

    public static func load(path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(file: path, line: 0, field: nil, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, line: 0, field: nil, message: "not UTF-8 text")
        }
        return try ScenarioParser(file: URL(fileURLWithPath: path).lastPathComponent).parse(text)
    }

    public func parse(_ text: String) throws -> Scenario {
        var scenario = Scenario()
        var seenSeed = false, seenLimit = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let words = raw.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "seed":
                guard !seenSeed else { throw error(line, "seed", "the seed is given twice") }
                seenSeed = true
                scenario.seed = try number(single(words, line, "seed"), line, "seed")
            case "time-limit":
                guard !seenLimit else { throw error(line, "time-limit", "the time limit is given twice") }
                seenLimit = true
                scenario.timeLimit = try seconds(single(words, line, "time-limit"), line, "time-limit", allowZero: false)
            case "creator", "relay", "viewer":
                guard let role = Scenario.Role(rawValue: keyword) else { continue }
                scenario.groups.append(try group(role, words, line))
            case "at":
                scenario.faults.append(try fault(words, line))
            default:
                throw error(line, keyword, "unknown statement; a line starts with seed, time-limit, creator, relay, viewer or at")
            }
        }
        try validate(scenario)
        return scenario
    }

    private func single(_ words: [String], _ line: Int, _ field: String) throws -> String {
        guard words.count == 2 else { throw error(line, field, "write `\(field) VALUE` (one value)") }
        return words[1]
    }

    private func group(_ role: Scenario.Role, _ words: [String], _ line: Int) throws -> Scenario.NodeGroup {
        guard words.count >= 2, !words[1].contains("=") else {
            throw error(line, "name", "a \(role.rawValue) line starts with its name: `\(role.rawValue) NAME key=value ...`")
        }
        let name = words[1]
        guard Self.isName(name) else {
            throw error(line, "name", "'\(name)' is not a name (letters, digits and '-', starting with a letter)")
        }
        var g = Scenario.NodeGroup(role: role, name: name, line: line)
        let known = Self.fields[role] ?? []
        for (key, value) in try pairs(Array(words.dropFirst(2)), line) {
            guard known.contains(key) else {
                throw error(line, key, "not a field of a \(role.rawValue) (its fields: \(known.joined(separator: ", ")))")
            }
            switch key {
            case "count":
                g.count = try number(value, line, key)
                guard g.count >= 1, g.count <= Self.maxCount else { throw error(line, key, "must be 1 to \(Self.maxCount), got \(value)") }
            case "kind":
                guard let kind = Scenario.StreamKind(rawValue: value) else { throw error(line, key, "'\(value)' is neither vod nor live") }
                g.kind = kind
            case "seconds":
                g.seconds = try number(value, line, key)
                guard g.seconds >= 2, Double(g.seconds) <= Self.maxSeconds else {
                    throw error(line, key, "a video lasts 2 to \(Int(Self.maxSeconds)) seconds, got \(value)")
                }
            case "price-per-second": g.pricePerSecond = try number(value, line, key)
            case "price-per-chunk": g.pricePerChunk = try number(value, line, key)
            case "quota": g.quotaBytes = try bytes(value, line, key)
            case "bootstrap":
                g.bootstrap = value.split(separator: ",").map(String.init)
                guard !g.bootstrap.isEmpty, g.bootstrap.allSatisfy(Self.isName) else {
                    throw error(line, key, "'\(value)' is not a list of names separated by commas")
                }
            case "stream": g.stream = value
            case "join":
                let parts = value.components(separatedBy: "..")
                guard parts.count <= 2 else { throw error(line, key, "write a time (5) or a range (0..10), got '\(value)'") }
                g.joinFrom = try seconds(parts[0], line, key, allowZero: true)
                g.joinTo = try parts.count == 2 ? seconds(parts[1], line, key, allowZero: true) : g.joinFrom
                guard g.joinFrom <= g.joinTo else { throw error(line, key, "the range \(value) ends before it starts") }
            case "watch": g.watchSeconds = value == "end" ? nil : try seconds(value, line, key, allowZero: false)
            case "max-price-per-chunk": g.maxPricePerChunk = try number(value, line, key)
            case "max-price-per-second": g.maxPricePerSecond = try number(value, line, key)
            case "cap": g.spendingCap = try number(value, line, key)
            case "latency":
                g.latency = try delay(value, line, key)
            case "uplink", "downlink":
                let rate = try bytes(value, line, key)
                guard rate >= 1_000 else { throw error(line, key, "a rate of at least 1000 bytes per second (1KB), got \(value)") }
                if key == "uplink" { g.uplink = rate } else { g.downlink = rate }
            case "loss":
                let percent = value.hasSuffix("%")
                guard let share = Double(percent ? String(value.dropLast()) : value).map({ percent ? $0 / 100 : $0 }),
                      share >= 0, share < 1 else {
                    throw error(line, key, "a share from 0 up to (not including) 1, like 0.02 or 2%, got '\(value)'")
                }
                g.loss = share
            default: break
            }
        }
        if role == .viewer, g.stream.isEmpty { throw error(line, "stream", "a viewer needs stream=CREATOR (the creator it watches)") }
        return g
    }

    private func fault(_ words: [String], _ line: Int) throws -> Scenario.Fault {
        guard words.count >= 4 else {
            throw error(line, "at", "write `at SECONDS kill NODE restart-after=S` or `at SECONDS freeze NODE for=S`")
        }
        let at = try seconds(words[1], line, "at", allowZero: true)
        let kind = words[2]
        guard let known = Self.faults[kind] else {
            throw error(line, kind, "not a fault (known: \(Self.faults.keys.sorted().joined(separator: ", ")))")
        }
        let target = words[3]
        guard Self.isName(target) else { throw error(line, "target", "'\(target)' is not a node or group name") }
        let given = Dictionary(try pairs(Array(words.dropFirst(4)), line), uniquingKeysWith: { a, _ in a })
        for key in given.keys.sorted() where !known.contains(key) {
            throw error(line, key, "not a field of \(kind) (its field: \(known.joined(separator: ", ")))")
        }
        guard let key = known.first, let value = given[key] else {
            throw error(line, known.first ?? kind, "\(kind) needs \(known.first ?? "")=SECONDS")
        }
        let span = try seconds(value, line, key, allowZero: false)
        let action: Scenario.Fault.Action = kind == "kill" ? .kill(restartAfter: span) : .freeze(seconds: span)
        return Scenario.Fault(at: at, action: action, target: target, line: line)
    }

    /// The fields of a node's access link, on any role's line.
    static let linkFields = ["latency", "uplink", "downlink", "loss"]

    /// A one-way delay: seconds (`0.05`, `0.05s`) or milliseconds (`50ms`), at most 10 s.
    private func delay(_ value: String, _ line: Int, _ key: String) throws -> Double {
        let seconds: Double? = value.hasSuffix("ms") ? Double(value.dropLast(2)).map { $0 / 1000 }
            : Double(value.hasSuffix("s") ? String(value.dropLast()) : value)
        guard let seconds, seconds >= 0, seconds <= 10 else {
            throw error(line, key, "a one-way delay of 0 to 10 seconds, like 40ms or 0.04, got '\(value)'")
        }
        return seconds
    }

    /// `key=value` words, each key once.
    private func pairs(_ words: [String], _ line: Int) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for word in words {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex, word.index(after: eq) != word.endIndex else {
                throw error(line, word, "expected key=value")
            }
            let key = String(word[..<eq])
            guard !out.contains(where: { $0.0 == key }) else { throw error(line, key, "given twice") }
            out.append((key, String(word[word.index(after: eq)...])))
        }
        return out
    }

    /// The file as a whole: the roles a run needs, and every name used is defined once.
    private func validate(_ s: Scenario) throws {
        for role in [Scenario.Role.creator, .viewer] where s.groups(role).isEmpty {
            throw error(0, role.rawValue, "the scenario has no \(role.rawValue); add a line `\(role.rawValue) NAME ...`")
        }
        var nodes: [String: Int] = [:]
        for g in s.groups {
            for name in [g.name] + (g.count > 1 ? g.nodeNames : []) {
                if let first = nodes[name] { throw error(g.line, "name", "'\(name)' is already a node or group (line \(first))") }
                nodes[name] = g.line
            }
        }
        let creators = Set(s.groups(.creator).map(\.name))
        for g in s.groups {
            for b in g.bootstrap {
                guard nodes[b] != nil else { throw error(g.line, "bootstrap", "no node or group named '\(b)'") }
                guard b != g.name else { throw error(g.line, "bootstrap", "'\(b)' cannot bootstrap from itself") }
            }
            if g.role == .viewer, !creators.contains(g.stream) {
                throw error(g.line, "stream", "no creator named '\(g.stream)' (creators: \(creators.sorted().joined(separator: ", ")))")
            }
        }
        for f in s.faults {
            guard nodes[f.target] != nil else { throw error(f.line, "target", "no node or group named '\(f.target)'") }
            if f.at > s.timeLimit { throw error(f.line, "at", "\(f.at) s is past the time limit (\(s.timeLimit) s)") }
        }
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, CharacterSet.letters.contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" } && s.count <= 40
    }

    private func number<T: FixedWidthInteger>(_ text: String, _ line: Int, _ field: String) throws -> T {
        guard let v = T(text.replacingOccurrences(of: "_", with: "")) , v >= 0 else {
            throw error(line, field, "'\(text)' is not a whole number of at least 0")
        }
        return v
    }

    private func seconds(_ text: String, _ line: Int, _ field: String, allowZero: Bool) throws -> Double {
        let body = text.hasSuffix("s") ? String(text.dropLast()) : text
        guard let v = Double(body), v.isFinite, v >= 0, v <= Self.maxSeconds, allowZero || v > 0 else {
            throw error(line, field, "'\(text)' is not a number of seconds (\(allowZero ? "0" : "more than 0") to \(Int(Self.maxSeconds)))")
        }
        return v
    }

    /// Bytes: a whole number with an optional unit (KB, MB, GB, KiB, MiB, GiB).
    private func bytes(_ text: String, _ line: Int, _ field: String) throws -> UInt64 {
        let units: [(String, UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let n: UInt64 = try number(String(text.dropLast(suffix.count)), line, field)
            let (v, overflow) = n.multipliedReportingOverflow(by: factor)
            guard !overflow else { throw error(line, field, "'\(text)' is too large") }
            return v
        }
        guard let v = UInt64(text) else { throw error(line, field, "'\(text)' is not a size (e.g. 268435456, 256MiB, 1GB)") }
        return v
    }

    private func error(_ line: Int, _ field: String?, _ message: String) -> ScenarioError {
        ScenarioError(file: file, line: line, field: field, message: message)
    }
}
