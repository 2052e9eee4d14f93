import ArgumentParser
import Foundation

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data directory.",
            discussion: "Default: $PEERNODE_DATA, else ~/.peernode.", valueName: "dir"))
    var dataDir: String?

    @Flag(name: .long, help: "Print results as JSON.")
    var json = false

    var dataDirectory: DataDirectory { DataDirectory(path: dataDir ?? DataDirectory.defaultPath()) }
}
