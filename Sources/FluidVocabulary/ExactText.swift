/// A number as option values and spec strings write it, so that it reads back the same:
/// "3" when whole, else Swift's shortest exact form ("2.5", "1e+300"); never a trap on a
/// huge value.
extension Double {
    public var exactText: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
