import FluidModel
import Foundation

/// Progress on stderr: on a TTY one line redrawn with \r (model, sub-network, epoch, loss,
/// running accuracy, img/s, ETA), at most 10 times a second; otherwise a plain line at the
/// end of every epoch, so logs stay readable.
final class ConsoleProgress: TrainingProgress {
    let model: String
    let isTTY: Bool
    var stageName = "", stageIndex = 0, stageCount = 0
    var totalSteps = 1, stepsPerEpoch = 1, epochs = 1, batchSize = 1
    var lastDraw = 0.0

    init(model: String, isTTY: Bool = isatty(STDERR_FILENO) != 0) {
        self.model = model
        self.isTTY = isTTY
    }

    func stageBegan(index: Int, of count: Int, stage: TrainingStage, totalSteps: Int, stepsPerEpoch: Int,
                    batchSize: Int) {
        stageName = stage.name
        stageIndex = index + 1
        stageCount = count
        self.totalSteps = totalSteps
        self.stepsPerEpoch = stepsPerEpoch
        self.batchSize = batchSize
        epochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch
        lastDraw = 0
    }

    func update(step: Int, epoch: Int, loss: Float, accuracy: Double, imagesPerSecond: Double) {
        let now = Date().timeIntervalSince1970
        let remaining = Double(totalSteps - step) * Double(batchSize) / max(imagesPerSecond, 1)
        if isTTY {
            guard now - lastDraw >= 0.1 || step == totalSteps else { return }
            lastDraw = now
            let width = 20
            let filled = Int(Double(width) * Double(step) / Double(totalSteps))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\(model) [\(stageIndex)/\(stageCount)] \(stageName) ep \(epoch)/\(epochs) \(bar) "
                + "loss \(FixedPoint.string(Double(loss), digits: 4)) acc \(FixedPoint.string(accuracy * 100, digits: 2))% "
                + "\(Int(imagesPerSecond)) img/s ETA \(Int(remaining.rounded()))s"
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if step % stepsPerEpoch == 0 || step == totalSteps {
            let line = "\(model) [\(stageIndex)/\(stageCount)] \(stageName) epoch \(epoch)/\(epochs) "
                + "loss \(FixedPoint.string(Double(loss), digits: 4)) acc \(FixedPoint.string(accuracy * 100, digits: 2))% \(Int(imagesPerSecond)) img/s"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func stageEnded(_ report: StageReport) {
        let line = "\(model) [\(stageIndex)/\(stageCount)] \(report.name) done in \(FixedPoint.string(report.seconds, digits: 1)) s "
            + "(loss \(FixedPoint.string(Double(report.loss), digits: 4)), train acc \(FixedPoint.string(report.trainAccuracy * 100, digits: 2))%, "
            + "\(Int(report.imagesPerSecond)) img/s)"
        FileHandle.standardError.write(Data(((isTTY ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }
}
