import LMDB
import TestSupport
import Testing

/// An environment on a real full disk (a 20 MiB tmpfs): never SIGBUS, and
/// nothing already stored lost.
@Suite(.serialized) struct LMDBFullDiskTests {
    @Test func manyReadersAndAFailedWriteOnADiskThatFilledWhileOpen() throws {
        let disk = try SmallDisk(label: "lmdb")
        defer { disk.remove() }
        let env = try LMDBEnvironment(directory: disk.path)
        let db = try env.database("things")
        let kept = randomBytes(1 << 20)
        try env.write { try $0.put(db, key: [1], value: kept) }
        try disk.fill(leaving: 0)

        // Reader slots run across every page of the lock file: 200 readers
        // open at once touch them all. Unbacked pages were SIGBUS.
        func nest(_ depth: Int) throws -> Int {
            try env.read { txn in
                let here = try txn.get(db, key: [1]) == kept ? 1 : 0
                return depth == 0 ? here : here + (try nest(depth - 1))
            }
        }
        #expect(try nest(199) == 200)

        // A write that needs new pages fails cleanly, and changes nothing.
        do {
            try env.write { try $0.put(db, key: [2], value: randomBytes(2 << 20)) }
            Issue.record("a 2 MiB write succeeded on a full disk")
        } catch let error as LMDBError {
            #expect(error.mayBeDiskFull, "\(error)")
        }
        #expect(try env.read { try $0.get(db, key: [2]) } == nil)
        #expect(try env.read { try $0.get(db, key: [1]) } == kept)
        disk.unfill()
        try env.write { try $0.put(db, key: [2], value: [2]) }
        #expect(try env.read { try $0.get(db, key: [2]) } == [2])
    }
}
