import CNCurses
import FluidDashboard

/// Raw curses key codes → dashboard keys. Ctrl-C arrives as byte 3 because the
/// terminal runs in raw mode (no SIGINT), so quitting always goes through the
/// same path that stops the nodes and restores the terminal.
enum KeyDecoder {
    static let resize = fluid_key_resize()
    static let functionKeys: [Int32: Int] = Dictionary(uniqueKeysWithValues: (1...12).map { (fluid_key_f(Int32($0)), $0) })

    static func decode(_ code: Int32) -> DashboardKey? {
        if code == resize { return .resize }
        if let n = functionKeys[code] { return .function(n) }
        if code == 3 { return .controlC }
        if code == 27 { return .escape }
        if code == fluid_key_ppage() { return .pageUp }
        if code == fluid_key_npage() { return .pageDown }
        if code == fluid_key_left() { return .left }
        if code == fluid_key_right() { return .right }
        // Plain integer macros of curses.h: Swift imports them as constants, no shim needed.
        if code == KEY_UP { return .up }
        if code == KEY_DOWN { return .down }
        // Enter: CR in raw mode (10 once curses' nl() translates it), KEY_ENTER on a keypad.
        if code == 10 || code == 13 || code == KEY_ENTER { return .enter }
        guard code >= 32, code < 127, let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
        return .character(Character(scalar))
    }
}
