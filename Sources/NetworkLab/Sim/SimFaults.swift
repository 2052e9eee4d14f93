import Foundation
import PeerNode
#if canImport(Glibc)
import Glibc
#endif

/// A fault as it happened.
struct SimFaultRecord: Codable, Sendable {
    /// Seconds into the playing phase: planned, and when it began.
    var at: Double
    var began: Double
    var action: String
    var node: String
    var detail: String
}

/// Carries out the plan's faults on time on the real processes: SIGKILL
/// and a restart on the same data directory, or SIGSTOP and SIGCONT. Before a kill it reads the node's channel figures
/// (for the durability check) and its counters (which start again at zero).
struct SimFaults: Sendable {
    let plan: SimPlan
    let nodes: SimNodes
    let processes: ProcessGroup
    let progress: DemoProgress
    /// Each node's config.json, to restart it with.
    let configs: [String: NodeConfig]
    let startTimeout: Double

    /// Each fault on a thread of its own, so that one that lasts does not
    /// delay the next (the plan refuses two that overlap on one node).
    func run(t0: Date, deadline: Date) throws -> ([SimFaultRecord], [SimFigures.Durable]) {
        let done = FaultResults()
        try runConcurrently(plan.faults.map { f in
            { try self.carryOut(f, t0: t0, deadline: deadline, into: done) }
        })
        return done.value
    }

    private func carryOut(_ f: SimPlan.Fault, t0: Date, deadline: Date, into done: FaultResults) throws {
        let wait = t0.addingTimeInterval(f.at).timeIntervalSinceNow
        if wait > 0 { Thread.sleep(forTimeInterval: min(wait, deadline.timeIntervalSinceNow)) }
        guard Date() < deadline else { return }
        let node = try nodes.node(f.node)
        guard let child = processes.child(pid: node.pid), child.isRunning else {
            throw LabFailure("fault at \(f.at) s: \(f.node)'s daemon is not running")
        }
        let began = Date().timeIntervalSince(t0)
        switch f.action {
        case .kill(let after):
            let samples = try durableFigures(node)
            let stats: APIServer.Stats = try node.get("/v1/stats", timeout: 10)
            child.send(SIGKILL)
            child.wait(timeout: 10)
            nodes.markDown(f.node, carrying: stats.counters)
            progress.step(String(format: "t+%.1f s: SIGKILL %@; restarting it in %.0f s", began, f.node, after))
            Thread.sleep(forTimeInterval: after)
            guard let config = configs[f.node] else { throw LabError("internal: no config for \(f.node)") }
            let again = try DemoNetwork.start(name: node.name, role: node.role, directory: node.dataDirectory, config: config,
                                              log: node.log, processes: processes, timeout: startTimeout, restart: true)
            nodes.add(again)
            progress.step(String(format: "t+%.1f s: %@ restarted (API %@)", Date().timeIntervalSince(t0), f.node, again.apiURL))
            done.add(SimFaultRecord(at: f.at, began: began, action: "kill", node: f.node,
                                    detail: String(format: "SIGKILL, restarted after %.1f s", after)), samples)
        case .freeze(let seconds):
            child.send(SIGSTOP)
            nodes.setFrozen(f.node, true)
            progress.step(String(format: "t+%.1f s: SIGSTOP %@ for %.0f s", began, f.node, seconds))
            Thread.sleep(forTimeInterval: seconds)
            child.send(SIGCONT)
            nodes.setFrozen(f.node, false)
            progress.step(String(format: "t+%.1f s: SIGCONT %@", Date().timeIntervalSince(t0), f.node))
            done.add(SimFaultRecord(at: f.at, began: began, action: "freeze", node: f.node,
                                    detail: String(format: "SIGSTOP for %.1f s, then SIGCONT", seconds)), [])
        }
    }

    /// The node's channels as it states them just before the kill ("atEnd" is filled in at the end).
    private func durableFigures(_ node: DemoNode) throws -> [SimFigures.Durable] {
        let c: PeerNode.Channels = try node.get("/v1/channels", timeout: 10)
        return c.incoming.map { SimFigures.Durable(node: node.name, channel: $0.channel.base58, side: "accepted", beforeKill: $0.amount, atEnd: 0) }
            + c.outgoing.map { SimFigures.Durable(node: node.name, channel: $0.address.base58, side: "spent", beforeKill: $0.spent, atEnd: 0) }
    }
}

/// What the fault threads did, collected in the order they finish; guarded by the lock.
private final class FaultResults: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [SimFaultRecord] = []
    private var samples: [SimFigures.Durable] = []
    func add(_ record: SimFaultRecord, _ more: [SimFigures.Durable]) {
        lock.withLock {
            records.append(record)
            samples += more
        }
    }
    var value: ([SimFaultRecord], [SimFigures.Durable]) { lock.withLock { (records.sorted { $0.at < $1.at }, samples) } }
}
