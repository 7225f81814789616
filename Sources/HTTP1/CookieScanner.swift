/// Finds one cookie's value in `Cookie` field values (RFC 6265 §5.4:
/// `name=value` pairs separated by `;`). Lenient about spacing, exact about
/// names (case-sensitive, as browsers send them back).
public enum CookieScanner {
    /// The value of the first cookie called `name` in `buf[field]`, quotes removed.
    public static func find(_ buf: UnsafeBufferPointer<UInt8>, in field: Range<Int>, name: [UInt8]) -> Range<Int>? {
        var i = field.lowerBound
        let end = field.upperBound
        while i < end {
            while i < end && (buf[i] == ASCII.sp || buf[i] == ASCII.htab || buf[i] == ASCII.semicolon) { i += 1 }
            let nameStart = i
            while i < end && buf[i] != 0x3D && buf[i] != ASCII.semicolon { i += 1 }
            var nameEnd = i
            while nameEnd > nameStart && ASCII.isWhitespace(buf[nameEnd - 1]) { nameEnd -= 1 }
            guard i < end, buf[i] == 0x3D else { continue }  // a pair without "=": skip it
            i += 1
            while i < end && ASCII.isWhitespace(buf[i]) { i += 1 }
            var valueStart = i
            while i < end && buf[i] != ASCII.semicolon { i += 1 }
            var valueEnd = i
            while valueEnd > valueStart && ASCII.isWhitespace(buf[valueEnd - 1]) { valueEnd -= 1 }
            if valueEnd - valueStart >= 2 && buf[valueStart] == 0x22 && buf[valueEnd - 1] == 0x22 {
                valueStart += 1
                valueEnd -= 1
            }
            if nameEnd - nameStart == name.count {
                var same = true
                for k in 0..<name.count where buf[nameStart + k] != name[k] {
                    same = false
                    break
                }
                if same { return valueStart..<valueEnd }
            }
        }
        return nil
    }

    /// The cookie `name` across all `Cookie` fields of a request head.
    public static func find(_ buf: UnsafeBufferPointer<UInt8>, head: RequestHead, name: [UInt8]) -> Range<Int>? {
        for f in head.fields where f.known == .cookie {
            if let r = find(buf, in: f.value, name: name) { return r }
        }
        return nil
    }
}
