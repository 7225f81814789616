import Foundation
import Glibc

/// Waits for an event the test can only observe by looking (a counter in
/// `/stats` or in a backend, a port that accepts, a process that ended).
///
/// The deadline is generous on purpose: a passing test returns as soon as the
/// event happens, so only a failing one ever waits it out. A test must not use
/// this to let time pass; when time itself is under test (a timeout firing),
/// assert the lower bound exactly and give the upper one to a deadline like
/// this one (see docs/TESTING.md).
enum Await {
    /// True once `condition` holds; false if it still does not after `timeout` seconds.
    @discardableResult
    static func until(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            usleep(10_000)
        }
    }
}
