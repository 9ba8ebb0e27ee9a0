import CNCurses
import FluidDashboard

/// Semantic role → curses attribute. With colour, each role gets a colour pair
/// on the terminal's default background; without (`NO_COLOR`, `--no-color`, or a
/// terminal without colours) roles become bold / dim / reverse / underline, and
/// the glyphs and words the dashboard always draws carry the meaning.
struct ColorPalette {
    private var attributes: [StyleRole: Int32] = [:]

    init(colour: Bool) {
        let bold = fluid_a_bold(), dim = fluid_a_dim(), reverse = fluid_a_reverse(),
            underline = fluid_a_underline(), normal = fluid_a_normal()
        guard colour, has_colors() else {
            attributes = [.normal: normal, .dim: dim, .accent: normal, .healthy: normal,
                          .degraded: bold, .failed: bold | underline, .title: reverse,
                          .key: bold, .border: dim, .selected: reverse,
                          .bannerOK: reverse, .bannerDegraded: reverse | bold,
                          .bannerOutage: reverse | bold | underline, .series2: normal]
            return
        }
        start_color()
        use_default_colors()
        // (role, foreground, background, extra attribute); -1 = terminal default.
        let table: [(StyleRole, Int32, Int32, Int32)] = [
            (.accent, Int32(COLOR_CYAN), -1, normal),
            (.healthy, Int32(COLOR_GREEN), -1, normal),
            (.degraded, Int32(COLOR_YELLOW), -1, bold),
            (.failed, Int32(COLOR_RED), -1, bold),
            (.title, Int32(COLOR_WHITE), Int32(COLOR_BLUE), bold),
            (.key, Int32(COLOR_CYAN), -1, bold),
            (.border, Int32(COLOR_BLUE), -1, normal),
            (.bannerOK, Int32(COLOR_BLACK), Int32(COLOR_GREEN), bold),
            (.bannerDegraded, Int32(COLOR_BLACK), Int32(COLOR_YELLOW), bold),
            (.bannerOutage, Int32(COLOR_WHITE), Int32(COLOR_RED), bold),
            (.series2, Int32(COLOR_MAGENTA), -1, normal),
        ]
        attributes = [.normal: normal, .dim: dim, .selected: reverse]
        for (i, (role, fg, bg, extra)) in table.enumerated() {
            let pair = Int16(i + 1)
            init_pair(pair, Int16(fg), Int16(bg))
            attributes[role] = fluid_color_pair(Int32(pair)) | extra
        }
    }

    func attribute(_ role: StyleRole) -> Int32 { attributes[role] ?? fluid_a_normal() }
}
