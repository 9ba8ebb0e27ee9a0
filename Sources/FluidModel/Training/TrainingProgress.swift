/// Receives the trainer's progress. The library only reports; drawing it (the CLI's
/// `ConsoleProgress`) is the caller's business, and tests pass nil.
public protocol TrainingProgress: AnyObject {
    /// A stage starts: `totalSteps` steps of `batchSize` images, `stepsPerEpoch` per epoch.
    func stageBegan(index: Int, of count: Int, stage: TrainingStage, totalSteps: Int, stepsPerEpoch: Int,
                    batchSize: Int)
    func update(step: Int, epoch: Int, loss: Float, accuracy: Double, imagesPerSecond: Double)
    func stageEnded(_ report: StageReport)
}

/// Fixed-point text of a number without Foundation's locale-dependent String(format:): what
/// the weight files' metadata and the training progress print.
public enum FixedPoint {
    public static func string(_ v: Double, digits: Int) -> String {
        guard v.isFinite else { return "\(v)" }
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let r = (abs(v) * p).rounded()
        let whole = Int(r / p), frac = Int(r - Double(whole) * p)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (v < 0 && r != 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + f : "")
    }
}
