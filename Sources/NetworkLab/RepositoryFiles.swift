import Foundation

/// Where the lab finds the repository's files that are not compiled in
/// (localnet/, programs/): `--repo DIR`, else `$PEERNODE_REPO`, else the
/// first folder above the executable (a build in .build/...) or the current
/// directory that holds localnet/localnet. An installed binary is given
/// the flag or the variable.
public enum RepositoryFiles {
    public static let environmentVariable = "PEERNODE_REPO"

    /// This executable, to run daemons with.
    public static var executable: String {
        Bundle.main.executablePath ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    public static func isRepository(_ path: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path + "/localnet/localnet")
    }

    public static func locate(given: String?, flag: String = "--repo") throws -> String {
        if let given {
            let path = URL(fileURLWithPath: given).standardizedFileURL.path
            guard isRepository(path) else { throw LabError("\(flag) \(given): no localnet/localnet there") }
            return path
        }
        if let variable = ProcessInfo.processInfo.environment[environmentVariable], !variable.isEmpty {
            let path = URL(fileURLWithPath: variable).standardizedFileURL.path
            guard isRepository(path) else { throw LabError("\(environmentVariable)=\(variable): no localnet/localnet there") }
            return path
        }
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            if isRepository(dir.path) { return dir.path }
            dir.deleteLastPathComponent()
        }
        let cwd = FileManager.default.currentDirectoryPath
        if isRepository(cwd) { return cwd }
        throw LabError("cannot find the repository (a folder with localnet/localnet) above \(executable) or here; give \(flag) DIR or set \(environmentVariable)")
    }

    public static func localnetScript(_ repository: String) -> String { repository + "/localnet/localnet" }
}
