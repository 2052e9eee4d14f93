import Foundation

/// One binary for every target (one sanitizer build instead of one per decoder).
///
/// Built with fuzz/run (-D FUZZING, ASan and libFuzzer's coverage): the target
/// is named by FUZZ_TARGET and the arguments are libFuzzer's.
/// Built normally (swift build): `PeerNodeFuzz <target> <file>...` runs each
/// file once through the target (a crash reproducer without the sanitizer),
/// `PeerNodeFuzz --list` names the targets and `--seeds <dir>` writes the seed corpora.
func target(named name: String) -> FuzzTarget? {
    fuzzTargets.first { $0.name == name }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var selected: FuzzTarget?

/// SwiftPM links an executable's entry point as <module>_main; libFuzzer's own
/// main is not linked (fuzz/run links libFuzzer without it), so this one runs the driver.
@_cdecl("PeerNodeFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"], let found = target(named: name) else {
        FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(fuzzTargets.map(\.name).joined(separator: " "))\n".utf8))
        return 2
    }
    selected = found
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        selected!.run(bytes)
        return 0
    }
}
#else
@main
struct FuzzReplay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        if args.first == "--seeds", let dir = args.dropFirst().first {
            do { try Seeds.write(to: dir) } catch { print("seeds: \(error)"); exit(1) }
            return
        }
        guard let name = args.first, name != "--list", let found = target(named: name) else {
            print(fuzzTargets.map(\.name).joined(separator: "\n"))
            exit(args.first == "--list" ? 0 : 2)
        }
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { print("cannot read \(path)"); exit(1) }
            found.run([UInt8](data))
            print("\(name): \(path) ok")
        }
    }
}
#endif
