import RedisProvider

/// A plain-text table with columns padded to their widest cell, for terminals.
public struct TextTable: Sendable {
    /// The column titles.
    public var header: [String]
    /// The rows; shorter rows are padded with empty cells.
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    /// The table as lines, columns separated by two spaces, trailing spaces trimmed.
    /// `style` may decorate a cell (colour) after its width is measured.
    public func render(style: (_ row: Int, _ column: Int, _ text: String) -> String = { _, _, t in t }) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (r, row) in all.enumerated() {
            var line = ""
            for i in 0..<widths.count {
                let cell = i < row.count ? row[i] : ""
                let padding = i == widths.count - 1 ? "" : String(repeating: " ", count: widths[i] - cell.count + 2)
                line += (r == 0 ? cell : style(r - 1, i, cell)) + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
