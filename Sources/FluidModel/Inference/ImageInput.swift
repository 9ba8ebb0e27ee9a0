/// MNIST bytes -> the padded float layout conv1 reads (value = pixel / 255, docs/model.md).
enum ImageInput {
    static let paddedSide = CNN.conv1.paddedSide

    /// image [side × side] bytes -> interior of a padded [paddedSide, paddedSide, 1] buffer
    /// whose border is already zero.
    @inline(__always)
    static func load(_ image: UnsafePointer<UInt8>, into padded: UnsafeMutablePointer<Float>) {
        let side = CNN.imageSide, paddedSide = Self.paddedSide, pad = ConvLayer.padding
        let scale: Float = 1 / 255
        for y in 0..<side {
            let src = image + y * side
            let dst = padded + (y + pad) * paddedSide + pad
            for x in 0..<side { dst[x] = Float(src[x]) * scale }
        }
    }
}
