import HTTP1
import Stats

extension LocalAnswer {
    /// The cause of a request Tether refused while parsing it: what kind
    /// of bad request, or which limit it went over.
    init(_ error: HTTPParseError) {
        switch error {
        case .invalidRequestLine, .unsupportedVersion, .invalidTarget, .invalidStatusLine:
            self = .badRequestLine
        case .bareLineEnding, .whitespaceBeforeColon, .obsoleteLineFolding, .invalidFieldName, .invalidFieldValue,
             .connectionNamesProtectedField:
            self = .badHeader
        case .missingHost, .duplicateHost, .invalidHost:
            self = .badHost
        case .contentLengthWithTransferEncoding, .invalidContentLength, .invalidTransferEncoding, .invalidChunk:
            self = .badFraming
        case .unsupportedTransferCoding, .unsupportedMethod: self = .notImplemented
        case .unsupportedExpectation: self = .expectationFailed
        case .requestLineTooLong: self = .uriTooLong
        case .headersTooLarge: self = .headersTooLarge
        case .bodyTooLarge: self = .bodyTooLarge
        }
    }
}
