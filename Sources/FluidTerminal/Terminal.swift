import CNCurses
import FluidDashboard
import Foundation

/// The curses backend: takes over the terminal, flushes Screens by diffing them
/// against the last one, reads keys, and gives the terminal back. The only type
/// in the product that calls curses.
public final class Terminal {
    private var screenRef: OpaquePointer?
    private let palette: ColorPalette
    private var previous: Screen?
    private var restored = false

    /// True when stdin and stdout are both TTYs.
    public static var isInteractive: Bool { isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 }

    /// Whether colour is wanted: not with `--no-color` and not when `NO_COLOR` is
    /// set to anything non-empty (https://no-color.org).
    public static func wantsColour(noColorFlag: Bool) -> Bool {
        if noColorFlag { return false }
        if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
        return true
    }

    /// Takes over the terminal. Throws instead of letting curses exit the process
    /// (`initscr` does that on a bad TERM; `newterm` returns nil).
    public init(colour: Bool, command: String = "fluid") throws {
        guard Terminal.isInteractive else { throw TerminalError.notATerminal(command: command) }
        setlocale(LC_ALL, "")
        guard let s = fluid_newterm_stdio() else {
            throw TerminalError.initFailed(term: ProcessInfo.processInfo.environment["TERM"] ?? "")
        }
        screenRef = s
        set_term(s)
        Terminal.installExitGuard()
        raw()            // Ctrl-C and Ctrl-Z arrive as keys, not signals
        noecho()
        _ = fluid_keypad(1)
        _ = fluid_set_escdelay(25)
        curs_set(0)
        palette = ColorPalette(colour: colour)
        _ = fluid_clear()
    }

    deinit { restore() }

    /// Rows and columns as curses knows them now (updated on KEY_RESIZE).
    public var size: (rows: Int, columns: Int) {
        let w = fluid_stdscr()
        return (Int(fluid_getmaxy(w)), Int(fluid_getmaxx(w)))
    }

    /// Writes what changed since the last `draw`, run by run, then refreshes.
    public func draw(_ screen: Screen) {
        guard !restored else { return }
        let full = previous.map { $0.rows != screen.rows || $0.columns != screen.columns } ?? true
        if full { _ = fluid_clear() }
        var run = ""
        for r in 0..<screen.rows {
            var c = 0
            while c < screen.columns {
                if !full, let p = previous, p[r, c] == screen[r, c] { c += 1; continue }
                let start = c, role = screen[r, c].role
                run.removeAll(keepingCapacity: true)
                while c < screen.columns, screen[r, c].role == role,
                      full || previous?[r, c] != screen[r, c] {
                    run.append(screen[r, c].character)
                    c += 1
                }
                // The bottom-right cell: writing it makes curses scroll on some
                // terminals; the dashboard never puts anything meaningful there.
                if r == screen.rows - 1, c == screen.columns, !run.isEmpty { run.removeLast() }
                _ = fluid_attrset(palette.attribute(role))
                _ = fluid_mvaddnstr(Int32(r), Int32(start), run, -1)
            }
        }
        _ = fluid_attrset(fluid_a_normal())
        _ = fluid_refresh()
        previous = screen
    }

    /// Forgets what is on screen, so the next `draw` repaints everything (resize).
    public func invalidate() { previous = nil }

    /// Waits up to `timeoutMs` for a key; nil on timeout or an unmapped key.
    public func readKey(timeoutMs: Int) -> DashboardKey? {
        guard !restored else { return nil }
        _ = fluid_timeout(Int32(max(0, timeoutMs)))
        let code = fluid_getch()
        if code == fluid_err() { return nil }
        let key = KeyDecoder.decode(code)
        if key == .resize { invalidate() }
        return key
    }

    /// Gives the terminal back (idempotent): attributes off, cursor on, endwin.
    public func restore() {
        guard !restored else { return }
        restored = true
        _ = fluid_attrset(fluid_a_normal())
        curs_set(1)
        endwin()
        if let s = screenRef { delscreen(s) }
        screenRef = nil
    }

    // An exit() from anywhere (a library, a fatal path) must not leave the terminal in
    // raw mode, so endwin is registered with atexit, once: a static let's initializer runs
    // once, on first use, under the runtime's lock. The guard keeps no state of its own:
    // curses knows whether a screen is active (`isendwin()` is false while one is, and
    // after `restore()`'s delscreen `endwin()` finds no screen and returns ERR).
    private static let exitGuard: Void = {
        _ = atexit {
            if isendwin() == false { endwin() }
        }
    }()
    private static func installExitGuard() { exitGuard }
}
