import Foundation

/// `nodectl sim`'s whole run: the scenario read and planned from its seed,
/// the network run (SimRun), the report written, everything stopped.
public enum SimSession {
    /// Scenario files end so; the shipped ones are in the repository's sim/scenarios.
    public static let fileExtension = "sim"
    public static func scenariosFolder(_ repository: String) -> String { repository + "/sim/scenarios" }

    /// The shipped scenarios: name and the first comment line of each.
    public static func list(repository: String) -> [(name: String, summary: String)] {
        let folder = scenariosFolder(repository)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix("." + fileExtension) }.sorted()
        return files.map { file in
            let text = (try? String(contentsOfFile: folder + "/" + file, encoding: .utf8)) ?? ""
            let first = text.split(separator: "\n").first { $0.hasPrefix("#") }.map { $0.drop { $0 == "#" || $0 == " " } } ?? ""
            return (String(file.dropLast(fileExtension.count + 1)), String(first))
        }
    }

    /// A path to a file, or the name of a shipped scenario.
    public static func resolve(_ argument: String, repository: String) throws -> String {
        if FileManager.default.fileExists(atPath: argument) { return argument }
        let shipped = scenariosFolder(repository) + "/\(argument).\(fileExtension)"
        if FileManager.default.fileExists(atPath: shipped) { return shipped }
        let names = list(repository: repository).map(\.name).joined(separator: ", ")
        throw LabError("no scenario file \(argument), and no shipped scenario of that name (shipped: \(names); `nodectl sim --list`)")
    }

    /// Runs the scenario at `path`; writes `out`/report.json and report.html.
    /// Returns whether every check held. The daemons' data and logs stay in
    /// `out`/work after a failure and are removed after a success.
    public static func run(path: String, seed: UInt64?, out: String, repository: String) throws -> Bool {
        let scenario: Scenario
        let plan: SimPlan
        do {
            scenario = try ScenarioParser.load(path: path)
            plan = try SimPlan(scenario, seed: seed ?? scenario.seed, file: URL(fileURLWithPath: path).lastPathComponent)
        } catch let e as ScenarioError {
            throw LabError(e.description)
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let work = out + "/work"
        let progress = DemoProgress()
        let processes = ProcessGroup()
        let cleanup = DemoCleanup(work: work, repository: repository, processes: processes, progress: progress)
        try cleanup.onInterrupt()
        progress.step("nodectl sim \(name): seed \(plan.seed) (repeat with --seed \(plan.seed)); output in \(out)")
        let report: SimReport
        do {
            report = try SimRun(name: name, plan: plan, timeLimit: scenario.timeLimit, work: work, repository: repository,
                                progress: progress, processes: processes).run()
        } catch {
            cleanup.waitIfInterrupted()
            progress.step("failed; stopping the daemons and localnet")
            cleanup.stop(removeWork: false)
            throw LabError("nodectl sim \(name) failed: \(error)\n(logs: \(work)/logs)")
        }
        cleanup.waitIfInterrupted()
        progress.step("stopping the daemons and localnet")
        cleanup.stop(removeWork: report.passed)
        try write(report, to: out)
        print(report.table)
        print("\nreport: \(out)/report.json and \(out)/report.html" + (report.passed ? "" : "; logs: \(work)/logs"))
        return report.passed
    }

    static func write(_ report: SimReport, to out: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(report).write(to: URL(fileURLWithPath: out + "/report.json"))
            try Data(SimHTML.render(report).utf8).write(to: URL(fileURLWithPath: out + "/report.html"))
        } catch {
            throw LabError("cannot write the report into \(out): \(error.localizedDescription)")
        }
    }
}
