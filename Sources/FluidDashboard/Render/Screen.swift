/// One character cell: a single Unicode scalar (one column wide) and its role.
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var role: StyleRole

    public init(_ character: Character = " ", _ role: StyleRole = .normal) {
        self.character = character
        self.role = role
    }

    public static let blank = Cell()
}

/// A `rows × columns` grid of cells: what the dashboard draws and what the backends
/// (curses, asciicast) flush. Tests read it back as strings with `line(_:)`.
///
/// Drawing clips silently at the edges, so a layout never has to guard each write;
/// every character counts as one column (the dashboard draws only narrow glyphs).
public struct Screen: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// Row-major, `rows * columns` cells.
    public private(set) var cells: [Cell]

    public init(rows: Int, columns: Int) {
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        cells = Array(repeating: .blank, count: self.rows * self.columns)
    }

    public subscript(row: Int, column: Int) -> Cell {
        get {
            guard contains(row: row, column: column) else { return .blank }
            return cells[row * columns + column]
        }
        set {
            guard contains(row: row, column: column) else { return }
            cells[row * columns + column] = newValue
        }
    }

    public func contains(row: Int, column: Int) -> Bool {
        row >= 0 && row < rows && column >= 0 && column < columns
    }

    /// Writes `text` from (`row`, `column`) to the right, clipped at the edge.
    /// Returns the column after the last character written (clipped or not),
    /// so calls can be chained along a row.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, role: StyleRole = .normal,
                             maxWidth: Int? = nil) -> Int {
        var c = column
        let limit = maxWidth.map { column + $0 } ?? Int.max
        for ch in text {
            if c >= limit { break }
            self[row, c] = Cell(ch, role)
            c += 1
        }
        return c
    }

    /// Fills a rectangle with `character` in `role`.
    public mutating func fill(row: Int, column: Int, height: Int, width: Int,
                              character: Character = " ", role: StyleRole = .normal) {
        guard height > 0, width > 0 else { return }
        for r in row..<(row + height) {
            for c in column..<(column + width) { self[r, c] = Cell(character, role) }
        }
    }

    /// Draws a single-line box; `title` is written into the top border.
    public mutating func box(row: Int, column: Int, height: Int, width: Int,
                             title: String? = nil, role: StyleRole = .border,
                             titleRole: StyleRole = .title) {
        guard height >= 2, width >= 2 else { return }
        let right = column + width - 1, bottom = row + height - 1
        for c in (column + 1)..<right {
            self[row, c] = Cell("─", role)
            self[bottom, c] = Cell("─", role)
        }
        for r in (row + 1)..<bottom {
            self[r, column] = Cell("│", role)
            self[r, right] = Cell("│", role)
        }
        self[row, column] = Cell("┌", role)
        self[row, right] = Cell("┐", role)
        self[bottom, column] = Cell("└", role)
        self[bottom, right] = Cell("┘", role)
        if let title, width > 4 {
            put(" \(title) ", row: row, column: column + 2, role: titleRole, maxWidth: width - 4)
        }
    }

    /// Row `row` as a string (trailing blanks kept, so columns line up).
    public func line(_ row: Int) -> String {
        guard row >= 0, row < rows else { return "" }
        return String(cells[(row * columns)..<((row + 1) * columns)].map(\.character))
    }

    /// All rows, joined by newlines, trailing blanks trimmed: what a test or a
    /// plain-text dump wants to read.
    public var text: String {
        (0..<rows).map { line($0).trimmingTrailingSpaces() }.joined(separator: "\n")
    }

    /// The roles of a row's cells, for tests that check that a word is drawn in
    /// the colour role it should be.
    public func roles(row: Int) -> [StyleRole] {
        guard row >= 0, row < rows else { return [] }
        return cells[(row * columns)..<((row + 1) * columns)].map(\.role)
    }

    /// The first row containing `needle`, if any.
    public func firstRow(containing needle: String) -> Int? {
        (0..<rows).first { line($0).contains(needle) }
    }

    /// The role of the first character of the first occurrence of `needle`.
    public func role(of needle: String) -> StyleRole? {
        guard let r = firstRow(containing: needle) else { return nil }
        let chars = Array(line(r))
        let n = Array(needle)
        guard n.count <= chars.count else { return nil }
        for c in 0...(chars.count - n.count) where Array(chars[c..<(c + n.count)]) == n {
            return self[r, c].role
        }
        return nil
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }

    /// Pads with spaces or truncates (with an ellipsis) to exactly `width` columns.
    func fitted(_ width: Int) -> String {
        guard width > 0 else { return "" }
        if count <= width { return self + String(repeating: " ", count: width - count) }
        if width == 1 { return "…" }
        return String(prefix(width - 1)) + "…"
    }

    /// Left-pads with spaces to `width` columns (never truncates).
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
