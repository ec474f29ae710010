import NIOCore
import RESP
import Testing

@testable import RedisProvider

/// What `SET … EX/PX` sends for a duration: whole seconds as `EX`, anything else as `PX`,
/// never `PX 0` for a positive duration (the server refuses it).
@Suite struct ExpirationTests {
    static func arguments(_ expiration: RedisExpiration) -> [String] {
        var command = RESPCommand("SET", "k", "v")
        expiration.append(to: &command)
        return command.arguments.dropFirst(3).map { String(buffer: $0) }
    }

    @Test func durationsAreSentInWholeSecondsOrRoundedUpMilliseconds() {
        #expect(Self.arguments(.after(.seconds(60))) == ["EX", "60"])
        #expect(Self.arguments(.after(.milliseconds(1500))) == ["PX", "1500"])
        #expect(Self.arguments(.after(.microseconds(500))) == ["PX", "1"])
        #expect(Self.arguments(.after(.nanoseconds(1))) == ["PX", "1"])
        #expect(Self.arguments(.after(.nanoseconds(2_000_000_001))) == ["PX", "2001"])
        #expect(Self.arguments(.after(.microseconds(999_999_999))) == ["EX", "1000"])
        #expect(Self.arguments(.keepCurrent) == ["KEEPTTL"])
        #expect(Self.arguments(.atUnixTime(seconds: 1_800_000_000)) == ["EXAT", "1800000000"])
    }

    @Test func roundingUpKeepsTheSignAndSaturates() {
        #expect(Duration.milliseconds(-1500).millisecondsRoundedUp == -1500)
        #expect(Duration.zero.millisecondsRoundedUp == 0)
        #expect(Duration.seconds(Int64.max).millisecondsRoundedUp == Int.max)
    }
}
