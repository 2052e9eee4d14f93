extension LMDBEnvironment {
    /// One write transaction, committed and then synced to disk
    /// (`mdb_env_sync`) before it returns: what the money path writes must
    /// survive a power cut. Errors of type `E` thrown by `body` pass through;
    /// anything else (LMDB) is wrapped by `storage`.
    public func durableWrite<T, E: Error>(_ body: (LMDBTransaction) throws -> T,
                                          storage: (String) -> E) throws(E) -> T {
        do {
            let result = try write(body)
            try sync()
            return result
        } catch let error as E {
            throw error
        } catch {
            throw storage("\(error)")
        }
    }

    /// A read-only snapshot, errors wrapped as in `durableWrite`.
    public func snapshot<T, E: Error>(_ body: (LMDBTransaction) throws -> T,
                                      storage: (String) -> E) throws(E) -> T {
        do { return try read(body) } catch let error as E { throw error } catch { throw storage("\(error)") }
    }
}
