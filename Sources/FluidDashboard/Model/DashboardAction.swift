/// Everything a key can ask for. The dashboard loop handles the UI ones (help,
/// pause, quit) itself and forwards every action to the driver, which ignores what
/// it does not serve (a replay has no faults to inject).
public enum DashboardAction: Hashable, Sendable {
    /// SIGKILL the device if it is up, start it again if it is down.
    case crashOrRevive(Role)
    /// SIGSTOP the device if it runs, SIGCONT it if it is hung.
    case hangOrResume(Role)
    /// Cut the Master ↔ Worker link (every byte dropped, sockets open), or heal it.
    case cutOrHealLink
    /// Make the device 4× slower (a SIGSTOP/SIGCONT duty cycle: a gray failure), or end it.
    case slowOrUnslow(Role)
    /// HA ↔ HT.
    case toggleMode
    /// The controller picks HA or HT for the offered rate.
    case autoMode
    /// Restart the nodes on that kind's weight file.
    case selectKind(ModelKind)
    case rateUp
    case rateDown
    case toggleRecording
    /// Live: freeze the display (the cluster keeps running). Replay: pause playback.
    case togglePause
    case toggleHelp
    /// `p`: the plan view (the menu on accuracy vs throughput) in place of the panels,
    /// graphs and events, or back.
    case togglePlanView
    /// Esc: close whatever is open (help first, else the plan view); nothing otherwise.
    case closeOverlay
    /// Plan view only: move the cursor over the menu's plans (−1 back, +1 on; it wraps).
    case movePlanCursor(Int)
    /// Enter in the plan view: the UI state turns it into `pinPlan` at its cursor.
    case pinAtCursor
    /// Pin the plan at this index of the kind's menu (taken modulo its length), or unpin
    /// when that plan is the one pinned already. The cluster serves it while its devices live.
    case pinPlan(menuIndex: Int)
    /// Back to the mode's policy (HA, HT or auto) from a pinned plan.
    case unpin
    /// The goal: off (the mode's policy) → accuracy → throughput → slo-p99 → off.
    case cycleGoal
    /// The goal's number up or down: the least accuracy ±0.1 pp, the SLO ×/÷ 1.25.
    case adjustGoal(up: Bool)
    /// PgUp / PgDn: scroll the event log a page back / forward.
    case eventsOlder
    case eventsNewer
    /// Replay only: play faster / slower; seek 5 s back / forward.
    case replayFaster
    case replaySlower
    case seekBack
    case seekForward
    case quit

    /// Faults: only these are hidden by `--read-only` and marked dangerous in help.
    public var isFault: Bool {
        switch self {
        case .crashOrRevive, .hangOrResume, .cutOrHealLink, .slowOrUnslow: return true
        default: return false
        }
    }

    /// Actions that change what the cluster does, which the asciicast marks.
    public var isMarker: Bool {
        switch self {
        case .crashOrRevive, .hangOrResume, .cutOrHealLink, .slowOrUnslow, .toggleMode, .autoMode, .selectKind,
             .pinPlan, .unpin, .cycleGoal, .adjustGoal: return true
        default: return false
        }
    }

    /// Keys that act on the plan view's cursor: outside the view they do nothing (the
    /// arrows must not pin a plan nobody sees).
    public var isPlanViewOnly: Bool {
        switch self {
        case .movePlanCursor, .pinAtCursor, .pinPlan: return true
        default: return false
        }
    }

    /// A short human description, for markers and the event log.
    public var describe: String {
        switch self {
        case .crashOrRevive(let d): return "crash/revive \(d.title)"
        case .hangOrResume(let d): return "hang/resume \(d.title)"
        case .cutOrHealLink: return "cut/heal the Master ↔ Worker link"
        case .slowOrUnslow(let d): return "slow/unslow \(d.title)"
        case .toggleMode: return "toggle HA/HT"
        case .autoMode: return "auto mode"
        case .selectKind(let k): return "run \(k.title)"
        case .rateUp: return "rate up"
        case .rateDown: return "rate down"
        case .toggleRecording: return "toggle recording"
        case .togglePause: return "pause"
        case .toggleHelp: return "help"
        case .togglePlanView: return "plan view"
        case .closeOverlay: return "close"
        case .movePlanCursor(let d): return d < 0 ? "previous plan" : "next plan"
        case .pinAtCursor: return "pin the plan at the cursor"
        case .pinPlan: return "pin the plan at the cursor (or unpin it)"
        case .unpin: return "unpin"
        case .cycleGoal: return "next goal"
        case .adjustGoal(let up): return up ? "goal's number up" : "goal's number down"
        case .eventsOlder: return "older events"
        case .eventsNewer: return "newer events"
        case .replayFaster: return "faster"
        case .replaySlower: return "slower"
        case .seekBack: return "back 5 s"
        case .seekForward: return "forward 5 s"
        case .quit: return "quit"
        }
    }
}

/// A key as the dashboard sees it; the terminal backend decodes raw codes into these.
public enum DashboardKey: Hashable, Sendable {
    case character(Character)
    case function(Int)
    case controlC
    case escape
    case pageUp
    case pageDown
    case left
    case right
    case up
    case down
    case enter
    case resize

    /// How help and footer spell the key.
    public var display: String {
        switch self {
        case .character(" "): return "space"
        case .character(let c): return String(c)
        case .function(let n): return "F\(n)"
        case .controlC: return "^C"
        case .escape: return "Esc"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .left: return "←"
        case .right: return "→"
        case .up: return "↑"
        case .down: return "↓"
        case .enter: return "Enter"
        case .resize: return "resize"
        }
    }
}
