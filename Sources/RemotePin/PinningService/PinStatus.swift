/// The IPFS Pinning Service API's objects (spec v1.0.0).
public enum PinState: String, Sendable, Codable, CaseIterable {
    case queued, pinning, pinned, failed

    public var isFinal: Bool { self == .pinned || self == .failed }
}

public struct Pin: Sendable, Codable, Equatable {
    public var cid: String
    public var name: String?
    public var origins: [String]?
    public var meta: [String: String]?

    public init(cid: String, name: String? = nil, origins: [String]? = nil, meta: [String: String]? = nil) {
        self.cid = cid
        self.name = name
        self.origins = origins
        self.meta = meta
    }
}

public struct PinStatus: Sendable, Codable, Equatable {
    public let requestid: String
    public let status: PinState
    public let created: String
    public let pin: Pin
    public let delegates: [String]
    public let info: [String: String]?

    /// The service's own words on why a pin is where it is (info.status_details).
    public var details: String? {
        guard let d = info?["status_details"], !d.isEmpty else { return nil }
        return d
    }
}

public struct PinResults: Sendable, Codable, Equatable {
    public let count: Int
    public let results: [PinStatus]
}
