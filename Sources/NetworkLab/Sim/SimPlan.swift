/// A scenario with every random choice made from its seed: each node with
/// the peers it bootstraps from, each viewer's join time, each fault's
/// node. The same scenario and seed give the same plan.
public struct SimPlan: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public var name: String
        public var group: Scenario.NodeGroup
        /// Node names it bootstraps from (all in groups started before its own).
        public var bootstrap: [String]
        /// Viewers: seconds into the playing phase when the player starts.
        public var joinAt: Double
    }

    public struct Fault: Sendable, Equatable {
        public var at: Double
        public var action: Scenario.Fault.Action
        public var node: String
        /// Its line in the scenario file.
        public var line: Int

        /// Seconds the node is down or frozen (a restart takes a little longer still).
        public var span: Double {
            switch action {
            case .kill(let after): return after
            case .freeze(let seconds): return seconds
            }
        }
    }

    public var seed: UInt64
    /// In start order: creators, relays, viewers, group by group (a node bootstraps only from groups started before its own).
    public var nodes: [Node]
    public var faults: [Fault]

    /// `file`: the scenario's file name, for errors.
    public init(_ scenario: Scenario, seed: UInt64, file: String = "scenario") throws {
        self.seed = seed
        var random = SeededRandom(seed: seed)
        var byGroup: [String: [String]] = [:]
        for g in scenario.groups { byGroup[g.name] = g.nodeNames }
        for g in scenario.groups { for n in g.nodeNames where byGroup[n] == nil { byGroup[n] = [n] } }
        let order: [Scenario.Role] = [.creator, .relay, .viewer]
        var nodes: [Node] = []
        for role in order {
            for g in scenario.groups(role) {
                // A group's nodes start together, so they bootstrap from nodes of groups started before theirs.
                let started = Set(nodes.map(\.name))
                for name in g.nodeNames {
                    var bootstrap: [String] = []
                    for source in g.bootstrap {
                        let candidates = (byGroup[source] ?? []).filter { started.contains($0) }
                        guard let pick = candidates.randomElement(using: &random) else {
                            let later = scenario.groups.first { $0.name == source || $0.nodeNames.contains(source) }
                            throw ScenarioError(file: file, line: g.line, field: "bootstrap",
                                                message: "'\(source)' does not start before \(name) (\(later.map { "a \($0.role.rawValue)" } ?? "unknown")); groups start creators first, then relays, then viewers, each group's nodes together, and nodes bootstrap only from groups already up")
                        }
                        bootstrap.append(pick)
                    }
                    let join = g.joinTo > g.joinFrom ? Double.random(in: g.joinFrom...g.joinTo, using: &random) : g.joinFrom
                    nodes.append(Node(name: name, group: g, bootstrap: bootstrap, joinAt: (join * 10).rounded() / 10))
                }
            }
        }
        self.nodes = nodes
        faults = scenario.faults.map { f in
            let candidates = byGroup[f.target] ?? [f.target]
            return Fault(at: f.at, action: f.action, node: candidates.randomElement(using: &random) ?? f.target, line: f.line)
        }.sorted { $0.at < $1.at }
        // Faults run at the same time when their times overlap; on one node they would undo each other.
        for (i, a) in faults.enumerated() {
            for b in faults[(i + 1)...] where b.node == a.node && b.at < a.at + a.span {
                throw ScenarioError(file: file, line: b.line, field: "at",
                                    message: "with seed \(seed) this fault hits \(b.node) at \(b.at) s, while the fault of line \(a.line) still holds it (until \(a.at + a.span) s); move it later")
            }
        }
    }

    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }
    public func nodes(_ role: Scenario.Role) -> [Node] { nodes.filter { $0.group.role == role } }
}
