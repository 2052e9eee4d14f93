import Foundation
import LMDB
import TestSupport
import Testing

@Suite struct LMDBEnvironmentTests {
    let dir = TempDir("lmdb")

    @Test func writeReadIterateDelete() throws {
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database("things")
        try env.write { txn in
            for i in 0..<10 { try txn.put(db, key: [UInt8(i)], value: Array("v\(i)".utf8)) }
        }
        #expect(try env.read { try $0.get(db, key: [3]) } == Array("v3".utf8))
        var keys: [UInt8] = []
        try env.read { txn in
            try txn.forEach(db, from: [5]) { key, _ in keys.append(key[0]); return keys.count < 3 }
        }
        #expect(keys == [5, 6, 7])
        #expect(try env.write { try $0.delete(db, key: [3]) })
        #expect(try env.write { try $0.delete(db, key: [3]) } == false)
        #expect(try env.read { try $0.count(db) } == 9)
    }

    @Test func aThrowingWriteChangesNothing() throws {
        let env = try LMDBEnvironment(directory: dir.path)
        let db = try env.database("things")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try env.read { try $0.get(db, key: [1]) } == nil)
    }

    @Test func openingAFileInsteadOfADirectoryFailsClearly() throws {
        let file = dir.file("not-a-dir", bytes: [1, 2, 3])
        #expect(throws: LMDBError.self) { try LMDBEnvironment(directory: file) }
    }
}
