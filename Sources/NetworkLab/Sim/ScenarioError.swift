/// A scenario file that cannot be run: where (file, line, field) and why,
/// in words that say what to write instead.
public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// 1-based; 0 when the problem is the file as a whole (a missing role).
    public let line: Int
    /// The field or keyword at fault, when there is one.
    public let field: String?
    public let message: String

    public init(file: String, line: Int, field: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        (line > 0 ? "\(file) line \(line)" : file) + (field.map { ", field \($0)" } ?? "") + ": " + message
    }
}
