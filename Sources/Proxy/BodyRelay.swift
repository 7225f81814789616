import EventLoop
import HTTP1

/// Moves one message body from a receive buffer to a send queue, re-framing
/// it: Content-Length bodies are copied, chunked bodies are decoded and written
/// again as chunked (extensions dropped; trailer fields passed on when the
/// receiver takes them, dropped otherwise), close-delimited bodies are copied
/// until EOF. The receiver reads exactly what Tether read.
struct BodyRelay {
    enum Mode {
        case done
        case length(remaining: Int)
        /// `rechunk`: write chunked framing on the way out; otherwise only the data.
        case chunked(ChunkedDecoder, rechunk: Bool)
        case untilClose
    }

    var mode: Mode = .done
    /// Trailer fields go on (only when re-chunking: other framings have no place for them).
    var forwardTrailers = false
    /// The last chunk's `0 CRLF` went out ahead of trailer lines.
    private var lastChunkSent = false

    init() {}

    init(framing: BodyFraming, rechunk: Bool, maxBody: Int, trailers: Bool = false) {
        forwardTrailers = rechunk && trailers
        switch framing {
        case .none: mode = .done
        case .length(let n): mode = .length(remaining: n)
        case .chunked: mode = .chunked(ChunkedDecoder(maxBodySize: maxBody), rechunk: rechunk)
        case .untilClose: mode = .untilClose
        }
    }

    var isDone: Bool {
        if case .done = mode { return true }
        return false
    }

    enum Outcome {
        case progressed
        case failed(HTTPParseError)
    }

    /// Relays the unread bytes of `input` into `output` until it holds
    /// `highWater` pending bytes; `input`'s read index moves past what was
    /// taken. Both directions go through here.
    mutating func relay(from input: inout ReceiveBuffer, to output: inout SendQueue, highWater: Int, moved: inout Int) -> Outcome {
        let limit = output.appendLimit(highWater: highWater)
        var readIndex = input.readIndex
        let outcome = input.storage.withUnsafeBufferPointer { buf in
            var view = ReceiveBufferView(storage: buf, readIndex: input.readIndex, writeIndex: input.writeIndex)
            defer { readIndex = view.readIndex }
            return relay(from: &view, to: &output.bytes, highWater: limit, moved: &moved)
        }
        input.readIndex = readIndex
        return outcome
    }

    /// Relays what `input` holds, stopping when `output` passes `highWater`.
    /// Returns the number of body bytes moved (for stats) through `moved`.
    mutating func relay(from input: inout ReceiveBufferView, to output: inout [UInt8], highWater: Int, moved: inout Int) -> Outcome {
        while input.readable > 0 && output.count < highWater {
            switch mode {
            case .done:
                return .progressed
            case .length(let remaining):
                let n = min(remaining, input.readable, highWater)
                input.copy(n, to: &output)
                moved += n
                mode = remaining == n ? .done : .length(remaining: remaining - n)
            case .untilClose:
                let n = min(input.readable, highWater)
                input.copy(n, to: &output)
                moved += n
            case .chunked(var decoder, let rechunk):
                let event = input.withBytes { buf, start, end in decoder.next(buf, start: start, end: end) }
                switch event {
                case .data(let r):
                    if rechunk { MessageWriter.appendChunkHeader(r.count, into: &output) }
                    input.copy(r.count, to: &output, from: r.lowerBound)
                    if rechunk { output.append(static: "\r\n") }
                    moved += r.count
                    mode = .chunked(decoder, rechunk: rechunk)
                case .trailer(let r):
                    if forwardTrailers {
                        if !lastChunkSent { output.append(static: "0\r\n") }
                        lastChunkSent = true
                        input.copy(r.count, to: &output, from: r.lowerBound)
                    } else {
                        input.consume(upTo: r.upperBound)
                    }
                    mode = .chunked(decoder, rechunk: rechunk)
                case .needMore:
                    input.consumeAll()
                    mode = .chunked(decoder, rechunk: rechunk)
                case .end(let e):
                    input.consume(upTo: e)
                    if rechunk {
                        if lastChunkSent { output.append(static: "\r\n") } else { output.append(static: MessageWriter.lastChunk) }
                    }
                    mode = .done
                case .failed(let err):
                    return .failed(err)
                }
            }
        }
        return .progressed
    }
}

/// The view `BodyRelay` needs of a receive buffer, so it can be tested and
/// used for both directions without knowing about sockets.
struct ReceiveBufferView {
    var storage: UnsafeBufferPointer<UInt8>
    var readIndex: Int
    var writeIndex: Int

    var readable: Int { writeIndex - readIndex }

    mutating func copy(_ n: Int, to out: inout [UInt8], from start: Int? = nil) {
        let s = start ?? readIndex
        out.append(contentsOf: UnsafeBufferPointer(rebasing: storage[s..<(s + n)]))
        readIndex = s + n
    }

    mutating func consumeAll() { readIndex = writeIndex }
    mutating func consume(upTo i: Int) { readIndex = i }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> R) -> R {
        body(storage, readIndex, writeIndex)
    }
}
