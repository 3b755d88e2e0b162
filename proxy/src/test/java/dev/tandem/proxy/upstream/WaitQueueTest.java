package dev.tandem.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WaitQueueTest {

    private static final long TIMEOUT = 1_000;

    private final WaitQueue<Object> q = new WaitQueue<>();
    private final Object a = new Object();
    private final Object b = new Object();
    private final Object c = new Object();

    @Test
    void oldestFirst() {
        q.add(a, 10);
        q.add(b, 20);
        q.add(c, 30);
        assertSame(a, q.poll());
        assertSame(b, q.poll());
        assertSame(c, q.poll());
        assertNull(q.poll());
        assertTrue(q.isEmpty());
    }

    @Test
    void onlyTheOldestExpiresAndOnlyWhenItsTimeIsUp() {
        q.add(a, 0);
        q.add(b, 500);
        assertEquals(TIMEOUT, q.nextExpiry(TIMEOUT));
        assertNull(q.pollExpired(999, TIMEOUT));
        assertSame(a, q.pollExpired(1_000, TIMEOUT));
        assertNull(q.pollExpired(1_000, TIMEOUT));
        assertEquals(1_500, q.nextExpiry(TIMEOUT));
        assertSame(b, q.pollExpired(5_000, TIMEOUT));
        assertEquals(Long.MAX_VALUE, q.nextExpiry(TIMEOUT));
    }

    @Test
    void aWaiterWhoseClientLeftIsGoneAndLeavesNothingBehind() {
        q.add(a, 0);
        q.add(b, 1);
        q.add(c, 2);
        assertTrue(q.remove(b));
        assertFalse(q.remove(b));
        assertFalse(q.contains(b));
        assertEquals(2, q.size());
        assertTrue(q.remove(a));
        // The next to expire is now the oldest of those left.
        assertEquals(2 + TIMEOUT, q.nextExpiry(TIMEOUT));
        assertSame(c, q.poll());
        assertTrue(q.isEmpty());
    }

    @Test
    void timesSurviveTheWrapOfNanoTime() {
        q.add(a, Long.MAX_VALUE - 10);
        assertNull(q.pollExpired(Long.MAX_VALUE, TIMEOUT));
        assertSame(a, q.pollExpired(Long.MIN_VALUE + TIMEOUT, TIMEOUT));
    }
}
