import Foundation

/// `nodectl demo`'s (and `nodectl bench crowd`'s) whole run in a work
/// directory: the network, the summary and its cross-checks, then stopping
/// or keeping what runs.
public enum DemoSession {
    /// The demo's whole run for `settings` (also `nodectl bench crowd`'s):
    /// the network, the summary and its cross-checks, then stopping or keeping.
    public static func run(settings: DemoSettings, json: Bool, keep: Bool, work: String, repository: String,
                           title: String) throws {
        let progress = DemoProgress()
        let processes = ProcessGroup()
        let cleanup = DemoCleanup(work: work, repository: repository, processes: processes, progress: progress)
        try cleanup.onInterrupt()
        progress.step("\(title): work directory \(work)")

        let demo = DemoRun(settings: settings, work: work, repository: repository, keep: keep, progress: progress,
                           processes: processes)
        var summary: DemoSummary
        do { summary = try demo.run() } catch {
            cleanup.waitIfInterrupted()
            progress.step("failed; stopping the daemons and localnet")
            cleanup.stop(removeWork: false)
            throw LabError("\(title) failed: \(error)\n(logs: \(work)/logs; remove \(work) when done)")
        }
        cleanup.waitIfInterrupted()
        summary.seconds = progress.elapsed
        summary.workDirectory = work
        if keep, summary.passed { summary.kept = try cleanup.keepRunning(nodes: demo.nodes, streams: summary.streams.map(\.stream)) }

        if json { printJSON(summary) } else { print(DemoReport.render(summary)) }
        guard summary.passed else {
            progress.step("figures disagree; stopping the daemons and localnet")
            cleanup.stop(removeWork: false)
            let lines = summary.failures.map { "  " + $0.line }.joined(separator: "\n")
            throw LabError("the demo's figures disagree:\n\(lines)\n(logs: \(work)/logs; remove \(work) when done)")
        }
        if let kept = summary.kept {
            progress.step("all \(summary.checks.count) cross-checks passed; left running: play with ffplay \(kept.playbackURLs["viewer-1 vod"] ?? ""); stop with \(kept.stopCommand)")
        } else {
            cleanup.stop(removeWork: true)
            progress.step("done: all \(summary.checks.count) cross-checks passed; daemons and localnet stopped, \(work) removed")
        }
    }

    /// The summary as JSON on stdout (sorted keys, as nodectl's --json prints).
    private static func printJSON(_ summary: DemoSummary) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(summary) {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}
