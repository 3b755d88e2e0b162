package dev.tandem.proxy.upstream;

import static dev.tandem.proxy.upstream.TestServers.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The server-wide half of the queue: slots and the count of waiters, shared by every event loop. */
class ServerSlotsTest {

    private final ServerState state = server(1, 1, 0).state();

    @Test
    void slotsStopAtTheLimitAndComeBack() {
        assertTrue(state.tryStart(2));
        assertTrue(state.tryStart(2));
        assertFalse(state.tryStart(2));
        state.requestEnded();
        assertTrue(state.tryStart(2));
        assertEquals(2, state.inFlight());
    }

    @Test
    void zeroMeansNoLimit() {
        for (int i = 0; i < 5000; i++) {
            assertTrue(state.tryStart(0));
        }
    }

    @Test
    void theQueueIsBounded() {
        assertTrue(state.tryQueue(2));
        assertTrue(state.tryQueue(2));
        assertFalse(state.tryQueue(2));
        state.unqueued();
        assertTrue(state.tryQueue(2));
        assertFalse(state.tryQueue(0));
    }

    @Test
    void aFreedSlotWakesTheLoopsOnlyWhileSomeoneWaits() {
        AtomicInteger woken = new AtomicInteger();
        state.addSlotListener(woken::incrementAndGet);
        state.tryStart(1);
        state.requestEnded();
        assertEquals(0, woken.get());
        state.tryStart(1);
        state.tryQueue(10);
        state.requestEnded();
        assertEquals(1, woken.get());
    }
}
