/// A failure of the lab's machinery (a program that would not start or
/// finish, a localnet that wrote no port); its text is meant for the user.
public struct LabError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A failure that waiting again cannot fix (a process died, a check
/// failed): `waitFor` throws it at once instead of polling on.
public struct LabFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
