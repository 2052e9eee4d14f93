import ArgumentParser
import Foundation
import NetworkLab
#if canImport(Glibc)
import Glibc
#endif

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Paid video on one machine: a local chain, a creator, two relays and two viewers, every figure cross-checked.",
        discussion: """
        Starts localnet and deploys the payment-channel program; starts five daemons on 127.0.0.1 (the \
        viewers know only the relays, the relays know the creator); publishes a generated VOD and a live \
        stream; the viewers watch both through their own daemons (paying the relays per chunk and the \
        creator per second), chat and tip; the relays and the creator claim on chain. Then it reads every \
        figure back from the nodes' APIs and the chain, prints a summary and fails (exit status 1) if any \
        two figures disagree. Progress goes to stderr. Without --keep everything is stopped and removed at \
        the end (after a failure the work directory is kept for its logs).
        """)

    @Flag(name: .long, help: "Print the summary as JSON.") var json = false

    @Flag(name: .long, help: "Leave the chain and the daemons running; print the viewers' playback URLs and how to stop.")
    var keep = false

    @Option(name: .long, help: ArgumentHelp("Work directory (must not exist or be empty; default: a new temporary one).",
                                            valueName: "dir"))
    var workDir: String?

    @Option(name: .long, help: ArgumentHelp("The repository (localnet/, programs/out/); default: found above this executable.",
                                            valueName: "dir"))
    var repo: String?

    func run() throws {
        try Self.run(settings: DemoSettings(), json: json, keep: keep, workDir: workDir, repo: repo, title: "nodectl demo")
    }

    /// The demo's whole run for `settings` (also `nodectl bench crowd`'s),
    /// in NetworkLab: here only the options and the work directory.
    static func run(settings: DemoSettings, json: Bool, keep: Bool, workDir: String?, repo: String?, title: String) throws {
        let repository = try RepositoryFiles.locate(given: repo)
        let work = try makeWorkDirectory(workDir)
        do {
            try DemoSession.run(settings: settings, json: json, keep: keep, work: work, repository: repository, title: title)
        } catch let error as LabError {
            throw CLIError(error.description)
        }
    }

    /// The given directory (created; refused unless empty) or a new temporary
    /// one named `prefix`.XXXXXX (also `nodectl sim`'s --out).
    static func makeWorkDirectory(_ workDir: String?, flag: String = "--work-dir", prefix: String = "peernode-demo") throws -> String {
        let fm = FileManager.default
        guard let workDir else {
            let template = NSTemporaryDirectory() + prefix + ".XXXXXX"
            var bytes = Array(template.utf8CString)
            guard let made = mkdtemp(&bytes) else { throw CLIError("cannot create a temporary directory at \(template)") }
            return String(cString: made)
        }
        let path = URL(fileURLWithPath: workDir).standardizedFileURL.path
        if fm.fileExists(atPath: path), !((try? fm.contentsOfDirectory(atPath: path))?.isEmpty ?? false) {
            throw ValidationError("\(flag) \(path) is not empty; give a new or empty directory (the run removes what it made there)")
        }
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create \(path): \(error.localizedDescription)")
        }
        return path
    }
}
