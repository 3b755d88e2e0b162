package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The restartable timeout, on an event loop whose clock the test moves. */
class DeadlineTimerTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private EmbeddedChannel channel;
    private int expired;
    private DeadlineTimer timer;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        timer = new DeadlineTimer(channel.eventLoop(), () -> expired++);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void expiresOnceAfterTheTimeout() {
        timer.arm(100 * MS);
        advance(99);
        assertEquals(0, expired);
        advance(1);
        assertEquals(1, expired);
        assertFalse(timer.armed());
        advance(1000);
        assertEquals(1, expired);
    }

    @Test
    void activityPushesTheDeadlineBack() {
        timer.arm(100 * MS);
        advance(60);
        timer.touch();
        advance(60);
        assertEquals(0, expired, "the first task found the deadline moved and waited for the rest");
        timer.touch();
        advance(99);
        assertEquals(0, expired);
        advance(1);
        assertEquals(1, expired);
    }

    @Test
    void touchingADisarmedTimerDoesNothing() {
        timer.touch();
        advance(1000);
        assertEquals(0, expired);
    }

    @Test
    void disarmedItStaysQuietAndCanBeArmedAgain() {
        timer.arm(100 * MS);
        advance(50);
        timer.disarm();
        advance(200);
        assertEquals(0, expired);
        timer.arm(100 * MS);
        advance(100);
        assertEquals(1, expired);
    }

    @Test
    void armingWithAShorterTimeoutExpiresEarlier() {
        timer.arm(10_000 * MS);
        timer.arm(50 * MS);
        advance(50);
        assertEquals(1, expired);
    }

    @Test
    void armingWithALongerTimeoutExpiresLater() {
        timer.arm(50 * MS);
        timer.arm(500 * MS);
        advance(100);
        assertEquals(0, expired);
        assertTrue(timer.armed());
        advance(400);
        assertEquals(1, expired);
    }

    @Test
    void cancelDropsTheTask() {
        timer.arm(100 * MS);
        timer.cancel();
        advance(1000);
        assertEquals(0, expired);
        assertFalse(timer.armed());
    }
}
