package dev.tandem.cluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tandem.cluster.wire.Rejection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RejectionLogTest {

    private static final long S = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(-5 * S);
    private final RejectionLog log = new RejectionLog(now::get, Duration.ofMinutes(1));

    @Test
    void oneLinePerSenderAndReasonPerMinuteWithTheCountSinceTheLastOne() {
        assertEquals("cluster: advert from 10.0.0.12 rejected: replay (lb2 is behind)",
                log.rejected("10.0.0.12", Rejection.REPLAY, "lb2 is behind"));
        for (int i = 0; i < 599; i++) {
            now.addAndGet(S / 10);
            assertNull(log.rejected("10.0.0.12", Rejection.REPLAY, "lb2 is behind"), "at " + i);
        }
        // another reason, another sender: lines of their own at once
        assertEquals("cluster: advert from 10.0.0.12 rejected: bad_mac", log.rejected("10.0.0.12", Rejection.BAD_MAC, null));
        assertEquals("cluster: advert from 10.0.0.13 rejected: replay", log.rejected("10.0.0.13", Rejection.REPLAY, null));
        now.addAndGet(S / 10);
        assertEquals("cluster: advert from 10.0.0.12 rejected: replay (lb2 is behind); 600 rejected for this reason"
                + " in the last 60 s", log.rejected("10.0.0.12", Rejection.REPLAY, "lb2 is behind"));
        now.addAndGet(S);
        assertNull(log.rejected("10.0.0.12", Rejection.REPLAY, null));
        now.addAndGet(10 * 60 * S);
        assertEquals("cluster: advert from 10.0.0.12 rejected: replay; 2 rejected for this reason in the last 601 s",
                log.rejected("10.0.0.12", Rejection.REPLAY, null));
    }

    @Test
    void aFloodFromForgedAddressesIsBounded() {
        for (int i = 0; i < RejectionLog.MAX_SENDERS; i++) {
            log.rejected("10.1." + (i / 256) + "." + (i % 256), Rejection.BAD_MAC, null);
        }
        assertNull(log.rejected("10.9.9.9", Rejection.BAD_MAC, null), "no room while every sender is recent");
        now.addAndGet(61 * S);
        assertEquals("cluster: advert from 10.9.9.9 rejected: bad_mac", log.rejected("10.9.9.9", Rejection.BAD_MAC, null));
    }
}
