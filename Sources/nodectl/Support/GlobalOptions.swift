import ArgumentParser
import Foundation

/// The data directory option, which every command takes.
struct DataDirOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data directory.",
            discussion: "Default: $PEERNODE_DATA, else ~/.peernode.", valueName: "dir"))
    var dataDir: String?

    var dataDirectory: DataDirectory { DataDirectory(path: dataDir ?? DataDirectory.defaultPath()) }
}

/// Options of every command that prints results: the data directory and --json.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var location: DataDirOption

    @Flag(name: .long, help: "Print results as JSON.")
    var json = false

    var dataDirectory: DataDirectory { location.dataDirectory }
}
