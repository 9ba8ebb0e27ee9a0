import Foundation

/// Receives the trainer's progress (the CLI draws it; tests pass nil).
public protocol TrainingProgress: AnyObject {
    func stageBegan(index: Int, of count: Int, stage: TrainingStage, totalSteps: Int, stepsPerEpoch: Int)
    func update(step: Int, epoch: Int, loss: Float, accuracy: Double, imagesPerSecond: Double)
    func stageEnded(_ report: StageReport)
}

/// Progress on stderr: on a TTY one line redrawn with \r (model, sub-network, epoch, loss,
/// running accuracy, img/s, ETA), at most 10 times a second; otherwise a plain line at the
/// end of every epoch, so logs stay readable.
public final class ConsoleProgress: TrainingProgress {
    public let model: String
    public let isTTY: Bool
    var stageName = "", stageIndex = 0, stageCount = 0
    var totalSteps = 1, stepsPerEpoch = 1, epochs = 1
    var lastDraw = 0.0
    var lastEpoch = 0
    var lastLine: (loss: Float, accuracy: Double, rate: Double) = (0, 0, 0)

    public init(model: String, isTTY: Bool = isatty(STDERR_FILENO) != 0) {
        self.model = model
        self.isTTY = isTTY
    }

    public func stageBegan(index: Int, of count: Int, stage: TrainingStage, totalSteps: Int, stepsPerEpoch: Int) {
        stageName = stage.name
        stageIndex = index + 1
        stageCount = count
        self.totalSteps = totalSteps
        self.stepsPerEpoch = stepsPerEpoch
        epochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch
        lastDraw = 0
        lastEpoch = 0
    }

    public func update(step: Int, epoch: Int, loss: Float, accuracy: Double, imagesPerSecond: Double) {
        let now = Date().timeIntervalSince1970
        let remaining = Double(totalSteps - step) * Double(64) / max(imagesPerSecond, 1)
        if isTTY {
            guard now - lastDraw >= 0.1 || step == totalSteps else { return }
            lastDraw = now
            let width = 20
            let filled = Int(Double(width) * Double(step) / Double(totalSteps))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\(model) [\(stageIndex)/\(stageCount)] \(stageName) ep \(epoch)/\(epochs) \(bar) "
                + "loss \(fmt(Double(loss), 4)) acc \(fmt(accuracy * 100, 2))% "
                + "\(Int(imagesPerSecond)) img/s ETA \(Int(remaining.rounded()))s"
            FileHandle.standardError.write(("\r" + line + "\u{1B}[K").data(using: .utf8)!)
        } else if step % stepsPerEpoch == 0 || step == totalSteps {
            let line = "\(model) [\(stageIndex)/\(stageCount)] \(stageName) epoch \(epoch)/\(epochs) "
                + "loss \(fmt(Double(loss), 4)) acc \(fmt(accuracy * 100, 2))% \(Int(imagesPerSecond)) img/s"
            FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        }
    }

    public func stageEnded(_ report: StageReport) {
        let line = "\(model) [\(stageIndex)/\(stageCount)] \(report.name) done in \(fmt(report.seconds, 1)) s "
            + "(loss \(fmt(Double(report.loss), 4)), train acc \(fmt(report.trainAccuracy * 100, 2))%, "
            + "\(Int(report.imagesPerSecond)) img/s)"
        FileHandle.standardError.write(((isTTY ? "\r\u{1B}[K" : "") + line + "\n").data(using: .utf8)!)
    }
}

/// Fixed-point formatting without Foundation's locale-dependent String(format:).
func fmt(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "\(v)" }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (abs(v) * p).rounded()
    let whole = Int(r / p), frac = Int(r - Double(whole) * p)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (v < 0 && r != 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + f : "")
}
