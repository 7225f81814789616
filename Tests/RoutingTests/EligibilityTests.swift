import Config
import Testing

@testable import Routing

@Suite struct EligibilityTests {
    static func refresh(
        backup: [Bool] = [false, false, true], up: [Bool] = [true, true, true], admin: [AdminState] = [.active, .active, .active],
        upSince: [UInt64] = [0, 0, 0], slowStart: UInt64 = 0, now: UInt64 = 0
    ) -> Router.View {
        var view = Router.View(count: backup.count)
        let status = backup.indices.map { i in
            var s = BackendStatus(backup: backup[i], adminState: admin[i])
            s.healthUp = up[i]
            s.upSince = upSince[i]
            return s
        }
        view.refreshEligibility(status, slowStart: slowStart, now: now)
        return view
    }

    @Test func backupsOnlyWhileNoPrimaryIsUp() {
        let normal = Self.refresh()
        #expect(normal.existingOK == [true, true, false] && normal.newOK == [true, true, false])
        let oneDown = Self.refresh(up: [false, true, true])
        #expect(oneDown.newOK == [false, true, false])
        let allDown = Self.refresh(up: [false, false, true])
        #expect(allDown.existingOK == [false, false, true] && allDown.newOK == [false, false, true])
        let inMaintenance = Self.refresh(admin: [.maintenance, .maintenance, .active])
        #expect(inMaintenance.newOK == [false, false, true], "a primary in maintenance is not up")
    }

    @Test func drainingKeepsSessionsButTakesNoNewOnes() {
        let e = Self.refresh(admin: [.draining, .active, .active])
        #expect(e.existingOK[0] && !e.newOK[0])
    }

    @Test func maintenanceTakesNothing() {
        let e = Self.refresh(admin: [.active, .maintenance, .active])
        #expect(!e.existingOK[1] && !e.newOK[1])
    }

    @Test func slowStartRampsFromTheMomentItCameUp() {
        let e = Self.refresh(upSince: [100, 0, 0], slowStart: 1000, now: 350)
        #expect(e.ramp == [0.25, 1, 1])
        #expect(Self.refresh(upSince: [100, 0, 0], slowStart: 1000, now: 5000).ramp[0] == 1)
        #expect(Self.refresh(upSince: [100, 0, 0], slowStart: 0, now: 150).ramp[0] == 1, "no slow start: all at once")
    }

    @Test func loadIsCountedPerBackendAndInTotal() {
        var v = Self.refresh()
        v.loadTaken(0)
        v.loadTaken(1)
        v.loadTaken(1)
        v.loadReleased(0)
        #expect(v.load == [0, 2, 0] && v.totalLoad == 2)
    }
}
