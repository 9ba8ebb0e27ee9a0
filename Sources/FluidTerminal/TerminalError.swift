/// Why the terminal could not be taken over.
public enum TerminalError: Error, CustomStringConvertible {
    case notATerminal(command: String)
    case initFailed(term: String)

    public var description: String {
        switch self {
        case .notATerminal(let command):
            return "\(command) needs an interactive terminal (stdin and stdout must be a TTY). "
                + "For scripts, pipes and CI use `fluid run --headless` (JSON Lines on stdout)."
        case .initFailed(let term):
            return "cannot start curses for TERM=\(term.isEmpty ? "(unset)" : term); "
                + "set TERM (e.g. xterm-256color) or use `fluid run --headless`."
        }
    }
}
