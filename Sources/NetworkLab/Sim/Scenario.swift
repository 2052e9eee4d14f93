import Foundation

/// A network to simulate, as a scenario file states it (docs/simulation.md):
/// groups of nodes by role, who bootstraps from whom, and faults on a
/// timeline. Amounts are lamports, times seconds from the moment every
/// daemon is up and the streams are published.
public struct Scenario: Sendable, Equatable {
    /// Where every random choice starts (`--seed` overrides it).
    public var seed: UInt64 = 1
    /// An upper bound on the playing phase; the run fails past it.
    public var timeLimit = 300.0
    public var groups: [NodeGroup] = []
    public var faults: [Fault] = []

    public init() {}

    public enum Role: String, Sendable, CaseIterable {
        case creator, relay, viewer
    }

    public enum StreamKind: String, Sendable {
        /// A generated video the creator's daemon cuts into HLS.
        case vod
        /// ffmpeg encoding HLS in real time, published with POST /v1/live.
        case live
    }

    /// Nodes of one role with the same settings: `count` of them, named
    /// `name` (one) or `name-1` ... `name-N` (more).
    public struct NodeGroup: Sendable, Equatable {
        public var role: Role
        public var name: String
        public var line: Int
        public var count = 1
        /// Groups (or single nodes) each node bootstraps from: one node of
        /// each, picked by the seed.
        public var bootstrap: [String] = []
        // Creators.
        public var kind = StreamKind.vod
        public var seconds = 20
        public var pricePerSecond: UInt64 = 0
        // Creators and relays.
        public var pricePerChunk: UInt64 = 0
        public var quotaBytes: UInt64?
        // Viewers.
        /// The creator whose stream they watch.
        public var stream = ""
        /// They join at a time picked by the seed in this range.
        public var joinFrom = 0.0
        public var joinTo = 0.0
        /// Seconds of video they watch; nil: to the end.
        public var watchSeconds: Double?
        public var maxPricePerChunk: UInt64?
        public var maxPricePerSecond: UInt64?
        public var spendingCap: UInt64?
        // Any role: its nodes' access links (the daemon's simulatedLatency,
        // simulatedUplink, simulatedDownlink and simulatedLoss).
        /// One-way delay on every frame sent and received, seconds.
        public var latency = 0.0
        /// Bytes per second sent / received; nil: no cap.
        public var uplink: UInt64?
        public var downlink: UInt64?
        /// Share of frames lost and sent again after TCP's retransmission time-out.
        public var loss = 0.0

        public init(role: Role, name: String, line: Int) {
            self.role = role
            self.name = name
            self.line = line
        }

        /// The names of its nodes.
        public var nodeNames: [String] { count == 1 ? [name] : (1...count).map { "\(name)-\($0)" } }
    }

    /// Something done to a node at `at` seconds into the playing phase.
    public struct Fault: Sendable, Equatable {
        public enum Action: Sendable, Equatable {
            /// SIGKILL, then a restart on the same data directory after `restartAfter` seconds.
            case kill(restartAfter: Double)
            /// SIGSTOP, then SIGCONT after `seconds`.
            case freeze(seconds: Double)
        }
        public var at: Double
        public var action: Action
        /// A node's name, or a group's (one of its nodes, picked by the seed).
        public var target: String
        public var line: Int

        public init(at: Double, action: Action, target: String, line: Int) {
            self.at = at
            self.action = action
            self.target = target
            self.line = line
        }
    }

    public func groups(_ role: Role) -> [NodeGroup] { groups.filter { $0.role == role } }
}
