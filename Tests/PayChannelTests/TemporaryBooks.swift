import Foundation
import LMDB
import PayChannel

/// LMDB environments in a fresh temporary directory, one per name; opening
/// the same name again (after the last one was released) reopens its data.
struct TemporaryBooks {
    let dir = NSTemporaryDirectory() + "paychannel-books-\(UUID().uuidString)"

    func environment(_ name: String) throws -> LMDBEnvironment {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return try LMDBEnvironment(directory: path)
    }

    func book(_ name: String) throws -> VoucherBook { try VoucherBook(environment: environment(name)) }
}
