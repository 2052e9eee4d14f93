import ArgumentParser
import Foundation
import NetworkLab

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulate a network on this machine from a scenario file, with faults, and check what every node saw.",
        discussion: """
        SCENARIO is a file (docs/simulation.md describes the format) or the name of a shipped scenario \
        (`nodectl sim --list`). Every node is a real `nodectl daemon` on 127.0.0.1 with its own data \
        directory, paying and paid on a local chain; viewers play their own node's HLS in real time. \
        Progress goes to stderr; the summary table to stdout; the report to OUT/report.json and \
        OUT/report.html. Exit status 1 when a check fails.
        """)

    @Argument(help: ArgumentHelp("A scenario file, or the name of a shipped scenario.", valueName: "scenario"))
    var scenario: String?

    @Flag(name: .long, help: "List the shipped scenarios.") var list = false

    @Option(name: .long, help: "The seed every random choice comes from (default: the scenario's).") var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("Where the report goes (must not exist or be empty; default: a new temporary directory).",
                                            valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("The repository (localnet/, programs/out/, sim/scenarios/); default: found above this executable.",
                                            valueName: "dir"))
    var repo: String?

    func validate() throws {
        if list == (scenario != nil) { throw ValidationError("give a SCENARIO to run, or --list (not both)") }
    }

    func run() throws {
        let repository: String
        do { repository = try RepositoryFiles.locate(given: repo) } catch let e as LabError { throw CLIError(e.description) }
        if list {
            let shipped = SimSession.list(repository: repository)
            if shipped.isEmpty { print("no scenarios in \(SimSession.scenariosFolder(repository))") }
            for s in shipped { print(s.name.padding(toLength: max(12, s.name.count + 2), withPad: " ", startingAt: 0) + s.summary) }
            return
        }
        guard let scenario else { return }
        do {
            let path = try SimSession.resolve(scenario, repository: repository)
            let dir = try DemoCommand.makeWorkDirectory(out, flag: "--out", prefix: "peernode-sim")
            guard try SimSession.run(path: path, seed: seed, out: dir, repository: repository) else { throw ExitCode(1) }
        } catch let e as LabError {
            throw CLIError(e.description)
        }
    }
}
